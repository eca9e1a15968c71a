"""Log stream operations: create, delete, describe."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.logs._common import (
    check_limit,
    check_stream_name,
    find_group,
    page,
    resolve_group,
)
from cloudlet.services.logs.errors import invalid, stream_not_found
from cloudlet.services.logs.models import LogGroup, LogsStore, LogStream, now_ms

DESCRIBE_LIMIT = 50


def sequence_token(seq: int) -> str:
    """uploadSequenceToken / nextSequenceToken: a decimal string, as AWS's are. PutLogEvents
    ignores tokens (AWS stopped checking them in 2023), so only their shape matters."""
    return f"{seq:056d}"


def create_log_stream(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    name = request["logStreamName"]
    check_stream_name(name)
    group = find_group(ctx, store, request["logGroupName"])
    if store.stream(group.id, name) is not None:
        raise ServiceError(
            "ResourceAlreadyExistsException", "The specified log stream already exists"
        )
    store.insert_stream(group.id, name, now_ms())
    return {}


def delete_log_stream(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = find_group(ctx, store, request["logGroupName"])
    stream = store.stream(group.id, request["logStreamName"])
    if stream is None:
        raise stream_not_found()
    store.delete_stream(stream.id)
    return {}


def describe_log_streams(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = resolve_group(ctx, store, request)
    prefix = request.get("logStreamNamePrefix")
    by_last_event = request.get("orderBy", "LogStreamName") == "LastEventTime"
    if by_last_event and prefix is not None:
        raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    limit = check_limit(request, DESCRIBE_LIMIT)
    streams = store.streams(group.id, prefix or "", by_last_event, bool(request.get("descending")))
    found, token = page(streams, request, limit)
    out: dict[str, Any] = {"logStreams": [_describe(group, s) for s in found]}
    if token:
        out["nextToken"] = token
    return out


def _describe(group: LogGroup, stream: LogStream) -> dict[str, Any]:
    item: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created,
        "arn": f"{group.arn}:log-stream:{stream.name}",
        # Deprecated for streams since 2019: AWS reports zero.
        "storedBytes": 0,
    }
    if stream.first_event is not None:
        item["firstEventTimestamp"] = stream.first_event
        item["lastEventTimestamp"] = stream.last_event
        item["lastIngestionTime"] = stream.last_ingestion
    if stream.seq:
        item["uploadSequenceToken"] = sequence_token(stream.seq)
    return item
