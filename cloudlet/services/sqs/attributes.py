"""Queue attributes: which exist, their defaults, and the values AWS accepts."""

from __future__ import annotations

import re

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs.errors import invalid_attribute_name, invalid_attribute_value

# Settable attribute -> (min, max) for the integer ones.
_RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
    "KmsDataKeyReusePeriodSeconds": (60, 86400),
}
_FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
SETTABLE = (
    set(_RANGES)
    | _FIFO_ONLY
    | {
        "Policy",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "FifoQueue",
        "KmsMasterKeyId",
        "SqsManagedSseEnabled",
    }
)
COMPUTED = {
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
}
READABLE = SETTABLE | COMPUTED

DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
_ARN = re.compile(r"^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}(\.fifo)?$")


def _bool(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise invalid_attribute_value(name)
    return value.lower()


def _redrive_policy(value: str) -> str:
    try:
        policy = orjson.loads(value)
        target = policy["deadLetterTargetArn"]
        count = int(policy["maxReceiveCount"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise invalid_attribute_value(
            "RedrivePolicy",
            "Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.",
        ) from None
    if not isinstance(target, str) or not _ARN.match(target):
        raise ServiceError(
            "InvalidParameterValue",
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            "deadLetterTargetArn.",
        )
    if not 1 <= count <= 1000:
        raise invalid_attribute_value(
            "RedrivePolicy", "Value for maxReceiveCount must be between 1 and 1000."
        )
    return orjson.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}).decode()


def _redrive_allow_policy(value: str) -> str:
    try:
        policy = orjson.loads(value)
        permission = policy["redrivePermission"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise invalid_attribute_value("RedriveAllowPolicy") from None
    sources = policy.get("sourceQueueArns")
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise invalid_attribute_value(
                "RedriveAllowPolicy", "sourceQueueArns must list 1 to 10 queue ARNs for byQueue."
            )
    elif permission in ("allowAll", "denyAll"):
        if sources:
            raise invalid_attribute_value(
                "RedriveAllowPolicy", "sourceQueueArns is only allowed with byQueue."
            )
    else:
        raise invalid_attribute_value("RedriveAllowPolicy", "Invalid redrivePermission.")
    return orjson.dumps(policy).decode()


def normalize(name: str, value: str, fifo: bool) -> str:
    """Validate one settable attribute; return the value as it will be stored and shown."""
    if name not in SETTABLE or (name in _FIFO_ONLY and not fifo):
        raise invalid_attribute_name(name)
    if name in _RANGES:
        low, high = _RANGES[name]
        try:
            number = int(value)
        except ValueError:
            raise invalid_attribute_value(name) from None
        if not low <= number <= high:
            raise invalid_attribute_value(name)
        return str(number)
    if name in ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"):
        return _bool(name, value)
    if name == "DeduplicationScope" and value not in ("messageGroup", "queue"):
        raise invalid_attribute_value(name)
    if name == "FifoThroughputLimit" and value not in ("perQueue", "perMessageGroupId"):
        raise invalid_attribute_value(name)
    if name == "RedrivePolicy" and value:
        return _redrive_policy(value)
    if name == "RedriveAllowPolicy" and value:
        return _redrive_allow_policy(value)
    if name == "Policy" and value:
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError:
            raise invalid_attribute_value(name, "Policy is not valid JSON.") from None
    return value


def check_combination(attrs: dict[str, str]) -> None:
    """Constraints between attributes (checked on the merged, effective set)."""
    if attrs.get("FifoThroughputLimit") == "perMessageGroupId" and (
        attrs.get("DeduplicationScope") != "messageGroup"
    ):
        raise ServiceError(
            "InvalidAttributeValue",
            "Invalid value for the parameter FifoThroughputLimit. Reason: "
            "perMessageGroupId is allowed only when DeduplicationScope is messageGroup.",
        )
