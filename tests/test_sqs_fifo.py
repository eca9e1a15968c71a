"""FIFO queues: ordering per message group, group locking, deduplication, sequence
numbers and the FIFO-only parameters."""

from __future__ import annotations

from typing import Any

import pytest
from test_sqs_support import (
    Message,
    SQSClient,
    attributes,
    counts,
    create_fifo_queue,
    fifo_name,
    receive,
    receive_n,
    sqs_error,
    wait_until,
)


def _send(
    sqs: SQSClient, url: str, body: str, group: str = "g", dedup: str | None = None
) -> dict[str, Any]:
    """Send to a FIFO queue; the deduplication id defaults to the body."""
    result: dict[str, Any] = sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=dedup or body,
    )
    return result


def _drain(sqs: SQSClient, url: str, count: int) -> list[Message]:
    """Receive and delete until `count` messages have been consumed, in delivery order."""
    consumed: list[Message] = []

    def step() -> bool:
        for message in receive(sqs, url, MessageSystemAttributeNames=["All"]):
            consumed.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(consumed) >= count

    wait_until(step)
    assert len(consumed) == count
    return consumed


def test_messages_of_a_group_are_delivered_in_send_order(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)
    bodies = [f"m{i}" for i in range(8)]
    for body in bodies:
        _send(sqs, url, body)

    assert [m["Body"] for m in _drain(sqs, url, len(bodies))] == bodies


def test_batch_messages_are_enqueued_in_entry_order(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)
    entries = [
        {
            "Id": f"e{i}",
            "MessageBody": f"b{i}",
            "MessageGroupId": "g",
            "MessageDeduplicationId": f"d{i}",
        }
        for i in range(10)
    ]

    response = sqs.send_message_batch(QueueUrl=url, Entries=entries)

    assert response.get("Failed", []) == []
    by_id = {entry["Id"]: entry for entry in response["Successful"]}
    numbers = [int(by_id[f"e{i}"]["SequenceNumber"]) for i in range(10)]
    assert numbers == sorted(set(numbers))
    assert [m["Body"] for m in _drain(sqs, url, 10)] == [f"b{i}" for i in range(10)]


def test_each_group_keeps_its_own_order(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)
    for i in range(4):
        _send(sqs, url, f"a{i}", group="A")
        _send(sqs, url, f"b{i}", group="B")

    consumed = _drain(sqs, url, 8)

    by_group: dict[str, list[str]] = {}
    for message in consumed:
        by_group.setdefault(message["Attributes"]["MessageGroupId"], []).append(message["Body"])
    assert by_group == {"A": ["a0", "a1", "a2", "a3"], "B": ["b0", "b1", "b2", "b3"]}


def test_group_is_blocked_while_a_message_is_in_flight(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)
    _send(sqs, url, "a1", group="A")
    _send(sqs, url, "a2", group="A")

    [head] = receive_n(sqs, url, 1, MaxNumberOfMessages=1, VisibilityTimeout=300)
    assert head["Body"] == "a1"

    # a2 waits behind the in-flight a1; another group is not held up.
    assert receive(sqs, url) == []
    _send(sqs, url, "b1", group="B")
    assert [m["Body"] for m in receive_n(sqs, url, 1, VisibilityTimeout=300)] == ["b1"]

    sqs.delete_message(QueueUrl=url, ReceiptHandle=head["ReceiptHandle"])
    assert [m["Body"] for m in receive_n(sqs, url, 1)] == ["a2"]


def test_group_order_survives_a_visibility_timeout(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)
    _send(sqs, url, "first")
    _send(sqs, url, "second")

    [head] = receive_n(sqs, url, 1, MaxNumberOfMessages=1, VisibilityTimeout=300)
    assert head["Body"] == "first"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=head["ReceiptHandle"], VisibilityTimeout=0
    )

    # The returned message is delivered again before the rest of its group.
    assert [m["Body"] for m in _drain(sqs, url, 2)] == ["first", "second"]


