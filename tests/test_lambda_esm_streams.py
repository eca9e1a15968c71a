"""Event source mappings from DynamoDB streams: records reach the function in order per
partition key with Lambda's event shape, a failing batch is bisected until the poison
record is isolated, retried and described to the on-failure queue, partial batch
responses checkpoint, LATEST and TRIM_HORIZON, filters, the API's answers, and a
mapping resuming from its checkpoint after a restart.

Functions record what they were given by sending it to a "record" queue with their own
boto3 client, one message per invocation.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import CREDENTIALS, REGION, make_client
from lambda_support import unique, zipped

from cloudlet.services.lambda_.esm_stream_records import partition
from cloudlet.testing import CloudletServer

ROLE = "arn:aws:iam::000000000000:role/r"

# Fails (raises) on any batch holding a record whose NewImage has body "poison";
# MODE=report answers a partial batch response naming those records instead, and
# MODE=malformed answers one without itemIdentifier.
RECORDER = """
import json, os, time, boto3
sqs = boto3.client("sqs")
MODE = os.environ.get("MODE", "")

def handler(event, context):
    records = event["Records"]
    sqs.send_message(QueueUrl=os.environ["RECORD_URL"], MessageBody=json.dumps(
        {"at": time.time(), "records": records}))
    poison = [r for r in records
              if r["dynamodb"].get("NewImage", {}).get("body", {}).get("S") == "poison"]
    if not poison:
        return None
    if MODE == "report":
        return {"batchItemFailures": [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in poison]}
    if MODE == "malformed":
        return {"batchItemFailures": [{"id": "x"}]}
    raise RuntimeError("poison")
