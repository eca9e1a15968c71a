"""Lines for CloudWatch Logs (access logs, execution logs), written through the Logs
service's own operations.

Lines are gathered and written together shortly after the calls (as on AWS, logs
arrive after the response): one PutLogEvents per group and stream every FLUSH_S. The
stream is created on first use; execution log groups are created too, as API Gateway
creates them.
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

log = logging.getLogger("cloudlet.apigateway")
FLUSH_S = 0.2
Key = tuple[str, str, str, str]  # region, account, group, stream


class LogWriter:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._pending: dict[Key, list[dict[str, Any]]] = {}
        self._streams: set[Key] = set()
        self._create_groups: set[Key] = set()
        self._flusher: asyncio.Task[None] | None = None

    def add(self, key: Key, lines: list[str], create_group: bool = False) -> None:
        stamp = int(time.time() * 1000)
        events = self._pending.setdefault(key, [])
        events += [{"timestamp": stamp, "message": line[:262_118]} for line in lines if line]
        if create_group:
            self._create_groups.add(key)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(FLUSH_S)
        finally:
            self._flusher = None
        await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for key, events in pending.items():
            try:
                await self._write(key, events)
            except ServiceError as error:
                log.info("log lines for %s dropped: %s", key[2], error.message)
            except Exception:
                log.exception("could not write log lines to %s", key[2])

    async def _write(self, key: Key, events: list[dict[str, Any]]) -> None:
        region, account, group, stream = key
        ctx = RequestContext(
            request_id="", account_id=account, region=region, base_url="", host="", path="/"
        )
        if key in self._create_groups and key not in self._streams:
            try:
                await self.cloud.call(ctx, "logs", "CreateLogGroup", {"logGroupName": group})
            except ServiceError as error:
                if error.code != "ResourceAlreadyExistsException":
                    raise
        if key not in self._streams:
            try:
                await self.cloud.call(
                    ctx, "logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream}
                )
            except ServiceError as error:
                if error.code != "ResourceAlreadyExistsException":
                    raise
            self._streams.add(key)
        request = {"logGroupName": group, "logStreamName": stream, "logEvents": events}
        try:
            await self.cloud.call(ctx, "logs", "PutLogEvents", request)
        except ServiceError:
            self._streams.discard(key)  # the stream may have been deleted: create it again
            raise

    def reset(self) -> None:
        self._pending.clear()
        self._streams.clear()
        self._create_groups.clear()
