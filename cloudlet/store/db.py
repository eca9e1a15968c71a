"""The database handle shared by every service.

Durability: WAL journal. With synchronous=NORMAL a committed transaction is in the WAL
file before the request is answered, so it survives `kill -9` of the server (the OS
still holds the pages); only a power loss or kernel crash can take the last few
transactions. synchronous=FULL (`--durability full`) fsyncs every commit as well.

One connection, used only from the event-loop thread: every statement is microseconds,
so running them inline is cheaper than any hand-off to a thread.
"""

from __future__ import annotations

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
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so each statement outside
        # `transaction()` is its own committed transaction.
        self._conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self.path = path
        if path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            sync = "FULL" if durability == "full" else "NORMAL"
            self._conn.execute(f"PRAGMA synchronous={sync}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        self._conn.execute("PRAGMA cache_size=-16000")
        self._tables: list[str] = []
        self._depth = 0

    def ensure_schema(self, ddl: Iterable[str]) -> None:
        """Create tables and indexes if they do not exist (statements must be idempotent)."""
        for statement in ddl:
            self._conn.execute(statement)
            words = statement.split()
            if words[:2] == ["CREATE", "TABLE"]:
                self._tables.append(words[-1] if words[2] != "IF" else words[5])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows changed."""
        return self._conn.execute(sql, params).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT; return the new row id."""
        rowid = self._conn.execute(sql, params).lastrowid
        assert rowid is not None
        return rowid

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all. Nests (inner is a no-op)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    def reset(self) -> None:
        """Delete every row of every declared table (the schema stays)."""
        with self.transaction():
            for table in self._tables:
                self._conn.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        if self.path is not None:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
