"""Topic and subscription attributes: which may be set, their rules, and what Get answers.

Subscribe reports a bad attribute as "Invalid parameter: Attributes Reason: ..." and
SetSubscriptionAttributes as "Invalid parameter: ..."; `prefix` carries the difference.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.sns import filtering, retry
from cloudlet.services.sns.errors import invalid_parameter
from cloudlet.services.sns.models import SnsStore, Subscription, Topic

_FEEDBACK = tuple(
    f"{protocol}{kind}"
    for protocol in ("Application", "Firehose", "HTTP", "Lambda", "SQS")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
TOPIC_SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "DisplayName",
        "Policy",
        "SignatureVersion",
        "TracingConfig",
        "KmsMasterKeyId",
        "ContentBasedDeduplication",
        "ArchivePolicy",
        "FifoThroughputScope",
        *_FEEDBACK,
    }
)
_FIFO_ONLY = frozenset({"ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"})
SUBSCRIPTION_SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
_RAW_PROTOCOLS = frozenset({"sqs", "http", "https", "firehose"})


def default_policy(arn: str, account: str) -> str:
    """The access policy AWS gives a new topic."""
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ]
    statement = {
        "Effect": "Allow",
        "Sid": "__default_statement_ID",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
    }
    policy = {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]}
    return orjson.dumps(policy).decode()


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def check_topic_attribute(name: str, value: str, fifo: bool, creating: bool) -> str:
    """Validate one topic attribute; return the value to store."""
    if name == "FifoTopic" and creating:
        if value.lower() not in ("true", "false"):
            raise invalid_parameter("Attributes Reason: FifoTopic must be true or false")
        return value.lower()
    if name not in TOPIC_SETTABLE:
        raise invalid_parameter("AttributeName")
    if name in _FIFO_ONLY and not fifo:
        raise invalid_parameter(f"Attributes Reason: {name} is only valid for FIFO topics")
    if name == "Policy" and _json_object(value) is None:
        raise invalid_parameter("Policy Error: null")
    if name == "DeliveryPolicy" and value:
        retry.check_delivery_policy(value, subscription=False)
    if name == "DisplayName" and len(value) > 100:
        raise invalid_parameter("DisplayName Reason: must be at most 100 characters long")
    if name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid_parameter("SignatureVersion")
    if name == "TracingConfig" and value not in ("PassThrough", "Active"):
        raise invalid_parameter("TracingConfig Reason: must be PassThrough or Active")
    if name == "ContentBasedDeduplication":
        if value.lower() not in ("true", "false"):
            raise invalid_parameter("ContentBasedDeduplication Reason: must be true or false")
        return value.lower()
    if name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
        raise invalid_parameter("FifoThroughputScope Reason: must be Topic or MessageGroup")
    return value


def topic_attributes(store: SnsStore, topic: Topic) -> dict[str, str]:
    """What GetTopicAttributes answers: the stored attributes plus the derived ones."""
    confirmed = pending = 0
    for sub in store.subscriptions_of(topic.arn):
        if sub.pending:
            pending += 1
        else:
            confirmed += 1
    out = dict(topic.attributes)
    out.update(
        {
            "TopicArn": topic.arn,
            "Owner": topic.account,
            "SubscriptionsConfirmed": str(confirmed),
            "SubscriptionsPending": str(pending),
            "SubscriptionsDeleted": str(topic.deleted_subscriptions),
            "EffectiveDeliveryPolicy": retry.effective_topic_policy(
                topic.attributes.get("DeliveryPolicy")
            ),
        }
    )
    return out


def check_subscription_attribute(
    name: str, value: str, topic: Topic | None, sub: Subscription, prefix: str
) -> str:
    """Validate one subscription attribute for `sub`; return the value to store."""
    if name not in SUBSCRIPTION_SETTABLE:
        raise invalid_parameter(f"{prefix}AttributeName")
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise invalid_parameter(
                f"{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false."
            )
        if sub.protocol not in _RAW_PROTOCOLS and value.lower() == "true":
            raise invalid_parameter(
                f"{prefix}Delivery protocol [{sub.protocol}] does not support raw message delivery."
            )
        return value.lower()
    if name == "FilterPolicyScope":
        if value not in ("MessageAttributes", "MessageBody"):
            raise invalid_parameter(
                f"{prefix}FilterPolicyScope: Invalid value [{value}]. Please use either "
                "MessageBody or MessageAttributes"
            )
        policy = sub.attributes.get("FilterPolicy")
        if policy:
            filtering.check(policy, value, subscribing=bool(prefix))
        return value
    if name == "FilterPolicy":
        if value:
            scope = sub.attributes.get("FilterPolicyScope", "MessageAttributes")
            filtering.check(value, scope, subscribing=bool(prefix))
        return value
    if name == "RedrivePolicy":
        _check_redrive(value, topic, sub, prefix)
    if name == "DeliveryPolicy" and value:
        if sub.protocol not in ("http", "https"):
            raise invalid_parameter(
                f"{prefix}DeliveryPolicy: Delivery protocol [{sub.protocol}] does not support "
                "delivery policies."
            )
        retry.check_delivery_policy(value, subscription=True, prefix=prefix)
    return value


def _check_redrive(value: str, topic: Topic | None, sub: Subscription, prefix: str) -> None:
    if not value:
        return
    policy = _json_object(value)
    if policy is None:
        raise invalid_parameter(f"{prefix}RedrivePolicy: failed to parse JSON.")
    target = policy.get("deadLetterTargetArn")
    parts = target.split(":") if isinstance(target, str) else []
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        raise invalid_parameter(f"{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if parts[2] != "sqs":
        raise invalid_parameter(
            f"{prefix}RedrivePolicy: deadLetterTargetArn must be an Amazon SQS queue"
        )
    if (
        topic is not None
        and topic.fifo
        and sub.endpoint.endswith(".fifo")
        and not parts[5].endswith(".fifo")
    ):
        raise invalid_parameter(
            f"{prefix}RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a "
            "FIFO Topic."
        )


def subscription_attributes(store: SnsStore, sub: Subscription) -> dict[str, str]:
    """What GetSubscriptionAttributes answers."""
    out = {
        "SubscriptionArn": sub.arn,
        "TopicArn": sub.topic,
        "Owner": sub.account,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "PendingConfirmation": "true" if sub.pending else "false",
        "ConfirmationWasAuthenticated": "false" if sub.pending else "true",
        "RawMessageDelivery": "false",
        "SubscriptionPrincipal": f"arn:aws:iam::{sub.account}:root",
    }
    out.update({k: v for k, v in sub.attributes.items() if v != ""})
    if "FilterPolicy" in out:
        out.setdefault("FilterPolicyScope", "MessageAttributes")
    else:
        out.pop("FilterPolicyScope", None)
    if sub.protocol in ("http", "https"):
        topic = store.topic(sub.topic)
        topic_policy = topic.attributes.get("DeliveryPolicy") if topic else None
        out["EffectiveDeliveryPolicy"] = retry.effective_subscription_policy(
            topic_policy, sub.attributes.get("DeliveryPolicy")
        )
    return out
