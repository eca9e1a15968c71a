"""CloudWatch Logs state in SQLite: log groups, log streams and their events.

Events live in one table indexed by (group, stream, timestamp) for GetLogEvents and by
(group, timestamp) for FilterLogEvents across streams and for the retention sweep; the
row id breaks timestamp ties, so both scans come out in order without a sort. Stream
rows carry the counters DescribeLogStreams reports, updated in the same transaction as
the insert, so a PutLogEvents is a single transaction.

This module holds data access only; the rules (limits, validation, paging) are in the
operation modules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from cloudlet.store import Database, Row

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS logs_groups (
        id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, created INTEGER NOT NULL, retention INTEGER, kms_key TEXT,
        class TEXT NOT NULL, tags TEXT NOT NULL, UNIQUE (account, region, name))""",
    """CREATE TABLE IF NOT EXISTS logs_streams (
        id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, name TEXT NOT NULL,
        created INTEGER NOT NULL, first_event INTEGER, last_event INTEGER,
        last_ingestion INTEGER, stored_bytes INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL DEFAULT 0, UNIQUE (group_id, name))""",
    """CREATE TABLE IF NOT EXISTS logs_events (
        id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, stream_id INTEGER NOT NULL,
        timestamp INTEGER NOT NULL, ingestion INTEGER NOT NULL, message TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS logs_events_stream ON logs_events (group_id, stream_id, timestamp)",
    "CREATE INDEX IF NOT EXISTS logs_events_time ON logs_events (group_id, timestamp)",
)

_GROUP_COLUMNS = "id, account, region, name, created, retention, kms_key, class, tags"
_STREAM_COLUMNS = (
    "id, group_id, name, created, first_event, last_event, last_ingestion, stored_bytes, seq"
)
DAY_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class LogGroup:
    id: int
    account: str
    region: str
    name: str
    created: int
    retention: int | None
    kms_key: str | None
    log_class: str
    tags: dict[str, str]

    @property
    def arn(self) -> str:
        """The ARN without the trailing `:*` (what the tagging operations take)."""
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"

    def cutoff(self, now: int) -> int | None:
        """Events stamped before this have outlived the retention period."""
        return None if self.retention is None else now - self.retention * DAY_MS


@dataclass
class LogStream:
    id: int
    group_id: int
    name: str
    created: int
    first_event: int | None
    last_event: int | None
    last_ingestion: int | None
    stored_bytes: int
    seq: int


def _group(row: Row) -> LogGroup:
    id_, account, region, name, created, retention, kms_key, log_class, tags = row
    return LogGroup(
        id_, account, region, name, created, retention, kms_key, log_class, orjson.loads(tags)
    )


class LogsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    # -- groups -------------------------------------------------------------------------

    def group(self, account: str, region: str, name: str) -> LogGroup | None:
        row = self.db.one(
            f"SELECT {_GROUP_COLUMNS} FROM logs_groups WHERE account = ? AND region = ? "
            "AND name = ?",
            (account, region, name),
        )
        return None if row is None else _group(row)

    def groups(self, account: str, region: str, prefix: str = "") -> list[LogGroup]:
        rows = self.db.all(
            f"SELECT {_GROUP_COLUMNS} FROM logs_groups WHERE account = ? AND region = ? "
            "AND substr(name, 1, ?) = ? ORDER BY name",
            (account, region, len(prefix), prefix),
        )
        return [_group(row) for row in rows]

    def retained_groups(self) -> list[LogGroup]:
        rows = self.db.all(f"SELECT {_GROUP_COLUMNS} FROM logs_groups WHERE retention IS NOT NULL")
        return [_group(row) for row in rows]

    def insert_group(self, group: LogGroup) -> None:
        group.id = self.db.insert(
            "INSERT INTO logs_groups (account, region, name, created, retention, kms_key, "
            "class, tags) VALUES (?,?,?,?,?,?,?,?)",
            (
                group.account,
                group.region,
                group.name,
                group.created,
                group.retention,
                group.kms_key,
                group.log_class,
                orjson.dumps(group.tags).decode(),
            ),
        )

    def set_retention(self, group: LogGroup, days: int | None) -> None:
        self.db.execute("UPDATE logs_groups SET retention = ? WHERE id = ?", (days, group.id))
        group.retention = days

    def set_tags(self, group: LogGroup, tags: dict[str, str]) -> None:
        self.db.execute(
            "UPDATE logs_groups SET tags = ? WHERE id = ?", (orjson.dumps(tags).decode(), group.id)
        )
        group.tags = tags

    def stored_bytes(self, group_id: int) -> int:
        row = self.db.one(
            "SELECT COALESCE(SUM(stored_bytes), 0) FROM logs_streams WHERE group_id = ?",
            (group_id,),
        )
        return 0 if row is None else int(row[0])

    def delete_group(self, group_id: int) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM logs_events WHERE group_id = ?", (group_id,))
            self.db.execute("DELETE FROM logs_streams WHERE group_id = ?", (group_id,))
            self.db.execute("DELETE FROM logs_groups WHERE id = ?", (group_id,))

    # -- streams ------------------------------------------------------------------------

    def stream(self, group_id: int, name: str) -> LogStream | None:
        row = self.db.one(
            f"SELECT {_STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? AND name = ?",
            (group_id, name),
        )
        return None if row is None else LogStream(*row)

    def streams(
        self, group_id: int, prefix: str, by_last_event: bool, descending: bool
    ) -> list[LogStream]:
        direction = "DESC" if descending else "ASC"
        order = f"name {direction}"
        if by_last_event:
            # Streams without events sort as the oldest, as on AWS.
            order = f"COALESCE(last_event, 0) {direction}, {order}"
        rows = self.db.all(
            f"SELECT {_STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? "
            f"AND substr(name, 1, ?) = ? ORDER BY {order}",
            (group_id, len(prefix), prefix),
        )
        return [LogStream(*row) for row in rows]

    def stream_names(self, ids: set[int]) -> dict[int, str]:
        marks = ",".join("?" * len(ids))
        rows = self.db.all(f"SELECT id, name FROM logs_streams WHERE id IN ({marks})", list(ids))
        return {row[0]: row[1] for row in rows}

    def insert_stream(self, group_id: int, name: str, created: int) -> None:
        self.db.insert(
            "INSERT INTO logs_streams (group_id, name, created) VALUES (?,?,?)",
            (group_id, name, created),
        )

    def delete_stream(self, stream_id: int) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM logs_events WHERE stream_id = ?", (stream_id,))
            self.db.execute("DELETE FROM logs_streams WHERE id = ?", (stream_id,))

    def target(self, account: str, region: str, group: str, stream: str) -> Row | None:
        """(group id, retention, stream id or None) for a PutLogEvents, in one lookup."""
        return self.db.one(
            "SELECT g.id, g.retention, s.id FROM logs_groups g LEFT JOIN logs_streams s "
            "ON s.group_id = g.id AND s.name = ? WHERE g.account = ? AND g.region = ? "
            "AND g.name = ?",
            (stream, account, region, group),
        )

    # -- events -------------------------------------------------------------------------

    def append(
        self,
        group_id: int,
        stream_id: int,
        events: Sequence[tuple[int, str]],
        ingestion: int,
        size: int,
    ) -> int:
        """Store events (already in time order); return the stream's new sequence number."""
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO logs_events (group_id, stream_id, timestamp, ingestion, message) "
                "VALUES (?,?,?,?,?)",
                [(group_id, stream_id, ts, ingestion, message) for ts, message in events],
            )
            seq: int = self.db.scalar(
                "UPDATE logs_streams SET "
                "first_event = MIN(COALESCE(first_event, ?), ?), "
                "last_event = MAX(COALESCE(last_event, ?), ?), "
                "last_ingestion = ?, stored_bytes = stored_bytes + ?, seq = seq + 1 "
                "WHERE id = ? RETURNING seq",
                (
                    events[0][0],
                    events[0][0],
                    events[-1][0],
                    events[-1][0],
                    ingestion,
                    size,
                    stream_id,
                ),
            )
        return seq

    def bump_sequence(self, stream_id: int) -> int:
        value: int = self.db.scalar(
            "UPDATE logs_streams SET seq = seq + 1 WHERE id = ? RETURNING seq", (stream_id,)
        )
        return value

    def stream_events(
        self,
        group_id: int,
        stream_id: int,
        start: int,
        end: int,
        cursor: tuple[int, int],
        forward: bool,
        limit: int,
    ) -> list[Row]:
        """Events (id, timestamp, ingestion, message) of one stream with start <= timestamp
        < end, strictly after (forward) or before the (timestamp, id) cursor, nearest
        first."""
        scan = _Scan(
            "id, timestamp, ingestion, message",
            "group_id = ? AND stream_id = ?",
            [group_id, stream_id],
        )
        return scan.run(self.db, cursor, start, end - 1, forward, limit)

    def group_events(
        self,
        group_id: int,
        streams: tuple[str, list[object]],
        start: int,
        end: int,
        cursor: tuple[int, int],
        terms: tuple[str, ...],
        limit: int,
    ) -> list[Row]:
        """Events (id, stream_id, timestamp, ingestion, message) of a group with start <=
        timestamp <= end after the cursor, in time order; `streams` is an extra SQL
        condition on stream_id with its parameters; `terms` are substrings every row must
        contain (a filter pattern's required terms)."""
        clause, params = streams
        contains = "".join(" AND instr(message, ?) > 0" for _ in terms)
        scan = _Scan(
            "id, stream_id, timestamp, ingestion, message",
            f"group_id = ?{clause}{contains}",
            [group_id, *params, *terms],
        )
        return scan.run(self.db, cursor, start, end, True, limit)

    def expire(self, group_id: int, cutoff: int) -> int:
        """Delete the group's events stamped before `cutoff`; return how many went."""
        with self.db.transaction():
            freed = self.db.all(
                "SELECT stream_id, SUM(length(CAST(message AS BLOB))), COUNT(*) "
                "FROM logs_events WHERE group_id = ? AND timestamp < ? GROUP BY stream_id",
                (group_id, cutoff),
            )
            if not freed:
                return 0
            self.db.execute(
                "DELETE FROM logs_events WHERE group_id = ? AND timestamp < ?", (group_id, cutoff)
            )
            self.db.executemany(
                "UPDATE logs_streams SET stored_bytes = MAX(stored_bytes - ?, 0) WHERE id = ?",
                [(row[1], row[0]) for row in freed],
            )
        return sum(int(row[2]) for row in freed)


