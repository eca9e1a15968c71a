"""Subscription operations: Subscribe, ConfirmSubscription, Unsubscribe, the listings and
subscription attributes.

SQS, Lambda and SMS subscriptions are confirmed at once, as AWS confirms them within an
account. HTTP/S endpoints get a SubscriptionConfirmation POST and stay pending until
ConfirmSubscription is called with its token (or its SubscribeURL is visited); email
confirmations are recorded in the outbox instead of being mailed.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.sns import attributes as attrs
from cloudlet.services.sns.errors import invalid_parameter, subscription_not_found
from cloudlet.services.sns.messages import timestamp
from cloudlet.services.sns.models import SnsStore, Subscription, Topic, now_ms
from cloudlet.services.sns.names import check_topic_arn, page, resolve_topic, split_arn

PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "lambda", "application", "firehose"}
)
_NEEDS_CONFIRMATION = frozenset({"http", "https", "email", "email-json"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164 = re.compile(r"^\+?[1-9]\d{1,14}$")
PENDING = "pending confirmation"


def _check_endpoint(protocol: str, endpoint: str | None) -> str:
    if not endpoint:
        raise invalid_parameter("Endpoint")
    if protocol in ("http", "https") and not endpoint.lower().startswith(f"{protocol}://"):
        raise invalid_parameter("Endpoint must match the specified protocol")
    if protocol in ("email", "email-json") and not _EMAIL.match(endpoint):
        raise invalid_parameter("Email address")
    if protocol == "sms" and not E164.match(endpoint):
        raise invalid_parameter("SMS endpoint")
    expected = {"sqs": "sqs", "lambda": "lambda", "firehose": "firehose", "application": "sns"}
    if protocol in expected:
        parts = split_arn(endpoint)
        if parts is None or parts[2] != expected[protocol]:
            label = {"sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose"}.get(protocol)
            raise invalid_parameter(f"{label} endpoint ARN" if label else "Endpoint")
    return endpoint


def _check_fifo(topic_fifo: bool, protocol: str, endpoint: str) -> None:
    if protocol == "sqs" and endpoint.endswith(".fifo") and not topic_fifo:
        raise invalid_parameter(
            "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
            "standard SNS topics"
        )
    if topic_fifo and protocol != "sqs":
        raise invalid_parameter(f"Invalid protocol type: {protocol}")


def _checked_attributes(given: dict[str, str], sub: Subscription, topic: Topic) -> dict[str, str]:
    """Subscribe's Attributes, validated in an order where FilterPolicyScope comes first."""
    values: dict[str, str] = {}
    ordered = sorted(given.items(), key=lambda kv: kv[0] != "FilterPolicyScope")
    for name, value in ordered:
        values[name] = attrs.check_subscription_attribute(
            name, value, topic, sub, "Attributes Reason: "
        )
        sub.attributes[name] = values[name]
    return {k: v for k, v in values.items() if v != ""}


def subscribe(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    protocol = request["Protocol"]
    if protocol not in PROTOCOLS:
        raise invalid_parameter(f"Amazon SNS does not support this protocol string: {protocol}")
    endpoint = _check_endpoint(protocol, request.get("Endpoint"))
    _check_fifo(topic.fifo, protocol, endpoint)
    pending = protocol in _NEEDS_CONFIRMATION
    sub = Subscription(
        arn=f"{topic.arn}:{uuid.uuid4()}",
        topic=topic.arn,
        account=topic.account,
        region=topic.region,
        protocol=protocol,
        endpoint=endpoint,
        attributes={},
        pending=pending,
        token=secrets.token_hex(128) if pending else None,
        created=now_ms(),
    )
    values = _checked_attributes(request.get("Attributes") or {}, sub, topic)
    sub.attributes = values
    show_arn = bool(request.get("ReturnSubscriptionArn"))
    for existing in store.subscriptions_of(topic.arn):
        if existing.protocol == protocol and existing.endpoint == endpoint:
            if any(existing.attributes.get(k, _default(k)) != v for k, v in values.items()):
                raise invalid_parameter(
                    "Attributes Reason: Subscription already exists with different attributes"
                )
            return {
                "SubscriptionArn": PENDING if existing.pending and not show_arn else existing.arn
            }
    store.put_subscription(sub)
    if pending:
        _send_confirmation(store, sub)
    return {"SubscriptionArn": PENDING if pending and not show_arn else sub.arn}


def _default(name: str) -> str | None:
    return {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}.get(name)


def _send_confirmation(store: SnsStore, sub: Subscription) -> None:
    assert sub.token is not None
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": sub.token,
        "TopicArn": sub.topic,
        "Message": f"You have chosen to subscribe to the topic {sub.topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.",
        "Timestamp": timestamp(),
    }
    store.enqueue(message, [(sub.arn, "SubscriptionConfirmation", None)], now_ms())


