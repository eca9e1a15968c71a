"""The database handle shared by every service.

Durability: WAL journal. With synchronous=NORMAL a committed transaction is in the WAL
file before the request is answered, so it survives `kill -9` of the server (the OS
still holds the pages); only a power loss or kernel crash can take the last few
transactions. synchronous=FULL (`--durability full`) fsyncs every commit as well.

Group commit: once the server's event loop is attached, writes open a transaction that
is committed once per loop iteration, and every response waits for that commit
(`barrier()`) before it is sent. Many concurrent requests then share one commit, and
nothing is acknowledged before it is durable. Without a loop (tools, unit tests) each
write commits on its own.

One connection, used only from the event-loop thread: every statement is microseconds,
so running them inline is cheaper than any hand-off to a thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]


class Database:
    def __init__(self, path: Path | None, durability: str = "normal") -> None:
        """Open `path` (created if missing), or an in-memory database when `path` is None."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if path is None else str(path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self.path = path
        if path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            sync = "FULL" if durability == "full" else "NORMAL"
            self._conn.execute(f"PRAGMA synchronous={sync}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        self._conn.execute("PRAGMA cache_size=-16000")
        self._savepoints = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._committed: asyncio.Future[None] | None = None

    # -- group commit -------------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Switch to group commit on `loop` (the server's)."""
        self._commit()
        self._loop = loop

    def _begin(self) -> None:
        if self._conn.in_transaction:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        if self._loop is not None:
            self._committed = self._loop.create_future()
            self._loop.call_soon(self._commit)

    def _commit(self) -> None:
        committed, self._committed = self._committed, None
        try:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")
        except sqlite3.Error as error:
            if committed is not None and not committed.done():
                committed.set_exception(error)
            raise
        if committed is not None and not committed.done():
            committed.set_result(None)

    async def barrier(self) -> None:
        """Wait until every write made so far is committed."""
        if self._committed is not None:
            await asyncio.shield(self._committed)

    def _after_write(self) -> None:
        if self._loop is None and self._savepoints == 0:
            self._commit()

    # -- statements ---------------------------------------------------------------------

    def ensure_schema(self, ddl: Iterable[str]) -> None:
        """Create tables and indexes if they do not exist (statements must be idempotent)."""
        for statement in ddl:
            self._conn.execute(statement)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one writing statement; return the number of rows changed."""
        self._begin()
        count = self._conn.execute(sql, params).rowcount
        self._after_write()
        return count

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT; return the new row id."""
        self._begin()
        rowid = self._conn.execute(sql, params).lastrowid
        self._after_write()
        assert rowid is not None
        return rowid

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._begin()
        self._conn.executemany(sql, rows)
        self._after_write()

    def returning(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a writing statement with a RETURNING clause; return its rows."""
        self._begin()
        rows = self._conn.execute(sql, params).fetchall()
        self._after_write()
        return rows

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._begin()  # scalar is also used for UPDATE ... RETURNING
        row = self._conn.execute(sql, params).fetchone()
        self._after_write()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside take effect together or not at all. Nests."""
        self._begin()
        name = f"sp{self._savepoints}"
        self._conn.execute(f"SAVEPOINT {name}")
        self._savepoints += 1
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        else:
            self._conn.execute(f"RELEASE {name}")
        finally:
            self._savepoints -= 1
            self._after_write()

    @property
    def in_transaction(self) -> bool:
        """Inside `transaction()`: what is read now may yet be rolled back."""
        return self._savepoints > 0

    def tables_with_rows(self) -> list[str]:
        """The tables that hold at least one row."""
        return [
            t
            for t in self._all_tables()
            if self._conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
        ]

    def _all_tables(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return [row[0] for row in rows]

    def reset(self) -> None:
        """Delete every row of every table, also of services not loaded (the schema stays)."""
        with self.transaction():
            for table in self._all_tables():
                self._conn.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        self._commit()
        if self.path is not None:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
