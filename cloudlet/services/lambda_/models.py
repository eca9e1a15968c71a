"""Lambda state: functions, published versions, aliases, layers, per-function settings
and the queue of asynchronous invocations, in SQLite.

A function's configuration is kept as the FunctionConfiguration document AWS returns
(JSON), so reading it back is a lookup, not a reassembly. Published versions are frozen
copies of that document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS lambda_functions (
        arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        config TEXT NOT NULL, code TEXT NOT NULL, tags TEXT NOT NULL, policy TEXT,
        concurrency INTEGER, last_version INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS lambda_versions (
        function TEXT NOT NULL, version TEXT NOT NULL, config TEXT NOT NULL, code TEXT NOT NULL,
        PRIMARY KEY (function, version))""",
    """CREATE TABLE IF NOT EXISTS lambda_aliases (
        function TEXT NOT NULL, name TEXT NOT NULL, config TEXT NOT NULL,
        PRIMARY KEY (function, name))""",
    """CREATE TABLE IF NOT EXISTS lambda_layers (
        arn TEXT NOT NULL, version INTEGER NOT NULL, account TEXT NOT NULL,
        region TEXT NOT NULL, name TEXT NOT NULL, config TEXT NOT NULL, code TEXT NOT NULL,
        policy TEXT, PRIMARY KEY (arn, version))""",
    """CREATE TABLE IF NOT EXISTS lambda_settings (
        function TEXT NOT NULL, kind TEXT NOT NULL, qualifier TEXT NOT NULL,
        config TEXT NOT NULL, PRIMARY KEY (function, kind, qualifier))""",
    """CREATE TABLE IF NOT EXISTS lambda_async (
        id INTEGER PRIMARY KEY, function TEXT NOT NULL, qualifier TEXT NOT NULL,
        account TEXT NOT NULL, region TEXT NOT NULL, request_id TEXT NOT NULL,
        payload BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, due REAL NOT NULL,
        received REAL NOT NULL)""",
)


@dataclass
class Function:
    arn: str
    account: str
    region: str
    name: str
    config: dict[str, Any]
    code: str
    tags: dict[str, str] = field(default_factory=dict)
    policy: dict[str, Any] | None = None
    concurrency: int | None = None
    last_version: int = 0


@dataclass(frozen=True)
class Resolved:
    """A function at one qualifier: what an invocation runs."""

    function: Function
    version: str  # "$LATEST" or a number
    config: dict[str, Any]
    code: str
    alias: str | None = None

    @property
    def arn(self) -> str:
        """The ARN the caller invoked (qualified unless $LATEST was implied)."""
        qualifier = self.alias or self.version
        return f"{self.function.arn}:{qualifier}"


class LambdaStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)
        self._rows: dict[str, tuple[Any, ...]] = {}

    # -- functions ----------------------------------------------------------------------

    def get(self, arn: str) -> Function | None:
        # Every invocation reads its function: rows are kept until this store writes
        # them. A Function is mutable, so each call still gets its own copy.
        row = self._rows.get(arn)
        if row is None:
            row = self.db.one(
                "SELECT arn, account, region, name, config, code, tags, policy, concurrency, "
                "last_version FROM lambda_functions WHERE arn = ?",
                (arn,),
            )
            if row is None:
                return None
            if not self.db.in_transaction:  # a row that could still be rolled back is not
                self._rows[arn] = row
        return _function(row)

    def forget(self) -> None:
        """Drop the cached rows (after the database was reset under the store)."""
        self._rows.clear()

    def functions(self, account: str, region: str) -> list[Function]:
        rows = self.db.all(
            "SELECT arn, account, region, name, config, code, tags, policy, concurrency, "
            "last_version FROM lambda_functions WHERE account = ? AND region = ? ORDER BY name",
            (account, region),
        )
        return [_function(row) for row in rows]

    def put(self, fn: Function) -> None:
        self._rows.pop(fn.arn, None)
        self.db.execute(
            "INSERT OR REPLACE INTO lambda_functions (arn, account, region, name, config, code, "
            "tags, policy, concurrency, last_version) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                fn.arn,
                fn.account,
                fn.region,
                fn.name,
                _dump(fn.config),
                fn.code,
                _dump(fn.tags),
                None if fn.policy is None else _dump(fn.policy),
                fn.concurrency,
                fn.last_version,
            ),
        )

    def delete(self, arn: str) -> None:
        self._rows.pop(arn, None)
        with self.db.transaction():
            for table, column in (
                ("lambda_functions", "arn"),
                ("lambda_versions", "function"),
                ("lambda_aliases", "function"),
                ("lambda_settings", "function"),
                ("lambda_async", "function"),
            ):
                self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (arn,))

    def account_reserved(self, account: str, region: str) -> int:
        value: int | None = self.db.scalar(
            "SELECT SUM(concurrency) FROM lambda_functions WHERE account = ? AND region = ?",
            (account, region),
        )
        return value or 0

    # -- versions -----------------------------------------------------------------------

    def put_version(self, function: str, version: str, config: dict[str, Any], code: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO lambda_versions (function, version, config, code) "
            "VALUES (?,?,?,?)",
            (function, version, _dump(config), code),
        )

    def version(self, function: str, version: str) -> tuple[dict[str, Any], str] | None:
        row = self.db.one(
            "SELECT config, code FROM lambda_versions WHERE function = ? AND version = ?",
            (function, version),
        )
        return None if row is None else (orjson.loads(row[0]), row[1])

    def versions(self, function: str) -> list[tuple[dict[str, Any], str]]:
        rows = self.db.all(
            "SELECT config, code FROM lambda_versions WHERE function = ? "
            "ORDER BY CAST(version AS INTEGER)",
            (function,),
        )
        return [(orjson.loads(r[0]), r[1]) for r in rows]

    def delete_version(self, function: str, version: str) -> None:
        self.db.execute(
            "DELETE FROM lambda_versions WHERE function = ? AND version = ?", (function, version)
        )

    # -- aliases ------------------------------------------------------------------------

    def alias(self, function: str, name: str) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT config FROM lambda_aliases WHERE function = ? AND name = ?", (function, name)
        )
        return None if row is None else dict(orjson.loads(row[0]))

    def aliases(self, function: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT config FROM lambda_aliases WHERE function = ? ORDER BY name", (function,)
        )
        return [dict(orjson.loads(r[0])) for r in rows]

    def put_alias(self, function: str, name: str, config: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO lambda_aliases (function, name, config) VALUES (?,?,?)",
            (function, name, _dump(config)),
        )

    def delete_alias(self, function: str, name: str) -> None:
        self.db.execute(
            "DELETE FROM lambda_aliases WHERE function = ? AND name = ?", (function, name)
        )

    # -- layers -------------------------------------------------------------------------

    def put_layer(
        self,
        arn: str,
        version: int,
        account: str,
        region: str,
        name: str,
        config: dict[str, Any],
        code: str,
    ) -> None:
        self.db.execute(
            "INSERT INTO lambda_layers (arn, version, account, region, name, config, code) "
            "VALUES (?,?,?,?,?,?,?)",
            (arn, version, account, region, name, _dump(config), code),
        )

    def layer(
        self, arn: str, version: int
    ) -> tuple[dict[str, Any], str, dict[str, Any] | None] | None:
        row = self.db.one(
            "SELECT config, code, policy FROM lambda_layers WHERE arn = ? AND version = ?",
            (arn, version),
        )
        if row is None:
            return None
        return orjson.loads(row[0]), row[1], None if row[2] is None else orjson.loads(row[2])

    def layer_versions(self, arn: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT config FROM lambda_layers WHERE arn = ? ORDER BY version DESC", (arn,)
        )
        return [dict(orjson.loads(r[0])) for r in rows]

    def layers(self, account: str, region: str) -> list[tuple[str, dict[str, Any]]]:
        """(layer arn, its latest version's config) for every layer."""
        rows = self.db.all(
            "SELECT l.arn, l.config FROM lambda_layers l WHERE account = ? AND region = ? "
            "AND version = (SELECT MAX(version) FROM lambda_layers m WHERE m.arn = l.arn) "
            "ORDER BY l.name",
            (account, region),
        )
        return [(r[0], dict(orjson.loads(r[1]))) for r in rows]

    def last_layer_version(self, arn: str) -> int:
        value: int | None = self.db.scalar(
            "SELECT MAX(version) FROM lambda_layers WHERE arn = ?", (arn,)
        )
        return value or 0

    def set_layer_config(self, arn: str, version: int, config: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE lambda_layers SET config = ? WHERE arn = ? AND version = ?",
            (_dump(config), arn, version),
        )

    def set_layer_policy(self, arn: str, version: int, policy: dict[str, Any] | None) -> None:
        self.db.execute(
            "UPDATE lambda_layers SET policy = ? WHERE arn = ? AND version = ?",
            (None if policy is None else _dump(policy), arn, version),
        )

    def delete_layer_version(self, arn: str, version: int) -> None:
        self.db.execute("DELETE FROM lambda_layers WHERE arn = ? AND version = ?", (arn, version))

    # -- per-qualifier settings (event invoke config, provisioned concurrency) ---------

    def setting(self, function: str, kind: str, qualifier: str) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT config FROM lambda_settings WHERE function = ? AND kind = ? AND qualifier = ?",
            (function, kind, qualifier),
        )
        return None if row is None else dict(orjson.loads(row[0]))

    def settings(self, function: str, kind: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT config FROM lambda_settings WHERE function = ? AND kind = ? ORDER BY qualifier",
            (function, kind),
        )
        return [dict(orjson.loads(r[0])) for r in rows]

    def all_settings(self, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self.db.all(
            "SELECT function, qualifier, config FROM lambda_settings WHERE kind = ?", (kind,)
        )
        return [(r[0], r[1], dict(orjson.loads(r[2]))) for r in rows]

    def put_setting(self, function: str, kind: str, qualifier: str, config: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO lambda_settings (function, kind, qualifier, config) "
            "VALUES (?,?,?,?)",
            (function, kind, qualifier, _dump(config)),
        )

    def delete_setting(self, function: str, kind: str, qualifier: str) -> None:
        self.db.execute(
            "DELETE FROM lambda_settings WHERE function = ? AND kind = ? AND qualifier = ?",
            (function, kind, qualifier),
        )

    # -- asynchronous invocations -------------------------------------------------------

    def enqueue(
        self,
        function: str,
        qualifier: str,
        account: str,
        region: str,
        request_id: str,
        payload: bytes,
        due: float,
    ) -> None:
        self.db.insert(
            "INSERT INTO lambda_async (function, qualifier, account, region, request_id, payload, "
            "due, received) VALUES (?,?,?,?,?,?,?,?)",
            (function, qualifier, account, region, request_id, payload, due, due),
        )

    def due(self, now: float, limit: int) -> list[tuple[Any, ...]]:
        return self.db.all(
            "SELECT id, function, qualifier, account, region, request_id, payload, attempts, "
            "received FROM lambda_async WHERE due <= ? ORDER BY due LIMIT ?",
            (now, limit),
        )

    def next_due(self) -> float | None:
        value: float | None = self.db.scalar("SELECT MIN(due) FROM lambda_async")
        return value

    def reschedule(self, row_id: int, attempts: int, due: float) -> None:
        self.db.execute(
            "UPDATE lambda_async SET attempts = ?, due = ? WHERE id = ?", (attempts, due, row_id)
        )

    def finish(self, row_id: int) -> None:
        self.db.execute("DELETE FROM lambda_async WHERE id = ?", (row_id,))


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def _function(row: tuple[Any, ...]) -> Function:
    return Function(
        arn=row[0],
        account=row[1],
        region=row[2],
        name=row[3],
        config=orjson.loads(row[4]),
        code=row[5],
        tags=orjson.loads(row[6]),
        policy=None if row[7] is None else orjson.loads(row[7]),
        concurrency=row[8],
        last_version=row[9],
    )
