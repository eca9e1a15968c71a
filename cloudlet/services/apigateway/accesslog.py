"""Stage access logs: one line per call, in the stage's `accessLogSettings.format` with
its `$context.*` variables, written to the CloudWatch Logs group of `destinationArn`
through the Logs service's own operations.

Lines are gathered and written together shortly after the calls (as on AWS, access logs
arrive after the response), one PutLogEvents per group and stage every FLUSH_S; the
stream is created on first use. A group that does not exist drops its lines (AWS
refuses to set such a destination; here it may be deleted later).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.services.base import Cloud

log = logging.getLogger("cloudlet.apigateway")
FLUSH_S = 0.2
_VARIABLE = re.compile(r"\$(?:context|stageVariables)(?:\.[A-Za-z0-9_-]+)+|\$\{[^}]+\}")
_GROUP_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$")


def destination(arn: str) -> tuple[str, str, str] | None:
    """(region, account, group) of a log group ARN."""
    found = _GROUP_ARN.match(arn)
    return None if found is None else (found.group(1), found.group(2), found.group(3))


def render(fmt: str, context: dict[str, Any], stage_variables: dict[str, str]) -> str:
    """`$context.x.y` (and `${context.x}`) replaced by their values; missing ones are
    "-", as API Gateway writes them."""

    def value(found: re.Match[str]) -> str:
        name = found.group(0).lstrip("$").strip("{}")
        root, _, rest = name.partition(".")
        current: Any = context if root == "context" else stage_variables
        for part in rest.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        if current is None or isinstance(current, (dict, list)):
            return "-"
        return str(current)

    return _VARIABLE.sub(value, fmt)


class AccessLog:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._pending: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        self._streams: set[tuple[str, str, str, str]] = set()
        self._flusher: asyncio.Task[None] | None = None

    def add(self, arn: str, stream: str, line: str) -> None:
        where = destination(arn)
        if where is None:
            return
        key = (*where, stream)
        event = {"timestamp": int(time.time() * 1000), "message": line}
        self._pending.setdefault(key, []).append(event)
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
                log.info("access log to %s dropped: %s", key[2], error.message)
            except Exception:
                log.exception("could not write the access log to %s", key[2])

    async def _write(self, key: tuple[str, str, str, str], events: list[dict[str, Any]]) -> None:
        region, account, group, stream = key
        ctx = RequestContext(
            request_id="", account_id=account, region=region, base_url="", host="", path="/"
        )
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
