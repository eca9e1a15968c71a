"""Event source mappings for SQS: the seed's queue + DLQ + partial batch failure
topology, whole-batch retries, FIFO order, filters, batching window, throttling, the
API's errors and states, and a mapping surviving a restart.

Functions record what they were given by sending it to a "record" queue with their own
boto3 client, one message per invocation.
"""

from __future__ import annotations

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

from cloudlet.services.lambda_.esm_records import deletable, failed_items
from cloudlet.testing import CloudletServer

ROLE = "arn:aws:iam::000000000000:role/r"

RECORDER = """
import json, os, time, boto3
sqs = boto3.client("sqs")
MODE = os.environ.get("MODE", "")

def handler(event, context):
    started = time.time()
    if "Records" not in event:
        return "warm"
    records = event["Records"]
    time.sleep(float(os.environ.get("SLEEP", "0")))
    sqs.send_message(QueueUrl=os.environ["RECORD_URL"], MessageBody=json.dumps(
        {"at": started, "end": time.time(), "records": records}))
    first = [r for r in records if r["attributes"]["ApproximateReceiveCount"] == "1"]
    if MODE == "raise-first" and first:
        raise RuntimeError("first attempt fails")
    if MODE == "malformed-first" and first:
        return {"batchItemFailures": [{"id": records[0]["messageId"]}]}
    failed = [r for r in records if "poison" in r["body"]
              or ("fail-first" in r["body"] and r in first)]
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}
"""


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout} s"
        time.sleep(0.05)


class Env:
    """Clients of one server, and helpers to build queues, functions and mappings."""

    def __init__(self, endpoint: str) -> None:
        self.sqs = make_client("sqs", endpoint)
        self.lam = make_client("lambda", endpoint)
        # sends what botocore itself would refuse, to see the server's answer
        self.loose = boto3.client(
            "lambda",
            endpoint_url=endpoint,
            region_name=REGION,
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
            **CREDENTIALS,
        )

    def queue(self, name: str | None = None, **attributes: Any) -> tuple[str, str]:
        attrs = {k: str(v) for k, v in attributes.items()}
        name = name or unique("q")
        if name.endswith(".fifo"):
            attrs["FifoQueue"] = "true"
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def function(self, record_url: str, timeout: int = 1, **env: str) -> str:
        name = unique()
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zipped({"app.py": RECORDER})},
            Timeout=timeout,
            Environment={"Variables": {"RECORD_URL": record_url, **env}},
        )
        self.lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.2}
        )
        return name

    def mapping(self, function: str, source: str, **params: Any) -> dict[str, Any]:
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
        """Everything in a record queue now, oldest invocation first."""
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            found += [json.loads(m["Body"]) for m in batch]
        return sorted(found, key=lambda invocation: invocation["at"])

    def collect(self, url: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until the record queue holds `count` processed records; return them."""
        found: list[dict[str, Any]] = []

        def enough() -> bool:
            found.extend(self.drain(url))
            return sum(len(i["records"]) for i in found) >= count

        wait_for(enough, timeout, f"{count} records")
        return sorted(found, key=lambda invocation: invocation["at"])

    def counts(self, url: str) -> tuple[int, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        found = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return int(found[names[0]]), int(found[names[1]])


@pytest.fixture(scope="module")
def env(endpoint: str) -> Env:
    return Env(endpoint)


@pytest.fixture
def recorder(env: Env) -> str:
    return env.queue()[0]


def processed(invocations: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(body, ApproximateReceiveCount) of every record, in invocation order."""
    return [
        (r["body"], r["attributes"]["ApproximateReceiveCount"])
        for invocation in invocations
        for r in invocation["records"]
    ]


# -- the seed's topology ---------------------------------------------------------------


def test_poison_message_alone_is_retried_and_dead_lettered(env: Env, recorder: str) -> None:
    dlq_url, dlq_arn = env.queue()
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    url, arn = env.queue(VisibilityTimeout=1, RedrivePolicy=redrive)
    fn = env.function(recorder)
    env.mapping(
        fn,
        arn,
        BatchSize=5,
        MaximumBatchingWindowInSeconds=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    bodies = ["m0", "m1", "poison", "m3", "m4"]
    env.sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )
    dead = env.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=15)["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]
    wait_for(lambda: env.counts(url) == (0, 0), what="an empty source queue")
    seen = processed(env.drain(recorder))
    assert sorted(b for b, _ in seen if b != "poison") == ["m0", "m1", "m3", "m4"]
    assert [c for b, c in seen if b == "poison"] == ["1", "2", "3"]


def test_a_batch_runs_the_code_the_function_has_when_it_is_invoked(env: Env, recorder: str) -> None:
    # The mapping's pollers long-poll while the code is updated; the next batch must
    # run the new code, not the code the poller saw when it started waiting.
    url, arn = env.queue()
    fn = env.function(recorder, MODE="")
    env.mapping(fn, arn, BatchSize=1)
    env.sqs.send_message(QueueUrl=url, MessageBody="before")
    assert processed(env.collect(recorder, 1)) == [("before", "1")]
    wait_for(lambda: env.counts(url) == (0, 0), what="an empty source queue")

    tagged = RECORDER.replace(
        'records = event["Records"]',
        'records = [dict(r, body="v2:" + r["body"]) for r in event["Records"]]',
    )
    env.lam.update_function_code(FunctionName=fn, ZipFile=zipped({"app.py": tagged}))
    env.lam.get_waiter("function_updated_v2").wait(FunctionName=fn, WaiterConfig={"Delay": 0.2})
    env.sqs.send_message(QueueUrl=url, MessageBody="after")

    assert processed(env.collect(recorder, 1)) == [("v2:after", "1")]


def test_function_error_retries_the_whole_batch(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=1)
    fn = env.function(recorder, MODE="raise-first")
    env.mapping(fn, arn, BatchSize=10)
    env.sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(3)]
    )
    seen = processed(env.collect(recorder, 6))
    assert sorted(seen) == sorted((f"b{i}", c) for i in range(3) for c in ("1", "2"))
    wait_for(lambda: env.counts(url) == (0, 0), what="an empty source queue")