def test_explicit_deduplication_id_drops_duplicates(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)

    first = _send(sqs, url, "original", dedup="dedup-1")
    duplicate = _send(sqs, url, "different body, same id", dedup="dedup-1")

    # "any messages sent with the same MessageDeduplicationId are accepted successfully but
    # aren't delivered during the 5-minute deduplication interval"
    assert duplicate["MessageId"] == first["MessageId"]
    assert [m["Body"] for m in _drain(sqs, url, 1)] == ["original"]
    assert counts(sqs, url) == (0, 0, 0)


def test_deduplication_outlives_deletion(sqs: SQSClient, queue_name: str) -> None:
    # "Amazon SQS continues tracking the deduplication ID even after the message has been
    # received and deleted."
    url = create_fifo_queue(sqs, queue_name)
    _send(sqs, url, "once", dedup="d")
    _drain(sqs, url, 1)

    _send(sqs, url, "once again", dedup="d")

    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 0, 0)


def test_content_based_deduplication(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name, {"ContentBasedDeduplication": "true"})

    first = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    again = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    other = sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")

    assert again["MessageId"] == first["MessageId"]
    assert other["MessageId"] != first["MessageId"]
    assert [m["Body"] for m in _drain(sqs, url, 2)] == ["same", "other"]
    assert counts(sqs, url) == (0, 0, 0)


def test_content_based_deduplication_ignores_attributes(sqs: SQSClient, queue_name: str) -> None:
    # The generated id hashes "the body of the message (but not the attributes)".
    url = create_fifo_queue(sqs, queue_name, {"ContentBasedDeduplication": "true"})

    sqs.send_message(QueueUrl=url, MessageBody="body", MessageGroupId="g")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="body",
        MessageGroupId="g",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )

    assert len(_drain(sqs, url, 1)) == 1
    assert counts(sqs, url) == (0, 0, 0)


def test_explicit_id_overrides_content_based_deduplication(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name, {"ContentBasedDeduplication": "true"})

    _send(sqs, url, "same", dedup="one")
    _send(sqs, url, "same", dedup="two")

    assert [m["Body"] for m in _drain(sqs, url, 2)] == ["same", "same"]


def test_deduplication_scope_message_group(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(
        sqs,
        queue_name,
        {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
    )

    # The same deduplication id in two groups: two distinct messages.
    _send(sqs, url, "in A", group="A", dedup="shared")
    _send(sqs, url, "in B", group="B", dedup="shared")
    _send(sqs, url, "A again", group="A", dedup="shared")

    assert sorted(m["Body"] for m in _drain(sqs, url, 2)) == ["in A", "in B"]
    assert counts(sqs, url) == (0, 0, 0)


def test_high_throughput_attributes_are_accepted(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)

    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )

    attrs = attributes(sqs, url, "DeduplicationScope", "FifoThroughputLimit")
    assert attrs == {
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }


def test_fifo_defaults(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)

    attrs = attributes(sqs, url)

    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


def test_per_message_group_throughput_needs_message_group_scope(
    sqs: SQSClient, queue_name: str
) -> None:
    # "The perMessageGroupId value is allowed only when the value for DeduplicationScope is
    # messageGroup."
    url = create_fifo_queue(sqs, queue_name)

    with sqs_error("InvalidAttributeValue"):
        sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={"DeduplicationScope": "queue", "FifoThroughputLimit": "perMessageGroupId"},
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DeduplicationScope", "everything"),
        ("FifoThroughputLimit", "perSecond"),
        ("ContentBasedDeduplication", "maybe"),
    ],
)
def test_invalid_fifo_attribute_values_are_rejected(
    sqs: SQSClient, queue_name: str, name: str, value: str
) -> None:
    url = create_fifo_queue(sqs, queue_name)

    with sqs_error("InvalidAttributeValue"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})


