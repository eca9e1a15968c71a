"""Dead-letter queues: redrive after maxReceiveCount, ListDeadLetterSourceQueues and the
message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask)."""

from __future__ import annotations

import json
from typing import Any

from test_sqs_support import (
    SQSClient,
    attributes,
    counts,
    create_queue,
    derived_name,
    make_visible,
    queue_arn,
    receive,
    receive_n,
    receive_one,
    sqs_error,
    wait_until,
)


def _redrive_policy(dlq_name: str, max_receive_count: int) -> str:
    return json.dumps(
        {"deadLetterTargetArn": queue_arn(dlq_name), "maxReceiveCount": str(max_receive_count)}
    )


def _source_and_dlq(
    sqs: SQSClient, queue_name: str, max_receive_count: int
) -> tuple[str, str, str]:
    """Create a DLQ and a source queue redriving to it; returns (source url, dlq url, dlq name)."""
    dlq_name = derived_name(queue_name, "-dlq")
    dlq = create_queue(sqs, dlq_name)
    source = create_queue(
        sqs, queue_name, {"RedrivePolicy": _redrive_policy(dlq_name, max_receive_count)}
    )
    return source, dlq, dlq_name


def _exhaust_receives(sqs: SQSClient, source: str, max_receive_count: int) -> None:
    """Receive (and give back) the queue's single message max_receive_count times."""
    for _ in range(max_receive_count):
        make_visible(sqs, source, receive_one(sqs, source, VisibilityTimeout=300))


def _wait_until_moved_to_dlq(sqs: SQSClient, source: str, dlq: str, expected: int = 1) -> None:
    """Poll the source (which is what triggers the redrive) until the DLQ holds the messages."""

    def moved() -> bool:
        returned = receive(sqs, source)
        assert returned == [], "message delivered more than maxReceiveCount times"
        return counts(sqs, dlq)[0] == expected

    wait_until(moved)


