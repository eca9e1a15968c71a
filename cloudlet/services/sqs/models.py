"""SQS state: queues, messages, deduplication ids and message move tasks, in SQLite.

Receive and delete touch only index ranges — (queue, visible_at) for standard queues,
(queue, group_id, visible_at) for FIFO group checks — so their cost does not grow
with queue depth; nor does counting (a per-queue count kept by triggers). Queue rows are also kept in a dict (the database stays the truth;
every write goes through this class and updates both).

Long polls wait on a per-queue asyncio.Event that senders set.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store import Database, Row

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sqs_queues (
        arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        attributes TEXT NOT NULL, tags TEXT NOT NULL, created INTEGER NOT NULL,
        modified INTEGER NOT NULL, last_purge REAL, seq INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS sqs_messages (
        id INTEGER PRIMARY KEY, queue TEXT NOT NULL, message_id TEXT NOT NULL,
        body TEXT NOT NULL, md5_body TEXT NOT NULL, attrs TEXT, system TEXT,
        group_id TEXT, dedup_id TEXT, seq TEXT, sender TEXT NOT NULL,
        sent INTEGER NOT NULL, visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0, first_receive INTEGER,
        receipt TEXT, dlq_source TEXT)""",
    "CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_at)",
    # FIFO messages only: standard queues' inserts skip this index (a quarter of the cost
    # of a send). Replaces sqs_messages_group, which held every message.
    "DROP INDEX IF EXISTS sqs_messages_group",
    "CREATE INDEX IF NOT EXISTS sqs_messages_fifo ON sqs_messages (queue, group_id, visible_at) "
    "WHERE group_id IS NOT NULL",
    # Messages per queue, kept by triggers in the same transactions as the messages, so
    # GetQueueAttributes counts a deep queue without scanning it.
    """CREATE TABLE IF NOT EXISTS sqs_counts (
        queue TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE TRIGGER IF NOT EXISTS sqs_counts_insert AFTER INSERT ON sqs_messages BEGIN
        INSERT INTO sqs_counts (queue, n) VALUES (new.queue, 1)
            ON CONFLICT (queue) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS sqs_counts_delete AFTER DELETE ON sqs_messages BEGIN
        UPDATE sqs_counts SET n = n - 1 WHERE queue = old.queue;
    END""",
    """CREATE TRIGGER IF NOT EXISTS sqs_counts_move AFTER UPDATE OF queue ON sqs_messages
        WHEN new.queue <> old.queue BEGIN
        UPDATE sqs_counts SET n = n - 1 WHERE queue = old.queue;
        INSERT INTO sqs_counts (queue, n) VALUES (new.queue, 1)
            ON CONFLICT (queue) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TABLE IF NOT EXISTS sqs_dedup (
        queue TEXT NOT NULL, key TEXT NOT NULL, message_id TEXT NOT NULL, seq TEXT,
        expires INTEGER NOT NULL, PRIMARY KEY (queue, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS sqs_moves (
        handle TEXT PRIMARY KEY, source TEXT NOT NULL, destination TEXT, rate INTEGER,
        status TEXT NOT NULL, moved INTEGER NOT NULL, to_move INTEGER NOT NULL,
        started INTEGER NOT NULL, failure TEXT)""",
)