def confirm_subscription(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    """Confirm with the token of a SubscriptionConfirmation. Idempotent; the request may
    come unsigned, from the SubscribeURL, so the topic is found by its ARN alone."""
    check_topic_arn(request["TopicArn"], "Topic")
    sub = store.by_token(request["Token"])
    if sub is None:
        raise invalid_parameter("Token")
    if sub.topic != request["TopicArn"]:
        raise invalid_parameter("Topic")
    if sub.pending:
        sub.pending = False
        if request.get("AuthenticateOnUnsubscribe", "").lower() == "true":
            sub.attributes["AuthenticateOnUnsubscribe"] = "true"
        store.put_subscription(sub)
    return {"SubscriptionArn": sub.arn}


def _resolve(store: SnsStore, arn: str) -> Subscription:
    parts = split_arn(arn)
    if parts is None or len(parts) != 7 or parts[2] != "sns":
        raise invalid_parameter("SubscriptionArn")
    sub = store.subscription(arn)
    if sub is None:
        raise subscription_not_found()
    return sub


def unsubscribe(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    """Unsubscribing twice is not an error (AWS: idempotent)."""
    arn = request["SubscriptionArn"]
    parts = split_arn(arn)
    if parts is None:
        count = len(arn.split(":"))
        raise invalid_parameter(
            f"SubscriptionArn Reason: An ARN must have at least 6 elements, not {count}"
        )
    if len(parts) != 7 or parts[2] != "sns":
        raise invalid_parameter("SubscriptionId")
    sub = store.subscription(arn)
    if sub is None:
        return {}
    topic = store.topic(sub.topic)
    store.delete_subscription(arn)
    if topic is not None:
        topic.deleted_subscriptions += 1
        store.put_topic(topic)
    return {}


def _listed(subs: list[Subscription], token: str | None) -> dict[str, Any]:
    items = sorted(({"key": s.arn, "sub": s} for s in subs), key=lambda item: str(item["key"]))
    chunk, next_token = page(items, token, "key")
    out: dict[str, Any] = {
        "Subscriptions": [
            {
                "SubscriptionArn": "PendingConfirmation" if s.pending else s.arn,
                "Owner": s.account,
                "Protocol": s.protocol,
                "Endpoint": s.endpoint,
                "TopicArn": s.topic,
            }
            for s in (item["sub"] for item in chunk)
        ]
    }
    if next_token:
        out["NextToken"] = next_token
    return out


def list_subscriptions(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    return _listed(store.subscriptions(ctx.account_id, ctx.region), request.get("NextToken"))


def list_subscriptions_by_topic(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    return _listed(store.subscriptions_of(topic.arn), request.get("NextToken"))


def get_subscription_attributes(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    sub = _resolve(store, request["SubscriptionArn"])
    return {"Attributes": attrs.subscription_attributes(store, sub)}


def set_subscription_attributes(
    ctx: RequestContext, store: SnsStore, request: dict[str, Any]
) -> dict[str, Any]:
    sub = _resolve(store, request["SubscriptionArn"])
    name = request["AttributeName"]
    value = request.get("AttributeValue") or ""
    value = attrs.check_subscription_attribute(name, value, store.topic(sub.topic), sub, "")
    if value == "":
        sub.attributes.pop(name, None)
    else:
        sub.attributes[name] = value
    store.put_subscription(sub)
    return {}