"""


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout} s"
        time.sleep(0.05)


class Env:
    def __init__(self, endpoint: str) -> None:
        self.sqs = make_client("sqs", endpoint)
        self.lam = make_client("lambda", endpoint)
        self.ddb = make_client("dynamodb", endpoint)
        self.loose = boto3.client(
            "lambda",
            endpoint_url=endpoint,
            region_name=REGION,
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
            **CREDENTIALS,
        )

    def queue(self, name: str | None = None) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name or unique("q"))["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def table(self, view: str = "NEW_AND_OLD_IMAGES", name: str | None = None) -> tuple[str, str]:
        name = name or unique("tbl")
        created = self.ddb.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "n", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "n", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
        )["TableDescription"]
        self.ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
        return name, created["LatestStreamArn"]

    def put(self, table: str, pk: str, n: int, body: str = "ok", **extra: Any) -> None:
        item = {"pk": {"S": pk}, "n": {"N": str(n)}, "body": {"S": body}, **extra}
        self.ddb.put_item(TableName=table, Item=item)

    def function(self, record_url: str, **env: str) -> str:
        name = unique()
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zipped({"app.py": RECORDER})},
            Timeout=5,
            Environment={"Variables": {"RECORD_URL": record_url, **env}},
        )
        self.lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.2}
        )
        return name

    def mapping(self, function: str, source: str, **params: Any) -> dict[str, Any]:
        params.setdefault("StartingPosition", "TRIM_HORIZON")
        created: dict[str, Any] = self.lam.create_event_source_mapping(
            FunctionName=function, EventSourceArn=source, **params
        )
        wanted = "Enabled" if params.get("Enabled", True) else "Disabled"
        self.wait_state(created["UUID"], wanted)
        return created

    def wait_state(self, uuid: str, state: str) -> None:
        wait_for(
            lambda: self.lam.get_event_source_mapping(UUID=uuid)["State"] == state,
            what=f"state {state}",
        )

    def drain(self, url: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            found += [json.loads(m["Body"]) for m in batch]
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
        return found

    def collect(
        self, url: str, until: Callable[[list[dict[str, Any]]], bool], what: str
    ) -> list[dict[str, Any]]:
        """Invocations recorded in `url` (in order) once `until` holds for them."""
        found: list[dict[str, Any]] = []

        def enough() -> bool:
            found.extend(self.drain(url))
            return until(found)

        wait_for(enough, what=what)
        return sorted(found, key=lambda invocation: invocation["at"])

    def then(self, url: str, table: str, pk: str, n: int) -> list[dict[str, Any]]:
        """Once the function has been invoked, write record `n` (so it is never read
        with the first batch); every invocation up to the one that delivers it."""
        first = self.collect(url, lambda found: bool(found), "a first invocation")
        self.put(table, pk, n)
        rest = self.collect(
            url, lambda found: any(ns(i) == [n] for i in found), "the record written after"
        )
        return sorted(first + rest, key=lambda invocation: invocation["at"])


def records_of(invocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for invocation in invocations for r in invocation["records"]]


def count(n: int) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda found: len(records_of(found)) >= n


def ns(invocation: dict[str, Any]) -> list[int]:
    return [int(r["dynamodb"]["Keys"]["n"]["N"]) for r in invocation["records"]]


@pytest.fixture(scope="module")
def env(endpoint: str) -> Env:
    return Env(endpoint)


@pytest.fixture
def recorder(env: Env) -> str:
    return env.queue()[0]


# -- delivery ------------------------------------------------------------------------------


def test_records_arrive_in_order_with_lambdas_event_shape(env: Env, recorder: str) -> None:
    table, stream = env.table()
    fn = env.function(recorder)
    uuid = env.mapping(fn, stream, BatchSize=7)["UUID"]
    env.put(table, "a", 0, blob={"B": b"\x00\xff"})
    for n in range(1, 20):
        env.put(table, "ab"[n % 2], n)
    env.ddb.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}, "n": {"N": "0"}},
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues={":b": {"S": "changed"}},
    )
    env.ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}, "n": {"N": "0"}})
    invocations = env.collect(recorder, count(22), "22 records")
    records = records_of(invocations)
    assert len(records) == 22  # each once
    assert all(len(i["records"]) <= 7 for i in invocations)
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers)  # one shard, one lane: the stream's order
    assert [r["eventName"] for r in records] == ["INSERT"] * 20 + ["MODIFY", "REMOVE"]
    first = records[0]
    assert list(first) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert (first["eventVersion"], first["eventSource"], first["awsRegion"]) == (
        "1.1",
        "aws:dynamodb",
        "us-east-1",
    )
    assert first["eventSourceARN"] == stream
    body = first["dynamodb"]
    assert list(body) == [
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    ]
    assert isinstance(body["ApproximateCreationDateTime"], int)
    assert abs(body["ApproximateCreationDateTime"] - time.time()) < 120
    assert body["Keys"] == {"pk": {"S": "a"}, "n": {"N": "0"}}
    assert body["NewImage"]["blob"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert body["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    modify = records[20]["dynamodb"]
    assert modify["OldImage"]["body"] == {"S": "ok"}
    assert modify["NewImage"]["body"] == {"S": "changed"}
    wait_for(
        lambda: env.lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK",
        what="LastProcessingResult OK",
    )


def test_parallelization_keeps_each_partition_key_in_order(env: Env, recorder: str) -> None:
    table, stream = env.table("KEYS_ONLY")
    for n in range(60):
        env.put(table, f"k{n % 6}", n)
    fn = env.function(recorder)
    env.mapping(fn, stream, BatchSize=5, ParallelizationFactor=3)
    invocations = env.collect(recorder, count(60), "60 records")
    records = records_of(invocations)
    assert sorted(int(r["dynamodb"]["Keys"]["n"]["N"]) for r in records) == list(range(60))
    for key in range(6):
        # the order in which the function saw one key's records is the stream's order
        seen = [
            int(r["dynamodb"]["Keys"]["n"]["N"])
            for r in records
            if r["dynamodb"]["Keys"]["pk"]["S"] == f"k{key}"
        ]
        assert seen == sorted(seen) == list(range(key, 60, 6))
    assert all(len(i["records"]) <= 5 for i in invocations)


def test_a_failing_key_holds_up_only_its_own_lane(env: Env, recorder: str) -> None:
    def lane(key: str) -> int:
        event = {"dynamodb": {"Keys": {"pk": {"S": key}}}}
        return partition(event, "pk", 2)

    healthy = next(k for k in (f"h{n}" for n in range(100)) if lane(k) != lane("bad"))
    table, stream = env.table("NEW_IMAGE")
    fn = env.function(recorder)
    uuid = env.mapping(fn, stream, ParallelizationFactor=2)["UUID"]  # retries: unlimited
    env.put(table, "bad", 0, "poison")
    for n in range(1, 6):
        env.put(table, healthy, n)
    found = env.collect(
        recorder,
        lambda found: (
            sum(n for i in found for n in ns(i) if n) == 15
            and sum(ns(i) == [0] for i in found) >= 3
        ),
        "the other lane's records while the poison record is retried",
    )
    assert [n for i in found for n in ns(i) if n] == [1, 2, 3, 4, 5]
    env.lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    env.wait_state(uuid, "Disabled")


def test_starting_position_latest_and_trim_horizon(env: Env, recorder: str) -> None:
    table, stream = env.table("KEYS_ONLY")
    env.put(table, "old", 1)
    latest_queue = env.queue()[0]
    env.mapping(env.function(latest_queue), stream, StartingPosition="LATEST")
    env.mapping(env.function(recorder), stream, StartingPosition="TRIM_HORIZON")
    env.put(table, "new", 2)
    horizon = env.collect(recorder, count(2), "both records")
    assert [n for i in horizon for n in ns(i)] == [1, 2]
    latest = env.collect(latest_queue, count(1), "the new record")
    assert [n for i in latest for n in ns(i)] == [2]


def test_filters_pass_records_over(env: Env, recorder: str) -> None:
    table, stream = env.table("NEW_IMAGE")
    fn = env.function(recorder)
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"body": {"S": ["keep"]}}}}
    env.mapping(fn, stream, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    for n, body in enumerate(["keep", "drop", "keep", "drop"]):
        env.put(table, "a", n, body)
    env.put(table, "a", 0, "keep", extra={"S": "modified"})  # a MODIFY: filtered out
    env.put(table, "a", 9, "keep")
    invocations = env.collect(recorder, count(3), "the kept records")
    assert [n for i in invocations for n in ns(i)] == [0, 2, 9]


def test_batching_window_gathers_records(env: Env, recorder: str) -> None:
    table, stream = env.table("KEYS_ONLY")
    fn = env.function(recorder)
    env.mapping(fn, stream, BatchSize=100, MaximumBatchingWindowInSeconds=2)
    for n in range(5):
        env.put(table, "a", n)
    invocations = env.collect(recorder, count(5), "5 records")
    assert [ns(i) for i in invocations] == [[0, 1, 2, 3, 4]]


def test_ttl_deletions_reach_the_function_as_service_deletions(env: Env, recorder: str) -> None:
    table, stream = env.table("OLD_IMAGE")
    env.ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    fn = env.function(recorder)
    env.mapping(fn, stream, FilterCriteria={"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}]})
    env.put(table, "a", 1, expires={"N": str(int(time.time()) - 10)})
    env.ddb.delete_item(TableName=table, Key={"pk": {"S": "b"}, "n": {"N": "2"}})  # no item
    env.put(table, "b", 2)
    env.ddb.delete_item(TableName=table, Key={"pk": {"S": "b"}, "n": {"N": "2"}})
    records = records_of(env.collect(recorder, count(2), "both deletions"))
    by_key = {r["dynamodb"]["Keys"]["pk"]["S"]: r for r in records}
    assert by_key["a"]["userIdentity"] == {
        "type": "Service",
        "principalId": "dynamodb.amazonaws.com",
    }
    assert list(by_key["a"])[-2:] == ["userIdentity", "eventSourceARN"]
    assert "userIdentity" not in by_key["b"]


# -- failures ------------------------------------------------------------------------------


def test_bisect_isolates_the_poison_record(env: Env, recorder: str) -> None:
    dlq_url, dlq_arn = env.queue()
    table, stream = env.table("NEW_IMAGE")
    for n in range(8):
        env.put(table, "a", n, "poison" if n == 5 else "ok")
    fn = env.function(recorder)
    mapping = env.mapping(
        fn,
        stream,
        BatchSize=8,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    invocations = env.then(recorder, table, "b", 100)  # processing goes on
    batches = [ns(i) for i in invocations]
    assert batches == [
        [0, 1, 2, 3, 4, 5, 6, 7],  # fails
        [0, 1, 2, 3],  # the first half succeeds
        [4, 5, 6, 7],  # fails
        [4, 5],  # fails
        [4],
        [5],
        [5],
        [5],  # the first attempt and MaximumRetryAttempts retries
        [6, 7],
        [100],
    ]
    message = env.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"]
    assert len(message) == 1
    document = json.loads(message[0]["Body"])
    poison = next(r for r in records_of(invocations) if ns({"records": [r]}) == [5])
    info = document["DDBStreamBatchInfo"]
    description = make_client("dynamodbstreams", env.lam.meta.endpoint_url).describe_stream(
        StreamArn=stream
    )["StreamDescription"]
    assert info == {
        "shardId": description["Shards"][0]["ShardId"],
        "startSequenceNumber": poison["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": poison["dynamodb"]["SequenceNumber"],
        "approximateArrivalOfFirstRecord": info["approximateArrivalOfFirstRecord"],
        "approximateArrivalOfLastRecord": info["approximateArrivalOfFirstRecord"],
        "batchSize": 1,
        "streamArn": stream,
    }
    arrival = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(poison["dynamodb"]["ApproximateCreationDateTime"])
    )
    assert info["approximateArrivalOfFirstRecord"] == arrival
    context = document["requestContext"]
    assert context["functionArn"] == mapping["FunctionArn"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 3
    assert document["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert document["version"] == "1.0"
    assert document["timestamp"].endswith("Z")
    assert set(document) == {
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "DDBStreamBatchInfo",
    }


def test_whole_batch_retries_without_bisect(env: Env, recorder: str) -> None:
    dlq_url, dlq_arn = env.queue()
    table, stream = env.table("NEW_IMAGE")
    for n, body in enumerate(["ok", "poison", "ok"]):
        env.put(table, "a", n, body)
    fn = env.function(recorder)
    env.mapping(
        fn,
        stream,
        BatchSize=10,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    invocations = env.then(recorder, table, "a", 3)
    assert [ns(i) for i in invocations] == [[0, 1, 2], [0, 1, 2], [3]]
    document = json.loads(
        env.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"][0]["Body"]
    )
    assert document["DDBStreamBatchInfo"]["batchSize"] == 3
    assert document["requestContext"]["approximateInvokeCount"] == 2


def test_a_mapping_retrying_forever_can_be_disabled(env: Env, recorder: str) -> None:
    table, stream = env.table("NEW_IMAGE")
    env.put(table, "a", 0, "poison")
    fn = env.function(recorder)
    uuid = env.mapping(fn, stream)["UUID"]  # MaximumRetryAttempts -1: until the record expires
    env.collect(recorder, count(3), "a few attempts")
    env.lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    env.wait_state(uuid, "Disabled")
    got = env.lam.get_event_source_mapping(UUID=uuid)
    assert got["LastProcessingResult"] == "PROBLEM: Function call failed"


def test_an_sns_topic_as_the_on_failure_destination(env: Env, recorder: str, endpoint: str) -> None:
    sns = make_client("sns", endpoint)
    topic = sns.create_topic(Name=unique("failed"))["TopicArn"]
    inbox_url, inbox_arn = env.queue()
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=inbox_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    table, stream = env.table("NEW_IMAGE")
    env.put(table, "a", 0, "poison")
    fn = env.function(recorder)
    env.mapping(
        fn,
        stream,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": topic}},
    )
    message = env.sqs.receive_message(QueueUrl=inbox_url, WaitTimeSeconds=15)["Messages"]
    document = json.loads(message[0]["Body"])
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 1
    assert document["DDBStreamBatchInfo"]["streamArn"] == stream


def test_report_batch_item_failures_checkpoints(env: Env, recorder: str) -> None:
    dlq_url, dlq_arn = env.queue()
    table, stream = env.table("NEW_IMAGE")
    for n in range(6):
        env.put(table, "a", n, "poison" if n == 3 else "ok")
    fn = env.function(recorder, MODE="report")
    env.mapping(
        fn,
        stream,
        BatchSize=10,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    invocations = env.then(recorder, table, "a", 6)
    # the checkpoint moves to the failed record: it and what follows it are retried
    assert [ns(i) for i in invocations] == [[0, 1, 2, 3, 4, 5], [3, 4, 5], [6]]
    document = json.loads(
        env.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"][0]["Body"]
    )
    info = document["DDBStreamBatchInfo"]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in invocations[0]["records"]]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        sequence[3],
        sequence[5],
        3,
    )
    # the function answered: there is no function error to report
    assert document["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}


def test_a_partial_response_with_bisect_retries_from_the_named_record(
    env: Env, recorder: str
) -> None:
    table, stream = env.table("NEW_IMAGE")
    for n, body in enumerate(["ok", "ok", "poison", "ok"]):
        env.put(table, "a", n, body)
    fn = env.function(recorder, MODE="report")
    env.mapping(
        fn,
        stream,
        MaximumRetryAttempts=1,
        BisectBatchOnFunctionError=True,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    invocations = env.then(recorder, table, "a", 4)
    # "bisected at the returned sequence number": only the rest is retried, not halves
    assert [ns(i) for i in invocations] == [[0, 1, 2, 3], [2, 3], [4]]


def test_a_malformed_partial_response_fails_the_whole_batch(env: Env, recorder: str) -> None:
    table, stream = env.table("NEW_IMAGE")
    for n, body in enumerate(["ok", "poison"]):
        env.put(table, "a", n, body)
    fn = env.function(recorder, MODE="malformed")
    env.mapping(
        fn, stream, MaximumRetryAttempts=1, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    invocations = env.then(recorder, table, "a", 2)
    assert [ns(i) for i in invocations] == [[0, 1], [0, 1], [2]]


# -- the API -------------------------------------------------------------------------------


def test_mapping_configuration_and_updates(env: Env, recorder: str) -> None:
    _, stream = env.table("KEYS_ONLY")
    _, queue_arn = env.queue()
    fn = env.function(recorder)
    created = env.lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=stream, StartingPosition="LATEST"
    )
    expected = {
        "StartingPosition": "LATEST",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "ParallelizationFactor": 1,
        "EventSourceArn": stream,
        "LastProcessingResult": "No records processed",
        "State": "Creating",
        "StateTransitionReason": "User action",
        "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
    }
    assert {k: created[k] for k in expected} == expected
    assert created["FunctionArn"].endswith(f":function:{fn}")
    env.wait_state(created["UUID"], "Enabled")
    updated = env.lam.update_event_source_mapping(
        UUID=created["UUID"],
        BatchSize=500,
        MaximumBatchingWindowInSeconds=1,
        ParallelizationFactor=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    assert updated["State"] == "Updating"
    env.wait_state(created["UUID"], "Enabled")
    got = env.lam.get_event_source_mapping(UUID=created["UUID"])
    assert {
        k: got[k]
        for k in (
            "StartingPosition",
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "ParallelizationFactor",
            "BisectBatchOnFunctionError",
            "MaximumRetryAttempts",
            "MaximumRecordAgeInSeconds",
            "DestinationConfig",
            "FunctionResponseTypes",
        )
    } == {
        "StartingPosition": "LATEST",
        "BatchSize": 500,
        "MaximumBatchingWindowInSeconds": 1,
        "ParallelizationFactor": 4,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 3,
        "MaximumRecordAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn}},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    listed = env.lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [created["UUID"]]
    env.lam.delete_event_source_mapping(UUID=created["UUID"])
    wait_for(
        lambda: (
            not env.lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
        ),
        what="the mapping gone",
    )


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_errors(env: Env, recorder: str) -> None:
    _, stream = env.table("KEYS_ONLY")
    fn = env.function(recorder)

    def create(**params: Any) -> Any:
        return env.loose.create_event_source_mapping(
            FunctionName=fn, EventSourceArn=stream, **params
        )

    assert error_of(lambda: create()) == (
        "InvalidParameterValueException",
        "StartingPosition is required for DynamoDB Streams event sources.",
    )
    assert (
        error_of(lambda: create(StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=1))[0]
        == "InvalidParameterValueException"
    )
    missing = stream.replace("/stream/", "x/stream/")
    assert error_of(
        lambda: env.loose.create_event_source_mapping(
            FunctionName=fn, EventSourceArn=missing, StartingPosition="LATEST"
        )
    ) == ("InvalidParameterValueException", f"Stream not found: {missing}")
    assert error_of(
        lambda: create(
            StartingPosition="LATEST",
            DestinationConfig={
                "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}
            },
        )
    ) == (
        "InvalidParameterValueException",
        "Unsupported DestinationConfig parameter for given event source mapping type.",
    )
    assert (
        error_of(
            lambda: create(
                StartingPosition="LATEST",
                DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::bucket"}},
            )
        )[0]
        == "InvalidParameterValueException"
    )
    assert (
        error_of(lambda: create(StartingPosition="LATEST", MaximumRecordAgeInSeconds=30))[0]
        == "InvalidParameterValueException"
    )
    for bad in (
        {"BatchSize": 10_001},
        {"ParallelizationFactor": 11},
        {"MaximumRetryAttempts": -2},
        {"MaximumBatchingWindowInSeconds": 301},
    ):
        assert error_of(lambda: create(StartingPosition="LATEST", **bad))[0] == (
            "ValidationException"
        )
    code, _ = error_of(lambda: create(StartingPosition="LATEST", TumblingWindowInSeconds=60))
    assert code == "NotImplemented"
    assert error_of(
        lambda: create(
            StartingPosition="LATEST", FilterCriteria={"Filters": [{"Pattern": "{not json"}]}
        )
    ) == ("InvalidParameterValueException", "Invalid filter pattern definition.")
    assert env.lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"] == []
    first = env.mapping(fn, stream, StartingPosition="LATEST")
    code, message = error_of(lambda: create(StartingPosition="LATEST"))
    assert code == "ResourceConflictException"
    assert message.endswith(
        f"Please update or delete the existing mapping with UUID {first['UUID']}"
    )


# -- durability ----------------------------------------------------------------------------


@pytest.fixture
def data_server(tmp_path: Path) -> Iterator[Callable[[], CloudletServer]]:
    running: list[CloudletServer] = []
    with socket.socket() as probe:  # one port for both lives: functions keep their URLs
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def start() -> CloudletServer:
        for server in running:
            server.stop()
        server = CloudletServer(data_dir=tmp_path / "data", port=port).start()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


def test_mapping_resumes_from_its_checkpoint_after_a_restart(
    data_server: Callable[[], CloudletServer],
) -> None:
    first = Env(data_server().endpoint_url)
    record_url, _ = first.queue("record")
    table, stream = first.table("KEYS_ONLY", name="orders")
    fn = first.function(record_url)
    uuid = first.mapping(fn, stream, StartingPosition="LATEST")["UUID"]
    first.put(table, "a", 1)
    assert [ns(i) for i in first.collect(record_url, count(1), "the first record")] == [[1]]
    first.lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    first.wait_state(uuid, "Disabled")
    first.put(table, "a", 2)  # while the mapping is disabled: read after the restart
    again = Env(data_server().endpoint_url)
    record_url = again.sqs.get_queue_url(QueueName="record")["QueueUrl"]
    again.lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    again.wait_state(uuid, "Enabled")
    again.put(table, "a", 3)
    invocations = again.collect(record_url, count(2), "the records after the checkpoint")
    assert [n for i in invocations for n in ns(i)] == [2, 3]  # not 1 again