MESSAGE_COLUMNS = (
    "id, message_id, body, md5_body, attrs, system, group_id, dedup_id, seq, sender, sent, "
    "visible_at, receive_count, first_receive, receipt, dlq_source"
)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Queue:
    arn: str
    account: str
    region: str
    name: str
    attributes: dict[str, str]
    tags: dict[str, str]
    created: int
    modified: int
    last_purge: float | None = None
    redrive: tuple[str, int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        policy = self.attributes.get("RedrivePolicy")
        if policy:
            parsed = orjson.loads(policy)
            self.redrive = (parsed["deadLetterTargetArn"], int(parsed["maxReceiveCount"]))
        else:
            self.redrive = None

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def int_attr(self, name: str) -> int:
        return int(self.attributes[name])

    def url(self, base_url: str) -> str:
        return f"{base_url}/{self.account}/{self.name}"


@dataclass
class MoveTask:
    handle: str
    source: str
    destination: str | None
    rate: int | None
    status: str
    moved: int
    to_move: int
    started: int
    failure: str | None = None


class SqsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)
        self._queues: dict[str, Queue] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._moves_event: asyncio.Event | None = None
        self.load()

    def load(self) -> None:
        self._queues = {}
        # Recounted at start-up: a database written before the counts existed gets them.
        with self.db.transaction():
            self.db.execute("DELETE FROM sqs_counts")
            self.db.execute(
                "INSERT INTO sqs_counts (queue, n) SELECT queue, COUNT(*) FROM sqs_messages "
                "GROUP BY queue"
            )
        for row in self.db.all(
            "SELECT arn, account, region, name, attributes, tags, created, modified, last_purge "
            "FROM sqs_queues"
        ):
            queue = Queue(
                row[0],
                row[1],
                row[2],
                row[3],
                orjson.loads(row[4]),
                orjson.loads(row[5]),
                row[6],
                row[7],
                row[8],
            )
            self._queues[queue.arn] = queue

    # -- queues -------------------------------------------------------------------------

    def by_arn(self, arn: str) -> Queue | None:
        return self._queues.get(arn)

    def all_queues(self) -> list[Queue]:
        return list(self._queues.values())

    def queues(self, account: str, region: str) -> list[Queue]:
        found = [q for q in self._queues.values() if q.account == account and q.region == region]
        return sorted(found, key=lambda q: q.name)

    def put_queue(self, queue: Queue) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sqs_queues (arn, account, region, name, attributes, tags, "
            "created, modified, last_purge, seq) VALUES (?,?,?,?,?,?,?,?,?, "
            "COALESCE((SELECT seq FROM sqs_queues WHERE arn = ?), 0))",
            (
                queue.arn,
                queue.account,
                queue.region,
                queue.name,
                orjson.dumps(queue.attributes).decode(),
                orjson.dumps(queue.tags).decode(),
                queue.created,
                queue.modified,
                queue.last_purge,
                queue.arn,
            ),
        )
        queue.refresh()
        self._queues[queue.arn] = queue

    def delete_queue(self, arn: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM sqs_messages WHERE queue = ?", (arn,))
            self.db.execute("DELETE FROM sqs_dedup WHERE queue = ?", (arn,))
            self.db.execute("DELETE FROM sqs_queues WHERE arn = ?", (arn,))
        self._queues.pop(arn, None)
        self.notify(arn)

    def next_sequence(self, arn: str) -> int:
        value: int = self.db.scalar(
            "UPDATE sqs_queues SET seq = seq + 1 WHERE arn = ? RETURNING seq", (arn,)
        )
        return value

    # -- messages -----------------------------------------------------------------------

    def insert_message(self, queue: str, m: dict[str, Any]) -> int:
        return self.db.insert(
            "INSERT INTO sqs_messages (queue, message_id, body, md5_body, attrs, system, "
            "group_id, dedup_id, seq, sender, sent, visible_at, receive_count, first_receive, "
            "dlq_source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                queue,
                m["message_id"],
                m["body"],
                m["md5_body"],
                m.get("attrs"),
                m.get("system"),
                m.get("group_id"),
                m.get("dedup_id"),
                m.get("seq"),
                m["sender"],
                m["sent"],
                m["visible_at"],
                m.get("receive_count", 0),
                m.get("first_receive"),
                m.get("dlq_source"),
            ),
        )

    def visible(self, queue: Queue, now: int, limit: int) -> list[Row]:
        if queue.fifo:
            # Oldest first; skip groups that have a message in flight.
            return self.db.all(
                f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages m WHERE queue = ? AND visible_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM sqs_messages f WHERE f.queue = m.queue "
                "AND f.group_id = m.group_id AND f.visible_at > ? AND f.receive_count > 0) "
                "ORDER BY id LIMIT ?",
                (queue.arn, now, now, limit),
            )
        return self.db.all(
            f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE queue = ? AND visible_at <= ? "
            "ORDER BY visible_at LIMIT ?",
            (queue.arn, now, limit),
        )

    def mark_received(self, row_id: int, receipt: str, visible_at: int, now: int) -> None:
        self.db.execute(
            "UPDATE sqs_messages SET receipt = ?, visible_at = ?, "
            "receive_count = receive_count + 1, "
            "first_receive = COALESCE(first_receive, ?) WHERE id = ?",
            (receipt, visible_at, now, row_id),
        )

    def message(self, queue: str, row_id: int) -> Row | None:
        return self.db.one(
            f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE id = ? AND queue = ?",
            (row_id, queue),
        )

    def move_message(
        self, row_id: int, destination: str, visible_at: int, receive_count: int, source: str | None
    ) -> None:
        """Re-home a message (DLQ redrive, move task): same row, another queue."""
        self.db.execute(
            "UPDATE sqs_messages SET queue = ?, visible_at = ?, receipt = NULL, "
            "receive_count = ?, dlq_source = ? WHERE id = ?",
            (destination, visible_at, receive_count, source, row_id),
        )

    def delete_message(self, row_id: int) -> None:
        self.db.execute("DELETE FROM sqs_messages WHERE id = ?", (row_id,))

    def set_visibility(self, row_id: int, visible_at: int) -> None:
        self.db.execute("UPDATE sqs_messages SET visible_at = ? WHERE id = ?", (visible_at, row_id))

    def purge(self, arn: str) -> None:
        self.db.execute("DELETE FROM sqs_messages WHERE queue = ?", (arn,))

    def counts(self, arn: str, now: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed): the hidden ones are read from the index, the
        visible ones are the rest of the queue's count."""
        row = self.db.one(
            "SELECT COUNT(*), SUM(receive_count > 0) FROM sqs_messages "
            "WHERE queue = ? AND visible_at > ?",
            (arn, now),
        )
        assert row is not None
        hidden, in_flight = int(row[0]), int(row[1] or 0)
        return self.count_all(arn) - hidden, in_flight, hidden - in_flight

    def next_visible_at(self, arn: str, now: int) -> int | None:
        value: int | None = self.db.scalar(
            "SELECT MIN(visible_at) FROM sqs_messages WHERE queue = ? AND visible_at > ?",
            (arn, now),
        )
        return value

    def expire(self, queue: Queue, now: int) -> int:
        cutoff = now - queue.int_attr("MessageRetentionPeriod") * 1000
        return self.db.execute(
            "DELETE FROM sqs_messages WHERE queue = ? AND sent <= ?", (queue.arn, cutoff)
        )

    def message_ids(self, arn: str, limit: int) -> list[Row]:
        return self.db.all(
            f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE queue = ? ORDER BY id LIMIT ?",
            (arn, limit),
        )

    def count_all(self, arn: str) -> int:
        value: int | None = self.db.scalar("SELECT n FROM sqs_counts WHERE queue = ?", (arn,))
        return value or 0

    # -- FIFO deduplication -------------------------------------------------------------

    def dedup_get(self, arn: str, key: str, now: int) -> tuple[str, str | None] | None:
        row = self.db.one(
            "SELECT message_id, seq FROM sqs_dedup WHERE queue = ? AND key = ? AND expires > ?",
            (arn, key, now),
        )
        return None if row is None else (row[0], row[1])

    def dedup_put(self, arn: str, key: str, message_id: str, seq: str | None, expires: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sqs_dedup (queue, key, message_id, seq, expires) "
            "VALUES (?,?,?,?,?)",
            (arn, key, message_id, seq, expires),
        )

    def dedup_expire(self, now: int) -> None:
        self.db.execute("DELETE FROM sqs_dedup WHERE expires <= ?", (now,))

    # -- move tasks ---------------------------------------------------------------------

    def put_move(self, task: MoveTask) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sqs_moves (handle, source, destination, rate, status, moved, "
            "to_move, started, failure) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                task.handle,
                task.source,
                task.destination,
                task.rate,
                task.status,
                task.moved,
                task.to_move,
                task.started,
                task.failure,
            ),
        )

    def moves(self, source: str | None = None, status: str | None = None) -> list[MoveTask]:
        sql = (
            "SELECT handle, source, destination, rate, status, moved, to_move, started, "
            "failure FROM sqs_moves"
        )
        clauses, params = [], []
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self.db.all(sql + " ORDER BY started DESC, rowid DESC", params)
        return [MoveTask(*row) for row in rows]

    # -- long polling -------------------------------------------------------------------

    def notify(self, arn: str) -> None:
        event = self._events.pop(arn, None)
        if event is not None:
            event.set()

    async def wait(self, arn: str, timeout: float) -> None:
        event = self._events.get(arn)
        if event is None:
            event = self._events[arn] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    def moves_changed(self) -> None:
        if self._moves_event is not None:
            self._moves_event.set()

    async def wait_moves(self) -> None:
        self._moves_event = asyncio.Event()
        await self._moves_event.wait()
