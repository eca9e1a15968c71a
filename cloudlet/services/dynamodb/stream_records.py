"""DynamoDB Streams state: a table's streams and their change records, in SQLite.

The DynamoDB service calls these functions inside the transaction of each item write
(`record`) and of each change to a table's StreamSpecification (`enable`, `disable`,
`table_deleted`), so a write and its stream record commit together. The
`dynamodbstreams` service reads what is stored here.

Every stream has one shard (AWS splits and rolls shards over time; a single shard per
stream keeps one total order of its records, which is what readers rely on). Record
sequence numbers come from one AUTOINCREMENT counter, so they only grow, across
streams too; the wire form is that number plus SEQUENCE_BASE, 21 digits as AWS's.
Records are kept 24 hours (`trim`), and so is a disabled stream.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.services.dynamodb.values import equal, item_size
from cloudlet.store import Database, Row

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS dynamodb_streams (
        arn TEXT PRIMARY KEY, table_arn TEXT NOT NULL, table_name TEXT NOT NULL,
        label TEXT NOT NULL, key_schema TEXT NOT NULL, view_type TEXT NOT NULL,
        shard_id TEXT NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL,
        start_seq INTEGER NOT NULL, end_seq INTEGER, disabled INTEGER,
        trimmed INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS dynamodb_streams_table ON dynamodb_streams (table_arn, status)",
    """CREATE TABLE IF NOT EXISTS dynamodb_stream_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, event_id TEXT NOT NULL,
        event_name TEXT NOT NULL, created INTEGER NOT NULL, pkey TEXT NOT NULL,
        data BLOB NOT NULL, size INTEGER NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS dynamodb_stream_records_stream
        ON dynamodb_stream_records (stream, seq)""",
    """CREATE INDEX IF NOT EXISTS dynamodb_stream_records_created
        ON dynamodb_stream_records (created)""",
)

RETENTION_MS = 24 * 3600 * 1000
SEQUENCE_BASE = 10**20
"""Added to the stored counter so sequence numbers have AWS's 21 digits."""
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
"""The user_identity D1's TTL sweep passes for its deletions."""

STREAM_COLUMNS = (
    "arn, table_arn, table_name, label, key_schema, view_type, shard_id, status, created, "
    "start_seq, end_seq, disabled, trimmed"
)


@dataclass(frozen=True)
class Stream:
    arn: str
    table_arn: str
    table_name: str
    label: str
    key_schema: list[dict[str, str]]
    view_type: str
    shard_id: str
    status: str  # ENABLED | DISABLED
    created: int  # ms
    start_seq: int  # the stored counter value of the shard's first possible record
    end_seq: int | None  # the last record's counter value once the shard is closed
    disabled: int | None  # ms
    trimmed: int  # the counter value of the last record trimmed away (0: none)

    @classmethod
    def from_row(cls, row: Row) -> Stream:
        return cls(
            row[0],
            row[1],
            row[2],
            row[3],
            orjson.loads(row[4]),
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            row[10],
            row[11],
            row[12],
        )

    @property
    def hash_key(self) -> str:
        return next(k["AttributeName"] for k in self.key_schema if k["KeyType"] == "HASH")


def ensure(db: Database) -> None:
    db.ensure_schema(SCHEMA)


def sequence_number(seq: int) -> str:
    """The wire form of a stored record counter."""
    return str(SEQUENCE_BASE + seq)


def parse_sequence_number(text: str) -> int | None:
    """The stored counter of a wire sequence number, or None if it is not one of ours."""
    if not text.isdigit() or not text.isascii():
        return None
    value = int(text) - SEQUENCE_BASE
    return value if value >= 0 else None


def _label(now_ms: int) -> str:
    seconds, millis = divmod(now_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}"


def _next_seq(db: Database) -> int:
    """The counter value the next record will get."""
    row = db.one("SELECT seq FROM sqlite_sequence WHERE name = 'dynamodb_stream_records'")
    return (row[0] if row else 0) + 1


