"""In-flight messages: visibility timeouts, ChangeMessageVisibility(Batch),
DeleteMessage(Batch) and PurgeQueue."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError
from test_sqs_support import (
    SQSClient,
    counts,
    create_queue,
    derived_name,
    make_visible,
    receive,
    receive_n,
    receive_one,
    sqs_error,
    wait_until,
)

GARBAGE_HANDLE = "this-is-not-a-receipt-handle"


# -- visibility timeout -------------------------------------------------------------------------


def test_received_message_is_hidden_from_other_receivers(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    receive_one(sqs, url, VisibilityTimeout=60)

    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 1, 0)


def test_message_reappears_after_visibility_timeout(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sent = sqs.send_message(QueueUrl=url, MessageBody="again")

    first = receive_one(sqs, url, VisibilityTimeout=1)
    again = receive_one(sqs, url, timeout=15, MessageSystemAttributeNames=["All"])

    assert again["MessageId"] == sent["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["ReceiptHandle"] != first["ReceiptHandle"]


def test_queue_visibility_timeout_is_the_default(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="x")

    receive_one(sqs, url)

    again = receive_one(sqs, url, timeout=15, MessageSystemAttributeNames=["All"])
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_receive_with_zero_visibility_leaves_message_visible(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    receive_one(sqs, url, VisibilityTimeout=0)

    assert receive_one(sqs, url)["Body"] == "x"


# -- ChangeMessageVisibility -----------------------------------------------------------------------


def test_change_visibility_to_zero_makes_message_visible(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url, VisibilityTimeout=300)

    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )

    assert receive_one(sqs, url)["MessageId"] == message["MessageId"]


def test_shortened_visibility_reaches_a_waiting_long_poll(sqs: SQSClient, queue_name: str) -> None:
    # A long poll already waiting when the timeout is shortened (as a consumer's retry
    # backoff does) gets the message once it is visible, not at the end of its wait.
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url, VisibilityTimeout=300)
    found: list[list[dict[str, str]]] = []
    started = time.monotonic()
    poll = threading.Thread(target=lambda: found.append(receive(sqs, url, WaitTimeSeconds=20)))
    poll.start()
    wait_until(lambda: counts(sqs, url) == (0, 1, 0))
    time.sleep(0.5)  # not a wait for a condition: lets the long poll start waiting first
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=1
    )
    poll.join(30)
    waited = time.monotonic() - started

    assert [m["MessageId"] for m in found[0]] == [message["MessageId"]]
    assert waited < 15  # a semantic bound, not speed: before its 20 s wait ran out


def test_change_visibility_keeps_message_in_flight(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url, VisibilityTimeout=30)

    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=600
    )

    # Still in flight, and still deletable with the same handle.
    assert counts(sqs, url) == (0, 1, 0)
    assert receive(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    wait_until(lambda: counts(sqs, url) == (0, 0, 0))


def test_change_visibility_of_message_no_longer_in_flight(sqs: SQSClient, queue_name: str) -> None:
    # AWS has been recorded accepting a change made after the visibility timeout expired:
    # the message is hidden again for the new timeout.
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url, VisibilityTimeout=300)
    make_visible(sqs, url, message)

    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=300
    )
    assert counts(sqs, url) == (0, 1, 0)


def test_change_visibility_with_garbage_handle_fails(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("ReceiptHandleIsInvalid"):
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=GARBAGE_HANDLE, VisibilityTimeout=0
        )


def test_change_visibility_above_12_hours_is_rejected(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url, VisibilityTimeout=300)

    with sqs_error("InvalidParameterValue"):
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=43201
        )


def test_change_visibility_batch_reports_each_entry(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    for i in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    messages = receive_n(sqs, url, 2, VisibilityTimeout=300)

    response = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": messages[1]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": GARBAGE_HANDLE, "VisibilityTimeout": 0},
        ],
    )

    assert sorted(entry["Id"] for entry in response["Successful"]) == ["a", "b"]
    [failed] = response["Failed"]
    assert failed["Id"] == "bad"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True
    wait_until(lambda: counts(sqs, url) == (2, 0, 0))


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "ReceiptHandle": GARBAGE_HANDLE} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "same", "ReceiptHandle": GARBAGE_HANDLE}] * 2,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        (
            [{"Id": "no spaces", "ReceiptHandle": GARBAGE_HANDLE}],
            "AWS.SimpleQueueService.InvalidBatchEntryId",
        ),
    ],
    ids=["empty", "eleven", "duplicate-ids", "bad-id"],
)
def test_change_visibility_batch_request_errors(
    sqs: SQSClient, queue_name: str, entries: list[dict[str, str]], code: str
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error(code):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


# -- DeleteMessage ------------------------------------------------------------------------------


def test_delete_message_removes_it(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url, VisibilityTimeout=0)

    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    assert receive(sqs, url) == []
    wait_until(lambda: counts(sqs, url) == (0, 0, 0))


def test_delete_with_old_receipt_handle_succeeds(sqs: SQSClient, queue_name: str) -> None:
    # DeleteMessage: "If you use an old ReceiptHandle, the request will succeed, but the
    # message might not be deleted."
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    first = receive_one(sqs, url, VisibilityTimeout=300)
    make_visible(sqs, url, first)
    latest = receive_one(sqs, url, VisibilityTimeout=300)

    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])

    sqs.delete_message(QueueUrl=url, ReceiptHandle=latest["ReceiptHandle"])
    wait_until(lambda: counts(sqs, url) == (0, 0, 0))


def test_deleting_an_already_deleted_message_succeeds(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url)

    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    assert counts(sqs, url) == (0, 0, 0)


def test_delete_with_garbage_receipt_handle_fails(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=GARBAGE_HANDLE)


def test_receipt_handle_is_invalid_is_the_modelled_exception(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)

    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=GARBAGE_HANDLE)


def test_receipt_handle_of_another_queue_does_not_delete(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    other = create_queue(sqs, derived_name(queue_name, "-other"))
    sqs.send_message(QueueUrl=url, MessageBody="mine")
    sqs.send_message(QueueUrl=other, MessageBody="theirs")
    theirs = receive_one(sqs, other, VisibilityTimeout=300)

    # AWS does not document the outcome (an error is likely); either way nothing may change.
    try:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=theirs["ReceiptHandle"])
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    assert counts(sqs, url) == (1, 0, 0)
    assert counts(sqs, other) == (0, 1, 0)


def test_delete_message_batch_reports_each_entry(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    messages = receive_n(sqs, url, 3, VisibilityTimeout=300)

    response = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"e{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        + [{"Id": "bad", "ReceiptHandle": GARBAGE_HANDLE}],
    )

    assert sorted(entry["Id"] for entry in response["Successful"]) == ["e0", "e1", "e2"]
    [failed] = response["Failed"]
    assert failed["Id"] == "bad"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True
    wait_until(lambda: counts(sqs, url) == (0, 0, 0))


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "ReceiptHandle": GARBAGE_HANDLE} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "same", "ReceiptHandle": GARBAGE_HANDLE}] * 2,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        (
            [{"Id": "x" * 81, "ReceiptHandle": GARBAGE_HANDLE}],
            "AWS.SimpleQueueService.InvalidBatchEntryId",
        ),
    ],
    ids=["empty", "eleven", "duplicate-ids", "id-too-long"],
)
def test_delete_message_batch_request_errors(
    sqs: SQSClient, queue_name: str, entries: list[dict[str, str]], code: str
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error(code):
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


# -- PurgeQueue ---------------------------------------------------------------------------------


def test_purge_queue_deletes_visible_and_in_flight_messages(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    receive_one(sqs, url, MaxNumberOfMessages=1, VisibilityTimeout=1)

    sqs.purge_queue(QueueUrl=url)

    wait_until(lambda: counts(sqs, url) == (0, 0, 0))
    # The purged in-flight message does not come back when its 1 s visibility timeout ends.
    window_end = time.monotonic() + 2.5
    while time.monotonic() < window_end:
        assert receive(sqs, url) == []
        time.sleep(0.1)


def test_purge_keeps_messages_sent_afterwards_usable(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    sqs.purge_queue(QueueUrl=url)
    wait_until(lambda: counts(sqs, url) == (0, 0, 0))

    sqs.send_message(QueueUrl=url, MessageBody="new")

    assert receive_one(sqs, url)["Body"] == "new"


def test_second_purge_within_60_seconds_fails(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.purge_queue(QueueUrl=url)

    # The API reference lists HTTP 400, but AWS answers 403 on both protocols (as the
    # legacy query model declared).
    with sqs_error("AWS.SimpleQueueService.PurgeQueueInProgress", status=403):
        sqs.purge_queue(QueueUrl=url)


def test_purge_queue_in_progress_is_the_modelled_exception(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.purge_queue(QueueUrl=url)

    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=url)
