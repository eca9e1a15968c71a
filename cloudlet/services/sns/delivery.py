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
import uuid
from collections.abc import Callable
from typing import Any

import orjson

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
            for delivery in rows:
                if delivery.group is not None and delivery.group in blocked:
                    continue
                try:
                    done = await self._deliver(delivery)
                except Exception:
                    log.exception("delivery %s to %s failed", delivery.id, arn)
                    self.store.retry_later(delivery, now_ms() + _BUG_RETRY_MS)
                    done = False
                if not done and delivery.group is not None:
                    blocked.add(delivery.group)
        finally:
            self._chains.pop(arn, None)
            self._wake.set()

    async def _deliver(self, delivery: Delivery) -> bool:
        """Attempt one delivery; False when it waits for a retry."""
        sub = self.store.subscription(delivery.subscription)
        message = self.store.message(delivery.message)
        if sub is None or message is None:
            self.store.finish(delivery)
            return True
        try:
            await self._send(sub, message, delivery.kind)
        except DeliveryFailed as failure:
            delay = None if failure.client_side else self._delay(sub, delivery.attempts)
            if delay is not None:
                self.store.retry_later(delivery, now_ms() + int(delay * 1000))
                return False
            log.info("SNS could not deliver to %s: %s", sub.endpoint, failure)
            if delivery.kind == "Notification":
                await self._dead_letter(sub, message, str(failure))
        self.store.finish(delivery)
        return True

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
        parts = queue_arn.split(":")
        request: dict[str, Any] = {
            "QueueUrl": f"{self._base_url()}/{parts[4]}/{parts[5]}",
            "MessageBody": self._body(sub, message, "Notification"),
        }
        if sub.raw and message.get("MessageAttributes"):
            request["MessageAttributes"] = msgs.sqs_attributes(message)
        if queue_arn.endswith(".fifo") and message.get("MessageGroupId"):
            request["MessageGroupId"] = message["MessageGroupId"]
            request["MessageDeduplicationId"] = message["MessageDeduplicationId"]
        return request

    async def _call(self, arn: str, service: str, operation: str, request: dict[str, Any]) -> None:
        parts = arn.split(":")
        ctx = RequestContext(
            request_id=str(uuid.uuid4()),
            account_id=parts[4],
            region=parts[3],
            base_url=self._base_url(),
            host="",
            path="/",
        )
        try:
            await self._cloud().call(ctx, service, operation, request)
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
        except (OSError, TimeoutError, ValueError) as error:
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