def enable(
    db: Database,
    *,
    table_arn: str,
    table_name: str,
    key_schema: list[dict[str, str]],
    view_type: str,
    now_ms: int,
) -> str:
    """Start a new stream for the table (a table that had one gets a new ARN, as AWS);
    return its ARN. An ENABLED stream the table still has is disabled first."""
    if view_type not in VIEW_TYPES:
        raise ValueError(f"unknown StreamViewType {view_type!r}")
    disable(db, table_arn, now_ms)
    stamp = now_ms
    while True:  # the label is a millisecond timestamp; two in one ms must still differ
        label = _label(stamp)
        arn = f"{table_arn}/stream/{label}"
        if db.one("SELECT 1 FROM dynamodb_streams WHERE arn = ?", (arn,)) is None:
            break
        stamp += 1
    shard_id = f"shardId-{stamp:020d}-{os.urandom(4).hex()}"
    keys = [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema]
    db.execute(
        f"INSERT INTO dynamodb_streams ({STREAM_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'ENABLED', ?, ?, NULL, NULL, 0)",
        (
            arn,
            table_arn,
            table_name,
            label,
            orjson.dumps(keys).decode(),
            view_type,
            shard_id,
            now_ms,
            _next_seq(db),
        ),
    )
    return arn


def disable(db: Database, table_arn: str, now_ms: int) -> None:
    """Close the table's ENABLED stream, if any: it takes no more records; what it holds
    stays readable for 24 hours."""
    db.execute(
        "UPDATE dynamodb_streams SET status = 'DISABLED', disabled = ?, "
        "end_seq = (SELECT max(seq) FROM dynamodb_stream_records WHERE stream = arn) "
        "WHERE table_arn = ? AND status = 'ENABLED'",
        (now_ms, table_arn),
    )


def table_deleted(db: Database, table_arn: str, now_ms: int) -> None:
    """The table is gone: its stream is disabled and kept readable for 24 hours, as AWS."""
    disable(db, table_arn, now_ms)


def enabled_stream(db: Database, table_arn: str) -> Stream | None:
    row = db.one(
        f"SELECT {STREAM_COLUMNS} FROM dynamodb_streams WHERE table_arn = ? AND status = 'ENABLED'",
        (table_arn,),
    )
    return None if row is None else Stream.from_row(row)


def latest_stream(db: Database, table_arn: str) -> Stream | None:
    """The table's newest stream, enabled or not (DescribeTable's LatestStreamArn)."""
    row = db.one(
        f"SELECT {STREAM_COLUMNS} FROM dynamodb_streams WHERE table_arn = ? "
        "ORDER BY created DESC, label DESC LIMIT 1",
        (table_arn,),
    )
    return None if row is None else Stream.from_row(row)


def record(
    db: Database,
    *,
    table_arn: str,
    event_name: str,
    keys: dict[str, Any],
    old_image: dict[str, Any] | None,
    new_image: dict[str, Any] | None,
    user_identity: dict[str, str] | None = None,
    now_ms: int,
) -> None:
    """Append the change of one item to the table's ENABLED stream (nothing without one).

    `keys`, `old_image` and `new_image` are in wire form ({"a": {"S": "x"}}); the
    stream's view type decides which images are kept. As AWS, a write that changes
    nothing (a MODIFY whose images are equal, a REMOVE of no item) leaves no record.
    """
    stream = _stream_for_record(db, table_arn)
    if stream is None:
        return
    if (
        event_name == "MODIFY"
        and old_image is not None
        and new_image is not None
        and equal({"M": old_image}, {"M": new_image})
    ):
        return
    if event_name == "REMOVE" and old_image is None:
        return
    if event_name not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValueError(f"unknown stream event {event_name!r}")
    data: dict[str, Any] = {"Keys": keys}
    if stream.view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and event_name != "REMOVE":
        data["NewImage"] = new_image
    if stream.view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and event_name != "INSERT":
        data["OldImage"] = old_image
    if user_identity is not None:
        data["userIdentity"] = user_identity
    size = sum(item_size(data[part]) for part in ("Keys", "NewImage", "OldImage") if part in data)
    pkey = orjson.dumps(to_json(keys.get(stream.hash_key)), option=orjson.OPT_SORT_KEYS).decode()
    db.execute(
        "INSERT INTO dynamodb_stream_records "
        "(stream, event_id, event_name, created, pkey, data, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (stream.arn, uuid.uuid4().hex, event_name, now_ms, pkey, encode_record(data), size),
    )


