"""Log event operations: PutLogEvents (ingestion, with AWS's batch rules), GetLogEvents
(one stream, paged both ways) and FilterLogEvents (a group, with filter patterns).

PutLogEvents is on Lambda's hot path (every invocation's output arrives through it),
so it costs one lookup and one transaction whatever the batch size.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.logs._common import (
    check_limit,
    decode_token,
    encode_token,
    resolve_group,
)
from cloudlet.services.logs.errors import (
    constraint,
    group_not_found,
    invalid,
    invalid_token,
    stream_not_found,
)
from cloudlet.services.logs.filter_pattern import InvalidFilterPattern, compile_pattern
from cloudlet.services.logs.models import DAY_MS, LogsStore, now_ms
from cloudlet.services.logs.streams import sequence_token
from cloudlet.store import Row

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26  # bytes AWS adds to each event's UTF-8 size when sizing a batch
MAX_EVENTS_RETURNED = 10_000
MAX_RESPONSE_BYTES = 1_048_576
TOO_OLD_MS = 14 * DAY_MS
TOO_NEW_MS = 2 * 3_600_000
_FAR = 1 << 62  # later than any timestamp or row id
_SCAN_BATCH = 1000


# -- PutLogEvents -----------------------------------------------------------------------


def put_log_events(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    events = [(int(e["timestamp"]), e["message"]) for e in request["logEvents"]]
    sizes = _check_batch(events)
    target = store.target(
        ctx.account_id, ctx.region, request["logGroupName"], request["logStreamName"]
    )
    if target is None:
        raise group_not_found()
    group_id, retention, stream_id = target
    if stream_id is None:
        raise stream_not_found()
    now = now_ms()
    # Events are in time order, so each rejected kind is a run at one end of the batch.
    too_old = _count_before(events, now - TOO_OLD_MS)
    expired = 0 if retention is None else _count_before(events, now - retention * DAY_MS)
    too_new = len(events) - _count_before(events, now + TOO_NEW_MS + 1)
    first, end = max(too_old, expired), len(events) - too_new
    if first < end:
        seq = store.append(group_id, stream_id, events[first:end], now, sum(sizes[first:end]))
    else:
        seq = store.bump_sequence(stream_id)
    out: dict[str, Any] = {"nextSequenceToken": sequence_token(seq)}
    rejected = {}
    if too_old:
        rejected["tooOldLogEventEndIndex"] = too_old
    if expired:
        rejected["expiredLogEventEndIndex"] = expired
    if too_new:
        rejected["tooNewLogEventStartIndex"] = end
    if rejected:
        out["rejectedLogEventsInfo"] = rejected
    return out


def _check_batch(events: list[tuple[int, str]]) -> list[int]:
    """AWS's batch rules; returns each message's UTF-8 size."""
    if not events:
        raise constraint("logEvents", "[]", "have length greater than or equal to 1")
    if len(events) > MAX_BATCH_EVENTS:
        raise constraint(
            "logEvents", f"[{len(events)} events]", "have length less than or equal to 10000"
        )
    sizes = []
    previous = events[0][0]
    for timestamp, message in events:
        if not message:
            raise constraint(
                "logEvents.member.message", "", "have length greater than or equal to 1"
            )
        if timestamp < previous:
            raise invalid(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
        previous = timestamp
        sizes.append(len(message.encode("utf-8")))
    total = sum(sizes) + EVENT_OVERHEAD * len(events)
    if total > MAX_BATCH_BYTES:
        raise invalid(f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")
    if events[-1][0] - events[0][0] > DAY_MS:
        raise invalid(
            "The batch of log events in a single PutLogEvents request cannot span more "
            "than 24 hours."
        )
    return sizes


def _count_before(events: list[tuple[int, str]], limit: int) -> int:
    """How many of the (time-ordered) events are stamped before `limit`."""
    count = 0
    for timestamp, _ in events:
        if timestamp >= limit:
            break
        count += 1
    return count


# -- GetLogEvents -----------------------------------------------------------------------


def get_log_events(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = resolve_group(ctx, store, request)
    stream = store.stream(group.id, request["logStreamName"])
    if stream is None:
        raise stream_not_found()
    limit = check_limit(request, MAX_EVENTS_RETURNED)
    start, end = _window(request, group.cutoff(now_ms()))
    token = request.get("nextToken")
    if token:
        forward, cursor = _parse_position(token)
    else:
        # Without a token AWS returns the newest events unless startFromHead is set.
        forward = bool(request.get("startFromHead"))
        cursor = (-1, -1) if forward else (_FAR, _FAR)
    rows = store.stream_events(group.id, stream.id, start, end, cursor, forward, limit)
    rows = _within_response_size(rows, 3)
    if not forward:
        rows.reverse()
    if rows:
        head, tail = (rows[0][1], rows[0][0]), (rows[-1][1], rows[-1][0])
        forward_token, backward_token = _position("f", tail), _position("b", head)
    elif token:
        # At the end of the stream AWS hands back the token it was given; the other
        # direction resumes from the same point.
        ts, row_id = cursor
        if forward:
            forward_token, backward_token = token, _position("b", (ts, row_id + 1))
        else:
            forward_token, backward_token = _position("f", (ts, row_id - 1)), token
    else:
        # An empty stream: reading forward later picks up whatever arrives.
        forward_token, backward_token = _position("f", (-1, -1)), _position("b", cursor)
    return {
        "events": [{"timestamp": r[1], "message": r[3], "ingestionTime": r[2]} for r in rows],
        "nextForwardToken": forward_token,
        "nextBackwardToken": backward_token,
    }


def _window(request: dict[str, Any], cutoff: int | None) -> tuple[int, int]:
    start = int(request.get("startTime") or 0)
    end = request.get("endTime")
    if cutoff is not None:
        start = max(start, cutoff)  # events past the retention period are gone
    return start, _FAR if end is None else int(end)


def _position(direction: str, cursor: tuple[int, int]) -> str:
    """A GetLogEvents token: f/ or b/ and 56 digits, the shape of AWS's tokens."""
    ts, row_id = cursor
    return f"{direction}/{ts + 1:028d}{row_id + 1:028d}"


