"""`cloudlet invoke`: one synchronous Invoke with the log tail (LogType=Tail)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Invocation:
    status: int
    payload: bytes
    function_error: str | None
    """"Unhandled" or "Handled" when the function failed (X-Amz-Function-Error)."""
    log_tail: str
    """The last 4 KB of the invocation's log."""
    version: str | None


def invoke(lam: Any, name: str, event: bytes) -> Invocation:
    answer = lam.invoke(FunctionName=name, Payload=event, LogType="Tail")
    tail = answer.get("LogResult")
    return Invocation(
        status=int(answer["StatusCode"]),
        payload=answer["Payload"].read(),
        function_error=answer.get("FunctionError"),
        log_tail=base64.b64decode(tail).decode("utf-8", "replace") if tail else "",
        version=answer.get("ExecutedVersion"),
    )


def pretty(payload: bytes) -> str:
    """The payload, indented when it is JSON, else as text."""
    try:
        value = json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")
    return json.dumps(value, indent=2, ensure_ascii=False)
