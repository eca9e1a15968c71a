"""Lines other services write to CloudWatch Logs (Lambda invocations, API Gateway access
and execution logs), through the Logs service's own operations.

Lines are gathered and written together shortly after they are produced (as on AWS, logs
arrive a little after the work that wrote them): every `flush_s`, one PutLogEvents per
group and stream — one call and one commit for many invocations instead of one each.
A stream is created on first use (and its group, when asked); a stream deleted meanwhile
is created again once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.services.base import Cloud

log = logging.getLogger("cloudlet.logs")
MAX_EVENT = 256 * 1024 - 26  # the largest event message Logs accepts
Key = tuple[str, str, str, str]  # region, account, group, stream


def batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split into PutLogEvents batches: at most 10,000 events and 1 MiB, counting the
    26 bytes of overhead per event that AWS counts."""
    out: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        cost = len(event["message"].encode()) + 26
        if len(out[-1]) >= 10_000 or size + cost > 1_048_576:
            out.append([])
            size = 0
        out[-1].append(event)
        size += cost
    return [batch for batch in out if batch]


class LogWriter:
    def __init__(self, cloud: Cloud, flush_s: float) -> None:
        self.cloud = cloud
        self.flush_s = flush_s
        self._pending: dict[Key, list[dict[str, Any]]] = {}
        self._streams: set[Key] = set()
        self._create_groups: set[Key] = set()
        self._flusher: asyncio.Task[None] | None = None

    def add(self, key: Key, lines: list[str], create_group: bool = False) -> None:
        """Queue lines for `key`'s stream, stamped now; `create_group` makes the group
        too if it is missing (Lambda and execution logs), else lines for a missing
        group are dropped (access logs: AWS requires the group to exist)."""
        stamp = int(time.time() * 1000)
        events = self._pending.setdefault(key, [])
        events += [{"timestamp": stamp, "message": line[:MAX_EVENT]} for line in lines if line]
        if create_group:
            self._create_groups.add(key)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(self.flush_s)
        finally:
            self._flusher = None
        await self.flush()

    async def flush(self) -> None:
        """Write everything queued so far."""
        pending, self._pending = self._pending, {}
        for key, events in pending.items():
            try:
                await self._write(key, events)
            except ServiceError as error:
                log.info("log lines for %s dropped: %s", key[2], error.message)
            except KeyError:
                return  # no Logs service in this cloudlet
            except Exception:
                log.exception("could not write log lines to %s", key[2])

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self.flush()

    async def _write(self, key: Key, events: list[dict[str, Any]]) -> None:
        region, account, group, stream = key
        ctx = RequestContext(
            request_id="", account_id=account, region=region, base_url="", host="", path="/"
        )
        for attempt in (1, 2):
            if key not in self._streams:
                if key in self._create_groups:
                    await self._ensure(ctx, "CreateLogGroup", {"logGroupName": group})
                names = {"logGroupName": group, "logStreamName": stream}
                await self._ensure(ctx, "CreateLogStream", names)
                self._streams.add(key)
            try:
                for batch in batches(events):
                    request = {"logGroupName": group, "logStreamName": stream, "logEvents": batch}
                    await self.cloud.call(ctx, "logs", "PutLogEvents", request)
                return
            except ServiceError as error:
                # The group or stream was deleted meanwhile: make them again, once.
                self._streams.discard(key)
                if error.code != "ResourceNotFoundException" or attempt == 2:
                    raise

    async def _ensure(self, ctx: RequestContext, operation: str, request: dict[str, str]) -> None:
        try:
            await self.cloud.call(ctx, "logs", operation, request)
        except ServiceError as error:
            if error.code != "ResourceAlreadyExistsException":
                raise

    def reset(self) -> None:
        self._pending.clear()
        self._streams.clear()
        self._create_groups.clear()