def _parse_position(token: str) -> tuple[bool, tuple[int, int]]:
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b") or len(digits) != 56 or not digits.isdigit():
        raise invalid_token()
    return direction == "f", (int(digits[:28]) - 1, int(digits[28:]) - 1)


def _within_response_size(rows: list[Row], message_column: int) -> list[Row]:
    """The leading rows whose events fit AWS's 1 MB response limit (at least one)."""
    size = 0
    for i, row in enumerate(rows):
        size += len(row[message_column].encode("utf-8")) + EVENT_OVERHEAD
        if size > MAX_RESPONSE_BYTES and i:
            return rows[:i]
    return rows


# -- FilterLogEvents --------------------------------------------------------------------


def filter_log_events(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = resolve_group(ctx, store, request)
    limit = check_limit(request, MAX_EVENTS_RETURNED)
    streams = _stream_clause(group.id, request)
    try:
        pattern = compile_pattern(request.get("filterPattern") or "")
    except InvalidFilterPattern:
        raise invalid("Invalid filter pattern") from None
    # Unlike GetLogEvents', FilterLogEvents' endTime is inclusive (group_events uses <=).
    start, end = _window(request, group.cutoff(now_ms()))
    cursor = (-1, -1)
    if request.get("nextToken"):
        state = decode_token(request["nextToken"])
        if set(state) != {"t", "i"}:
            raise invalid_token()
        cursor = (state["t"], state["i"])
    found: list[Row] = []
    size, more = 0, False
    while not more:
        rows = store.group_events(
            group.id, streams, start, end, cursor, pattern.required_terms, _SCAN_BATCH
        )
        for row in rows:
            if not pattern.matches(row[4]):
                continue
            cost = len(row[4].encode("utf-8")) + EVENT_OVERHEAD
            if len(found) == limit or (found and size + cost > MAX_RESPONSE_BYTES):
                more = True  # one more match exists: worth a nextToken
                break
            found.append(row)
            size += cost
        if len(rows) < _SCAN_BATCH:
            break
        cursor = (rows[-1][2], rows[-1][0])
    names = store.stream_names({row[1] for row in found}) if found else {}
    out: dict[str, Any] = {
        "events": [
            {
                "logStreamName": names[row[1]],
                "timestamp": row[2],
                "message": row[4],
                "ingestionTime": row[3],
                "eventId": f"{row[0]:056d}",
            }
            for row in found
        ],
        # AWS stopped reporting searched streams in 2020 and returns an empty list.
        "searchedLogStreams": [],
    }
    if more:
        out["nextToken"] = encode_token({"t": found[-1][2], "i": found[-1][0]})
    return out


def _stream_clause(group_id: int, request: dict[str, Any]) -> tuple[str, list[object]]:
    """The SQL condition on stream_id for logStreamNames / logStreamNamePrefix."""
    names = request.get("logStreamNames")
    prefix = request.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive.")
    if names is not None:
        if not 1 <= len(names) <= 100:
            raise constraint("logStreamNames", names, "have length between 1 and 100")
        marks = ",".join("?" * len(names))
        return (
            " AND stream_id IN (SELECT id FROM logs_streams WHERE group_id = ? "
            f"AND name IN ({marks}))",
            [group_id, *names],
        )
    if prefix is not None:
        return (
            " AND stream_id IN (SELECT id FROM logs_streams WHERE group_id = ? "
            "AND substr(name, 1, ?) = ?)",
            [group_id, len(prefix), prefix],
        )
    return "", []
