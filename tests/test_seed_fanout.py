"""Seed 001's fan-out, end to end: an SNS topic feeding four SQS queues, each drained by
its own Lambda consumer through an event source mapping. One consumer is broken: the
others are unaffected, and its backlog drains once it is fixed."""

from __future__ import annotations

import json
import time
from typing import Any

from conftest import make_client
from lambda_support import ROLE, unique, zipped

CONSUMER = """
import boto3, json, os
sqs = boto3.client("sqs")
def handler(event, context):
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["RESULTS"],
                         MessageBody=json.dumps({"consumer": os.environ["NAME"], "order": record["body"]}))
"""
BROKEN = "def handler(event, context):\n    raise RuntimeError('consumer is down')\n"


def _wait(fn: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_fan_out_with_a_broken_consumer_that_recovers(endpoint: str) -> None:
    sns, sqs, lam = (make_client(s, endpoint) for s in ("sns", "sqs", "lambda"))
    results = sqs.create_queue(QueueName=unique("results"))["QueueUrl"]
    topic = sns.create_topic(Name=unique("orders"))["TopicArn"]
    names = [unique(f"consumer{i}") for i in range(4)]
    queues = {}
    for i, name in enumerate(names):
        url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queues[name] = url
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        source = BROKEN if i == 0 else CONSUMER
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Timeout=1,
            Code={"ZipFile": zipped({"app.py": source})},
            Environment={"Variables": {"RESULTS": results, "NAME": name}},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=5)

    orders = [f"order-{n}" for n in range(5)]
    for order in orders:
        sns.publish(TopicArn=topic, Message=order)

    seen: list[dict[str, str]] = []

    def collect(consumers: list[str]) -> bool:
        """Read results; true once each of `consumers` has processed every order.
        (Delivery is at least once: a duplicate is allowed, a missing order is not.)"""
        received = sqs.receive_message(QueueUrl=results, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in received.get("Messages", []):
            seen.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=results, ReceiptHandle=message["ReceiptHandle"])
        done = [{r["order"] for r in seen if r["consumer"] == c} == set(orders) for c in consumers]
        return all(done)

    # The three healthy consumers each process every order.
    _wait(lambda: collect(names[1:]))
    assert not [r for r in seen if r["consumer"] == names[0]]

    # The broken consumer's orders wait in its queue.
    def backlog() -> int:
        attrs = sqs.get_queue_attributes(
            QueueUrl=queues[names[0]],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )

    assert backlog() == 5

    # Fixed, it drains its backlog.
    lam.update_function_code(FunctionName=names[0], ZipFile=zipped({"app.py": CONSUMER}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=names[0], WaiterConfig={"Delay": 0.2})
    _wait(lambda: collect(names))
    _wait(lambda: backlog() == 0)
