"""The dynamodbstreams operations over stored records (the item writes of the DynamoDB
service call stream_records.record; here records are written with it directly)."""

from __future__ import annotations

from typing import Any

import pytest

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services import dynamodbstreams as svc
from cloudlet.services.dynamodb import stream_records as sr
from cloudlet.services.dynamodbstreams import iterators
from cloudlet.store import Database

TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/Books"
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}]
CTX = RequestContext("r", "000000000000", "us-east-1", "http://x", "x", "/")


@pytest.fixture
def db() -> Database:
    database = Database(None)
    sr.ensure(database)
    return database


def write(db: Database, pk: str, name: str = "INSERT", now: int | None = None) -> None:
    item = {"pk": {"S": pk}, "v": {"N": "1"}}
    sr.record(
        db,
        table_arn=TABLE,
        event_name=name,
        keys={"pk": {"S": pk}},
        old_image=item if name != "INSERT" else None,
        new_image={**item, "v": {"N": "2"}} if name != "REMOVE" else None,
        now_ms=now if now is not None else svc._now_ms(),
    )


def stream(db: Database, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    arn = sr.enable(
        db,
        table_arn=TABLE,
        table_name="Books",
        key_schema=KEYS,
        view_type=view,
        now_ms=svc._now_ms(),
    )
    shard = svc.describe_stream(CTX, db, {"StreamArn": arn})["StreamDescription"]["Shards"][0]
    return arn, shard["ShardId"]


def iterator(db: Database, arn: str, shard: str, kind: str, seq: str | None = None) -> str:
    request: dict[str, Any] = {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": kind}
    if seq is not None:
        request["SequenceNumber"] = seq
    return str(svc.get_shard_iterator(CTX, db, request)["ShardIterator"])


def records(db: Database, it: str, limit: int | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"ShardIterator": it}
    if limit:
        request["Limit"] = limit
    return svc.get_records(CTX, db, request)


def error(call: Any) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def test_iterator_types(db: Database) -> None:
    arn, shard = stream(db)
    write(db, "a")
    latest = iterator(db, arn, shard, "LATEST")
    write(db, "b")
    write(db, "c", "MODIFY")
    horizon = records(db, iterator(db, arn, shard, "TRIM_HORIZON"))["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in horizon] == ["a", "b", "c"]
    assert [r["eventName"] for r in horizon] == ["INSERT", "INSERT", "MODIFY"]
    numbers = [r["dynamodb"]["SequenceNumber"] for r in horizon]
    assert numbers == sorted(numbers, key=int) and all(len(n) >= 21 for n in numbers)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records(db, latest)["Records"]] == ["b", "c"]
    at = records(db, iterator(db, arn, shard, "AT_SEQUENCE_NUMBER", numbers[1]))["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == numbers[1:]
    after = records(db, iterator(db, arn, shard, "AFTER_SEQUENCE_NUMBER", numbers[1]))["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == numbers[2:]


def test_paging_and_next_iterator(db: Database) -> None:
    arn, shard = stream(db)
    for pk in "abcde":
        write(db, pk)
    got, it = [], iterator(db, arn, shard, "TRIM_HORIZON")
    for _ in range(3):
        page = records(db, it, limit=2)
        got += [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]]
        it = page["NextShardIterator"]
    assert got == list("abcde")
    assert records(db, it)["Records"] == []
    write(db, "f")
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records(db, it)["Records"]] == ["f"]


def test_closed_shard_ends(db: Database) -> None:
    arn, shard = stream(db)
    write(db, "a")
    sr.disable(db, TABLE, svc._now_ms())
    description = svc.describe_stream(CTX, db, {"StreamArn": arn})["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    numbers = description["Shards"][0]["SequenceNumberRange"]
    assert int(numbers["EndingSequenceNumber"]) >= int(numbers["StartingSequenceNumber"])
    page = records(db, iterator(db, arn, shard, "TRIM_HORIZON"))
    assert len(page["Records"]) == 1 and "NextShardIterator" not in page


def test_errors(db: Database) -> None:
    arn, shard = stream(db)
    write(db, "a")
    missing = arn.replace("Books", "Nope")
    assert error(lambda: svc.describe_stream(CTX, db, {"StreamArn": missing})).code == (
        "ResourceNotFoundException"
    )
    other = RequestContext("r", "111111111111", "us-east-1", "http://x", "x", "/")
    assert error(lambda: svc.describe_stream(other, db, {"StreamArn": arn})).code == (
        "ResourceNotFoundException"
    )
    assert error(
        lambda: iterator(db, arn, "shardId-00000000000000000000-00000000", "LATEST")
    ).message == ("Requested resource not found: Shard does not exist")
    assert (
        error(lambda: iterator(db, arn, shard, "AT_SEQUENCE_NUMBER")).code == "ValidationException"
    )
    assert error(lambda: iterator(db, arn, shard, "AT_SEQUENCE_NUMBER", "9" * 30)).code == (
        "ValidationException"
    )
    assert error(lambda: records(db, "garbage")).code == "ValidationException"
    stale = iterators.encode(iterators.Position(arn, shard, 0, svc._now_ms() - 16 * 60 * 1000))
    assert error(lambda: records(db, stale)).code == "ExpiredIteratorException"


def test_trimmed(db: Database) -> None:
    arn, shard = stream(db)
    old = svc._now_ms() - sr.RETENTION_MS - 1000
    write(db, "a", now=old)
    first = records(db, iterator(db, arn, shard, "TRIM_HORIZON"))["Records"][0]
    it = iterator(db, arn, shard, "TRIM_HORIZON")
    write(db, "b")
    sr.trim(db, svc._now_ms())
    assert error(lambda: records(db, it)).code == "TrimmedDataAccessException"
    seq = first["dynamodb"]["SequenceNumber"]
    assert error(lambda: iterator(db, arn, shard, "AT_SEQUENCE_NUMBER", seq)).code == (
        "TrimmedDataAccessException"
    )
    fresh = records(db, iterator(db, arn, shard, "TRIM_HORIZON"))["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in fresh] == ["b"]


def test_list_streams_pages(db: Database) -> None:
    arns = []
    for n in range(3):
        table = TABLE.replace("Books", f"T{n}")
        arns.append(
            sr.enable(
                db,
                table_arn=table,
                table_name=f"T{n}",
                key_schema=KEYS,
                view_type="KEYS_ONLY",
                now_ms=svc._now_ms(),
            )
        )
    page = svc.list_streams(CTX, db, {"Limit": 2})
    assert [s["StreamArn"] for s in page["Streams"]] == arns[:2]
    rest = svc.list_streams(CTX, db, {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]})
    assert [s["StreamArn"] for s in rest["Streams"]] == arns[
        2:
    ] and "LastEvaluatedStreamArn" not in rest
    assert [s["TableName"] for s in svc.list_streams(CTX, db, {"TableName": "T1"})["Streams"]] == [
        "T1"
    ]
