"""Durability: nothing acknowledged is lost across a kill -9 or a clean restart.

Each test runs its own server on a temporary data directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_sqs_support import (
    SQSClient,
    attributes,
    counts,
    create_fifo_queue,
    create_queue,
    derived_name,
    make_client,
    queue_arn,
    receive_n,
    receive_one,
)

from cloudlet.testing import CloudletServer


@pytest.fixture
def durable_server(tmp_path: Path) -> Iterator[CloudletServer]:
    instance = CloudletServer(data_dir=tmp_path / "data", ephemeral=False)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def _client(server: CloudletServer) -> SQSClient:
    return make_client(server.endpoint_url)


def _path(url: str) -> str:
    return urlsplit(url).path


def test_sent_message_survives_kill_9(durable_server: CloudletServer, queue_name: str) -> None:
    sqs = _client(durable_server)
    url = create_queue(sqs, queue_name)
    sent = sqs.send_message(QueueUrl=url, MessageBody="acknowledged")

    durable_server.kill()
    durable_server.start()

    sqs = _client(durable_server)
    message = receive_one(sqs, sqs.get_queue_url(QueueName=queue_name)["QueueUrl"])
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "acknowledged"


def test_batch_and_attributes_survive_kill_9(
    durable_server: CloudletServer, queue_name: str
) -> None:
    sqs = _client(durable_server)
    url = create_queue(sqs, queue_name)
    attrs = {
        "text": {"DataType": "String", "StringValue": "v"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    }
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"e{i}", "MessageBody": f"m{i}", "MessageAttributes": attrs} for i in range(5)
        ],
    )

    durable_server.kill()
    durable_server.start()

    sqs = _client(durable_server)
    received = receive_n(sqs, url, 5, MessageAttributeNames=["All"])
    assert sorted(m["Body"] for m in received) == [f"m{i}" for i in range(5)]
    assert all(m["MessageAttributes"] == attrs for m in received)


def test_deleted_message_stays_deleted_after_kill_9(
    durable_server: CloudletServer, queue_name: str
) -> None:
    sqs = _client(durable_server)
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="done")
    sqs.send_message(QueueUrl=url, MessageBody="pending")
    for message in receive_n(sqs, url, 2):
        if message["Body"] == "done":
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        else:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    durable_server.kill()
    durable_server.start()

    sqs = _client(durable_server)
    assert [m["Body"] for m in receive_n(sqs, url, 1)] == ["pending"]


def test_queue_attributes_and_tags_survive_restart(
    durable_server: CloudletServer, queue_name: str
) -> None:
    sqs = _client(durable_server)
    dlq_name = derived_name(queue_name, "-dlq")
    create_queue(sqs, dlq_name)
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(dlq_name), "maxReceiveCount": 3})
    url = create_queue(
        sqs,
        queue_name,
        {"VisibilityTimeout": "77", "DelaySeconds": "4", "RedrivePolicy": redrive},
        tags={"team": "storage"},
    )
    before = attributes(sqs, url)

    durable_server.stop()
    durable_server.start()

    sqs = _client(durable_server)
    # The server may come back on another port: compare the URLs' paths.
    assert _path(sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]) == _path(url)
    after = attributes(sqs, url)
    for name in ("VisibilityTimeout", "DelaySeconds", "QueueArn", "CreatedTimestamp"):
        assert after[name] == before[name]
    assert json.loads(after["RedrivePolicy"]) == json.loads(before["RedrivePolicy"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "storage"}
    sources = sqs.list_dead_letter_source_queues(
        QueueUrl=sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    )["queueUrls"]
    assert [_path(source) for source in sources] == [_path(url)]


def test_fifo_order_and_deduplication_survive_restart(
    durable_server: CloudletServer, queue_name: str
) -> None:
    sqs = _client(durable_server)
    url = create_fifo_queue(sqs, queue_name, {"ContentBasedDeduplication": "true"})
    first = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g")

    durable_server.stop()
    durable_server.start()

    sqs = _client(durable_server)
    # Still inside the 5-minute deduplication interval.
    again = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]
    assert counts(sqs, url)[0] == 2
    bodies = []
    for _ in range(2):
        message = receive_one(sqs, url, MaxNumberOfMessages=1)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        bodies.append(message["Body"])
    assert bodies == ["one", "two"]


def test_deleted_queue_stays_deleted_after_restart(
    durable_server: CloudletServer, queue_name: str
) -> None:
    sqs = _client(durable_server)
    url = create_queue(sqs, queue_name)
    sqs.delete_queue(QueueUrl=url)

    durable_server.stop()
    durable_server.start()

    sqs = _client(durable_server)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=queue_name)


def test_message_counts_follow_sends_deletes_redrive_and_kill_9(
    durable_server: CloudletServer, queue_name: str
) -> None:
    sqs = _client(durable_server)
    dlq_name = derived_name(queue_name, "-dlq")
    dlq = create_queue(sqs, dlq_name)
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(dlq_name), "maxReceiveCount": 1})
    url = create_queue(sqs, queue_name, {"RedrivePolicy": redrive})
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(6)]
    )
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    received = receive_n(sqs, url, 6, VisibilityTimeout=0)
    for message in received[:2]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # Received once with maxReceiveCount 1: the next receive moves the other 4 to the DLQ.
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    assert counts(sqs, url) == (0, 0, 1)
    assert counts(sqs, dlq) == (4, 0, 0)

    durable_server.kill()
    durable_server.start()

    sqs = _client(durable_server)
    assert counts(sqs, url) == (0, 0, 1)
    assert counts(sqs, dlq) == (4, 0, 0)
    sqs.purge_queue(QueueUrl=dlq)
    assert counts(sqs, dlq) == (0, 0, 0)