@dataclass
class _Scan:
    """A keyset page over events in (timestamp, id) order.

    SQLite does not seek an index on a (timestamp, rowid) row value, so "after (t, i)"
    is asked as two index ranges: timestamp = t AND id > i, then timestamp > t. A page
    then costs the same wherever it starts, even among events sharing a timestamp (all
    lines of one Lambda invocation do)."""

    columns: str
    where: str
    params: list[object]

    def run(
        self, db: Database, cursor: tuple[int, int], low: int, high: int, forward: bool, limit: int
    ) -> list[Row]:
        ts, row_id = cursor
        sign, order = (">", "") if forward else ("<", " DESC")
        base = f"SELECT {self.columns} FROM logs_events WHERE {self.where}"
        rows: list[Row] = []
        if low <= ts <= high:
            rows = db.all(
                f"{base} AND timestamp = ? AND id {sign} ? ORDER BY id{order} LIMIT ?",
                [*self.params, ts, row_id, limit],
            )
        if forward:
            low = max(low, ts + 1)
        else:
            high = min(high, ts - 1)
        if len(rows) < limit and low <= high:
            rows += db.all(
                f"{base} AND timestamp >= ? AND timestamp <= ? "
                f"ORDER BY timestamp{order}, id{order} LIMIT ?",
                [*self.params, low, high, limit - len(rows)],
            )
        return rows
