"""What a DynamoDB stream mapping hands a function, and what it sends to its on-failure
destination. Pure functions over plain dicts, no I/O (esm_stream_runner.py does that).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from typing import Any

import orjson

from cloudlet.services.dynamodb.stream_records import to_json


def event_record(record: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it: the same members with
    ApproximateCreationDateTime in epoch seconds, binary values in base64, userIdentity
    in camel case, and eventSourceARN."""
    body = dict(record["dynamodb"])
    body["ApproximateCreationDateTime"] = int(body["ApproximateCreationDateTime"])
    for part in ("Keys", "NewImage", "OldImage"):
        if part in body:
            body[part] = to_json(body[part])
    out: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": record["awsRegion"],
        "dynamodb": body,
    }
    identity = record.get("userIdentity")
    if identity is not None:
        out["userIdentity"] = {"type": identity["Type"], "principalId": identity["PrincipalId"]}
    out["eventSourceARN"] = source_arn
    return out


def partition(record: dict[str, Any], hash_key: str, lanes: int) -> int:
    """The lane (of ParallelizationFactor lanes) that processes a record: records of one
    partition key always share a lane, so they stay in order."""
    if lanes <= 1:
        return 0
    value = to_json(record["dynamodb"]["Keys"].get(hash_key))
    return zlib.crc32(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)) % lanes


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def failure_document(
    *,
    records: Sequence[dict[str, Any]],
    shard_id: str,
    stream_arn: str,
    function_arn: str,
    request_id: str,
    condition: str,
    invocations: int,
    function_error: str | None,
    executed_version: str,
) -> dict[str, Any]:
    """The invocation record Lambda sends to an on-failure destination for discarded
    stream records (AWS: "Retain discarded records for a DynamoDB event source")."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": executed_version}
    if function_error:
        response["functionError"] = function_error
    now = time.time()
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        + f".{int(now * 1000) % 1000:03d}Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first["ApproximateCreationDateTime"]),
            "approximateArrivalOfLastRecord": _iso(last["ApproximateCreationDateTime"]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
