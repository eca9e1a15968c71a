"""SNS state in SQLite: topics, subscriptions, FIFO deduplication, pending deliveries.

Topics and subscriptions are also kept in dicts (the database stays the truth; every
write goes through this class and updates both), so Publish finds a topic's
subscriptions without a query. A published message is stored once (`sns_messages`)
with one row per matching subscription in `sns_deliveries`, written before Publish
answers; the delivery worker deletes a row once its delivery is done, and the message
with its last row. Messages to email and SMS endpoints are recorded in `sns_outbox`
for inspection instead of being sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store import Database, Row

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sns_topics (
        arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        attributes TEXT NOT NULL, tags TEXT NOT NULL, data_protection TEXT,
        created INTEGER NOT NULL, deleted_subscriptions INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS sns_subscriptions (
        arn TEXT PRIMARY KEY, topic TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
        protocol TEXT NOT NULL, endpoint TEXT NOT NULL, attributes TEXT NOT NULL,
        pending INTEGER NOT NULL, token TEXT, created INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sns_subscriptions_token ON sns_subscriptions (token)",
    """CREATE TABLE IF NOT EXISTS sns_messages (id INTEGER PRIMARY KEY, data TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sns_deliveries (
        id INTEGER PRIMARY KEY, subscription TEXT NOT NULL, message INTEGER NOT NULL,
        kind TEXT NOT NULL, grp TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        due INTEGER NOT NULL, first INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sns_deliveries_due ON sns_deliveries (due)",
    "CREATE INDEX IF NOT EXISTS sns_deliveries_message ON sns_deliveries (message)",
    "CREATE INDEX IF NOT EXISTS sns_deliveries_group ON sns_deliveries (subscription, grp, id)",
    """CREATE TABLE IF NOT EXISTS sns_dedup (
        topic TEXT NOT NULL, key TEXT NOT NULL, message_id TEXT NOT NULL, seq TEXT,
        expires INTEGER NOT NULL, PRIMARY KEY (topic, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS sns_outbox (
        id INTEGER PRIMARY KEY, subscription TEXT NOT NULL, protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
        created INTEGER NOT NULL)""",
)

DELIVERY_COLUMNS = "id, subscription, message, kind, grp, attempts, due, first"
_MESSAGE_CACHE = 10_000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Topic:
    arn: str
    account: str
    region: str
    name: str
    attributes: dict[str, str]
    tags: dict[str, str]
    data_protection: str | None
    created: int
    deleted_subscriptions: int = 0

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


@dataclass
class Subscription:
    arn: str
    topic: str
    account: str
    region: str
    protocol: str
    endpoint: str
    attributes: dict[str, str]
    pending: bool
    token: str | None
    created: int

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery") == "true"


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription: str
    message: int
    kind: str
    group: str | None
    attempts: int
    due: int
    first: int


class SnsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)
        self._topics: dict[str, Topic] = {}
        self._subs: dict[str, Subscription] = {}
        self._by_topic: dict[str, dict[str, Subscription]] = {}
        # Set by the service to its delivery worker's wake-up, so new deliveries go out
        # at once rather than at the worker's next round.
        self.wake: Callable[[], None] = lambda: None
        # Messages read for a delivery, kept while other deliveries of theirs remain, so
        # a fan-out reads its message once.
        self._messages: dict[int, dict[str, Any]] = {}
        self.load()

    def load(self) -> None:
        self._topics, self._subs, self._by_topic, self._messages = {}, {}, {}, {}
        for row in self.db.all(
            "SELECT arn, account, region, name, attributes, tags, data_protection, created, "
            "deleted_subscriptions FROM sns_topics"
        ):
            arn, account, region, name, attributes, tags, protection, created, deleted = row
            self._topics[arn] = Topic(
                arn, account, region, name, orjson.loads(attributes), orjson.loads(tags),
                protection, created, deleted,
            )  # fmt: skip
        for row in self.db.all(
            "SELECT arn, topic, account, region, protocol, endpoint, attributes, pending, token, "
            "created FROM sns_subscriptions ORDER BY created, rowid"
        ):
            arn, topic, account, region, protocol, endpoint, attributes, pending, token, created = (
                row
            )
            self._remember(
                Subscription(
                    arn,
                    topic,
                    account,
                    region,
                    protocol,
                    endpoint,
                    orjson.loads(attributes),
                    bool(pending),
                    token,
                    created,
                )  # fmt: skip
            )

    # -- topics -------------------------------------------------------------------------

    def topic(self, arn: str) -> Topic | None:
        return self._topics.get(arn)

    def topics(self, account: str, region: str) -> list[Topic]:
        found = [t for t in self._topics.values() if t.account == account and t.region == region]
        return sorted(found, key=lambda t: t.arn)

    def put_topic(self, topic: Topic) -> None:
        self.db.execute(
            "INSERT INTO sns_topics (arn, account, region, name, attributes, tags, "
            "data_protection, created, deleted_subscriptions) VALUES (?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (arn) DO UPDATE SET attributes = excluded.attributes, "
            "tags = excluded.tags, data_protection = excluded.data_protection, "
            "deleted_subscriptions = excluded.deleted_subscriptions",
            (
                topic.arn,
                topic.account,
                topic.region,
                topic.name,
                orjson.dumps(topic.attributes).decode(),
                orjson.dumps(topic.tags).decode(),
                topic.data_protection,
                topic.created,
                topic.deleted_subscriptions,
            ),
        )
        self._topics[topic.arn] = topic

    def delete_topic(self, arn: str) -> None:
        """The topic with its subscriptions (and so their pending deliveries)."""
        with self.db.transaction():
            for sub in list(self._by_topic.get(arn, {}).values()):
                self.delete_subscription(sub.arn)
            self.db.execute("DELETE FROM sns_dedup WHERE topic = ?", (arn,))
            self.db.execute("DELETE FROM sns_topics WHERE arn = ?", (arn,))
        self._topics.pop(arn, None)
        self._by_topic.pop(arn, None)

    def next_sequence(self, arn: str) -> int:
        value: int = self.db.scalar(
            "UPDATE sns_topics SET seq = seq + 1 WHERE arn = ? RETURNING seq", (arn,)
        )
        return value

    # -- subscriptions ------------------------------------------------------------------

    def _remember(self, sub: Subscription) -> None:
        self._subs[sub.arn] = sub
        self._by_topic.setdefault(sub.topic, {})[sub.arn] = sub

    def subscription(self, arn: str) -> Subscription | None:
        return self._subs.get(arn)

    def subscriptions_of(self, topic: str) -> list[Subscription]:
        return list(self._by_topic.get(topic, {}).values())

    def subscriptions(self, account: str, region: str) -> list[Subscription]:
        return [s for s in self._subs.values() if s.account == account and s.region == region]

    def by_token(self, token: str) -> Subscription | None:
        row = self.db.one("SELECT arn FROM sns_subscriptions WHERE token = ?", (token,))
        return None if row is None else self._subs.get(row[0])

    def put_subscription(self, sub: Subscription) -> None:
        self.db.execute(
            "INSERT INTO sns_subscriptions (arn, topic, account, region, protocol, endpoint, "
            "attributes, pending, token, created) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (arn) DO UPDATE SET attributes = excluded.attributes, "
            "pending = excluded.pending, token = excluded.token",
            (
                sub.arn,
                sub.topic,
                sub.account,
                sub.region,
                sub.protocol,
                sub.endpoint,
                orjson.dumps(sub.attributes).decode(),
                int(sub.pending),
                sub.token,
                sub.created,
            ),
        )
        self._remember(sub)

    def delete_subscription(self, arn: str) -> None:
        """The subscription; deliveries still pending for it are dropped, as AWS stops
        delivering to an endpoint once it is unsubscribed."""
        with self.db.transaction():
            self.finish(
                [
                    Delivery(*row)
                    for row in self.db.all(
                        f"SELECT {DELIVERY_COLUMNS} FROM sns_deliveries WHERE subscription = ?",
                        (arn,),
                    )
                ]
            )
            self.db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,))
        sub = self._subs.pop(arn, None)
        if sub is not None:
            self._by_topic.get(sub.topic, {}).pop(arn, None)

    # -- FIFO deduplication -------------------------------------------------------------

    def dedup_get(self, topic: str, key: str, now: int) -> tuple[str, str | None] | None:
        row = self.db.one(
            "SELECT message_id, seq FROM sns_dedup WHERE topic = ? AND key = ? AND expires > ?",
            (topic, key, now),
        )
        return None if row is None else (row[0], row[1])

    def dedup_put(self, topic: str, key: str, message_id: str, seq: str, expires: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sns_dedup (topic, key, message_id, seq, expires) "
            "VALUES (?,?,?,?,?)",
            (topic, key, message_id, seq, expires),
        )

    def dedup_expire(self, now: int) -> None:
        self.db.execute("DELETE FROM sns_dedup WHERE expires <= ?", (now,))

    # -- messages and their deliveries --------------------------------------------------

    def enqueue(
        self, message: dict[str, Any], targets: list[tuple[str, str, str | None]], now: int
    ) -> None:
        """Store a message and one delivery per (subscription, kind, group), due now."""
        if not targets:
            return
        with self.db.transaction():
            message_id = self.db.insert(
                "INSERT INTO sns_messages (data) VALUES (?)", (orjson.dumps(message).decode(),)
            )
            self.db.executemany(
                "INSERT INTO sns_deliveries (subscription, message, kind, grp, due, first) "
                "VALUES (?,?,?,?,?,?)",
                [(sub, message_id, kind, group, now, now) for sub, kind, group in targets],
            )
        self.wake()

    def due(self, now: int, limit: int, busy: set[str]) -> list[Delivery]:
        """Deliveries due by `now`, oldest first, but none of the subscriptions in `busy`
        and no FIFO message behind an earlier one of its group that waits for a retry."""
        skip = ""
        if busy:
            skip = f"AND subscription NOT IN ({','.join('?' * len(busy))}) "
        rows = self.db.all(
            f"SELECT {DELIVERY_COLUMNS} FROM sns_deliveries d WHERE due <= ? {skip}AND (grp IS "
            "NULL OR NOT EXISTS (SELECT 1 FROM sns_deliveries e WHERE e.subscription = "
            "d.subscription AND e.grp = d.grp AND e.id < d.id AND e.due > ?)) ORDER BY id LIMIT ?",
            (now, *busy, now, limit),
        )
        return [Delivery(*row) for row in rows]

    def next_due(self, now: int) -> int | None:
        """When the next delivery not yet due falls due."""
        value: int | None = self.db.scalar(
            "SELECT MIN(due) FROM sns_deliveries WHERE due > ?", (now,)
        )
        return value

    def message(self, message_id: int) -> dict[str, Any] | None:
        cached = self._messages.get(message_id)
        if cached is not None:
            return cached
        row = self.db.one("SELECT data FROM sns_messages WHERE id = ?", (message_id,))
        if row is None:
            return None
        data: dict[str, Any] = orjson.loads(row[0])
        if len(self._messages) < _MESSAGE_CACHE:
            self._messages[message_id] = data
        return data

    def finish(self, deliveries: list[Delivery]) -> None:
        """Deliveries are done (delivered, dead-lettered or dropped); their messages go
        with the last delivery of each."""
        if not deliveries:
            return
        ids = [d.id for d in deliveries]
        messages = sorted({d.message for d in deliveries})
        self.db.execute(f"DELETE FROM sns_deliveries WHERE id IN ({','.join('?' * len(ids))})", ids)
        for row in self.db.returning(
            f"DELETE FROM sns_messages WHERE id IN ({','.join('?' * len(messages))}) "
            "AND NOT EXISTS (SELECT 1 FROM sns_deliveries WHERE message = sns_messages.id) "
            "RETURNING id",
            messages,
        ):
            self._messages.pop(row[0], None)

    def retry_later(self, delivery: Delivery, due: int) -> None:
        self.db.execute(
            "UPDATE sns_deliveries SET attempts = attempts + 1, due = ? WHERE id = ?",
            (due, delivery.id),
        )

    # -- outbox (email, SMS) ------------------------------------------------------------

    def record(self, subscription: str, protocol: str, endpoint: str, kind: str, body: str) -> None:
        self.db.insert(
            "INSERT INTO sns_outbox (subscription, protocol, endpoint, kind, body, created) "
            "VALUES (?,?,?,?,?,?)",
            (subscription, protocol, endpoint, kind, body, now_ms()),
        )

    def outbox(self) -> list[Row]:
        return self.db.all(
            "SELECT id, subscription, protocol, endpoint, kind, body, created FROM sns_outbox "
            "ORDER BY id"
        )

    def clear_outbox(self) -> None:
        self.db.execute("DELETE FROM sns_outbox")
