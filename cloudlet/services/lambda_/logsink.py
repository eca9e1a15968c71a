"""Each invocation's log, written to CloudWatch Logs through the Logs service's own
operations: `/aws/lambda/<function>`, one stream per execution environment."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.models import Resolved

if TYPE_CHECKING:
    from cloudlet.services.lambda_.backend import Backend
    from cloudlet.services.lambda_.runtime.pool import Outcome

log = logging.getLogger("cloudlet.lambda")


async def _ensure(
    backend: Backend, ctx: RequestContext, operation: str, request: dict[str, str]
) -> None:
    try:
        await backend.cloud.call(ctx, "logs", operation, request)
    except ServiceError as error:
        if error.code != "ResourceAlreadyExistsException":
            raise


async def write_log(
    backend: Backend, resolved: Resolved, request_id: str, outcome: Outcome
) -> None:
    from cloudlet.services.lambda_.invoke import report_lines

    fn = resolved.function
    group = resolved.config.get("LoggingConfig", {}).get("LogGroup", f"/aws/lambda/{fn.name}")
    stream = outcome.environment.log_stream
    ctx = RequestContext(
        request_id=request_id,
        account_id=fn.account,
        region=fn.region,
        base_url=backend.cloud.endpoint_url,
        host="",
        path="",
    )
    start, end, report = report_lines(resolved, request_id, outcome)
    lines = [start] + outcome.output.decode("utf-8", "replace").splitlines() + [end, report]
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in lines if line]
    try:
        if not outcome.environment.log_ready:
            await _ensure(backend, ctx, "CreateLogGroup", {"logGroupName": group})
            await _ensure(
                backend, ctx, "CreateLogStream", {"logGroupName": group, "logStreamName": stream}
            )
            outcome.environment.log_ready = True
        await backend.cloud.call(
            ctx,
            "logs",
            "PutLogEvents",
            {"logGroupName": group, "logStreamName": stream, "logEvents": events},
        )
    except KeyError:
        pass  # no Logs service in this cloudlet
    except Exception:
        log.exception("could not write the log of %s", request_id)
