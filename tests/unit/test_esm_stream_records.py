"""The event records and on-failure documents of DynamoDB stream mappings."""

from __future__ import annotations

from typing import Any

from cloudlet.services.lambda_.esm_stream_records import event_record, failure_document, partition

STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"


def wire(pk: str, seq: str, created: float = 1_795_480_161.0, **extra: Any) -> dict[str, Any]:
    return {
        "eventID": "e" * 32,
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"pk": {"S": pk}, "sk": {"B": b"\x01"}},
            "OldImage": {"pk": {"S": pk}, "sk": {"B": b"\x01"}, "bs": {"BS": [b"\x00"]}},
            "SequenceNumber": seq,
            "SizeBytes": 9,
            "StreamViewType": "OLD_IMAGE",
        },
        **extra,
    }


def test_event_record_is_lambdas_shape() -> None:
    identity = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    event = event_record(wire("a", "100000000000000000001", userIdentity=identity), STREAM)
    assert list(event) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "userIdentity",
        "eventSourceARN",
    ]
    assert event["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert event["eventSourceARN"] == STREAM
    body = event["dynamodb"]
    assert body["ApproximateCreationDateTime"] == 1_795_480_161
    assert body["Keys"] == {"pk": {"S": "a"}, "sk": {"B": "AQ=="}}
    assert body["OldImage"]["bs"] == {"BS": ["AA=="]}
    assert "userIdentity" not in event_record(wire("a", "100000000000000000001"), STREAM)


def test_partition_depends_on_the_partition_key_only() -> None:
    lanes = {partition(event_record(wire(f"k{n}", "1" * 21), STREAM), "pk", 4) for n in range(40)}
    assert lanes == {0, 1, 2, 3}
    one = event_record(wire("same", "1" * 21), STREAM)
    other = event_record(wire("same", "2" * 21), STREAM)
    other["dynamodb"]["Keys"]["sk"] = {"B": "Ag=="}
    assert partition(one, "pk", 7) == partition(other, "pk", 7)
    assert partition(one, "pk", 1) == 0


def test_failure_document_for_records_too_old() -> None:
    records = [
        event_record(wire("a", "100000000000000000003", 1_795_480_161.0), STREAM),
        event_record(wire("b", "100000000000000000007", 1_795_480_222.0), STREAM),
    ]
    document = failure_document(
        records=records,
        shard_id="shardId-1",
        stream_arn=STREAM,
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
        request_id="r",
        condition="RecordAgeExceeded",
        invocations=0,
        function_error=None,
        executed_version="$LATEST",
    )
    assert document["requestContext"] == {
        "requestId": "r",
        "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "condition": "RecordAgeExceeded",
        "approximateInvokeCount": 0,
    }
    assert document["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert document["DDBStreamBatchInfo"] == {
        "shardId": "shardId-1",
        "startSequenceNumber": "100000000000000000003",
        "endSequenceNumber": "100000000000000000007",
        "approximateArrivalOfFirstRecord": "2026-11-24T00:29:21Z",
        "approximateArrivalOfLastRecord": "2026-11-24T00:30:22Z",
        "batchSize": 2,
        "streamArn": STREAM,
    }
