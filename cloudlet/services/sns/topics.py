"""Topic operations: create (idempotent), delete, list, attributes, permissions, tags."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.services.sns import attributes as attrs
from cloudlet.services.sns.errors import invalid_parameter, resource_not_found
from cloudlet.services.sns.models import SnsStore, Topic, now_ms
from cloudlet.services.sns.names import (
    FIFO_TOPIC_NAME,
    MAX_TAGS,
    TOPIC_NAME,
    check_tags,
    check_topic_arn,
    page,
    resolve_topic,
    tag_limit,
    topic_arn,
)

_FIFO_NAME_RULE = (
    "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
    "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and "
    "256 characters long."
)


def _check_name(name: str, fifo: bool) -> None:
    if fifo and not FIFO_TOPIC_NAME.match(name):
        raise invalid_parameter(_FIFO_NAME_RULE)
    if not fifo and not TOPIC_NAME.match(name):
        raise invalid_parameter("Topic Name")


def create_topic(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    name = request["Name"]
    given = request.get("Attributes") or {}
    fifo = str(given.get("FifoTopic", "")).lower() == "true"
    _check_name(name, fifo)
    values = {k: attrs.check_topic_attribute(k, v, fifo, True) for k, v in given.items()}
    if not fifo:
        values.pop("FifoTopic", None)  # AWS does not keep FifoTopic=false
    tags = check_tags(request.get("Tags") or [])
    arn = topic_arn(ctx.region, ctx.account_id, name)
    existing = store.topic(arn)
    if existing is not None:
        if any(existing.attributes.get(k, _default(existing, k)) != v for k, v in values.items()):
            raise invalid_parameter(
                "Attributes Reason: Topic already exists with different attributes"
            )
        if any(existing.tags.get(k) != v for k, v in tags.items()):
            raise invalid_parameter("Tags Reason: Topic already exists with different tags")
        return {"TopicArn": arn}
    if len(tags) > MAX_TAGS:
        raise tag_limit()
    stored = {"Policy": attrs.default_policy(arn, ctx.account_id), "DisplayName": ""}
    if fifo:
        stored.update({"FifoTopic": "true", "ContentBasedDeduplication": "false"})
    stored.update(values)
    store.put_topic(
        Topic(
            arn=arn,
            account=ctx.account_id,
            region=ctx.region,
            name=name,
            attributes=stored,
            tags=tags,
            data_protection=request.get("DataProtectionPolicy"),
            created=now_ms(),
        )
    )
    return {"TopicArn": arn}


def _default(topic: Topic, name: str) -> str | None:
    """What an attribute not set explicitly reads as, for CreateTopic's idempotency."""
    if name == "Policy":
        return attrs.default_policy(topic.arn, topic.account)
    return {"DisplayName": "", "SignatureVersion": "1"}.get(name)


def delete_topic(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    """Deleting a topic that does not exist is not an error (AWS: idempotent)."""
    arn = request["TopicArn"]
    check_topic_arn(arn)
    if store.topic(arn) is not None:
        store.delete_topic(arn)
    return {}


def list_topics(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topics = [{"TopicArn": t.arn} for t in store.topics(ctx.account_id, ctx.region)]
    chunk, token = page(topics, request.get("NextToken"), "TopicArn")
    out: dict[str, Any] = {"Topics": chunk}
    if token:
        out["NextToken"] = token
    return out


def get_topic_attributes(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    return {"Attributes": attrs.topic_attributes(store, topic)}


def set_topic_attributes(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    name = request["AttributeName"]
    value = request.get("AttributeValue") or ""
    value = attrs.check_topic_attribute(name, value, topic.fifo, creating=False)
    if value == "" and name not in ("DisplayName",):
        topic.attributes.pop(name, None)
        if name == "Policy":
            topic.attributes["Policy"] = attrs.default_policy(topic.arn, topic.account)
    else:
        topic.attributes[name] = value
    store.put_topic(topic)
    return {}


# -- permissions (statements of the topic's Policy) -------------------------------------


def add_permission(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    policy = orjson.loads(topic.attributes["Policy"])
    label = request["Label"]
    if any(s.get("Sid") == label for s in policy.get("Statement", [])):
        raise invalid_parameter("Statement already exists")
    principals = [f"arn:aws:iam::{account}:root" for account in request["AWSAccountId"]]
    actions = [f"SNS:{action}" for action in request["ActionName"]]
    policy.setdefault("Statement", []).append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": actions[0] if len(actions) == 1 else actions,
            "Resource": topic.arn,
        }
    )
    topic.attributes["Policy"] = orjson.dumps(policy).decode()
    store.put_topic(topic)
    return {}


def remove_permission(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    policy = orjson.loads(topic.attributes["Policy"])
    statements = policy.get("Statement", [])
    policy["Statement"] = [s for s in statements if s.get("Sid") != request["Label"]]
    topic.attributes["Policy"] = orjson.dumps(policy).decode()
    store.put_topic(topic)
    return {}


def get_data_protection_policy(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = resolve_topic(store, request["ResourceArn"], "ResourceArn")
    return {"DataProtectionPolicy": topic.data_protection} if topic.data_protection else {}


def put_data_protection_policy(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = resolve_topic(store, request["ResourceArn"], "ResourceArn")
    topic.data_protection = request["DataProtectionPolicy"]
    store.put_topic(topic)
    return {}


# -- tags -------------------------------------------------------------------------------


def _tagged(store: SnsStore, arn: str) -> Topic:
    topic = store.topic(arn)
    if topic is None:
        raise resource_not_found()
    return topic


def tag_resource(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topic = _tagged(store, request["ResourceArn"])
    tags = check_tags(request["Tags"])
    if len({**topic.tags, **tags}) > MAX_TAGS:
        raise tag_limit()
    topic.tags.update(tags)
    store.put_topic(topic)
    return {}


def untag_resource(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topic = _tagged(store, request["ResourceArn"])
    for key in request["TagKeys"]:
        topic.tags.pop(key, None)
    store.put_topic(topic)
    return {}


def list_tags_for_resource(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = _tagged(store, request["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in topic.tags.items()]}
