"""Each invocation's log, written to CloudWatch Logs: `/aws/lambda/<function>` (or the
function's LoggingConfig.LogGroup), one stream per execution environment. Lines reach
Logs within FLUSH_S of the invocation, written together with other invocations' lines
(logs/writer.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.services.lambda_.models import Resolved
from cloudlet.services.logs.writer import LogWriter

if TYPE_CHECKING:
    from cloudlet.services.base import Cloud
    from cloudlet.services.lambda_.runtime.pool import Outcome

FLUSH_S = 0.2


class LogSink:
    def __init__(self, cloud: Cloud) -> None:
        self.writer = LogWriter(cloud, FLUSH_S)

    def add(self, resolved: Resolved, request_id: str, outcome: Outcome) -> None:
        """Queue an invocation's START, output, END and REPORT lines."""
        from cloudlet.services.lambda_.invoke import report_lines

        fn = resolved.function
        default = f"/aws/lambda/{fn.name}"
        group = resolved.config.get("LoggingConfig", {}).get("LogGroup", default)
        start, end, report = report_lines(resolved, request_id, outcome)
        lines = [start, *outcome.output.decode("utf-8", "replace").splitlines(), end, report]
        key = (fn.region, fn.account, group, outcome.environment.log_stream)
        self.writer.add(key, lines, create_group=True)

    async def close(self) -> None:
        await self.writer.close()
