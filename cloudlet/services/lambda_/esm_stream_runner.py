"""One DynamoDB stream event source mapping at work: it reads the stream's shard from
its checkpoint, invokes the function with batches and moves the checkpoint on.

As Lambda does (AWS: "Using Lambda with DynamoDB", "Retain discarded records for a
DynamoDB event source", "Configuring partial batch response with DynamoDB and Lambda"):

- a reader task reads the shard with GetRecords (every POLL seconds while it is quiet;
  AWS 4 times a second), ahead of processing, and deals the records to
  ParallelizationFactor lanes by partition key, so records of one key stay in order;
- each lane invokes synchronously with batches of up to BatchSize records (waiting up
  to the batching window from its first waiting record for a full one), one after the
  other; the lanes run concurrently, so a batch being retried holds up only its lane;
- the checkpoint is kept just before the oldest record not yet settled, so a restart
  resumes there (records are delivered at least once);
- a function error retries the batch (MaximumRetryAttempts, -1: until the record
  expires); BisectBatchOnFunctionError splits a failed batch in two and processes each
  half in order, which does not use up retries; records older than
  MaximumRecordAgeInSeconds are not sent; discarded records are described to the
  DestinationConfig.OnFailure queue or topic, and processing goes on;
- with ReportBatchItemFailures, a response naming sequence numbers checkpoints before
  the lowest and retries from it; a malformed response fails the whole batch;
- records that match no filter are passed over without an invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid as uuids
from collections import deque
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.patterns import compile_event_pattern
from cloudlet.services.dynamodb.stream_records import parse_sequence_number
from cloudlet.services.dynamodbstreams import iterators
from cloudlet.services.lambda_.asyncjobs import send_to_destination
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.esm_records import failed_items
from cloudlet.services.lambda_.esm_store import EsmStore
from cloudlet.services.lambda_.esm_stream_records import (
    event_record,
    failure_document,
    partition,
)
from cloudlet.services.lambda_.esm_streams import stream_context
from cloudlet.services.lambda_.invoke import resolve, run
from cloudlet.services.lambda_.models import Resolved
from cloudlet.services.lambda_.runtime.pool import Outcome

log = logging.getLogger("cloudlet.lambda")
POLL = 0.1  # seconds between reads of a quiet shard
CLOSED_POLL = 2.0  # a closed shard read to its end, or a problem
READ_LIMIT = 1000  # GetRecords' most records a call
MOST_RECORDS = 10_000  # records read ahead of the checkpoint, at most
PAYLOAD_LIMIT = 6 * 1024 * 1024 - 64 * 1024  # a synchronous invocation's payload, with room
RETRY_DELAY = (0.1, 2.0)  # first and longest pause between retries of a failed batch
RETENTION_SECONDS = 24 * 3600


class _Stopped(Exception):
    """The mapping is closing: leave the batch without moving the checkpoint."""


class StreamRunner:
    """Polls one stream mapping; `close()` stops it after its current batch."""

    def __init__(self, backend: Backend, config: dict[str, Any]) -> None:
        self.backend = backend
        self.uuid: str = config["UUID"]
        self.store = EsmStore(backend.store.db)
        self.lanes: set[asyncio.Task[None]] = set()
        self.closing = False
        self._closed = asyncio.Event()
        self._problem = ""
        self._result = ""
        self._shard: tuple[str, str] | None = None  # shard id, partition key name
        self._read_after: int | None = None  # the position read up to
        self._saved: int | None = None  # the checkpoint as stored
        self._unfinished: dict[int, None] = {}  # records read, not settled, in order
        self._queues: list[deque[tuple[int, float, dict[str, Any]]]] = []
        self._wakes: list[asyncio.Event] = []
        self._lane_tasks: list[asyncio.Task[None]] = []
        self._space = asyncio.Event()  # a lane settled a batch
        self.configure(config)
        task = asyncio.get_running_loop().create_task(self._run())
        self.lanes.add(task)
        task.add_done_callback(self.lanes.discard)

    def configure(self, config: dict[str, Any]) -> None:
        """Take up a (new) configuration from the next round."""
        self.source: str = config["EventSourceArn"]
        self.ctx = stream_context(self.backend.cloud.endpoint_url, self.source)
        self.function_arn: str = config["FunctionArn"]
        function, _, qualifier = self.function_arn.partition(":function:")
        name, _, version = qualifier.partition(":")
        self.function = f"{function}:function:{name}"
        self.qualifier = version or None
        self.starting: str = config["StartingPosition"]
        self.batch_size: int = config["BatchSize"]
        self.window: float = config["MaximumBatchingWindowInSeconds"]
        self.factor: int = config.get("ParallelizationFactor", 1)
        self.bisect: bool = config.get("BisectBatchOnFunctionError", False)
        self.retries: int = config.get("MaximumRetryAttempts", -1)
        self.max_age: int = config.get("MaximumRecordAgeInSeconds", -1)
        self.destination: str | None = (
            (config.get("DestinationConfig") or {}).get("OnFailure") or {}
        ).get("Destination")
        self.report = "ReportBatchItemFailures" in config.get("FunctionResponseTypes", [])
        filters = (config.get("FilterCriteria") or {}).get("Filters") or []
        self.filters = [compile_event_pattern(f["Pattern"]) for f in filters]

    def close(self) -> None:
        self.closing = True
        self._closed.set()
        for wake in self._wakes:
            wake.set()  # idle lanes end now, busy ones after their batch

    @property
    def done(self) -> bool:
        return not self.lanes

    async def abort(self) -> None:
        """End now (the server is stopping); what was not checkpointed is read again."""
        self.close()
        for lane in list(self.lanes):
            lane.cancel()
        await asyncio.gather(*self.lanes, return_exceptions=True)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    def _report(self, problem: str) -> str:
        if problem != self._problem:
            log.warning("event source mapping %s: %s", self.uuid, problem)
            self._problem = problem
        return "problem"

    def _set_result(self, result: str) -> None:
        """LastProcessingResult, written only when it changes."""
        if result == self._result:
            return
        self._result = result
        config = self.store.get(self.uuid)
        if config is not None and config.get("LastProcessingResult") != result:
            config["LastProcessingResult"] = result
            self.store.set_config(self.uuid, config)

    async def _run(self) -> None:
        """The reader: fills the lanes' queues from the shard, in order."""
        while not self.closing:
            try:
                result = await self._read_more()
            except ServiceError as error:
                result = self._report(f"{error.code}: {error.message}")
            except Exception:
                log.exception("event source mapping %s", self.uuid)
                result = "problem"
            if result == "ok":
                self._problem = ""
            elif result == "idle":
                await self._pause(POLL)
            elif result == "full":
                self._space.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._space.wait(), POLL)
            else:
                await self._pause(CLOSED_POLL)

    # -- reading ------------------------------------------------------------------------

    async def _call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return await self.backend.cloud.call(self.ctx, "dynamodbstreams", operation, request)

    async def _describe(self) -> tuple[str, str]:
        if self._shard is None:
            found = await self._call("DescribeStream", {"StreamArn": self.source})
            description = found["StreamDescription"]
            shard = description["Shards"][0]["ShardId"]
            key = next(
                k["AttributeName"] for k in description["KeySchema"] if k["KeyType"] == "HASH"
            )
            self._shard = (shard, key)
        return self._shard

    async def _start_position(self, shard: str, kind: str) -> int:
        return await start_position(self.backend, self.source, shard, kind)

    async def _position(self, shard: str) -> int:
        """Where to read from: the checkpoint, else StartingPosition, pinned at once so
        that LATEST means "after what the stream held when the mapping started"."""
        position = self.store.checkpoint(self.uuid, shard)
        if position is None:
            position = await self._start_position(shard, self.starting)
            self.store.set_checkpoint(self.uuid, shard, position)
        return position

    async def _read(self, shard: str, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Records after `after`, and whether the shard is closed and read to its end."""
        iterator = iterators.encode(iterators.Position(self.source, shard, after, _now_ms()))
        found = await self._call("GetRecords", {"ShardIterator": iterator, "Limit": limit})
        records: list[dict[str, Any]] = found.get("Records", [])
        return records, "NextShardIterator" not in found

    async def _read_more(self) -> str:
        """Read what follows into the lanes: "ok", "idle", "full", "closed", "problem"."""
        if self.backend.store.get(self.function) is None:
            return self._report(f"Function not found: {self.function}")
        shard, key = await self._describe()
        if self._read_after is None:
            self._read_after = self._saved = await self._position(shard)
        room = min(MOST_RECORDS, max(READ_LIMIT, 2 * self.batch_size * self.factor))
        room -= len(self._unfinished)
        if room <= 0:
            return "full"
        try:
            got, finished = await self._read(shard, self._read_after, min(READ_LIMIT, room))
        except ServiceError as error:
            if error.code != "TrimmedDataAccessException":
                raise
            # the checkpoint fell behind the 24-hour retention: go on from the oldest
            self._report(f"records before the trim horizon were lost ({error.message})")
            self._read_after = await self._start_position(shard, "TRIM_HORIZON")
            self._save()
            return "ok"
        if self.closing:
            return "closed"
        if not got:
            return "closed" if finished else "idle"
        self._layout(shard, key)
        now = asyncio.get_running_loop().time()
        for record in got:
            event = event_record(record, self.source)
            # records no filter matches are passed over
            if self.filters and not any(f.matches(event) for f in self.filters):
                continue
            counter = _counter(record)
            self._unfinished[counter] = None
            lane = partition(event, key, len(self._queues))
            self._queues[lane].append((counter, now, event))
            self._wakes[lane].set()
        self._read_after = _counter(got[-1])
        self._save()
        return "ok"

    def _save(self) -> None:
        """Checkpoint before the oldest record not yet settled (or after all read)."""
        assert self._read_after is not None and self._shard is not None
        position = next(iter(self._unfinished)) - 1 if self._unfinished else self._read_after
        if position != self._saved:
            self.store.set_checkpoint(self.uuid, self._shard[0], position)
            self._saved = position

    def _layout(self, shard: str, key: str) -> None:
        """ParallelizationFactor lanes; a new factor takes effect once every record read
        so far is settled, so that no key's records can overtake each other."""
        if len(self._queues) == self.factor or (self._queues and self._unfinished):
            return
        for task in self._lane_tasks:
            task.cancel()  # idle: nothing of theirs is unsettled
        self._queues = [deque() for _ in range(self.factor)]
        self._wakes = [asyncio.Event() for _ in range(self.factor)]
        self._lane_tasks = []
        loop = asyncio.get_running_loop()
        for index in range(self.factor):
            task = loop.create_task(self._lane(shard, self._queues[index], self._wakes[index]))
            self.lanes.add(task)
            task.add_done_callback(self.lanes.discard)
            self._lane_tasks.append(task)

    # -- invoking -----------------------------------------------------------------------

    async def _lane(
        self, shard: str, queue: deque[tuple[int, float, dict[str, Any]]], wake: asyncio.Event
    ) -> None:
        """One lane: batches of its queue, each processed to the end before the next."""
        loop = asyncio.get_running_loop()
        while not self.closing:
            if not queue:
                wake.clear()
                await wake.wait()
                continue
            if self.window > 0 and len(queue) < self.batch_size:
                remaining = queue[0][1] + self.window - loop.time()
                if remaining > 0:  # wait for a full batch, up to the window
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), remaining)
                    continue
            batch: list[tuple[int, float, dict[str, Any]]] = []
            size = 0
            while queue and len(batch) < self.batch_size:
                weight = len(orjson.dumps(queue[0][2]))
                if batch and size + weight > PAYLOAD_LIMIT:
                    break
                batch.append(queue.popleft())
                size += weight
            try:
                await self._deliver(shard, [event for _, _, event in batch], 0)
            except _Stopped:
                return  # unsettled: read again from the checkpoint next time
            except Exception as error:
                queue.extendleft(reversed(batch))
                if isinstance(error, ServiceError):
                    self._report(f"{error.code}: {error.message}")
                else:
                    log.exception("event source mapping %s", self.uuid)
                await self._pause(CLOSED_POLL)
                continue
            for counter, _, _ in batch:
                del self._unfinished[counter]
            self._save()
            self._space.set()

    def _expired(self, events: list[dict[str, Any]]) -> int:
        """How many records at the head of `events` are older than MaximumRecordAge."""
        # -1: until the record leaves the stream's 24-hour retention
        age = self.max_age if self.max_age >= 0 else RETENTION_SECONDS
        oldest = _now_ms() / 1000 - age
        count = 0
        for event in events:
            if event["dynamodb"]["ApproximateCreationDateTime"] >= oldest:
                break
            count += 1
        return count

    async def _deliver(self, shard: str, batch: list[dict[str, Any]], retries: int) -> None:
        """Process one batch to the end: success, or its records discarded."""
        pending = batch
        invocations = 0
        while pending:
            expired = self._expired(pending)
            if expired:
                await self._discard(
                    shard, pending[:expired], "RecordAgeExceeded", invocations, None
                )
                pending = pending[expired:]
                continue
            outcome, resolved, request_id = await self._invoke(pending)
            invocations += 1
            first = self._first_failed(outcome, pending)
            if first is None:
                self._set_result("OK")
                return
            self._set_result("PROBLEM: Function call failed")
            if first >= 0:  # a partial failure: what precedes the lowest failed record is done
                pending = pending[first:]
            elif self.bisect and len(pending) > 1:
                middle = len(pending) // 2
                await self._deliver(shard, pending[:middle], retries)
                await self._deliver(shard, pending[middle:], retries)
                return
            if self._exhausted(retries):
                last = (outcome, resolved, request_id)
                await self._discard(shard, pending, "RetryAttemptsExhausted", invocations, last)
                return
            retries += 1
            await self._pause(_delay(retries))
            self._check_closing()

    def _first_failed(self, outcome: Outcome, events: list[dict[str, Any]]) -> int | None:
        """None when the batch succeeded; the index of the lowest record a partial batch
        response names; -1 when the whole batch failed (a function error, a malformed
        partial response), which is when a batch is bisected (AWS: a partial response
        "bisects" the batch at the record it names, retrying only what follows)."""
        if outcome.error is not None:
            return -1
        if not self.report:
            return None
        numbers = [e["dynamodb"]["SequenceNumber"] for e in events]
        failed = failed_items(outcome.payload, numbers)
        if failed is None:
            return -1
        if not failed:
            return None
        return min(i for i, n in enumerate(numbers) if n in failed)

    def _exhausted(self, retries: int) -> bool:
        return self.retries >= 0 and retries >= self.retries

    def _check_closing(self) -> None:
        if self.closing:
            raise _Stopped

    async def _invoke(self, events: list[dict[str, Any]]) -> tuple[Outcome, Resolved, str]:
        """Invoke synchronously; while the function is throttled, retry with backoff."""
        delay = 0.05
        payload = orjson.dumps({"Records": events})
        while True:
            self._check_closing()
            fn = self.backend.store.get(self.function)
            if fn is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"Function not found: {self.function}"
                )
            resolved = resolve(self.backend, fn, self.qualifier)
            request_id = str(uuids.uuid4())
            try:
                return await run(self.backend, resolved, payload, request_id), resolved, request_id
            except ServiceError as error:
                if error.code != "TooManyRequestsException":
                    raise
            await self._pause(delay)
            delay = min(delay * 2, 1.0)

    async def _discard(
        self,
        shard: str,
        events: list[dict[str, Any]],
        condition: str,
        invocations: int,
        last: tuple[Outcome, Resolved, str] | None,
    ) -> None:
        """Give up on records: describe them to the on-failure destination, if any."""
        log.info(
            "event source mapping %s discards %d records (%s)", self.uuid, len(events), condition
        )
        if not self.destination:
            return
        outcome, resolved, request_id = last if last is not None else (None, None, "")
        document = failure_document(
            records=events,
            shard_id=shard,
            stream_arn=self.source,
            function_arn=self.function_arn,
            request_id=request_id or str(uuids.uuid4()),
            condition=condition,
            invocations=invocations,
            function_error=outcome.error if outcome is not None else None,
            executed_version=resolved.version if resolved is not None else "$LATEST",
        )
        await send_to_destination(
            self.backend, self.destination, orjson.dumps(document).decode(), {}
        )


async def start_position(backend: Backend, source: str, shard: str, kind: str) -> int:
    """The position a shard iterator of `kind` (TRIM_HORIZON, LATEST) starts after."""
    ctx = stream_context(backend.cloud.endpoint_url, source)
    request = {"StreamArn": source, "ShardId": shard, "ShardIteratorType": kind}
    found = await backend.cloud.call(ctx, "dynamodbstreams", "GetShardIterator", request)
    position = iterators.decode(found["ShardIterator"])
    assert position is not None
    return position.after


def _counter(record: dict[str, Any]) -> int:
    value = parse_sequence_number(record["dynamodb"]["SequenceNumber"])
    assert value is not None
    return value


def _delay(retries: int) -> float:
    first, longest = RETRY_DELAY
    return float(min(first * 2 ** (retries - 1), longest))


def _now_ms() -> int:
    return int(time.time() * 1000)
