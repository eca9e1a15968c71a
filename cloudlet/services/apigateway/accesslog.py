"""Stage access logs: one line per call, in the stage's `accessLogSettings.format` with
its `$context.*` variables, for the CloudWatch Logs group of `destinationArn` (written
by logs.writer.LogWriter). A group that does not exist drops its lines (AWS refuses to set
such a destination; here it may be deleted later)."""

from __future__ import annotations

import re
from typing import Any

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
