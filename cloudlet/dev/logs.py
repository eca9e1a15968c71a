"""Function logs in the terminal: read a function's CloudWatch Logs group
(`/aws/lambda/<name>`) with FilterLogEvents, once or following it, and print each line
with the function's colour, the request it belongs to, errors highlighted and the
correlation id of structured (JSON) log lines.

The Lambda runtime writes `START RequestId: ...`, the function's own output, then
`END` and `REPORT`; lines between START and END of one log stream belong to that
request, which is how a plain `print()` line gets its request id.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import click
import orjson

# Distinct, readable on dark and light terminals; a function keeps its colour.
PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta")

_RUNTIME_LINE = re.compile(r"^(START|END|REPORT) RequestId: ([0-9a-fA-F-]{8,})")
_ERROR = re.compile(
    r"(^\[?(ERROR|CRITICAL|FATAL)\b|^Traceback \(most recent call last\)|"
    r"\bTask timed out\b|\"errorMessage\"|Runtime\.\w+Error)"
)
_CORRELATION_KEYS = ("correlation_id", "correlationId", "correlation-id", "x-correlation-id")


@dataclass
class LogEvent:
    function: str
    stream: str
    timestamp: int
    message: str
    event_id: str


@dataclass
class LogLine:
    """A log event as the terminal shows it."""

    function: str
    message: str
    request_id: str | None
    error: bool
    correlation_id: str | None
    runtime: bool
    """START/END/REPORT, the runtime's own lines."""


def correlation_id(message: str) -> str | None:
    """The correlation id of a structured log line (Powertools' `correlation_id`, or the
    camel-case forms), when the line is a JSON object carrying one."""
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    for key in _CORRELATION_KEYS:
        found = value.get(key)
        if isinstance(found, (str, int)) and not isinstance(found, bool):
            return str(found)
    return None


def _structured_error(message: str) -> bool:
    text = message.strip()
    if not text.startswith("{"):
        return False
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    level = value.get("level") if isinstance(value, dict) else None
    return isinstance(level, str) and level.upper() in ("ERROR", "CRITICAL", "FATAL")


def is_error(message: str) -> bool:
    return (
        bool(_ERROR.search(message)) or message.startswith("ERROR:") or _structured_error(message)
    )


@dataclass
class Annotator:
    """Gives each event its request id: the last START seen on the event's stream."""

    current: dict[tuple[str, str], str] = field(default_factory=dict)

    def line(self, event: LogEvent) -> LogLine:
        message = event.message.rstrip("\n")
        key = (event.function, event.stream)
        runtime = _RUNTIME_LINE.match(message)
        request_id: str | None
        if runtime is not None:
            kind, request_id = runtime.group(1), runtime.group(2)
            if kind == "START":
                self.current[key] = request_id
            elif kind == "REPORT":
                self.current.pop(key, None)
        else:
            request_id = self.current.get(key)
            # AWS's Python runtime format: "[LEVEL]\t<time>\t<request id>\t<message>".
            parts = message.split("\t")
            if len(parts) >= 4 and parts[0].startswith("[") and len(parts[2]) >= 32:
                request_id = parts[2]
        return LogLine(
            function=event.function,
            message=message,
            request_id=request_id,
            error=is_error(message) or "Status: error" in message,
            correlation_id=correlation_id(message),
            runtime=runtime is not None,
        )


@dataclass
class Styler:
    """Colours lines per function (stable: the first function seen gets the first colour)."""

    colour: bool = True
    colours: dict[str, str] = field(default_factory=dict)
    width: int = 0

    def register(self, functions: Iterable[str]) -> None:
        for name in functions:
            self.colours.setdefault(name, PALETTE[len(self.colours) % len(PALETTE)])
            self.width = max(self.width, len(name))

    def render(self, line: LogLine) -> str:
        self.register([line.function])
        name = click.style(
            line.function.ljust(self.width), fg=self.colours[line.function], bold=True
        )
        request = (line.request_id or "-")[:8]
        text = line.message
        if line.error:
            text = click.style(text, fg="red", bold=True)
        elif line.runtime:
            text = click.style(text, dim=True)
        suffix = f" [correlation_id={line.correlation_id}]" if line.correlation_id else ""
        rendered = f"{name} {click.style(request, dim=True)} {text}{suffix}"
        return rendered if self.colour else click.unstyle(rendered)


Clients = Callable[[str], Any]


@dataclass
class LogTail:
    """Reads new events of some functions' log groups with FilterLogEvents. Each `poll()`
    returns the events written since the previous one (by timestamp, each event once)."""

    logs: Any
    functions: dict[str, str]
    """Shown name -> log group name."""
    filter_pattern: str | None = None
    start_ms: int = 0
    seen: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per group, the ids (and timestamps) of events already returned."""
    since: dict[str, int] = field(default_factory=dict)

    def poll(self) -> list[LogEvent]:
        found: list[LogEvent] = []
        for shown, group in self.functions.items():
            found += self._group(shown, group)
        found.sort(key=lambda e: (e.timestamp, e.event_id))
        return found

    def _group(self, shown: str, group: str) -> list[LogEvent]:
        start = self.since.get(group, self.start_ms)
        request: dict[str, Any] = {"logGroupName": group, "startTime": start}
        if self.filter_pattern:
            request["filterPattern"] = self.filter_pattern
        seen = self.seen.setdefault(group, {})
        out: list[LogEvent] = []
        newest = start
        try:
            for page in _pages(self.logs, request):
                for item in page.get("events", []):
                    event_id = item["eventId"]
                    newest = max(newest, int(item["timestamp"]))
                    if event_id in seen:
                        continue
                    seen[event_id] = int(item["timestamp"])
                    out.append(
                        LogEvent(
                            shown,
                            item.get("logStreamName", ""),
                            int(item["timestamp"]),
                            item.get("message", ""),
                            event_id,
                        )
                    )
        except self.logs.exceptions.ResourceNotFoundException:
            return []  # no invocation yet: Lambda creates the group on the first one
        # Events of the newest millisecond may still arrive: read it again next time,
        # and forget ids older than it (they cannot come back).
        self.since[group] = newest
        if len(seen) > 1_000:
            self.seen[group] = {i: t for i, t in seen.items() if t >= newest}
        return out


def _pages(logs: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = logs.filter_log_events(**request, **({"nextToken": token} if token else {}))
        yield page
        token = page.get("nextToken")
        if not token:
            return


def follow(
    tail: LogTail,
    emit: Callable[[LogEvent], None],
    stop: Callable[[], bool],
    interval: float = 0.25,
) -> None:
    """Poll until `stop()` says so, handing each new event to `emit`."""
    while not stop():
        for event in tail.poll():
            emit(event)
        deadline = time.monotonic() + interval
        while time.monotonic() < deadline and not stop():
            time.sleep(min(0.05, interval))
