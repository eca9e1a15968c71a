"""SendMessage and ReceiveMessage on standard queues: bodies, MD5s, message attributes,
system attributes, delays, long polling and size limits."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from test_sqs_support import (
    SQSClient,
    attributes,
    counts,
    create_queue,
    make_visible,
    md5_hex,
    md5_of_attributes,
    receive,
    receive_n,
    receive_one,
    sqs_error,
)

TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

ALL_TYPES: dict[str, dict[str, Any]] = {
    "text": {"DataType": "String", "StringValue": "h\u00e9llo w\u00f6rld \u2713"},
    "count": {"DataType": "Number", "StringValue": "12345.678"},
    "blob": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
    "label": {"DataType": "String.custom", "StringValue": "tagged"},
    "image": {"DataType": "Binary.png", "BinaryValue": b"\x89PNG\r\n\x1a\n"},
    "price": {"DataType": "Number.float", "StringValue": "-0.5"},
}


# -- send / receive ----------------------------------------------------------------------------


def test_send_message_returns_id_and_body_md5(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    response = sqs.send_message(QueueUrl=url, MessageBody="hello world")

    assert response["MD5OfMessageBody"] == md5_hex("hello world")
    assert response["MessageId"]
    assert "MD5OfMessageAttributes" not in response


def test_received_message_matches_sent_message(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sent = sqs.send_message(QueueUrl=url, MessageBody='{"order": 42}')

    message = receive_one(sqs, url)

    assert message["Body"] == '{"order": 42}'
    assert message["MessageId"] == sent["MessageId"]
    assert message["MD5OfBody"] == md5_hex('{"order": 42}')
    assert message["ReceiptHandle"]


def test_unicode_and_xml_bodies_round_trip(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    bodies = [
        "caf\u00e9 \u2603 \U0001f680",
        '<xml attr="1">&amp; &lt;tag&gt;</xml>',
        "tab\tnewline\ncarriage\r",
        " leading and trailing spaces ",
    ]
    for body in bodies:
        assert sqs.send_message(QueueUrl=url, MessageBody=body)["MD5OfMessageBody"] == md5_hex(body)

    received = receive_n(sqs, url, len(bodies))

    assert sorted(m["Body"] for m in received) == sorted(bodies)
    for message in received:
        assert message["MD5OfBody"] == md5_hex(message["Body"])


def test_message_ids_are_unique(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    ids = {sqs.send_message(QueueUrl=url, MessageBody="same")["MessageId"] for _ in range(5)}

    assert len(ids) == 5


def test_receive_from_empty_queue_returns_no_messages(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    response = sqs.receive_message(QueueUrl=url)

    assert response.get("Messages", []) == []


def test_receive_returns_at_most_max_number_of_messages(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    for i in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")

    assert len(receive(sqs, url, MaxNumberOfMessages=1)) <= 1
    assert len(receive(sqs, url, MaxNumberOfMessages=3)) <= 3
    assert len(receive(sqs, url, MaxNumberOfMessages=10)) <= 10


def test_receive_defaults_to_one_message(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")

    response = sqs.receive_message(QueueUrl=url)

    assert len(response.get("Messages", [])) <= 1


def test_every_sent_message_is_received_once(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    bodies = {f"message-{i}" for i in range(25)}
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)

    received = receive_n(sqs, url, len(bodies))

    assert {m["Body"] for m in received} == bodies


@pytest.mark.parametrize("value", [0, 11, -1])
def test_max_number_of_messages_outside_1_to_10_is_rejected(
    sqs: SQSClient, queue_name: str, value: int
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=value)


def test_wait_time_seconds_above_20_is_rejected(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)


# -- message attributes -------------------------------------------------------------------------


def test_message_attributes_of_every_type_round_trip(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    sent = sqs.send_message(QueueUrl=url, MessageBody="typed", MessageAttributes=ALL_TYPES)

    assert sent["MD5OfMessageBody"] == md5_hex("typed")
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(ALL_TYPES)
    message = receive_one(sqs, url, MessageAttributeNames=["All"])
    assert message["MessageAttributes"] == ALL_TYPES
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(ALL_TYPES)


def test_message_attributes_are_not_returned_unless_requested(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ALL_TYPES)

    message = receive_one(sqs, url)

    assert "MessageAttributes" not in message


ATTRS_FOR_FILTERS: dict[str, dict[str, Any]] = {
    "foo.a": {"DataType": "String", "StringValue": "1"},
    "foo.b": {"DataType": "Number", "StringValue": "2"},
    "food": {"DataType": "String", "StringValue": "3"},
    "bar": {"DataType": "String", "StringValue": "4"},
}


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (["All"], {"foo.a", "foo.b", "food", "bar"}),
        ([".*"], {"foo.a", "foo.b", "food", "bar"}),
        (["foo.*"], {"foo.a", "foo.b"}),
        (["bar"], {"bar"}),
        (["bar", "foo.b"], {"bar", "foo.b"}),
        (["missing"], set()),
    ],
    ids=["All", "dot-star", "prefix", "exact", "two-names", "unknown"],
)
def test_message_attribute_names_select_attributes(
    sqs: SQSClient, queue_name: str, requested: list[str], expected: set[str]
) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRS_FOR_FILTERS)

    message = receive_one(sqs, url, MessageAttributeNames=requested)

    returned = message.get("MessageAttributes", {})
    assert set(returned) == expected
    for name in expected:
        assert returned[name] == ATTRS_FOR_FILTERS[name]
    # The digest covers the attributes returned, as AWS computes it.
    if expected:
        assert message["MD5OfMessageAttributes"] == md5_of_attributes(returned)


def test_message_system_attribute_aws_trace_header(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}}

    sent = sqs.send_message(QueueUrl=url, MessageBody="traced", MessageSystemAttributes=system)

    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes(system)
    message = receive_one(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert message["Attributes"]["AWSTraceHeader"] == TRACE_HEADER


def test_too_many_message_attributes_are_rejected(sqs: SQSClient, queue_name: str) -> None:
    # "Each message can have up to 10 attributes."
    url = create_queue(sqs, queue_name)
    eleven = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(11)}

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=eleven)

    assert counts(sqs, url) == (0, 0, 0)


@pytest.mark.parametrize(
    "name", ["AWS.reserved", "Amazon.reserved", ".leading", "trailing.", "a..b"]
)
def test_invalid_message_attribute_names_are_rejected(
    sqs: SQSClient, queue_name: str, name: str
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageAttributes={name: {"DataType": "String", "StringValue": "v"}},
        )


def test_empty_message_attribute_value_is_rejected(sqs: SQSClient, queue_name: str) -> None:
    # "The Name, Type, Value, and the message body must not be empty or null."
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageAttributes={"empty": {"DataType": "String", "StringValue": ""}},
        )

    assert counts(sqs, url) == (0, 0, 0)


# -- system attributes on receive -----------------------------------------------------------------


def test_receive_reports_system_attributes(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    before_ms = int(time.time() * 1000)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    after_ms = int(time.time() * 1000)

    message = receive_one(sqs, url, MessageSystemAttributeNames=["All"])

    attrs = message["Attributes"]
    assert attrs["ApproximateReceiveCount"] == "1"
    # SentTimestamp and ApproximateFirstReceiveTimestamp are epoch milliseconds.
    sent = int(attrs["SentTimestamp"])
    assert before_ms - 2000 <= sent <= after_ms + 2000
    first = int(attrs["ApproximateFirstReceiveTimestamp"])
    assert sent <= first <= int(time.time() * 1000) + 2000
    assert attrs["SenderId"]


def test_deprecated_attribute_names_parameter_still_works(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    message = receive_one(sqs, url, AttributeNames=["All"])

    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in message["Attributes"]


def test_receive_returns_only_requested_system_attributes(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    message = receive_one(sqs, url, MessageSystemAttributeNames=["SentTimestamp"])

    assert set(message["Attributes"]) == {"SentTimestamp"}


def test_system_attributes_are_not_returned_unless_requested(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    message = receive_one(sqs, url)

    assert message.get("Attributes", {}) == {}


def test_approximate_receive_count_increments_on_each_receive(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    first = receive_one(sqs, url, MessageSystemAttributeNames=["All"])
    make_visible(sqs, url, first)
    second = receive_one(sqs, url, MessageSystemAttributeNames=["All"])
    make_visible(sqs, url, second)
    third = receive_one(sqs, url, MessageSystemAttributeNames=["All"])

    assert [m["Attributes"]["ApproximateReceiveCount"] for m in (first, second, third)] == [
        "1",
        "2",
        "3",
    ]
    # The first-receive time is fixed at the first receive; every receive has a new handle.
    stamps = {m["Attributes"]["ApproximateFirstReceiveTimestamp"] for m in (first, second, third)}
    assert len(stamps) == 1
    assert len({m["ReceiptHandle"] for m in (first, second, third)}) == 3
    assert len({m["MessageId"] for m in (first, second, third)}) == 1


# -- delays ------------------------------------------------------------------------------------


def test_delayed_message_is_not_received_before_its_delay(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=120)

    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 0, 1)


def test_delayed_message_arrives_after_its_delay(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)

    assert receive_one(sqs, url, timeout=15)["Body"] == "soon"


def test_queue_delay_applies_to_messages_without_their_own(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"DelaySeconds": "120"})

    sqs.send_message(QueueUrl=url, MessageBody="queue-delayed")
    sqs.send_message(QueueUrl=url, MessageBody="not delayed", DelaySeconds=0)

    assert [m["Body"] for m in receive(sqs, url)] == ["not delayed"]
    assert counts(sqs, url) == (0, 1, 1)


@pytest.mark.parametrize("delay", [-1, 901])
def test_message_delay_outside_0_to_900_is_rejected(
    sqs: SQSClient, queue_name: str, delay: int
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=delay)

    assert counts(sqs, url) == (0, 0, 0)


# -- long polling -------------------------------------------------------------------------------


def _send_soon(sqs: SQSClient, url: str, body: str) -> threading.Timer:
    timer = threading.Timer(0.5, lambda: sqs.send_message(QueueUrl=url, MessageBody=body))
    timer.start()
    return timer


def test_long_poll_returns_a_message_sent_while_waiting(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(receive, sqs, url, WaitTimeSeconds=10)
        sender = _send_soon(sqs, url, "arrived")
        messages = waiting.result(timeout=30)
        sender.join()

    assert [m["Body"] for m in messages] == ["arrived"]


def test_queue_receive_wait_time_enables_long_polling(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"ReceiveMessageWaitTimeSeconds": "10"})

    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(receive, sqs, url)
        sender = _send_soon(sqs, url, "arrived")
        messages = waiting.result(timeout=30)
        sender.join()

    assert [m["Body"] for m in messages] == ["arrived"]


def test_long_poll_on_empty_queue_returns_no_messages(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    assert receive(sqs, url, WaitTimeSeconds=1) == []


# -- size limits --------------------------------------------------------------------------------


def test_message_at_maximum_size_is_accepted(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"MaximumMessageSize": "1024"})

    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)

    assert receive_one(sqs, url)["Body"] == "x" * 1024


def test_message_above_queue_maximum_size_is_rejected(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"MaximumMessageSize": "1024"})

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)

    assert counts(sqs, url) == (0, 0, 0)


def test_message_attributes_count_towards_maximum_size(sqs: SQSClient, queue_name: str) -> None:
    # "All components of a message attribute are included in the message size restriction."
    url = create_queue(sqs, queue_name, {"MaximumMessageSize": "1024"})

    with sqs_error("InvalidParameterValue"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x" * 1000,
            MessageAttributes={"pad": {"DataType": "String", "StringValue": "y" * 100}},
        )


def test_body_size_is_measured_in_utf8_bytes(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"MaximumMessageSize": "1024"})

    # 600 characters, 1200 bytes.
    with sqs_error("InvalidParameterValue"):
        sqs.send_message(QueueUrl=url, MessageBody="\u00e9" * 600)


def test_one_mebibyte_message_is_accepted_by_default(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    body = "z" * 1048576

    sent = sqs.send_message(QueueUrl=url, MessageBody=body)

    assert sent["MD5OfMessageBody"] == md5_hex(body)
    assert receive_one(sqs, url)["Body"] == body


def test_empty_body_is_rejected(sqs: SQSClient, queue_name: str) -> None:
    # MessageBody: "The minimum size is one character."
    url = create_queue(sqs, queue_name)

    with pytest.raises(sqs.exceptions.ClientError) as info:
        sqs.send_message(QueueUrl=url, MessageBody="")

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert attributes(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"
