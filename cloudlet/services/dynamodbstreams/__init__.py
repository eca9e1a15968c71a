"""Amazon DynamoDB Streams: the change records of tables with a stream.

The DynamoDB service writes streams and records (cloudlet/services/dynamodb/
stream_records.py) in the transaction of each item write; this service reads them:
ListStreams, DescribeStream, GetShardIterator and GetRecords, with AWS's record shape.
Each stream has one shard; records are kept 24 hours (trimmed every minute).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from cloudlet.config import Config
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import Operation, Service
from cloudlet.services.dynamodb import stream_records as sr
from cloudlet.services.dynamodbstreams import iterators
from cloudlet.store import Database

__all__ = ["DynamoDbStreamsService"]

LIST_LIMIT = 100  # ListStreams and DescribeStream answer at most 100 a page
RECORDS_LIMIT = 1000  # GetRecords' most records a call
RESPONSE_BYTES = 1024 * 1024  # GetRecords answers at most 1 MB
TRIM_SECONDS = 60.0


def _now_ms() -> int:
    return int(time.time() * 1000)


def _stream_missing(arn: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found"
    )


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _own(ctx: RequestContext, db: Database, arn: str) -> sr.Stream:
    """The stream `arn` names, if it is the caller's account's and region's."""
    stream = sr.get_stream(db, arn)
    if stream is None or not arn.startswith(f"arn:aws:dynamodb:{ctx.region}:{ctx.account_id}:"):
        raise _stream_missing(arn)
    return stream


def _limit(request: dict[str, Any], most: int) -> int:
    return min(int(request.get("Limit") or most), most)


def _sequence(seq: int) -> str:
    return sr.sequence_number(seq)


# -- ListStreams, DescribeStream -----------------------------------------------------------


