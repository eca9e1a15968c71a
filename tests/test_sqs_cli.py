"""The AWS CLI against cloudlet: `aws sqs ... --endpoint-url`, output parsed as JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_sqs_support import ACCOUNT, SQSClient, md5_hex, receive_one


@pytest.fixture
def aws(endpoint: str, tmp_path: Path) -> Any:
    """Run `aws sqs <args>` against the test server and return its parsed JSON output."""
    executable = shutil.which("aws")
    if executable is None:
        pytest.skip("the AWS CLI (`aws`) is not on PATH")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Keep the user's own profiles and settings out of the run.
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)

    def run(*args: str) -> Any:
        completed = subprocess.run(
            [executable, "sqs", *args, "--endpoint-url", endpoint, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout) if completed.stdout.strip() else None

    return run


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
