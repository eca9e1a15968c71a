"""The delivery worker: sends stored deliveries to their endpoints, retries, dead-letters.

One background task picks due rows of `sns_deliveries` and hands each subscription's
rows, in publish order, to a chain task of its own, so a slow HTTP endpoint delays only
its own subscription and FIFO order holds per subscription. A delivery is deleted once
done; SQS deliveries are deleted in the same transaction as the SendMessage that
delivers them, so a restart neither loses nor repeats them.

Failures follow AWS: a client-side error (the queue or function is gone, the endpoint
refuses the message) is not retried; a server-side error is retried per the protocol's
delivery policy (retry.py). Then the message goes to the subscription's dead-letter
queue (RedrivePolicy) as the endpoint would have received it, or is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import orjson

from cloudlet import httpclient, ids
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import Cloud
from cloudlet.services.sns import http, retry
from cloudlet.services.sns import messages as msgs
from cloudlet.services.sns.models import Delivery, SnsStore, Subscription, now_ms

log = logging.getLogger("cloudlet.sns")
_BATCH = 256
_IDLE_WAIT = 30.0
_BUG_RETRY_MS = 20_000
SQS_BATCH = 10  # SendMessageBatch's limits
SQS_BATCH_BYTES = 1_048_576
_RECORDED = frozenset({"email", "email-json", "sms", "application", "firehose"})


class DeliveryFailed(Exception):
    def __init__(self, message: str, client_side: bool) -> None:
        super().__init__(message)
        self.client_side = client_side


class DeliveryWorker:
    def __init__(self, store: SnsStore, cloud: Callable[[], Cloud]) -> None:
        self.store = store
        self._cloud = cloud
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._chains: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._chains.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = self._round()
            except Exception:  # keep delivering whatever one round ran into
                log.exception("SNS delivery round failed")
                wait = 1.0
            if wait == 0.0:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _round(self) -> float:
        """Start a chain for each subscription with due deliveries and none running;
        return how long to wait before the next round (0: more are due now)."""
        now = now_ms()
        due = self.store.due(now, _BATCH, set(self._chains))
        by_subscription: dict[str, list[Delivery]] = {}
        for delivery in due:
            by_subscription.setdefault(delivery.subscription, []).append(delivery)
        loop = asyncio.get_running_loop()
        for arn, rows in by_subscription.items():
            self._chains[arn] = loop.create_task(self._chain(arn, rows))
        if len(due) == _BATCH:
            return 0.0
        upcoming = self.store.next_due(now)
        wait = _IDLE_WAIT if upcoming is None else (upcoming - now_ms()) / 1000
        return max(0.001, min(_IDLE_WAIT, wait))

    async def _chain(self, arn: str, rows: list[Delivery]) -> None:
        """One subscription's due deliveries, in order; a FIFO group stops at a retry."""
        blocked: set[str] = set()
        try:
            sub = self.store.subscription(arn)
            if sub is not None and sub.protocol == "sqs" and not sub.endpoint.endswith(".fifo"):
                await self._sqs_batches(sub, rows)
                return
            for delivery in rows:
                if delivery.group is not None and delivery.group in blocked:
                    continue
                if not await self._guarded(delivery) and delivery.group is not None:
                    blocked.add(delivery.group)
        finally:
            self._chains.pop(arn, None)
            self._wake.set()

    async def _guarded(self, delivery: Delivery) -> bool:
        """Attempt one delivery; a fault of ours puts it off instead of losing it."""
        try:
            return await self._deliver(delivery)
        except Exception:
            log.exception("delivery %s to %s failed", delivery.id, delivery.subscription)
            self.store.retry_later(delivery, now_ms() + _BUG_RETRY_MS)
            return False

    async def _deliver(self, delivery: Delivery) -> bool:
        """Attempt one delivery; False when it waits for a retry."""
        sub = self.store.subscription(delivery.subscription)
        message = self.store.message(delivery.message)
        if sub is None or message is None:
            self.store.finish([delivery])
            return True
        try:
            await self._send(sub, message, delivery.kind)
        except DeliveryFailed as failure:
            if not await self._failed(sub, delivery, message, failure):
                return False
        self.store.finish([delivery])
        return True

    async def _failed(
        self,
        sub: Subscription,
        delivery: Delivery,
        message: dict[str, Any],
        failure: DeliveryFailed,
    ) -> bool:
        """After a failed attempt: False when the delivery waits for a retry, True when it
        is given up (sent to the subscription's dead-letter queue, if it has one)."""
        delay = None if failure.client_side else self._delay(sub, delivery.attempts)
        if delay is not None:
            self.store.retry_later(delivery, now_ms() + int(delay * 1000))
            return False
        log.info("SNS could not deliver to %s: %s", sub.endpoint, failure)
        if delivery.kind == "Notification":
            await self._dead_letter(sub, message, str(failure))
        return True

    async def _sqs_batches(self, sub: Subscription, rows: list[Delivery]) -> None:
        """A standard queue's deliveries, up to ten to a SendMessageBatch: one call and
        one transaction per batch instead of per message (fan-out is SNS's hot path)."""
        batch: list[tuple[Delivery, dict[str, Any], str]] = []
        size = 0
        for delivery in rows:
            message = self.store.message(delivery.message)
            if message is None or delivery.kind != "Notification":
                await self._guarded(delivery)
                continue
            body = self._body(sub, message, "Notification")
            length = len(body.encode())
            if batch and (len(batch) == SQS_BATCH or size + length > SQS_BATCH_BYTES):
                await self._send_batch(sub, batch)
                batch, size = [], 0
            batch.append((delivery, message, body))
            size += length
        if batch:
            await self._send_batch(sub, batch)

    async def _send_batch(
        self, sub: Subscription, batch: list[tuple[Delivery, dict[str, Any], str]]
    ) -> None:
        entries = []
        for i, (_, message, body) in enumerate(batch):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": body}
            if sub.raw and message.get("MessageAttributes"):
                entry["MessageAttributes"] = msgs.sqs_attributes(message)
            entries.append(entry)
        request = {"QueueUrl": self._queue_url(sub.endpoint), "Entries": entries}
        failures: dict[str, DeliveryFailed] = {}
        try:
            result = await self._call(sub.endpoint, "sqs", "SendMessageBatch", request)
            for failed in result.get("Failed", []):
                reason = f"{failed['Code']}: {failed['Message']}"
                failures[failed["Id"]] = DeliveryFailed(reason, bool(failed["SenderFault"]))
        except DeliveryFailed as whole:  # the call failed for all (the queue is gone...)
            failures = {str(i): whole for i in range(len(batch))}
        except Exception:
            log.exception("SendMessageBatch to %s for SNS failed", sub.endpoint)
            for delivery, _, _ in batch:
                self.store.retry_later(delivery, now_ms() + _BUG_RETRY_MS)
            return
        done = []
        for i, (delivery, message, _) in enumerate(batch):
            failed_entry = failures.get(str(i))
            if failed_entry is None or await self._failed(sub, delivery, message, failed_entry):
                done.append(delivery)
        self.store.finish(done)

    def _delay(self, sub: Subscription, attempts: int) -> float | None:
        if sub.protocol in ("sqs", "lambda"):
            return retry.managed_delay(attempts)
        if sub.protocol in ("http", "https"):
            return retry.http_delay(self._http_policy(sub)["healthyRetryPolicy"], attempts)
        return None

    def _http_policy(self, sub: Subscription) -> dict[str, Any]:
        topic = self.store.topic(sub.topic)
        topic_policy = topic.attributes.get("DeliveryPolicy") if topic else None
        text = retry.effective_subscription_policy(
            topic_policy, sub.attributes.get("DeliveryPolicy")
        )
        policy: dict[str, Any] = orjson.loads(text)
        return policy

    # -- protocols ----------------------------------------------------------------------

    def _base_url(self) -> str:
        return self._cloud().endpoint_url

    def _version(self, sub: Subscription) -> str:
        topic = self.store.topic(sub.topic)
        return (topic.attributes.get("SignatureVersion") if topic else None) or "1"

    def _body(self, sub: Subscription, message: dict[str, Any], kind: str) -> str:
        """What the endpoint receives: the raw message, or the JSON document."""
        base = self._base_url()
        if kind != "Notification":
            return msgs.aws_json(msgs.confirmation(message, base, self._version(sub)))
        if sub.raw or sub.protocol in ("email", "sms"):
            return msgs.content_for(message, sub.protocol)
        document = msgs.notification(message, sub.arn, sub.protocol, base, self._version(sub))
        return msgs.aws_json(document)

    async def _send(self, sub: Subscription, message: dict[str, Any], kind: str) -> None:
        if sub.protocol == "sqs":
            request = self._sqs_request(sub.endpoint, sub, message)
            await self._call(sub.endpoint, "sqs", "SendMessage", request)
        elif sub.protocol == "lambda":
            event = msgs.lambda_event(message, sub.arn, self._base_url())
            request = {
                "FunctionName": sub.endpoint,
                "InvocationType": "Event",
                "Payload": orjson.dumps(event),
            }
            await self._call(sub.endpoint, "lambda", "Invoke", request)
        elif sub.protocol in ("http", "https"):
            await self._post(sub, message, kind)
        elif sub.protocol in _RECORDED:
            body = self._body(sub, message, kind)
            self.store.record(sub.arn, sub.protocol, sub.endpoint, kind, body)

    def _sqs_request(
        self, queue_arn: str, sub: Subscription, message: dict[str, Any]
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "QueueUrl": self._queue_url(queue_arn),
            "MessageBody": self._body(sub, message, "Notification"),
        }
        if sub.raw and message.get("MessageAttributes"):
            request["MessageAttributes"] = msgs.sqs_attributes(message)
        if queue_arn.endswith(".fifo") and message.get("MessageGroupId"):
            request["MessageGroupId"] = message["MessageGroupId"]
            request["MessageDeduplicationId"] = message["MessageDeduplicationId"]
        return request

    def _queue_url(self, queue_arn: str) -> str:
        parts = queue_arn.split(":")
        return f"{self._base_url()}/{parts[4]}/{parts[5]}"

    async def _call(
        self, arn: str, service: str, operation: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        parts = arn.split(":")
        ctx = RequestContext(
            request_id=ids.uuid4(),
            account_id=parts[4],
            region=parts[3],
            base_url=self._base_url(),
            host="",
            path="/",
        )
        try:
            return await self._cloud().call(ctx, service, operation, request)
        except ServiceError as error:
            server_side = (
                not error.sender_fault
                or (error.status or 400) >= 500
                or error.status == 429
                or "Throttl" in error.code
                or "TooManyRequests" in error.code
            )
            raise DeliveryFailed(f"{error.code}: {error.message}", not server_side) from None
        except Exception as error:  # a fault of ours is a server-side error to SNS
            log.exception("%s.%s for SNS failed", service, operation)
            raise DeliveryFailed(str(error), client_side=False) from None

    async def _post(self, sub: Subscription, message: dict[str, Any], kind: str) -> None:
        headers = {
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": message["MessageId"],
            "x-amz-sns-topic-arn": sub.topic,
            "Content-Type": retry.DEFAULT_CONTENT_TYPE,
            "User-Agent": "Amazon Simple Notification Service Agent",
        }
        if kind != "SubscriptionConfirmation":
            headers["x-amz-sns-subscription-arn"] = sub.arn
        if kind == "Notification":
            request_policy = self._http_policy(sub)["requestPolicy"]
            headers["Content-Type"] = request_policy.get(
                "headerContentType", retry.DEFAULT_CONTENT_TYPE
            )
            if sub.raw:
                headers["x-amz-sns-rawdelivery"] = "true"
        body = self._body(sub, message, kind).encode()
        try:
            status = await http.post(sub.endpoint, headers, body)
        except http.NotLoopback as error:
            raise DeliveryFailed(f"cloudlet delivers only to this machine, not {error}", True)
        except (httpclient.HttpError, OSError, TimeoutError, ValueError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}", client_side=False) from None
        # AWS retries an HTTP/S delivery when the status is outside 200-499.
        if status >= 500 or status < 200:
            raise DeliveryFailed(f"HTTP status {status}", client_side=False)
        if status >= 400:
            log.warning(
                "SNS endpoint %s answered %s (not retried, as on AWS)", sub.endpoint, status
            )

    async def _dead_letter(self, sub: Subscription, message: dict[str, Any], reason: str) -> None:
        policy = retry.load(sub.attributes.get("RedrivePolicy"))
        target = policy.get("deadLetterTargetArn")
        if not isinstance(target, str):
            return
        request = self._sqs_request(target, sub, message)
        try:
            await self._call(target, "sqs", "SendMessage", request)
        except DeliveryFailed as failure:
            log.warning("SNS could not dead-letter to %s: %s (after: %s)", target, failure, reason)
