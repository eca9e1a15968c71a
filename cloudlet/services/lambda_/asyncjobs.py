"""Asynchronous invocations (InvocationType=Event): a durable queue and its worker.

Each event is stored before Invoke answers 202, so it survives a restart. The worker
runs it when the function has capacity; a failed run is retried per the function's
event invoke config (MaximumRetryAttempts, default 2; MaximumEventAgeInSeconds, default
6 hours) after AWS's delays, then sent to the on-failure destination and/or the
dead-letter queue; a success goes to the on-success destination.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.invoke import resolve, run

log = logging.getLogger("cloudlet.lambda")
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600
THROTTLE_DELAY = 1.0


class AsyncWorker:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            now = time.time()
            for row in self.backend.store.due(now, 50):
                self.backend.store.reschedule(row[0], row[7], now + 3600)  # claimed
                self.backend.spawn(self._run(row))
            upcoming = self.backend.store.next_due()
            wait = 30.0 if upcoming is None else max(0.0, min(30.0, upcoming - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _run(self, row: tuple[Any, ...]) -> None:
        row_id, arn, qualifier, account, region, request_id, payload, attempts, received = row
        store = self.backend.store
        fn = store.get(arn)
        if fn is None:
            store.finish(row_id)
            return
        settings = store.setting(arn, "event-invoke", qualifier) or {}
        retries = settings.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = settings.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        try:
            resolved = resolve(self.backend, fn, qualifier)
            if not self.backend.pool.has_capacity(arn, fn.concurrency):
                store.reschedule(row_id, attempts, time.time() + THROTTLE_DELAY)
                self.wake()
                return
            outcome = await run(self.backend, resolved, payload, request_id)
        except ServiceError as error:
            log.warning("async invocation %s of %s failed: %s", request_id, arn, error.message)
            store.finish(row_id)
            return
        attempts += 1
        record = _record(
            resolved.arn,
            request_id,
            payload,
            outcome.payload,
            outcome.error,
            attempts,
            resolved.version,
        )
        if outcome.error is None:
            store.finish(row_id)
            await self._deliver(settings, "OnSuccess", record, account, region, "Success")
            return
        age = time.time() - received
        delays = self.backend.settings.async_retry_delays
        if attempts <= retries and age < max_age:
            delay = delays[min(attempts - 1, len(delays) - 1)] if delays else 0
            store.reschedule(row_id, attempts, time.time() + delay)
            self.wake()
            return
        store.finish(row_id)
        condition = "RetriesExhausted" if age < max_age else "EventAgeExceeded"
        await self._deliver(settings, "OnFailure", record, account, region, condition)
        dlq = (resolved.config.get("DeadLetterConfig") or {}).get("TargetArn")
        if dlq:
            await self._dead_letter(dlq, payload, request_id, outcome.payload)

    async def _deliver(
        self,
        settings: dict[str, Any],
        which: str,
        record: dict[str, Any],
        account: str,
        region: str,
        condition: str,
    ) -> None:
        target = ((settings.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
        if not target:
            return
        record["requestContext"]["condition"] = condition
        await self._send(target, orjson.dumps(record).decode(), {})

    async def _dead_letter(
        self, target: str, payload: bytes, request_id: str, response: bytes
    ) -> None:
        try:
            error = orjson.loads(response)
        except orjson.JSONDecodeError:
            error = {}
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {
                "DataType": "String",
                "StringValue": str(error.get("errorMessage", "Unhandled"))[:1024] or "Unhandled",
            },
        }
        await self._send(target, payload.decode("utf-8", "replace"), attributes)

    async def _send(self, target: str, body: str, attributes: dict[str, Any]) -> None:
        await send_to_destination(self.backend, target, body, attributes)


async def send_to_destination(
    backend: Backend, target: str, body: str, attributes: dict[str, Any]
) -> None:
    """Deliver to an SQS queue, SNS topic, Lambda function or EventBridge bus by ARN."""
    parts = target.split(":")
    if len(parts) < 6:
        return
    service, region, account, resource = parts[2], parts[3], parts[4], parts[5]
    ctx = RequestContext(
        request_id="",
        account_id=account,
        region=region,
        base_url=backend.cloud.endpoint_url,
        host="",
        path="",
    )
    try:
        if service == "sqs":
            request: dict[str, Any] = {
                "QueueUrl": f"{backend.cloud.endpoint_url}/{account}/{resource}",
                "MessageBody": body,
            }
            if attributes:
                request["MessageAttributes"] = attributes
            await backend.cloud.call(ctx, "sqs", "SendMessage", request)
        elif service == "sns":
            await backend.cloud.call(ctx, "sns", "Publish", {"TopicArn": target, "Message": body})
        elif service == "lambda":
            await backend.cloud.call(
                ctx,
                "lambda",
                "Invoke",
                {"FunctionName": target, "InvocationType": "Event", "Payload": body.encode()},
            )
        elif service == "events":
            entry = {
                "Source": "lambda",
                "DetailType": "Lambda Function Invocation Result",
                "Detail": body,
                "EventBusName": target,
            }
            await backend.cloud.call(ctx, "events", "PutEvents", {"Entries": [entry]})
    except (ServiceError, KeyError) as error:
        log.warning("could not deliver to %s: %s", target, getattr(error, "message", error))


def _record(
    arn: str,
    request_id: str,
    payload: bytes,
    response: bytes,
    error: str | None,
    attempts: int,
    version: str,
) -> dict[str, Any]:
    try:
        request_payload = orjson.loads(payload)
    except orjson.JSONDecodeError:
        request_payload = payload.decode("utf-8", "replace")
    try:
        response_payload = orjson.loads(response) if response else None
    except orjson.JSONDecodeError:
        response_payload = response.decode("utf-8", "replace")
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": version}
    if error:
        response_context["functionError"] = error
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "version": "1.0",
        "timestamp": stamp,
        "requestContext": {
            "requestId": request_id,
            "functionArn": arn if ":" in arn.split(":function:")[-1] else f"{arn}:$LATEST",
            "condition": "",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": request_payload,
        "responseContext": response_context,
        "responsePayload": response_payload,
    }