def list_streams(ctx: RequestContext, db: Database, request: dict[str, Any]) -> dict[str, Any]:
    prefix = f"arn:aws:dynamodb:{ctx.region}:{ctx.account_id}:table/"
    found = sr.streams(db, prefix, request.get("TableName"))
    start = request.get("ExclusiveStartStreamArn")
    if start:
        found = [s for s in found if s.arn > start]
    limit = _limit(request, LIST_LIMIT)
    page = found[:limit]
    out: dict[str, Any] = {
        "Streams": [
            {"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label} for s in page
        ]
    }
    if len(found) > limit:
        out["LastEvaluatedStreamArn"] = page[-1].arn
    return out


def _shard(db: Database, stream: sr.Stream) -> dict[str, Any]:
    numbers = {"StartingSequenceNumber": _sequence(stream.start_seq)}
    if stream.status == "DISABLED":
        # a closed shard ends at its last record (or where it began, if it had none)
        end = stream.end_seq if stream.end_seq is not None else stream.start_seq
        numbers["EndingSequenceNumber"] = _sequence(end)
    return {"ShardId": stream.shard_id, "SequenceNumberRange": numbers}


def describe_stream(ctx: RequestContext, db: Database, request: dict[str, Any]) -> dict[str, Any]:
    stream = _own(ctx, db, request["StreamArn"])
    shards = [_shard(db, stream)]
    after = request.get("ExclusiveStartShardId")
    if after is not None:
        shards = [s for s in shards if s["ShardId"] > after]
    shard_filter = request.get("ShardFilter")
    if shard_filter is not None:
        # one shard a stream, which never splits: no shard has children
        if shard_filter.get("Type") != "CHILD_SHARDS" or not shard_filter.get("ShardId"):
            raise _validation("ShardFilter must have Type CHILD_SHARDS and a ShardId")
        shards = []
    return {
        "StreamDescription": {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": stream.status,
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": stream.created / 1000,
            "TableName": stream.table_name,
            "KeySchema": stream.key_schema,
            "Shards": shards[: _limit(request, LIST_LIMIT)],
        }
    }


# -- GetShardIterator ----------------------------------------------------------------------


def get_shard_iterator(
    ctx: RequestContext, db: Database, request: dict[str, Any]
) -> dict[str, Any]:
    stream = _own(ctx, db, request["StreamArn"])
    if request["ShardId"] != stream.shard_id:
        raise ServiceError(
            "ResourceNotFoundException", "Requested resource not found: Shard does not exist"
        )
    kind = request["ShardIteratorType"]
    last = (
        stream.end_seq
        if stream.status == "DISABLED" and stream.end_seq is not None
        else (sr.last_seq(db, stream))
    )
    if kind == "TRIM_HORIZON":
        after = max(stream.trimmed, stream.start_seq - 1)
    elif kind == "LATEST":
        after = max(last, stream.start_seq - 1)
    else:
        text = request.get("SequenceNumber")
        if not text:
            raise _validation(f"Must provide a SequenceNumber for ShardIteratorType {kind}")
        seq = sr.parse_sequence_number(text)
        if seq is None or seq < stream.start_seq or seq > last:
            raise _validation(
                f"Invalid SequenceNumber {text} for shard {stream.shard_id} in stream {stream.arn}"
            )
        if seq <= stream.trimmed:
            raise _trimmed()
        after = seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq
    position = iterators.Position(stream.arn, stream.shard_id, after, _now_ms())
    return {"ShardIterator": iterators.encode(position)}


def _trimmed() -> ServiceError:
    return ServiceError(
        "TrimmedDataAccessException", "The data you are trying to access has been trimmed"
    )


# -- GetRecords ----------------------------------------------------------------------------


def get_records(ctx: RequestContext, db: Database, request: dict[str, Any]) -> dict[str, Any]:
    text = request["ShardIterator"]
    position = iterators.decode(text)
    if position is None:
        raise _validation("Invalid ShardIterator")
    stream = _own(ctx, db, position.stream_arn)
    if position.shard_id != stream.shard_id:
        raise ServiceError("ResourceNotFoundException", "Invalid ShardId in ShardIterator")
    now = _now_ms()
    if now - position.issued > iterators.LIFETIME_MS:
        raise ServiceError(
            "ExpiredIteratorException",
            "Iterator expired. The iterator was created more than 15 minutes ago.",
        )
    if position.after < stream.trimmed:
        raise _trimmed()
    limit = _limit(request, RECORDS_LIMIT)
    records: list[dict[str, Any]] = []
    after, size = position.after, 0
    for stored in sr.read(db, stream.arn, position.after, limit):
        if records and size + stored.size > RESPONSE_BYTES:
            break
        records.append(wire_record(stored, stream.view_type, ctx.region))
        after, size = stored.seq, size + stored.size
    out: dict[str, Any] = {"Records": records}
    closed = stream.status == "DISABLED" and after >= (stream.end_seq or stream.start_seq - 1)
    if not closed:
        out["NextShardIterator"] = iterators.encode(
            iterators.Position(stream.arn, stream.shard_id, after, now)
        )
    return out


def wire_record(stored: sr.StoredRecord, view_type: str, region: str) -> dict[str, Any]:
    """A record as GetRecords answers it (AWS's order of members)."""
    data = sr.decode_record(stored.data)
    body: dict[str, Any] = {"ApproximateCreationDateTime": float(stored.created // 1000)}
    for part in ("Keys", "NewImage", "OldImage"):
        if part in data:
            body[part] = data[part]
    body["SequenceNumber"] = sr.sequence_number(stored.seq)
    body["SizeBytes"] = stored.size
    body["StreamViewType"] = view_type
    out: dict[str, Any] = {
        "eventID": stored.event_id,
        "eventName": stored.event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
    }
    identity = data.get("userIdentity")
    if identity is not None:
        out["userIdentity"] = {"PrincipalId": identity["principalId"], "Type": identity["type"]}
    return out


class DynamoDbStreamsService(Service):
    name = "dynamodbstreams"
    signing_name = "dynamodb"
    protocols = ("json",)
    operations: ClassVar[dict[str, Operation]] = {
        "ListStreams": list_streams,
        "DescribeStream": describe_stream,
        "GetShardIterator": get_shard_iterator,
        "GetRecords": get_records,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        sr.ensure(db)
        self.store = db

    async def start(self) -> None:
        sr.trim(self.db, _now_ms())
        self.every(TRIM_SECONDS, lambda: sr.trim(self.db, _now_ms()), "stream trimming")
