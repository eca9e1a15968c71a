"""Delivery retry policies, as AWS defines them per protocol.

SQS and Lambda endpoints ("AWS managed") get SNS's fixed policy: 3 immediate retries,
2 one second apart, 10 with exponential backoff from 1 to 20 seconds, then 100,000
twenty seconds apart (about 23 days). HTTP/S endpoints follow the delivery policy of
the subscription, else of the topic, else AWS's default: 3 retries 20 seconds apart.
Retries happen only after server-side errors; a client-side error (the endpoint is gone)
goes to the dead-letter queue at once.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.sns.errors import invalid_parameter

DEFAULT_HTTP_RETRY: dict[str, Any] = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"
_BACKOFF = ("arithmetic", "exponential", "geometric", "linear")
_MAX_TOTAL_SECONDS = 3600
_MANAGED_POST_BACKOFF = 100_000


def managed_delay(retry: int) -> float | None:
    """Seconds before retry number `retry` (0-based) to SQS or Lambda, None when spent."""
    if retry < 3:
        return 0.0
    if retry < 5:
        return 1.0
    if retry < 15:
        return float(20 ** ((retry - 5) / 9))
    if retry < 15 + _MANAGED_POST_BACKOFF:
        return 20.0
    return None


def http_delay(policy: dict[str, Any], retry: int) -> float | None:
    """Seconds before retry number `retry` (0-based) under an HTTP/S healthyRetryPolicy."""
    total = int(policy.get("numRetries", 3))
    if retry >= total:
        return None
    low = float(policy.get("minDelayTarget", 20))
    high = float(policy.get("maxDelayTarget", 20))
    no_delay = int(policy.get("numNoDelayRetries", 0))
    at_min = int(policy.get("numMinDelayRetries", 0))
    at_max = int(policy.get("numMaxDelayRetries", 0))
    if retry < no_delay:
        return 0.0
    if retry < no_delay + at_min:
        return low
    steps = max(total - no_delay - at_min - at_max, 0)
    step = retry - no_delay - at_min
    if step >= steps:
        return high
    return _backoff(str(policy.get("backoffFunction", "linear")), low, high, (step + 1) / steps)


def _backoff(function: str, low: float, high: float, share: float) -> float:
    """The delay `share` of the way through the backoff phase. AWS publishes the curves
    only as a picture; these have their shapes (linear, slow-then-steep, steeper,
    exponential)."""
    if function == "exponential" and low > 0:
        return float(low * (high / low) ** share)
    power = {"arithmetic": 2, "geometric": 3}.get(function, 1)
    return float(low + (high - low) * share**power)


def load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def effective_topic_policy(topic_policy: str | None) -> str:
    """A topic's EffectiveDeliveryPolicy: its DeliveryPolicy over AWS's defaults."""
    given = load(topic_policy).get("http") or {}
    http = {
        "defaultHealthyRetryPolicy": {
            **DEFAULT_HTTP_RETRY,
            **(given.get("defaultHealthyRetryPolicy") or {}),
        },
        "disableSubscriptionOverrides": bool(given.get("disableSubscriptionOverrides", False)),
        "defaultRequestPolicy": {
            "headerContentType": DEFAULT_CONTENT_TYPE,
            **(given.get("defaultRequestPolicy") or {}),
        },
    }
    if given.get("defaultThrottlePolicy"):
        http["defaultThrottlePolicy"] = given["defaultThrottlePolicy"]
    return orjson.dumps({"http": http}).decode()


def effective_subscription_policy(topic_policy: str | None, sub_policy: str | None) -> str:
    """An HTTP/S subscription's EffectiveDeliveryPolicy."""
    topic_http = orjson.loads(effective_topic_policy(topic_policy))["http"]
    own = {} if topic_http["disableSubscriptionOverrides"] else load(sub_policy)
    retry = {**topic_http["defaultHealthyRetryPolicy"], **(own.get("healthyRetryPolicy") or {})}
    request = {**topic_http["defaultRequestPolicy"], **(own.get("requestPolicy") or {})}
    policy = {
        "healthyRetryPolicy": retry,
        "sicklyRetryPolicy": own.get("sicklyRetryPolicy"),
        "throttlePolicy": own.get("throttlePolicy") or topic_http.get("defaultThrottlePolicy"),
        "requestPolicy": request,
        "guaranteed": bool(own.get("guaranteed", False)),
    }
    return orjson.dumps(policy).decode()


def check_retry_policy(policy: Any, where: str, prefix: str) -> None:
    """Validate a healthyRetryPolicy within AWS's limits."""
    if policy is None:
        return
    if not isinstance(policy, dict):
        raise invalid_parameter(f"{prefix}DeliveryPolicy: {where} must be an object")
    merged = {**DEFAULT_HTTP_RETRY, **policy}
    counts = ("numRetries", "numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")
    for name in (*counts, "minDelayTarget", "maxDelayTarget"):
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid_parameter(
                f"{prefix}DeliveryPolicy: {where}.{name} must be a non-negative integer"
            )
    if merged["numRetries"] > 100:
        raise invalid_parameter(f"{prefix}DeliveryPolicy: {where}.numRetries must be at most 100")
    if not 0 < merged["minDelayTarget"] <= merged["maxDelayTarget"] <= _MAX_TOTAL_SECONDS:
        raise invalid_parameter(
            f"{prefix}DeliveryPolicy: {where}.minDelayTarget must be between 1 and "
            f"maxDelayTarget, and maxDelayTarget at most {_MAX_TOTAL_SECONDS}"
        )
    if sum(merged[n] for n in counts[1:]) > merged["numRetries"]:
        raise invalid_parameter(
            f"{prefix}DeliveryPolicy: {where}.numRetries must be at least the sum of the "
            "retries of its phases"
        )
    if merged["backoffFunction"] not in _BACKOFF:
        raise invalid_parameter(
            f"{prefix}DeliveryPolicy: {where}.backoffFunction must be one of {', '.join(_BACKOFF)}"
        )
    total = sum(http_delay(merged, i) or 0.0 for i in range(merged["numRetries"]))
    if total > _MAX_TOTAL_SECONDS:
        raise invalid_parameter(
            f"{prefix}DeliveryPolicy: the total retry time of {where} may not exceed "
            f"{_MAX_TOTAL_SECONDS} seconds"
        )


def check_delivery_policy(text: str, subscription: bool, prefix: str = "") -> None:
    """Validate a topic's (`{"http": {...}}`) or a subscription's DeliveryPolicy."""
    try:
        policy = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise invalid_parameter(f"{prefix}DeliveryPolicy: failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise invalid_parameter(f"{prefix}DeliveryPolicy: must be a JSON object")
    if subscription:
        check_retry_policy(policy.get("healthyRetryPolicy"), "healthyRetryPolicy", prefix)
        return
    for protocol, section in policy.items():
        if not isinstance(section, dict):
            raise invalid_parameter(f"{prefix}DeliveryPolicy: {protocol} must be an object")
        check_retry_policy(
            section.get("defaultHealthyRetryPolicy"),
            f"{protocol}.defaultHealthyRetryPolicy",
            prefix,
        )
