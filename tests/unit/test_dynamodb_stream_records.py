"""stream_records: what the DynamoDB service stores for a table's stream."""

from __future__ import annotations

from typing import Any

import pytest

from cloudlet.services.dynamodb import stream_records as sr
from cloudlet.store import Database

TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/Books"
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


@pytest.fixture
def db() -> Database:
    database = Database(None)
    sr.ensure(database)
    return database


def enable(db: Database, view: str, now: int = 1_700_000_000_123) -> str:
    return sr.enable(
        db, table_arn=TABLE, table_name="Books", key_schema=KEYS, view_type=view, now_ms=now
    )


def rows(db: Database) -> list[tuple[Any, ...]]:
    return db.all("SELECT event_name, data, size FROM dynamodb_stream_records ORDER BY seq")


def put(db: Database, name: str, old: Any, new: Any, **kw: Any) -> None:
    sr.record(
        db,
        table_arn=TABLE,
        event_name=name,
        keys={"pk": {"S": "a"}, "sk": {"N": "1"}},
        old_image=old,
        new_image=new,
        now_ms=1_700_000_001_000,
        **kw,
    )


def test_arn_label_and_new_arn_each_enable(db: Database) -> None:
    arn = enable(db, "KEYS_ONLY")
    assert arn == f"{TABLE}/stream/2023-11-14T22:13:20.123"
    again = enable(db, "KEYS_ONLY")  # same millisecond: still a new ARN
    assert again != arn and again.startswith(f"{TABLE}/stream/2023-11-14T22:13:20.12")
    statuses = db.all("SELECT arn, status FROM dynamodb_streams ORDER BY label")
    assert statuses == [(arn, "DISABLED"), (again, "ENABLED")]


def test_no_stream_no_record(db: Database) -> None:
    put(db, "INSERT", None, {"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert rows(db) == []


@pytest.mark.parametrize(
    ("view", "parts"),
    [
        ("KEYS_ONLY", {"INSERT": ["Keys"], "MODIFY": ["Keys"], "REMOVE": ["Keys"]}),
        (
            "NEW_IMAGE",
            {"INSERT": ["Keys", "NewImage"], "MODIFY": ["Keys", "NewImage"], "REMOVE": ["Keys"]},
        ),
        (
            "OLD_IMAGE",
            {"INSERT": ["Keys"], "MODIFY": ["Keys", "OldImage"], "REMOVE": ["Keys", "OldImage"]},
        ),
        (
            "NEW_AND_OLD_IMAGES",
            {
                "INSERT": ["Keys", "NewImage"],
                "MODIFY": ["Keys", "NewImage", "OldImage"],
                "REMOVE": ["Keys", "OldImage"],
            },
        ),
    ],
)
def test_view_type_decides_images(db: Database, view: str, parts: dict[str, list[str]]) -> None:
    enable(db, view)
    one = {"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": b"\x00\xff"}}
    two = {**one, "n": {"NS": ["1", "2"]}}
    put(db, "INSERT", None, one)
    put(db, "MODIFY", one, two)
    put(db, "REMOVE", two, None)
    got = [(name, sr.decode_record(data)) for name, data, _ in rows(db)]
    assert [name for name, _ in got] == ["INSERT", "MODIFY", "REMOVE"]
    for name, data in got:
        assert sorted(data) == parts[name]
        assert data["Keys"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}
        if "NewImage" in data:
            assert data["NewImage"]["b"] == {"B": b"\x00\xff"}


def test_unchanged_writes_leave_no_record(db: Database) -> None:
    enable(db, "NEW_AND_OLD_IMAGES")
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"SS": ["x", "y"]}}
    put(db, "MODIFY", item, {**item, "s": {"SS": ["y", "x"]}})
    put(db, "REMOVE", None, None)
    assert rows(db) == []


def test_size_and_ttl_identity(db: Database) -> None:
    enable(db, "KEYS_ONLY")
    put(db, "REMOVE", {"pk": {"S": "a"}, "sk": {"N": "1"}}, None, user_identity=sr.TTL_IDENTITY)
    ((_, data, size),) = rows(db)
    assert sr.decode_record(data)["userIdentity"] == sr.TTL_IDENTITY
    assert size == len("pk") + 1 + len("sk") + 2  # "a" is 1 byte, N 1 is 2


def test_disable_closes_and_trim_forgets(db: Database) -> None:
    arn = enable(db, "KEYS_ONLY")
    put(db, "INSERT", None, {"pk": {"S": "a"}, "sk": {"N": "1"}})
    sr.table_deleted(db, TABLE, 1_700_000_002_000)
    put(db, "INSERT", None, {"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert len(rows(db)) == 1
    stream = sr.latest_stream(db, TABLE)
    assert stream is not None and stream.arn == arn and stream.status == "DISABLED"
    assert stream.end_seq == stream.start_seq
    assert sr.trim(db, 1_700_000_002_000 + sr.RETENTION_MS - 1) == 1
    assert sr.latest_stream(db, TABLE) is not None
    sr.trim(db, 1_700_000_002_000 + sr.RETENTION_MS + 1)
    assert sr.latest_stream(db, TABLE) is None


def test_sequence_numbers() -> None:
    assert len(sr.sequence_number(1)) == 21
    assert sr.parse_sequence_number(sr.sequence_number(42)) == 42
    assert sr.parse_sequence_number("12") is None
    assert sr.parse_sequence_number("1x" * 11) is None