def test_malformed_batch_response_fails_the_whole_batch(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=1)
    fn = env.function(recorder, MODE="malformed-first")
    env.mapping(fn, arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    env.sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"x{i}"} for i in range(2)]
    )
    seen = processed(env.collect(recorder, 4))
    assert sorted(seen) == [("x0", "1"), ("x0", "2"), ("x1", "1"), ("x1", "2")]


# -- FIFO --------------------------------------------------------------------------------


def test_fifo_keeps_group_order_and_holds_back_after_a_failure(env: Env, recorder: str) -> None:
    url, arn = env.queue(unique("f") + ".fifo", VisibilityTimeout=1)
    fn = env.function(recorder)
    env.mapping(fn, arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    bodies = ["A0", "A1", "A2 fail-first", "A3", "A4", "B0", "B1", "B2", "B3", "B4"]
    env.sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(i),
                "MessageBody": b,
                "MessageGroupId": b[0],
                "MessageDeduplicationId": str(i),
            }
            for i, b in enumerate(bodies)
        ],
    )
    invocations = env.collect(recorder, 13)
    seen = processed(invocations)
    # A2 failed: A3 and A4 behind it in group A were kept and came again, after A2.
    assert [b for b, _ in seen if b[0] == "B"] == ["B0", "B1", "B2", "B3", "B4"]
    assert [c for b, c in seen if b in ("A3", "A4")] == ["1", "1", "2", "2"]
    final: dict[str, int] = {b: i for i, (b, _) in enumerate(seen)}  # last processing
    order = sorted((b for b in final if b[0] == "A"), key=final.__getitem__)
    assert order == ["A0", "A1", "A2 fail-first", "A3", "A4"]
    record = invocations[0]["records"][0]
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "SenderId",
        "MessageDeduplicationId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert record["attributes"]["MessageGroupId"] == "A"


# -- records, filters, batching --------------------------------------------------------


