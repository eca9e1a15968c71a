"""Dead-letter queue redrive: message move tasks (Start/List/CancelMessageMoveTask).

A task moves the messages of a dead-letter queue to a destination queue, or back to
the queue each message came from. `MoveWorker` runs the tasks in the background; their
progress is stored, so a task running when the server stops resumes when it starts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs.errors import invalid_parameter
from cloudlet.services.sqs.models import MoveTask, SqsStore, now_ms

log = logging.getLogger("cloudlet.sqs.moves")
_CHUNK = 100


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=404)


def start_message_move_task(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    source = store.by_arn(request["SourceArn"])
    if source is None:
        raise _not_found(
            "The resource that you specified for the SourceArn parameter doesn't exist."
        )
    is_dlq = any(
        q.redrive is not None and q.redrive[0] == source.arn
        for q in store.queues(source.account, source.region)
    )
    if not is_dlq:
        raise ServiceError(
            "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."
        )
    destination = request.get("DestinationArn")
    if destination is not None and store.by_arn(destination) is None:
        raise _not_found(
            "The resource that you specified for the DestinationArn parameter doesn't exist."
        )
    rate = request.get("MaxNumberOfMessagesPerSecond")
    if rate is not None and not 1 <= rate <= 500:
        raise invalid_parameter("MaxNumberOfMessagesPerSecond", rate, "Must be between 1 and 500.")
    if store.moves(source.arn, "RUNNING"):
        raise ServiceError(
            "InvalidParameterValue",
            "There is already a task running. Only one active task is allowed for a source "
            "queue arn at a given time.",
        )
    token = {"taskId": str(uuid.uuid4()), "sourceArn": source.arn}
    handle = base64.b64encode(orjson.dumps(token)).decode()
    task = MoveTask(
        handle, source.arn, destination, rate, "RUNNING", 0, store.count_all(source.arn), now_ms()
    )
    store.put_move(task)
    store.moves_changed()
    return {"TaskHandle": handle}


def list_message_move_tasks(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    if store.by_arn(request["SourceArn"]) is None:
        raise _not_found(
            "The resource that you specified for the SourceArn parameter doesn't exist."
        )
    limit = request.get("MaxResults", 1)
    if not 1 <= limit <= 10:
        raise invalid_parameter("MaxResults", limit, "Must be between 1 and 10.")
    results = []
    for task in store.moves(request["SourceArn"])[:limit]:
        entry: dict[str, Any] = {
            "Status": task.status,
            "SourceArn": task.source,
            "ApproximateNumberOfMessagesMoved": task.moved,
            "ApproximateNumberOfMessagesToMove": task.to_move,
            "StartedTimestamp": task.started,
        }
        if task.status == "RUNNING":
            entry["TaskHandle"] = task.handle
        if task.destination:
            entry["DestinationArn"] = task.destination
        if task.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = task.rate
        if task.failure:
            entry["FailureReason"] = task.failure
        results.append(entry)
    return {"Results": results}


def cancel_message_move_task(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    handle = request["TaskHandle"]
    tasks = [t for t in store.moves(status="RUNNING") if t.handle == handle]
    if not tasks:
        raise _not_found("Task does not exist or is not running.")
    task = tasks[0]
    task.status = "CANCELLED"
    store.put_move(task)
    return {"ApproximateNumberOfMessagesMoved": task.moved}


class MoveWorker:
    """Runs RUNNING move tasks until done; woken when a task starts."""

    def __init__(self, store: SqsStore) -> None:
        self.store = store
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            running = self.store.moves(status="RUNNING")
            if not running:
                await self.store.wait_moves()
                continue
            for task in running:
                try:
                    await self._step(task)
                except Exception:  # a broken task must not stop the others
                    log.exception("message move task failed")
                    task.status, task.failure = "FAILED", "Internal error"
                    self.store.put_move(task)
            await asyncio.sleep(0)

    async def _step(self, task: MoveTask) -> None:
        """Move one chunk (or one second's worth at the task's rate)."""
        store = self.store
        rows = store.message_ids(task.source, task.rate or _CHUNK)
        if not rows:
            task.status = "COMPLETED"
            store.put_move(task)
            return
        now = now_ms()
        with store.db.transaction():
            current = [t for t in store.moves(status="RUNNING") if t.handle == task.handle]
            if not current:
                return  # cancelled meanwhile
            for row in rows:
                target = task.destination or row[15]
                if target is None or store.by_arn(target) is None:
                    task.status = "FAILED"
                    task.failure = "AWS.SimpleQueueService.NonExistentQueue"
                    break
                store.move_message(row[0], target, now, 0, None)
                store.notify(target)
                task.moved += 1
            store.put_move(task)
        if task.rate:
            await asyncio.sleep(1)
