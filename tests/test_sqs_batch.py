"""SendMessageBatch: per-entry results, batch limits and partial failures."""

from __future__ import annotations

from typing import Any

import pytest
from test_sqs_support import (
    SQSClient,
    counts,
    create_queue,
    md5_hex,
    md5_of_attributes,
    receive_n,
    sqs_error,
)


def _entries(count: int, body: str = "m", **extra: Any) -> list[dict[str, Any]]:
    return [{"Id": f"id-{i}", "MessageBody": f"{body}{i}", **extra} for i in range(count)]


def test_send_message_batch_reports_every_entry(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    attrs = {"kind": {"DataType": "String", "StringValue": "batch"}}
    entries = _entries(3) + [{"Id": "with_attrs", "MessageBody": "a", "MessageAttributes": attrs}]

    response = sqs.send_message_batch(QueueUrl=url, Entries=entries)

    assert response.get("Failed", []) == []
    by_id = {entry["Id"]: entry for entry in response["Successful"]}
    assert set(by_id) == {"id-0", "id-1", "id-2", "with_attrs"}
    for entry in entries:
        result = by_id[entry["Id"]]
        assert result["MD5OfMessageBody"] == md5_hex(entry["MessageBody"])
        assert result["MessageId"]
    assert by_id["with_attrs"]["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert len({r["MessageId"] for r in response["Successful"]}) == 4

    received = receive_n(sqs, url, 4, MessageAttributeNames=["All"])
    assert {m["MessageId"]: m["Body"] for m in received} == {
        by_id[e["Id"]]["MessageId"]: e["MessageBody"] for e in entries
    }


def test_send_message_batch_accepts_ten_entries(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    response = sqs.send_message_batch(QueueUrl=url, Entries=_entries(10))

    assert len(response["Successful"]) == 10
    assert counts(sqs, url) == (10, 0, 0)


def test_send_message_batch_entry_delay(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "now", "MessageBody": "now"},
            {"Id": "later", "MessageBody": "later", "DelaySeconds": 300},
        ],
    )

    assert [m["Body"] for m in receive_n(sqs, url, 1)] == ["now"]
    assert counts(sqs, url) == (0, 1, 1)


def test_batch_ids_accept_80_alphanumeric_hyphen_underscore_chars(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    long_id = ("Ab9-_" * 16)[:80]

    response = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": long_id, "MessageBody": "x"}])

    assert [entry["Id"] for entry in response["Successful"]] == [long_id]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (_entries(11), "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
        (
            [{"Id": "dup", "MessageBody": "a"}, {"Id": "dup", "MessageBody": "b"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "bad id!", "MessageBody": "a"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": "x" * 81, "MessageBody": "a"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": "dot.id", "MessageBody": "a"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
    ],
    ids=["empty", "eleven", "duplicate-ids", "bad-chars", "81-chars", "dot"],
)
def test_send_message_batch_request_errors(
    sqs: SQSClient, queue_name: str, entries: list[dict[str, Any]], code: str
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error(code):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)

    # A rejected batch sends nothing.
    assert counts(sqs, url) == (0, 0, 0)


def test_batch_exceeding_total_size_is_rejected(sqs: SQSClient, queue_name: str) -> None:
    # The total payload of a batch is limited to 1 MiB (1,048,576 bytes); each entry here
    # is well under the per-message limit, but ten of them are not.
    url = create_queue(sqs, queue_name)
    entries = _entries(10, body="b" * (110 * 1024))

    with sqs_error("AWS.SimpleQueueService.BatchRequestTooLong"):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)

    assert counts(sqs, url) == (0, 0, 0)


def test_batch_reports_partial_failures(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"MaximumMessageSize": "1024"})

    response = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "small"},
            {"Id": "too_big", "MessageBody": "x" * 1025},
            {"Id": "ok2", "MessageBody": "small too"},
        ],
    )

    assert sorted(entry["Id"] for entry in response["Successful"]) == ["ok", "ok2"]
    [failed] = response["Failed"]
    assert failed["Id"] == "too_big"
    assert failed["SenderFault"] is True
    assert failed["Code"] == "InvalidParameterValue"
    assert sorted(m["Body"] for m in receive_n(sqs, url, 2)) == ["small", "small too"]
