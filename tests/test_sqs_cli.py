"""The AWS CLI against cloudlet: `aws sqs ... --endpoint-url`, output parsed as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from test_sqs_support import ACCOUNT, SQSClient, md5_hex, receive_one


@pytest.fixture
def aws(aws_cli: Any) -> Any:
    """Run `aws sqs <args>` against the test server and return its parsed JSON output."""
    return lambda *args: aws_cli("sqs", *args)


def test_cli_create_queue(aws: Any, sqs: SQSClient, queue_name: str) -> None:
    output = aws("create-queue", "--queue-name", queue_name, "--attributes", "DelaySeconds=3")

    assert output["QueueUrl"].endswith(f"/{ACCOUNT}/{queue_name}")
    assert sqs.get_queue_url(QueueName=queue_name)["QueueUrl"] == output["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=output["QueueUrl"], AttributeNames=["DelaySeconds"])
    assert attrs["Attributes"] == {"DelaySeconds": "3"}


def test_cli_send_and_receive_message(aws: Any, sqs: SQSClient, queue_name: str) -> None:
    url = aws("create-queue", "--queue-name", queue_name)["QueueUrl"]

    sent = aws(
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        '{"hello": "cli"}',
        "--message-attributes",
        '{"source": {"DataType": "String", "StringValue": "aws-cli"}}',
    )
    assert sent["MD5OfMessageBody"] == md5_hex('{"hello": "cli"}')

    received = aws(
        "receive-message",
        "--queue-url",
        url,
        "--attribute-names",
        "All",
        "--message-attribute-names",
        "All",
        "--wait-time-seconds",
        "5",
    )
    [message] = received["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == '{"hello": "cli"}'
    assert message["MessageAttributes"]["source"]["StringValue"] == "aws-cli"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"

    aws("delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_cli_list_queues_and_attributes(aws: Any, sqs: SQSClient, queue_name: str) -> None:
    url = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "42"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="counted")

    listed = aws("list-queues", "--queue-name-prefix", queue_name)
    attrs = aws("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")

    assert listed["QueueUrls"] == [url]
    assert attrs["Attributes"]["VisibilityTimeout"] == "42"
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert receive_one(sqs, url)["Body"] == "counted"