def test_sequence_numbers_increase(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)

    sent = [_send(sqs, url, f"m{i}") for i in range(5)]

    numbers = [s["SequenceNumber"] for s in sent]
    assert all(n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted({int(n) for n in numbers})
    received = _drain(sqs, url, 5)
    assert [m["Attributes"]["SequenceNumber"] for m in received] == numbers


def test_receive_reports_fifo_system_attributes(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)
    sent = _send(sqs, url, "x", group="group-7", dedup="dedup-7")

    [message] = receive_n(sqs, url, 1, MessageSystemAttributeNames=["All"])

    attrs = message["Attributes"]
    assert attrs["MessageGroupId"] == "group-7"
    assert attrs["MessageDeduplicationId"] == "dedup-7"
    assert attrs["SequenceNumber"] == sent["SequenceNumber"]
    assert attrs["ApproximateReceiveCount"] == "1"


def test_fifo_send_requires_message_group_id(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name, {"ContentBasedDeduplication": "true"})

    with sqs_error("MissingParameter"):
        sqs.send_message(QueueUrl=url, MessageBody="x")

    assert counts(sqs, url) == (0, 0, 0)


def test_fifo_send_requires_deduplication_id_or_content_based(
    sqs: SQSClient, queue_name: str
) -> None:
    # "If you don't provide a MessageDeduplicationId and the queue doesn't have
    # ContentBasedDeduplication set, the action fails with an error."
    url = create_fifo_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")

    assert counts(sqs, url) == (0, 0, 0)


def test_fifo_rejects_per_message_delay(sqs: SQSClient, queue_name: str) -> None:
    # "When you set FifoQueue, you can't set DelaySeconds per message."
    url = create_fifo_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d",
            DelaySeconds=5,
        )


@pytest.mark.parametrize(
    "entry",
    [
        {"Id": "no_group", "MessageBody": "b", "MessageDeduplicationId": "d"},
        {"Id": "no_dedup", "MessageBody": "b", "MessageGroupId": "g"},
    ],
    ids=["missing-group", "missing-dedup-id"],
)
def test_fifo_batch_with_an_incomplete_entry_is_rejected(
    sqs: SQSClient, queue_name: str, entry: dict[str, str]
) -> None:
    # AWS rejects the whole batch with InvalidParameterValue ("The request must contain the
    # parameter MessageGroupId." / "The queue should either have ContentBasedDeduplication
    # enabled or MessageDeduplicationId provided explicitly").
    url = create_fifo_queue(sqs, queue_name)
    complete = {
        "Id": "ok",
        "MessageBody": "a",
        "MessageGroupId": "g",
        "MessageDeduplicationId": "a",
    }

    with sqs_error("InvalidParameterValue"):
        sqs.send_message_batch(QueueUrl=url, Entries=[complete, entry])

    assert counts(sqs, url) == (0, 0, 0)


def test_fifo_delete_with_expired_receipt_handle_fails(sqs: SQSClient, queue_name: str) -> None:
    # On FIFO queues AWS refuses a receipt handle whose visibility timeout has passed:
    # InvalidParameterValue, "The receipt handle has expired."
    url = create_fifo_queue(sqs, queue_name)
    _send(sqs, url, "g1-m1")
    [message] = receive_n(sqs, url, 1, VisibilityTimeout=1)
    wait_until(lambda: counts(sqs, url)[0] == 1, timeout=15)

    with sqs_error("InvalidParameterValue"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    assert counts(sqs, url)[0] == 1


def test_fifo_queue_level_delay_is_allowed(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name, {"DelaySeconds": "120"})

    _send(sqs, url, "delayed")

    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 0, 1)


def test_fifo_queue_url_ends_with_fifo_name(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)

    assert url.endswith("/" + fifo_name(queue_name))
    assert sqs.get_queue_url(QueueName=fifo_name(queue_name))["QueueUrl"] == url
