"""Log group operations: create, delete, describe, retention policies and tags (both the
ARN-based TagResource family and the deprecated TagLogGroup family)."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.logs._common import (
    MAX_TAGS,
    check_group_name,
    check_limit,
    check_tags,
    find_group,
    group_arn,
    group_by_arn,
    page,
)
from cloudlet.services.logs.errors import constraint, invalid
from cloudlet.services.logs.models import LogGroup, LogsStore, now_ms

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)  # fmt: skip
LOG_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY")
DESCRIBE_LIMIT = 50


def create_log_group(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    name = request["logGroupName"]
    check_group_name(name)
    if name.startswith("aws/"):
        raise invalid("Log group names cannot start with 'aws/'.")
    log_class = request.get("logGroupClass") or "STANDARD"
    if log_class not in LOG_CLASSES:
        raise constraint(
            "logGroupClass", log_class, f"satisfy enum value set: [{', '.join(LOG_CLASSES)}]"
        )
    tags = dict(request.get("tags") or {})
    check_tags(tags)
    if len(tags) > MAX_TAGS:
        raise constraint("tags", tags, f"have length less than or equal to {MAX_TAGS}")
    if store.group(ctx.account_id, ctx.region, name) is not None:
        raise ServiceError(
            "ResourceAlreadyExistsException", "The specified log group already exists"
        )
    group = LogGroup(
        0, ctx.account_id, ctx.region, name, now_ms(), None, request.get("kmsKeyId"),
        log_class, tags,
    )  # fmt: skip
    store.insert_group(group)
    return {}


def delete_log_group(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = find_group(ctx, store, request["logGroupName"])
    store.delete_group(group.id)
    return {}


def describe_log_groups(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    prefix = request.get("logGroupNamePrefix")
    pattern = request.get("logGroupNamePattern")
    if prefix is not None and pattern is not None:
        raise invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    limit = check_limit(request, DESCRIBE_LIMIT)
    groups = store.groups(ctx.account_id, ctx.region, prefix or "")
    if pattern:
        # AWS: a case-sensitive substring search.
        groups = [g for g in groups if pattern in g.name]
    identifiers = request.get("logGroupIdentifiers")
    if identifiers:
        wanted = set(identifiers)
        groups = [g for g in groups if {g.name, g.arn, group_arn(g)} & wanted]
    if request.get("logGroupClass"):
        groups = [g for g in groups if g.log_class == request["logGroupClass"]]
    found, token = page(groups, request, limit)
    # AWS: with logGroupNamePattern, only arn, creationTime and logGroupName come back.
    brief = pattern is not None
    out: dict[str, Any] = {"logGroups": [_describe(store, g, brief) for g in found]}
    if token:
        out["nextToken"] = token
    return out


def _describe(store: LogsStore, group: LogGroup, brief: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created,
        "arn": group_arn(group),
    }
    if brief:
        return item
    item.update(
        metricFilterCount=0,
        storedBytes=store.stored_bytes(group.id),
        logGroupClass=group.log_class,
        logGroupArn=group.arn,
    )
    if group.retention is not None:
        item["retentionInDays"] = group.retention
    if group.kms_key:
        item["kmsKeyId"] = group.kms_key
    return item


# -- retention --------------------------------------------------------------------------


def put_retention_policy(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    days = request["retentionInDays"]
    if days not in RETENTION_DAYS:
        values = ", ".join(str(d) for d in RETENTION_DAYS)
        raise constraint("retentionInDays", days, f"satisfy enum value set: [{values}]")
    group = find_group(ctx, store, request["logGroupName"])
    store.set_retention(group, days)
    cutoff = group.cutoff(now_ms())
    if cutoff is not None:
        # Sweep now rather than at the next tick, so storedBytes is right at once.
        store.expire(group.id, cutoff)
    return {}


def delete_retention_policy(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = find_group(ctx, store, request["logGroupName"])
    store.set_retention(group, None)
    return {}


# -- tags -------------------------------------------------------------------------------


def _add_tags(store: LogsStore, group: LogGroup, tags: dict[str, str], code: str) -> None:
    check_tags(tags)
    merged = {**group.tags, **tags}
    if len(merged) > MAX_TAGS:
        raise ServiceError(code, f"A resource can have no more than {MAX_TAGS} tags.")
    store.set_tags(group, merged)


def _remove_tags(store: LogsStore, group: LogGroup, keys: list[str]) -> None:
    dropped = set(keys)
    store.set_tags(group, {k: v for k, v in group.tags.items() if k not in dropped})


def tag_resource(ctx: RequestContext, store: LogsStore, request: dict[str, Any]) -> dict[str, Any]:
    group = group_by_arn(ctx, store, request["resourceArn"])
    _add_tags(store, group, dict(request["tags"]), "TooManyTagsException")
    return {}


def untag_resource(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = group_by_arn(ctx, store, request["resourceArn"])
    _remove_tags(store, group, request["tagKeys"])
    return {}


def list_tags_for_resource(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    return {"tags": group_by_arn(ctx, store, request["resourceArn"]).tags}


def tag_log_group(ctx: RequestContext, store: LogsStore, request: dict[str, Any]) -> dict[str, Any]:
    group = find_group(ctx, store, request["logGroupName"])
    # TagLogGroup's model lists no TooManyTagsException; AWS uses InvalidParameter there.
    _add_tags(store, group, dict(request["tags"]), "InvalidParameterException")
    return {}


def untag_log_group(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    group = find_group(ctx, store, request["logGroupName"])
    _remove_tags(store, group, request["tags"])
    return {}


def list_tags_log_group(
    ctx: RequestContext, store: LogsStore, request: dict[str, Any]
) -> dict[str, Any]:
    return {"tags": find_group(ctx, store, request["logGroupName"]).tags}
