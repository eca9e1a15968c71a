"""Error paths: unknown queues for every queue operation, and malformed requests that must
get a clean 4xx (never a 5xx) and leave state untouched."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_sqs_support import (
    ACCOUNT,
    SQSClient,
    counts,
    create_queue,
    fake_sigv4_headers,
    raw_json,
    raw_post,
    receive_one,
    sqs_error,
)

Call = Callable[[SQSClient, str], Any]

HANDLE = "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a"
ENTRY = {"Id": "e1", "ReceiptHandle": HANDLE}

OPERATIONS_ON_A_QUEUE: dict[str, Call] = {
    "SendMessage": lambda c, u: c.send_message(QueueUrl=u, MessageBody="x"),
    "SendMessageBatch": lambda c, u: c.send_message_batch(
        QueueUrl=u, Entries=[{"Id": "e1", "MessageBody": "x"}]
    ),
    "ReceiveMessage": lambda c, u: c.receive_message(QueueUrl=u),
    "DeleteMessage": lambda c, u: c.delete_message(QueueUrl=u, ReceiptHandle=HANDLE),
    "DeleteMessageBatch": lambda c, u: c.delete_message_batch(QueueUrl=u, Entries=[ENTRY]),
    "ChangeMessageVisibility": lambda c, u: c.change_message_visibility(
        QueueUrl=u, ReceiptHandle=HANDLE, VisibilityTimeout=0
    ),
    "ChangeMessageVisibilityBatch": lambda c, u: c.change_message_visibility_batch(
        QueueUrl=u, Entries=[{**ENTRY, "VisibilityTimeout": 0}]
    ),
    "PurgeQueue": lambda c, u: c.purge_queue(QueueUrl=u),
    "GetQueueAttributes": lambda c, u: c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"]),
    "SetQueueAttributes": lambda c, u: c.set_queue_attributes(
        QueueUrl=u, Attributes={"VisibilityTimeout": "5"}
    ),
    "DeleteQueue": lambda c, u: c.delete_queue(QueueUrl=u),
    "TagQueue": lambda c, u: c.tag_queue(QueueUrl=u, Tags={"k": "v"}),
    "UntagQueue": lambda c, u: c.untag_queue(QueueUrl=u, TagKeys=["k"]),
    "ListQueueTags": lambda c, u: c.list_queue_tags(QueueUrl=u),
    "ListDeadLetterSourceQueues": lambda c, u: c.list_dead_letter_source_queues(QueueUrl=u),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS_ON_A_QUEUE))
def test_operations_on_unknown_queue_fail(
    sqs: SQSClient, endpoint: str, queue_name: str, operation: str
) -> None:
    url = f"{endpoint}/{ACCOUNT}/{queue_name}"

    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        OPERATIONS_ON_A_QUEUE[operation](sqs, url)


@pytest.mark.parametrize("operation", ["SendMessage", "ReceiveMessage", "GetQueueAttributes"])
def test_unknown_queue_raises_the_modelled_exception(
    sqs: SQSClient, endpoint: str, queue_name: str, operation: str
) -> None:
    url = f"{endpoint}/{ACCOUNT}/{queue_name}"

    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as info:
        OPERATIONS_ON_A_QUEUE[operation](sqs, url)

    assert info.value.response["Error"]["Message"]


def test_deleted_queue_is_unknown_to_message_operations(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.delete_queue(QueueUrl=url)

    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.send_message(QueueUrl=url, MessageBody="x")


# -- malformed requests -----------------------------------------------------------------------


def _assert_client_error(status: int, body: bytes) -> None:
    assert 400 <= status < 500, (status, body[:500])


def test_body_that_is_not_json_gets_a_4xx(endpoint: str) -> None:
    status, _, body = raw_json(endpoint, "ListQueues", b"{this is not json")

    _assert_client_error(status, body)


def test_json_body_that_is_not_an_object_gets_a_4xx(endpoint: str) -> None:
    status, _, body = raw_json(endpoint, "ListQueues", b"[1, 2, 3]")

    _assert_client_error(status, body)


def test_body_that_is_not_utf8_gets_a_4xx(endpoint: str) -> None:
    status, _, body = raw_json(endpoint, "ListQueues", b'{"QueueNamePrefix": "\xff\xfe"}')

    _assert_client_error(status, body)


def test_unknown_operation_gets_a_4xx(endpoint: str) -> None:
    status, _, body = raw_json(endpoint, "NoSuchOperation", b"{}")

    _assert_client_error(status, body)


def test_unknown_query_action_gets_a_4xx(endpoint: str) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **fake_sigv4_headers()}

    status, _, body = raw_post(endpoint, b"Action=NoSuchAction&Version=2012-11-05", headers)

    _assert_client_error(status, body)


def test_wrong_parameter_type_gets_a_4xx_and_receives_nothing(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="untouched")

    status, _, body = raw_json(
        endpoint,
        "ReceiveMessage",
        json.dumps({"QueueUrl": url, "MaxNumberOfMessages": "ten"}).encode(),
    )

    _assert_client_error(status, body)
    assert counts(sqs, url) == (1, 0, 0)


@pytest.mark.parametrize(
    "payload",
    [
        {"QueueName": 123},
        {"QueueName": None},
        {"QueueName": ["list"]},
        {"Attributes": {"VisibilityTimeout": "10"}},
    ],
    ids=["number-name", "null-name", "list-name", "missing-name"],
)
def test_malformed_create_queue_creates_nothing(
    sqs: SQSClient, endpoint: str, payload: dict[str, Any]
) -> None:
    queues_before = sqs.list_queues().get("QueueUrls", [])

    status, _, body = raw_json(endpoint, "CreateQueue", json.dumps(payload).encode())

    _assert_client_error(status, body)
    assert sqs.list_queues().get("QueueUrls", []) == queues_before


def test_wrong_attributes_type_creates_nothing(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    payload = {"QueueName": queue_name, "Attributes": ["VisibilityTimeout", "10"]}

    status, _, body = raw_json(endpoint, "CreateQueue", json.dumps(payload).encode())

    _assert_client_error(status, body)
    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=queue_name)


def test_missing_required_parameter_gets_a_4xx(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)

    status, _, body = raw_json(endpoint, "SendMessage", json.dumps({"QueueUrl": url}).encode())

    _assert_client_error(status, body)
    assert counts(sqs, url) == (0, 0, 0)


def test_error_response_carries_query_error_header(endpoint: str, queue_name: str) -> None:
    # SQS's JSON protocol is awsQueryCompatible: errors carry x-amzn-query-error
    # "<query code>;<Sender|Receiver>", which SDKs use for the legacy error code.
    payload = json.dumps({"QueueName": queue_name}).encode()

    status, headers, body = raw_json(endpoint, "GetQueueUrl", payload)

    assert status == 400
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    error = json.loads(body)
    assert error["__type"].endswith("QueueDoesNotExist")
    assert error["message"]


def test_server_keeps_serving_after_bad_requests(
    sqs: SQSClient, endpoint: str, queue_name: str
) -> None:
    for bad in (b"", b"{", b"\x00\x01\x02", b"null", b'{"QueueUrl": {"nested": true}}'):
        status, _, body = raw_json(endpoint, "SendMessage", bad)
        _assert_client_error(status, body)

    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="still fine")
    assert receive_one(sqs, url)["Body"] == "still fine"
