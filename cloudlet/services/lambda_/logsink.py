"""Each invocation's log, written to CloudWatch Logs through the Logs service's own
operations: `/aws/lambda/<function>`, one stream per execution environment."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.models import Resolved

if TYPE_CHECKING:
    from cloudlet.services.lambda_.backend import Backend
    from cloudlet.services.lambda_.runtime.pool import Outcome

log = logging.getLogger("cloudlet.lambda")
MAX_EVENT = 256 * 1024 - 26  # the largest event message Logs accepts


async def _ensure(
    backend: Backend, ctx: RequestContext, operation: str, request: dict[str, str]
) -> None:
    try:
        await backend.cloud.call(ctx, "logs", operation, request)
    except ServiceError as error:
        if error.code != "ResourceAlreadyExistsException":
            raise


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split into PutLogEvents batches: at most 10,000 events and 1 MiB, counting the
    26 bytes of overhead per event that AWS counts."""
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        cost = len(event["message"].encode()) + 26
        if len(batches[-1]) >= 10_000 or size + cost > 1_048_576:
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += cost
    return [batch for batch in batches if batch]


async def write_log(
    backend: Backend, resolved: Resolved, request_id: str, outcome: Outcome
) -> None:
    from cloudlet.services.lambda_.invoke import report_lines

    fn = resolved.function
    group = resolved.config.get("LoggingConfig", {}).get("LogGroup", f"/aws/lambda/{fn.name}")
    env = outcome.environment
    ctx = RequestContext(
        request_id=request_id,
        account_id=fn.account,
        region=fn.region,
        base_url=backend.cloud.endpoint_url,
        host="",
        path="",
    )
    start, end, report = report_lines(resolved, request_id, outcome)
    lines = [start, *outcome.output.decode("utf-8", "replace").splitlines(), end, report]
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line[:MAX_EVENT]} for line in lines if line]
    try:
        for attempt in (1, 2):
            if not env.log_ready:
                await _ensure(backend, ctx, "CreateLogGroup", {"logGroupName": group})
                stream = {"logGroupName": group, "logStreamName": env.log_stream}
                await _ensure(backend, ctx, "CreateLogStream", stream)
                env.log_ready = True
            try:
                for batch in _batches(events):
                    request = {
                        "logGroupName": group,
                        "logStreamName": env.log_stream,
                        "logEvents": batch,
                    }
                    await backend.cloud.call(ctx, "logs", "PutLogEvents", request)
                return
            except ServiceError as error:
                # The group or stream was deleted meanwhile: make them again, once.
                if error.code != "ResourceNotFoundException" or attempt == 2:
                    raise
                env.log_ready = False
    except KeyError:
        pass  # no Logs service in this cloudlet
    except Exception:
        log.exception("could not write the log of %s", request_id)
