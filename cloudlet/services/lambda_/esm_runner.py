"""One SQS event source mapping at work: pollers that gather batches from the queue,
invoke the function with them and delete what it processed.

Like Lambda's pollers (AWS: "Configuring scaling behavior for SQS event source
mappings", "Handling errors for an SQS event source"):

- each lane long-polls ReceiveMessage (up to 10 messages a call, all attributes), then
  keeps receiving until BatchSize or the batching window, and invokes synchronously;
  the lanes are the mapping's concurrency: five to start with, one more every 0.2 s
  (300 a minute) while every lane is busy with full batches, up to
  ScalingConfig.MaximumConcurrency (else 1,000), back towards five when the queue is
  quiet; a function error takes one lane away;
- success deletes the batch (DeleteMessageBatch); a function error leaves it to become
  visible again, so the queue's redrive policy applies; ReportBatchItemFailures deletes
  all but the failed items, and in a FIFO queue also keeps what follows a failed
  message in its group;
- a throttled function (reserved or account concurrency) is retried with backoff while
  the batch is still invisible, and lanes do not receive while the function has no
  capacity; records that match no filter are deleted without an invocation.

Not AWS's: a batching window never runs past the point where the first message's
visibility timeout could expire before the function's own timeout (cloudlet invokes
then), which AWS leaves to configuration.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuids
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.patterns import compile_event_pattern
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.esm_records import (
    deletable,
    failed_items,
    matches,
    queue_target,
    record,
)
from cloudlet.services.lambda_.invoke import resolve, run
from cloudlet.services.lambda_.models import Function
from cloudlet.services.lambda_.runtime.pool import Outcome

log = logging.getLogger("cloudlet.lambda")
BASE_LANES = 5  # AWS starts with five concurrent batches
MAX_LANES = 1000  # AWS's most concurrent batches per mapping
GROWTH_INTERVAL = 0.2  # AWS adds up to 300 lanes a minute
LONG_POLL = 20  # seconds, as Lambda's pollers wait
MAX_BACKOFF = {"throttled": 1.0, "problem": 5.0}
PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's payload
MESSAGE_ROOM = 256 * 1024 + 2048  # the largest message, as a record


class Runner:
    """The lanes polling one mapping; `close()` stops them after their current batch."""

    def __init__(self, backend: Backend, config: dict[str, Any]) -> None:
        self.backend = backend
        self.uuid: str = config["UUID"]
        self.lanes: set[asyncio.Task[None]] = set()
        self.closing = False
        self._busy = 0
        self._grown_at = 0.0
        self._receives: dict[asyncio.Task[Any], asyncio.Task[dict[str, Any]]] = {}
        self._gathering = asyncio.Lock()  # one lane fills a batch while others invoke
        self._problem = ""
        self.configure(config)

    def configure(self, config: dict[str, Any]) -> None:
        """Take up a (new) configuration; lanes use it from their next batch."""
        self.source: str = config["EventSourceArn"]
        self.fifo = self.source.endswith(".fifo")
        self.ctx, self.url = queue_target(self.backend.cloud.endpoint_url, self.source)
        function, _, qualifier = config["FunctionArn"].partition(":function:")
        name, _, version = qualifier.partition(":")
        self.function = f"{function}:function:{name}"
        self.qualifier = version or None
        self.batch_size: int = config["BatchSize"]
        self.window: float = config["MaximumBatchingWindowInSeconds"]
        self.report = "ReportBatchItemFailures" in config.get("FunctionResponseTypes", [])
        filters = (config.get("FilterCriteria") or {}).get("Filters") or []
        self.filters = [compile_event_pattern(f["Pattern"]) for f in filters]
        cap = (config.get("ScalingConfig") or {}).get("MaximumConcurrency")
        self.cap = min(cap or MAX_LANES, MAX_LANES)
        self.base = min(BASE_LANES, self.cap)
        while not self.closing and len(self.lanes) < self.base:
            self._add_lane()

    def close(self) -> None:
        """Stop polling: lanes waiting on the queue end now, busy ones after their batch."""
        self.closing = True
        for receive in self._receives.values():
            receive.cancel()

    @property
    def done(self) -> bool:
        return not self.lanes

    async def abort(self) -> None:
        """End every lane now (the server is stopping); unfinished batches reappear in the
        queue when their visibility timeout ends."""
        self.close()
        for lane in list(self.lanes):
            lane.cancel()
        await asyncio.gather(*self.lanes, return_exceptions=True)

    def _add_lane(self) -> None:
        lane = asyncio.get_running_loop().create_task(self._lane())
        self.lanes.add(lane)
        lane.add_done_callback(self.lanes.discard)

    # -- a lane -------------------------------------------------------------------------

    async def _lane(self) -> None:
        delay = 0.0
        while not self.closing and len(self.lanes) <= self.cap:
            try:
                result = await self._cycle()
            except ServiceError as error:
                result = self._report(f"{error.code}: {error.message}")
            except Exception:
                log.exception("event source mapping %s", self.uuid)
                result = "problem"
            if result == "idle" and len(self.lanes) > self.base:
                return
            if result == "error" and len(self.lanes) > 1:
                return  # AWS backs off concurrency after function errors
            if result in MAX_BACKOFF:
                delay = min(max(delay * 2, 0.05), MAX_BACKOFF[result])
                await asyncio.sleep(delay)
            else:
                delay = 0.0

    def _report(self, problem: str) -> str:
        if problem != self._problem:
            log.warning("event source mapping %s: %s", self.uuid, problem)
            self._problem = problem
        return "problem"

    async def _cycle(self) -> str:
        """One batch: "ok", "error" (the batch failed), "throttled", "idle" or "problem"."""
        fn = self.backend.store.get(self.function)
        if fn is None:
            return self._report(f"Function not found: {self.function}")
        gathered = await self._gather(fn)
        if gathered is None:
            return "throttled"
        messages, received_at = gathered
        if not messages:
            return "idle"
        self._problem = ""
        self._busy += 1
        try:
            self._maybe_grow(len(messages))
            result = await self._process(fn, messages, received_at)
        finally:
            self._busy -= 1
        if result == "ok" and len(self.lanes) < self.base and not self.closing:
            self._add_lane()  # back to the base concurrency after errors
        return result

    def _maybe_grow(self, count: int) -> None:
        now = asyncio.get_running_loop().time()
        full = count >= min(self.batch_size, 10)
        if (
            full
            and self._busy >= len(self.lanes)
            and len(self.lanes) < self.cap
            and now - self._grown_at >= GROWTH_INTERVAL
            and not self.closing
        ):
            self._grown_at = now
            self._add_lane()

    # -- receiving ----------------------------------------------------------------------

    async def _gather(self, fn: Function) -> tuple[list[dict[str, Any]], float] | None:
        """Messages for one batch, and when the first of them was received; None while
        the function has no concurrency to spare (nothing is received then). One lane
        gathers at a time, so that messages trickling in fill one batch rather than one
        partial batch per lane; the others are invoking meanwhile, or wait their turn."""
        async with self._gathering:
            if self.closing:
                return [], 0.0
            if not self.backend.pool.has_capacity(fn.arn, fn.concurrency):
                return None
            return await self._fill(fn)

    async def _fill(self, fn: Function) -> tuple[list[dict[str, Any]], float]:
        loop = asyncio.get_running_loop()
        messages = await self._receive(min(self.batch_size, 10), LONG_POLL, None)
        received_at = loop.time()
        if not messages or len(messages) >= self.batch_size or self.window <= 0:
            return messages, received_at
        visibility = await self._visibility()
        hold = min(self.window, max(0.0, visibility - float(fn.config["Timeout"])))
        deadline = received_at + hold
        size = sum(_size(m) for m in messages)
        while len(messages) < self.batch_size and not self.closing:
            remaining = deadline - loop.time()
            # AWS also invokes once the batch's payload reaches 6 MB: receive only what
            # is sure to fit (a message is at most MaximumMessageSize, 256 KiB).
            room = (PAYLOAD_LIMIT - size) // MESSAGE_ROOM
            if remaining <= 0 or room < 1:
                break
            wait = min(LONG_POLL, int(remaining) + 1)
            count = min(self.batch_size - len(messages), 10, room)
            more = await self._receive(count, wait, remaining)
            size += sum(_size(m) for m in more)
            messages += more
        return messages, received_at

    async def _visibility(self) -> float:
        found = await self.backend.cloud.call(
            self.ctx,
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": self.url, "AttributeNames": ["VisibilityTimeout"]},
        )
        return float(found["Attributes"]["VisibilityTimeout"])

    async def _receive(self, count: int, wait: int, timeout: float | None) -> list[dict[str, Any]]:
        """One ReceiveMessage, given up after `timeout` seconds or on close(). Giving up
        cancels the call: it is either cancelled while waiting (nothing was taken) or it
        had already finished, and then its messages are used."""
        request = {
            "QueueUrl": self.url,
            "MaxNumberOfMessages": count,
            "WaitTimeSeconds": wait,
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        call = self.backend.cloud.call(self.ctx, "sqs", "ReceiveMessage", request)
        task = asyncio.get_running_loop().create_task(call)
        lane = asyncio.current_task()
        assert lane is not None
        self._receives[lane] = task
        try:
            await asyncio.wait({task}, timeout=timeout)
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            self._receives.pop(lane, None)
        if task.cancelled():
            return []
        messages: list[dict[str, Any]] = task.result().get("Messages", [])
        return messages

    # -- invoking and settling ----------------------------------------------------------

    async def _process(
        self, fn: Function, messages: list[dict[str, Any]], received_at: float
    ) -> str:
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for message in messages:
            rec = record(message, self.source)
            (kept if matches(rec, self.filters) else dropped).append(rec)
        if dropped:  # AWS deletes the messages no filter matches
            await self._delete(dropped)
        if not kept:
            return "ok"
        # The batch may have been gathered over a long poll during which the function's
        # code or configuration changed: invoke what the function is now.
        fn = self.backend.store.get(self.function) or fn
        resolved = resolve(self.backend, fn, self.qualifier)
        payload = orjson.dumps({"Records": kept})
        visibility = await self._visibility()
        deadline = received_at + max(0.0, visibility - float(resolved.config["Timeout"]))
        outcome = await self._invoke(resolved, payload, deadline)
        if outcome is None:
            return "throttled"
        if outcome.error is not None:
            return "error"
        if not self.report:
            await self._delete(kept)
            return "ok"
        failed = failed_items(outcome.payload, [r["messageId"] for r in kept])
        if failed is None:
            return "error"  # a malformed batch response fails the whole batch
        await self._delete([kept[i] for i in deletable(kept, failed, self.fifo)])
        return "ok"

    async def _invoke(self, resolved: Any, payload: bytes, deadline: float) -> Outcome | None:
        """Invoke synchronously; while throttled, retry with backoff until the batch's
        visibility runs short (None: the messages go back to the queue)."""
        loop = asyncio.get_running_loop()
        delay = 0.05
        while True:
            try:
                return await run(self.backend, resolved, payload, str(uuids.uuid4()))
            except ServiceError as error:
                if error.code != "TooManyRequestsException":
                    raise
            if self.closing or loop.time() + delay >= deadline:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(records[start : start + 10])
            ]
            result = await self.backend.cloud.call(
                self.ctx, "sqs", "DeleteMessageBatch", {"QueueUrl": self.url, "Entries": entries}
            )
            for failure in result.get("Failed", []):
                log.warning(
                    "event source mapping %s could not delete a message: %s",
                    self.uuid,
                    failure.get("Message"),
                )


def _size(message: dict[str, Any]) -> int:
    """About what a message weighs as a record in the event."""
    return len(message["Body"]) + 1024 + 128 * len(message.get("MessageAttributes") or {})