def test_record_shape(env: Env, recorder: str) -> None:
    url, arn = env.queue()
    fn = env.function(recorder)
    env.mapping(fn, arn)
    env.sqs.send_message(
        QueueUrl=url,
        MessageBody='{"hello": "world"}',
        MessageAttributes={
            "Author": {"DataType": "String", "StringValue": "J. Doe"},
            "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    record = env.collect(recorder, 1)[0]["records"][0]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["body"] == '{"hello": "world"}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["messageAttributes"] == {
        "Author": {
            "stringValue": "J. Doe",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "Blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert len(record["md5OfMessageAttributes"]) == 32
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }


def test_filter_criteria_invokes_with_matches_and_deletes_the_rest(env: Env, recorder: str) -> None:
    url, arn = env.queue()
    fn = env.function(recorder)
    filters = [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]
    filters.append({"Pattern": json.dumps({"body": ["plain keep"]})})
    created = env.mapping(fn, arn, FilterCriteria={"Filters": filters})
    assert created["FilterCriteria"] == {"Filters": filters}
    bodies = ['{"kind": "keep"}', '{"kind": "drop"}', "plain keep", "plain drop", "[1, 2]"]
    env.sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )
    wait_for(lambda: env.counts(url) == (0, 0), what="every message deleted")
    seen = processed(env.drain(recorder))
    assert sorted(b for b, _ in seen) == sorted(['{"kind": "keep"}', "plain keep"])


def test_batching_window_gathers_until_it_elapses(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=30)
    fn = env.function(recorder, timeout=3)
    env.lam.invoke(FunctionName=fn, Payload=b"{}")  # warm: time only the window
    env.mapping(fn, arn, BatchSize=100, MaximumBatchingWindowInSeconds=1)
    sent = time.time()
    env.sqs.send_message(QueueUrl=url, MessageBody="first")
    env.sqs.send_message(QueueUrl=url, MessageBody="second")
    invocation = env.collect(recorder, 2)[0]
    assert [r["body"] for r in invocation["records"]] == ["first", "second"]
    assert 0.99 <= invocation["at"] - sent < 1.25


def test_full_batch_does_not_wait_for_the_window(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=30)
    fn = env.function(recorder, timeout=3)
    env.mapping(fn, arn, BatchSize=10, MaximumBatchingWindowInSeconds=20)
    sent = time.time()
    env.sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)]
    )
    invocation = env.collect(recorder, 10)[0]
    assert len(invocation["records"]) == 10
    assert invocation["at"] - sent < 5


def test_throttled_function_does_not_burn_receives(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=1)
    fn = env.function(recorder)
    env.lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=0)
    env.mapping(fn, arn)
    env.sqs.send_message(QueueUrl=url, MessageBody="patient")
    deadline = time.monotonic() + 1.5  # a bounded look at a queue nobody may touch
    while time.monotonic() < deadline:
        assert env.counts(url) == (1, 0)
        time.sleep(0.1)
    env.lam.delete_function_concurrency(FunctionName=fn)
    assert processed(env.collect(recorder, 1)) == [("patient", "1")]


def most_at_once(invocations: list[dict[str, Any]]) -> int:
    edges = sorted([(i["at"], 1) for i in invocations] + [(i["end"], -1) for i in invocations])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_concurrency_starts_at_five_grows_and_honours_maximum_concurrency(
    env: Env, recorder: str
) -> None:
    url, arn = env.queue(VisibilityTimeout=5)
    fn = env.function(recorder, timeout=2, SLEEP="0.5")
    entries = [{"Id": str(i), "MessageBody": str(i)} for i in range(10)]
    env.sqs.send_message_batch(QueueUrl=url, Entries=entries)
    env.mapping(fn, arn, BatchSize=1)
    invocations = env.collect(recorder, 10)
    starts = sorted(i["at"] for i in invocations)
    assert starts[4] - starts[0] < 0.3  # five batches at once from the start
    assert most_at_once(invocations) >= 5  # then more while every lane is busy
    capped_url, capped_arn = env.queue(VisibilityTimeout=5)
    env.sqs.send_message_batch(QueueUrl=capped_url, Entries=entries[:6])
    env.mapping(fn, capped_arn, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    assert most_at_once(env.collect(recorder, 6)) == 2


# -- the API -----------------------------------------------------------------------------


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_errors(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=1)
    fn = env.function(recorder)
    create = env.lam.create_event_source_mapping
    missing = arn.replace(arn.rsplit(":", 1)[1], "no-such-queue")
    assert error_of(create, FunctionName=fn, EventSourceArn=missing) == (
        "InvalidParameterValueException",
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: "
        "The specified queue does not exist.",
    )
    assert error_of(create, FunctionName=fn, EventSourceArn=arn, BatchSize=11) == (
        "InvalidParameterValueException",
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10",
    )
    bad = {"Filters": [{"Pattern": '{"body": "not a list"}'}]}
    assert error_of(create, FunctionName=fn, EventSourceArn=arn, FilterCriteria=bad) == (
        "InvalidParameterValueException",
        "Invalid filter pattern definition.",
    )
    slow = env.function(recorder, timeout=5)
    assert error_of(create, FunctionName=slow, EventSourceArn=arn) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 1 seconds is less than Function timeout: 5 seconds",
    )
    code, _ = error_of(create, FunctionName=unique(), EventSourceArn=arn)
    assert code == "ResourceNotFoundException"
    loose = env.loose.create_event_source_mapping
    code, _ = error_of(loose, FunctionName=fn, EventSourceArn=arn, BatchSize=0)
    assert code == "ValidationException"
    scaling = {"MaximumConcurrency": 1}
    code, _ = error_of(loose, FunctionName=fn, EventSourceArn=arn, ScalingConfig=scaling)
    assert code == "ValidationException"
    _, fifo = env.queue(unique("f") + ".fifo", VisibilityTimeout=1)
    code, _ = error_of(
        create, FunctionName=fn, EventSourceArn=fifo, MaximumBatchingWindowInSeconds=1
    )
    assert code == "InvalidParameterValueException"
    first = env.mapping(fn, arn)
    code, message = error_of(create, FunctionName=fn, EventSourceArn=arn)
    assert code == "ResourceConflictException"
    assert message.endswith(f"existing mapping with UUID {first['UUID']}")