def _stream_for_record(db: Database, table_arn: str) -> Stream | None:
    return enabled_stream(db, table_arn)


def trim(db: Database, now_ms: int) -> int:
    """Drop records older than 24 hours, and streams disabled more than 24 hours ago;
    return how many records went."""
    cutoff = now_ms - RETENTION_MS
    db.execute(
        "UPDATE dynamodb_streams SET trimmed = (SELECT max(seq) FROM dynamodb_stream_records "
        "WHERE stream = arn AND created < ?) WHERE EXISTS (SELECT 1 FROM "
        "dynamodb_stream_records WHERE stream = arn AND created < ?)",
        (cutoff, cutoff),
    )
    gone = db.execute("DELETE FROM dynamodb_stream_records WHERE created < ?", (cutoff,))
    old = db.all(
        "SELECT arn FROM dynamodb_streams WHERE status = 'DISABLED' AND disabled < ?", (cutoff,)
    )
    for (arn,) in old:
        gone += db.execute("DELETE FROM dynamodb_stream_records WHERE stream = ?", (arn,))
        db.execute("DELETE FROM dynamodb_streams WHERE arn = ?", (arn,))
    return gone


# -- reading (the dynamodbstreams service) -------------------------------------------------


@dataclass(frozen=True)
class StoredRecord:
    seq: int
    event_id: str
    event_name: str
    created: int  # ms
    pkey: str  # the partition key's typed value as canonical JSON
    data: bytes  # decode_record() gives Keys / NewImage / OldImage / userIdentity
    size: int


def get_stream(db: Database, arn: str) -> Stream | None:
    row = db.one(f"SELECT {STREAM_COLUMNS} FROM dynamodb_streams WHERE arn = ?", (arn,))
    return None if row is None else Stream.from_row(row)


def streams(db: Database, prefix: str, table_name: str | None = None) -> list[Stream]:
    """Streams whose ARN starts with `prefix` (an account's and region's), by ARN."""
    sql = f"SELECT {STREAM_COLUMNS} FROM dynamodb_streams WHERE substr(arn, 1, ?) = ?"
    params: list[Any] = [len(prefix), prefix]
    if table_name is not None:
        sql += " AND table_name = ?"
        params.append(table_name)
    return [Stream.from_row(r) for r in db.all(sql + " ORDER BY arn", params)]


def last_seq(db: Database, stream: Stream) -> int:
    """The counter value of the stream's newest record (start_seq - 1 without any)."""
    row = db.one("SELECT max(seq) FROM dynamodb_stream_records WHERE stream = ?", (stream.arn,))
    return row[0] if row and row[0] is not None else stream.start_seq - 1


def read(db: Database, stream_arn: str, after: int, limit: int) -> list[StoredRecord]:
    rows = db.all(
        "SELECT seq, event_id, event_name, created, pkey, data, size FROM dynamodb_stream_records "
        "WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?",
        (stream_arn, after, limit),
    )
    return [StoredRecord(*row) for row in rows]


# Binary values are bytes in wire form; JSON holds them as base64 text, and the type tag
# (B, BS) tells the decoder which strings to turn back into bytes.


def to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def _value_from_json(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, raw),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(raw)}
    if kind == "BS":
        return {"BS": [base64.b64decode(m) for m in raw]}
    if kind == "M":
        return {"M": _item_from_json(raw)}
    if kind == "L":
        return {"L": [_value_from_json(v) for v in raw]}
    return value


def _item_from_json(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _value_from_json(v) for name, v in item.items()}


def encode_record(data: dict[str, Any]) -> bytes:
    return orjson.dumps(to_json(data))


def decode_record(blob: bytes) -> dict[str, Any]:
    """A stored record's {"Keys", "NewImage"?, "OldImage"?, "userIdentity"?}, wire form."""
    data: dict[str, Any] = orjson.loads(blob)
    for part in ("Keys", "NewImage", "OldImage"):
        if part in data:
            data[part] = _item_from_json(data[part])
    return data
