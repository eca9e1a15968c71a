"""Queue URLs in the forms users copy from other tools.

The request always goes to the endpoint URL; only the QueueUrl parameter changes.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from test_sqs_support import (
    ACCOUNT,
    SQSClient,
    attributes,
    create_queue,
    receive_one,
    sqs_error,
)


def _port(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    assert port is not None
    return port


def _localstack_url(endpoint: str, name: str) -> str:
    return f"http://sqs.us-east-1.localhost.localstack.cloud:{_port(endpoint)}/{ACCOUNT}/{name}"


def _path_style_url(endpoint: str, name: str) -> str:
    return f"http://localhost:{_port(endpoint)}/{ACCOUNT}/{name}"


@pytest.mark.parametrize(
    "style", [_localstack_url, _path_style_url], ids=["localstack", "localhost"]
)
def test_send_and_receive_through_other_url_forms(
    sqs: SQSClient, endpoint: str, queue_name: str, style: Callable[[str, str], str]
) -> None:
    url = create_queue(sqs, queue_name)
    other = style(endpoint, queue_name)

    sent = sqs.send_message(QueueUrl=other, MessageBody="via other url")

    message = receive_one(sqs, other)
    assert message["MessageId"] == sent["MessageId"]
    sqs.delete_message(QueueUrl=other, ReceiptHandle=message["ReceiptHandle"])
    assert attributes(sqs, url, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "0"
    }


def test_localstack_url_works_for_queue_operations(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    create_queue(sqs, queue_name)
    other = _localstack_url(endpoint, queue_name)

    sqs.set_queue_attributes(QueueUrl=other, Attributes={"VisibilityTimeout": "17"})
    sqs.tag_queue(QueueUrl=other, Tags={"via": "localstack-url"})

    assert attributes(sqs, other, "VisibilityTimeout") == {"VisibilityTimeout": "17"}
    assert sqs.list_queue_tags(QueueUrl=other)["Tags"] == {"via": "localstack-url"}
    sqs.purge_queue(QueueUrl=other)
    sqs.delete_queue(QueueUrl=other)


def test_localstack_url_of_unknown_queue_fails(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.send_message(QueueUrl=_localstack_url(endpoint, queue_name), MessageBody="x")


def test_returned_url_is_path_style_on_the_endpoint(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)

    assert urlsplit(url).path == f"/{ACCOUNT}/{queue_name}"
    assert urlsplit(url).port == _port(endpoint)
