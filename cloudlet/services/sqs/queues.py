"""SQS queue operations: create, find, list, configure, tag, permit, delete, purge."""

from __future__ import annotations

import base64
import re
import time
from typing import Any
from urllib.parse import urlsplit

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.routing import host_service_region
from cloudlet.services.sqs import attributes as attrs
from cloudlet.services.sqs.errors import (
    invalid_attribute_name,
    invalid_parameter,
    queue_does_not_exist,
)
from cloudlet.services.sqs.models import Queue, SqsStore, now_ms

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
MAX_TAGS = 50


def queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def resolve(ctx: RequestContext, store: SqsStore, url: str) -> Queue:
    """The queue a QueueUrl names (both `host/<account>/<name>` forms AWS SDKs meet)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        raise queue_does_not_exist()
    region = ctx.region
    service, host_region = host_service_region(parts.netloc)
    if service == "sqs" and host_region:
        region = host_region
    queue = store.by_arn(queue_arn(region, segments[-2], segments[-1]))
    if queue is None:
        raise queue_does_not_exist()
    return queue


def resolve_arn(store: SqsStore, arn: str) -> Queue | None:
    return store.by_arn(arn)


def _check_name(name: str, fifo: bool) -> None:
    if fifo and not _FIFO_NAME.match(name):
        raise ServiceError(
            "InvalidParameterValue",
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length.",
        )
    if not fifo and not _NAME.match(name):
        raise ServiceError(
            "InvalidParameterValue",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )


def _check_dlq(store: SqsStore, queue_fifo: bool, policy: str | None) -> None:
    if not policy:
        return
    target = orjson.loads(policy)["deadLetterTargetArn"]
    dlq = store.by_arn(target)
    if dlq is None:
        raise invalid_parameter("RedrivePolicy", policy, "Dead-letter target does not exist.")
    if dlq.fifo != queue_fifo:
        raise invalid_parameter(
            "RedrivePolicy",
            policy,
            "Dead-letter queue must be of the same type (standard or FIFO) as the source queue.",
        )


def create_queue(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    name = request["QueueName"]
    given = dict(request.get("Attributes", {}))
    fifo = given.get("FifoQueue", "false").lower() == "true"
    _check_name(name, fifo)
    normalized = {k: attrs.normalize(k, v, fifo) for k, v in given.items()}
    if not fifo:
        normalized.pop("FifoQueue", None)
    arn = queue_arn(ctx.region, ctx.account_id, name)
    existing = store.by_arn(arn)
    if existing is not None:
        for key, value in normalized.items():
            if existing.attributes.get(key, "") != value:
                raise ServiceError(
                    "QueueNameExists",
                    f"A queue already exists with the same name and a different value for "
                    f"attribute {key}",
                )
        return {"QueueUrl": existing.url(ctx.base_url)}
    effective = dict(attrs.DEFAULTS)
    if fifo:
        effective.update(attrs.FIFO_DEFAULTS)
    if normalized.get("KmsMasterKeyId"):
        effective["SqsManagedSseEnabled"] = "false"
        effective["KmsDataKeyReusePeriodSeconds"] = "300"
    effective.update({k: v for k, v in normalized.items() if v != ""})
    attrs.check_combination(effective)
    _check_dlq(store, fifo, effective.get("RedrivePolicy"))
    tags = dict(request.get("tags", {}))
    if len(tags) > MAX_TAGS:
        raise ServiceError("InvalidParameterValue", f"Too many tags added for queue {name}.")
    now = int(time.time())
    store.put_queue(Queue(arn, ctx.account_id, ctx.region, name, effective, tags, now, now))
    return {"QueueUrl": f"{ctx.base_url}/{ctx.account_id}/{name}"}


def get_queue_url(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    account = request.get("QueueOwnerAWSAccountId") or ctx.account_id
    queue = store.by_arn(queue_arn(ctx.region, account, request["QueueName"]))
    if queue is None:
        raise queue_does_not_exist()
    return {"QueueUrl": queue.url(ctx.base_url)}


def _page(urls: list[str], request: dict[str, Any], token_key: str = "NextToken") -> dict[str, Any]:
    """AWS pagination: without MaxResults, up to 1000 and no token."""
    limit = request.get("MaxResults")
    if limit is not None and not 1 <= limit <= 1000:
        raise invalid_parameter(
            "MaxResults", limit, "MaxResults must be an integer between 1 and 1000."
        )
    start = 0
    token = request.get(token_key)
    if token:
        try:
            start = int(orjson.loads(base64.b64decode(token))["offset"])
        except (ValueError, KeyError, TypeError):
            raise ServiceError("InvalidParameterValue", "Invalid NextToken value.") from None
    size = limit or 1000
    page = urls[start : start + size]
    out: dict[str, Any] = {}
    if page:
        out["QueueUrls"] = page
    if limit is not None and start + size < len(urls):
        out[token_key] = base64.b64encode(orjson.dumps({"offset": start + size})).decode()
    return out


def list_queues(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    prefix = request.get("QueueNamePrefix", "")
    urls = [
        q.url(ctx.base_url)
        for q in store.queues(ctx.account_id, ctx.region)
        if q.name.startswith(prefix)
    ]
    return _page(urls, request)


def delete_queue(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    store.delete_queue(queue.arn)
    return {}


def get_queue_attributes(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    names = request.get("AttributeNames", [])
    for name in names:
        if name != "All" and name not in attrs.READABLE:
            raise invalid_attribute_name(name)
    wanted = attrs.READABLE if "All" in names else set(names)
    if not wanted:
        return {}
    values = dict(queue.attributes)
    values["QueueArn"] = queue.arn
    values["CreatedTimestamp"] = str(queue.created)
    values["LastModifiedTimestamp"] = str(queue.modified)
    if wanted & {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    }:
        visible, in_flight, delayed = store.counts(queue.arn, now_ms())
        values["ApproximateNumberOfMessages"] = str(visible)
        values["ApproximateNumberOfMessagesNotVisible"] = str(in_flight)
        values["ApproximateNumberOfMessagesDelayed"] = str(delayed)
    found = {k: v for k, v in values.items() if k in wanted}
    return {"Attributes": found} if found else {}


def set_queue_attributes(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    updated = dict(queue.attributes)
    for name, value in request["Attributes"].items():
        value = attrs.normalize(name, value, queue.fifo)
        if name == "FifoQueue":
            if value != queue.attributes.get("FifoQueue", "false"):
                raise ServiceError(
                    "InvalidAttributeValue",
                    "Invalid value for the parameter FifoQueue. Reason: Modifying queue type "
                    "is not supported.",
                )
            continue
        if value == "" and name in (
            "RedrivePolicy",
            "RedriveAllowPolicy",
            "Policy",
            "KmsMasterKeyId",
        ):
            updated.pop(name, None)
        else:
            updated[name] = value
    if request["Attributes"].get("KmsMasterKeyId"):
        updated["SqsManagedSseEnabled"] = "false"
        updated.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    attrs.check_combination(updated)
    _check_dlq(store, queue.fifo, updated.get("RedrivePolicy"))
    queue.attributes = updated
    queue.modified = int(time.time())
    store.put_queue(queue)
    store.notify(queue.arn)
    return {}


def tag_queue(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    tags = {**queue.tags, **request["Tags"]}
    if not request["Tags"]:
        raise ServiceError("InvalidParameterValue", "The request must contain at least one tag.")
    if len(tags) > MAX_TAGS:
        raise ServiceError("InvalidParameterValue", f"Too many tags added for queue {queue.name}.")
    queue.tags = tags
    store.put_queue(queue)
    return {}


def untag_queue(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    queue.tags = {k: v for k, v in queue.tags.items() if k not in set(request["TagKeys"])}
    store.put_queue(queue)
    return {}


def list_queue_tags(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    return {"Tags": dict(queue.tags)} if queue.tags else {}


def list_dead_letter_source_queues(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    urls = [
        q.url(ctx.base_url)
        for q in store.queues(queue.account, queue.region)
        if q.redrive is not None and q.redrive[0] == queue.arn
    ]
    out = _page(urls, request)
    out["queueUrls"] = out.pop("QueueUrls", [])
    return out


def purge_queue(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    now = time.time()
    if queue.last_purge is not None and now - queue.last_purge < 60:
        raise ServiceError(
            "PurgeQueueInProgress",
            f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
            status=403,
        )
    queue.last_purge = now
    with store.db.transaction():
        store.purge(queue.arn)
        store.put_queue(queue)
    return {}


def _policy(queue: Queue) -> dict[str, Any]:
    text = queue.attributes.get("Policy")
    if text:
        policy: dict[str, Any] = orjson.loads(text)
        return policy
    return {"Version": "2012-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy", "Statement": []}


def add_permission(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    label = request["Label"]
    policy = _policy(queue)
    if any(s.get("Sid") == label for s in policy.get("Statement", [])):
        raise invalid_parameter("Label", label, "Already exists.")
    if not request["AWSAccountIds"] or not request["Actions"]:
        raise ServiceError(
            "MissingParameter", "The request must contain AWSAccountIds and Actions."
        )
    principals = [f"arn:aws:iam::{account}:root" for account in request["AWSAccountIds"]]
    policy.setdefault("Statement", []).append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": [f"SQS:{action}" for action in request["Actions"]],
            "Resource": queue.arn,
        }
    )
    queue.attributes["Policy"] = orjson.dumps(policy).decode()
    store.put_queue(queue)
    return {}


def remove_permission(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    label = request["Label"]
    policy = _policy(queue)
    statements = policy.get("Statement", [])
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise invalid_parameter("Label", label, "can't find label on existing policy.")
    if kept:
        policy["Statement"] = kept
        queue.attributes["Policy"] = orjson.dumps(policy).decode()
    else:
        queue.attributes.pop("Policy", None)
    store.put_queue(queue)
    return {}
