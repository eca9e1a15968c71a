"""Event source mappings in SQLite: one row per mapping, its configuration kept as the
EventSourceMappingConfiguration document AWS returns (JSON).

Each write bumps the row's `version`, which is how the poller (esm_poller.py) notices a
change without re-reading every document. Operations live in esm.py, polling in
esm_poller.py; this module only stores.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.store import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS lambda_esm (
        uuid TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        function_arn TEXT NOT NULL, source_arn TEXT NOT NULL, enabled INTEGER NOT NULL,
        config TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1)""",
    # Stream mappings: per shard, the position after the last record processed (or
    # passed over), so polling resumes there after a restart.
    """CREATE TABLE IF NOT EXISTS lambda_esm_checkpoints (
        uuid TEXT NOT NULL, shard TEXT NOT NULL, position INTEGER NOT NULL,
        PRIMARY KEY (uuid, shard)) WITHOUT ROWID""",
)


class EsmStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def get(
        self, uuid: str, account: str | None = None, region: str | None = None
    ) -> dict[str, Any] | None:
        """A mapping's configuration; with `account` and `region`, only if it is theirs."""
        row = self.db.one("SELECT config, account, region FROM lambda_esm WHERE uuid = ?", (uuid,))
        if row is None or (account is not None and (row[1], row[2]) != (account, region)):
            return None
        return dict(orjson.loads(row[0]))

    def enabled(self, uuid: str) -> bool:
        """Whether the user asked for the mapping to poll (its state may still be moving)."""
        row = self.db.one("SELECT enabled FROM lambda_esm WHERE uuid = ?", (uuid,))
        return row is not None and bool(row[0])

    def put(self, account: str, region: str, config: dict[str, Any], enabled: bool) -> None:
        self.db.execute(
            "INSERT INTO lambda_esm (uuid, account, region, function_arn, source_arn, enabled, "
            "config) VALUES (?,?,?,?,?,?,?) ON CONFLICT (uuid) DO UPDATE SET "
            "function_arn = excluded.function_arn, source_arn = excluded.source_arn, "
            "enabled = excluded.enabled, config = excluded.config, version = version + 1",
            (
                config["UUID"],
                account,
                region,
                config["FunctionArn"],
                config["EventSourceArn"],
                int(enabled),
                orjson.dumps(config).decode(),
            ),
        )

    def set_config(self, uuid: str, config: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE lambda_esm SET config = ?, version = version + 1 WHERE uuid = ?",
            (orjson.dumps(config).decode(), uuid),
        )

    def delete(self, uuid: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM lambda_esm WHERE uuid = ?", (uuid,))
            self.db.execute("DELETE FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))

    def checkpoint(self, uuid: str, shard: str) -> int | None:
        row = self.db.one(
            "SELECT position FROM lambda_esm_checkpoints WHERE uuid = ? AND shard = ?",
            (uuid, shard),
        )
        return None if row is None else int(row[0])

    def set_checkpoint(self, uuid: str, shard: str, position: int) -> None:
        self.db.execute(
            "INSERT INTO lambda_esm_checkpoints (uuid, shard, position) VALUES (?, ?, ?) "
            "ON CONFLICT (uuid, shard) DO UPDATE SET position = excluded.position",
            (uuid, shard, position),
        )

    def listing(
        self,
        account: str,
        region: str,
        function_arn: str | None = None,
        source_arn: str | None = None,
    ) -> list[dict[str, Any]]:
        """Mappings of an account and region, oldest first, optionally of one function
        (a qualified ARN matches exactly, an unqualified one every qualifier) or source."""
        sql = "SELECT config FROM lambda_esm WHERE account = ? AND region = ?"
        params: list[Any] = [account, region]
        if function_arn is not None:
            # an unqualified ARN also matches its qualified forms (`<arn>:alias`)
            sql += " AND (function_arn = ? OR substr(function_arn, 1, ?) = ?)"
            params += [function_arn, len(function_arn) + 1, function_arn + ":"]
        if source_arn is not None:
            sql += " AND source_arn = ?"
            params.append(source_arn)
        rows = self.db.all(sql + " ORDER BY rowid", params)
        return [dict(orjson.loads(r[0])) for r in rows]

    def duplicates(self, function_arn: str, source_arn: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT config FROM lambda_esm WHERE function_arn = ? AND source_arn = ?",
            (function_arn, source_arn),
        )
        return [dict(orjson.loads(r[0])) for r in rows]

    def versions(self) -> dict[str, int]:
        """uuid -> version of every mapping (what the poller compares against)."""
        return {r[0]: r[1] for r in self.db.all("SELECT uuid, version FROM lambda_esm")}