def test_unknown_uuid(env: Env) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for call in (
        env.lam.get_event_source_mapping,
        env.lam.delete_event_source_mapping,
        env.lam.update_event_source_mapping,
    ):
        assert error_of(call, UUID=missing) == (
            "ResourceNotFoundException",
            "The resource you requested does not exist.",
        )


def test_states_from_creation_to_deletion(env: Env, recorder: str) -> None:
    url, arn = env.queue(VisibilityTimeout=1)
    fn = env.function(recorder)
    lam = env.lam
    created = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=arn, BatchSize=3, Enabled=False
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Disabled"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["FunctionArn"].endswith(f":function:{fn}")
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{created['UUID']}")
    uuid = created["UUID"]
    env.sqs.send_message(QueueUrl=url, MessageBody="while disabled")
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    env.wait_state(uuid, "Enabled")
    assert processed(env.collect(recorder, 1)) == [("while disabled", "1")]
    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=7)
    assert (updated["State"], updated["BatchSize"]) == ("Updating", 7)
    env.wait_state(uuid, "Enabled")
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    env.wait_state(uuid, "Disabled")
    listed = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == listed
    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    wait_for(
        lambda: not lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"],
        what="the mapping gone",
    )
    code, _ = error_of(lam.get_event_source_mapping, UUID=uuid)
    assert code == "ResourceNotFoundException"


# -- durability --------------------------------------------------------------------------


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


def test_mapping_survives_a_restart(data_server: Callable[[], CloudletServer]) -> None:
    first = Env(data_server().endpoint_url)
    record_url, _ = first.queue("record")
    url, arn = first.queue("work", VisibilityTimeout=5)
    fn = first.function(record_url)
    uuid = first.mapping(fn, arn)["UUID"]
    first.sqs.send_message(QueueUrl=url, MessageBody="before")
    assert processed(first.collect(record_url, 1)) == [("before", "1")]
    again = Env(data_server().endpoint_url)
    record_url = again.sqs.get_queue_url(QueueName="record")["QueueUrl"]
    url = again.sqs.get_queue_url(QueueName="work")["QueueUrl"]
    assert again.lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    again.sqs.send_message(QueueUrl=url, MessageBody="after")
    assert processed(again.collect(record_url, 1)) == [("after", "1")]


# -- reading a partial batch response (no server) ---------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", set()),
        (b"null", set()),
        (b"{}", set()),
        (b'{"batchItemFailures": null}', set()),
        (b'{"batchItemFailures": []}', set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "b"}]}', {"b"}),
        (b"not json", None),
        (b'"done"', None),
        (b'{"batchItemFailures": {"itemIdentifier": "b"}}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
        (b'{"batchItemFailures": [{"id": "b"}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": "z"}]}', None),
    ],
)
def test_failed_items(payload: bytes, expected: set[str] | None) -> None:
    assert failed_items(payload, ["a", "b", "c"]) == expected


def test_deletable_holds_back_the_rest_of_a_failed_fifo_group() -> None:
    records = [
        {"messageId": m, "attributes": {"MessageGroupId": m[0]}}
        for m in ("a1", "b1", "a2", "b2", "a3", "b3")
    ]
    assert deletable(records, {"a2"}, fifo=True) == [0, 1, 3, 5]
    assert deletable(records, {"a2"}, fifo=False) == [0, 1, 3, 4, 5]
    assert deletable(records, set(), fifo=True) == [0, 1, 2, 3, 4, 5]