def test_message_moves_to_dlq_after_max_receive_count(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, _ = _source_and_dlq(sqs, queue_name, max_receive_count=2)
    attrs = {"origin": {"DataType": "String", "StringValue": "source"}}
    sqs.send_message(QueueUrl=source, MessageBody="poison", MessageAttributes=attrs)

    _exhaust_receives(sqs, source, 2)
    _wait_until_moved_to_dlq(sqs, source, dlq)

    dead = receive_one(sqs, dlq, MessageAttributeNames=["All"])
    assert dead["Body"] == "poison"
    assert dead["MessageAttributes"] == attrs
    assert counts(sqs, source) == (0, 0, 0)


def test_message_is_delivered_max_receive_count_times(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, _ = _source_and_dlq(sqs, queue_name, max_receive_count=3)
    sqs.send_message(QueueUrl=source, MessageBody="x")

    receive_counts = []
    for _ in range(3):
        message = receive_one(
            sqs, source, VisibilityTimeout=300, MessageSystemAttributeNames=["All"]
        )
        receive_counts.append(message["Attributes"]["ApproximateReceiveCount"])
        make_visible(sqs, source, message)

    assert receive_counts == ["1", "2", "3"]
    _wait_until_moved_to_dlq(sqs, source, dlq)


def test_message_moves_to_dlq_after_visibility_timeouts(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, _ = _source_and_dlq(sqs, queue_name, max_receive_count=1)
    sqs.send_message(QueueUrl=source, MessageBody="slow consumer")

    receive_one(sqs, source, VisibilityTimeout=1)

    _wait_until_moved_to_dlq(sqs, source, dlq)
    assert receive_one(sqs, dlq)["Body"] == "slow consumer"


def test_deleted_message_never_reaches_dlq(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, _ = _source_and_dlq(sqs, queue_name, max_receive_count=1)
    sqs.send_message(QueueUrl=source, MessageBody="handled")

    message = receive_one(sqs, source)
    sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])

    assert receive(sqs, source) == []
    assert counts(sqs, dlq) == (0, 0, 0)


def test_list_dead_letter_source_queues(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, dlq_name = _source_and_dlq(sqs, queue_name, max_receive_count=5)
    second = create_queue(
        sqs, derived_name(queue_name, "-two"), {"RedrivePolicy": _redrive_policy(dlq_name, 5)}
    )
    create_queue(sqs, derived_name(queue_name, "-unrelated"))

    response = sqs.list_dead_letter_source_queues(QueueUrl=dlq)

    assert sorted(response["queueUrls"]) == sorted([source, second])


def test_list_dead_letter_source_queues_of_plain_queue_is_empty(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)

    assert sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", []) == []


def test_removing_redrive_policy_detaches_source(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, _ = _source_and_dlq(sqs, queue_name, max_receive_count=5)

    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})

    assert "RedrivePolicy" not in attributes(sqs, source)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", []) == []


# -- message move tasks ---------------------------------------------------------------------------


def _dead_letters(sqs: SQSClient, queue_name: str, bodies: list[str]) -> tuple[str, str, str]:
    """A source queue and a DLQ holding `bodies` (visible); returns (source, dlq, dlq name)."""
    source, dlq, dlq_name = _source_and_dlq(sqs, queue_name, max_receive_count=1)
    for body in bodies:
        sqs.send_message(QueueUrl=source, MessageBody=body)
    for message in receive_n(sqs, source, len(bodies), VisibilityTimeout=300):
        make_visible(sqs, source, message)
    _wait_until_moved_to_dlq(sqs, source, dlq, expected=len(bodies))
    # Allow the messages several more receives once they are back in the source queue.
    sqs.set_queue_attributes(
        QueueUrl=source, Attributes={"RedrivePolicy": _redrive_policy(dlq_name, 10)}
    )
    return source, dlq, dlq_name


def _finished_task(sqs: SQSClient, dlq_name: str) -> dict[str, Any]:
    def latest_completed() -> dict[str, Any] | None:
        results = sqs.list_message_move_tasks(SourceArn=queue_arn(dlq_name))["Results"]
        assert results, "ListMessageMoveTasks shows no task"
        task: dict[str, Any] = results[0]
        assert task["Status"] in ("RUNNING", "COMPLETED"), task
        return task if task["Status"] == "COMPLETED" else None

    return wait_until(latest_completed, timeout=30)


def test_move_task_redrives_to_original_source(sqs: SQSClient, queue_name: str) -> None:
    bodies = ["one", "two", "three"]
    source, dlq, dlq_name = _dead_letters(sqs, queue_name, bodies)

    started = sqs.start_message_move_task(SourceArn=queue_arn(dlq_name))

    assert started["TaskHandle"]
    task = _finished_task(sqs, dlq_name)
    assert task["SourceArn"] == queue_arn(dlq_name)
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task.get("DestinationArn") is None
    wait_until(lambda: counts(sqs, source) == (3, 0, 0))
    assert counts(sqs, dlq) == (0, 0, 0)
    assert sorted(m["Body"] for m in receive_n(sqs, source, 3)) == sorted(bodies)


def test_move_task_to_explicit_destination(sqs: SQSClient, queue_name: str) -> None:
    source, dlq, dlq_name = _dead_letters(sqs, queue_name, ["lost"])
    target_name = derived_name(queue_name, "-target")
    target = create_queue(sqs, target_name)

    sqs.start_message_move_task(
        SourceArn=queue_arn(dlq_name),
        DestinationArn=queue_arn(target_name),
        MaxNumberOfMessagesPerSecond=50,
    )

    task = _finished_task(sqs, dlq_name)
    assert task["DestinationArn"] == queue_arn(target_name)
    assert task["ApproximateNumberOfMessagesMoved"] == 1
    assert receive_one(sqs, target)["Body"] == "lost"
    assert counts(sqs, source) == (0, 0, 0)


def test_cancelling_a_finished_move_task_fails(sqs: SQSClient, queue_name: str) -> None:
    _, _, dlq_name = _dead_letters(sqs, queue_name, ["x"])
    handle = sqs.start_message_move_task(SourceArn=queue_arn(dlq_name))["TaskHandle"]
    _finished_task(sqs, dlq_name)

    # "A message movement can only be cancelled when the current status is RUNNING." The
    # error is not documented; AWS answers an unknown task with ResourceNotFoundException.
    with sqs_error(
        (
            "ResourceNotFoundException",
            "InvalidParameterValue",
            "AWS.SimpleQueueService.UnsupportedOperation",
        ),
        status=(400, 404),
    ):
        sqs.cancel_message_move_task(TaskHandle=handle)


def test_cancel_running_move_task(sqs: SQSClient, queue_name: str) -> None:
    bodies = [f"m{i}" for i in range(10)]
    source, dlq, dlq_name = _dead_letters(sqs, queue_name, bodies)
    # One message a second: the task is still running when it is cancelled.
    handle = sqs.start_message_move_task(
        SourceArn=queue_arn(dlq_name), MaxNumberOfMessagesPerSecond=1
    )["TaskHandle"]

    # "Only one active message movement task is supported per queue at any given time."
    with sqs_error("InvalidParameterValue"):
        sqs.start_message_move_task(SourceArn=queue_arn(dlq_name))
    running = sqs.list_message_move_tasks(SourceArn=queue_arn(dlq_name))["Results"][0]
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["MaxNumberOfMessagesPerSecond"] == 1
    assert running.get("ApproximateNumberOfMessagesToMove", 10) == 10

    cancelled = sqs.cancel_message_move_task(TaskHandle=handle)

    assert 0 <= cancelled["ApproximateNumberOfMessagesMoved"] < 10

    def final() -> dict[str, Any] | None:
        task: dict[str, Any] = sqs.list_message_move_tasks(SourceArn=queue_arn(dlq_name))[
            "Results"
        ][0]
        return task if task["Status"] == "CANCELLED" else None

    task = wait_until(final)
    moved = task["ApproximateNumberOfMessagesMoved"]
    assert moved < 10
    # Cancelling does not revert moved messages, and stops the rest.
    wait_until(lambda: counts(sqs, source)[0] + counts(sqs, dlq)[0] == 10)
    assert counts(sqs, source)[0] == moved


def test_start_move_task_from_queue_that_is_not_a_dlq_fails(
    sqs: SQSClient, queue_name: str
) -> None:
    # AWS: InvalidParameterValue, "Source queue must be configured as a Dead Letter Queue."
    create_queue(sqs, queue_name)

    with sqs_error("InvalidParameterValue"):
        sqs.start_message_move_task(SourceArn=queue_arn(queue_name))


def test_start_move_task_to_unknown_destination_fails(sqs: SQSClient, queue_name: str) -> None:
    _, _, dlq_name = _source_and_dlq(sqs, queue_name, max_receive_count=3)

    with sqs_error("ResourceNotFoundException", status=404):
        sqs.start_message_move_task(
            SourceArn=queue_arn(dlq_name),
            DestinationArn=queue_arn(derived_name(queue_name, "-missing")),
        )


def test_list_message_move_tasks_of_queue_without_tasks_is_empty(
    sqs: SQSClient, queue_name: str
) -> None:
    _, _, dlq_name = _source_and_dlq(sqs, queue_name, max_receive_count=3)

    assert sqs.list_message_move_tasks(SourceArn=queue_arn(dlq_name)).get("Results", []) == []


def test_start_move_task_for_unknown_queue_fails(sqs: SQSClient, queue_name: str) -> None:
    # The reference lists ResourceNotFoundException; AWS sends it with HTTP 404.
    with sqs_error("ResourceNotFoundException", status=404):
        sqs.start_message_move_task(SourceArn=queue_arn(queue_name))
