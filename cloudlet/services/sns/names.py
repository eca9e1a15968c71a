"""Names and ARNs SNS accepts, list paging, and the tag rules topics share."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sns.errors import invalid_parameter, topic_not_found
from cloudlet.services.sns.models import SnsStore, Topic

TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FIFO_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
PAGE_SIZE = 100
MAX_TAGS = 50


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def split_arn(arn: str) -> list[str] | None:
    """The six or more parts of an ARN (arn:partition:service:region:account:resource)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not all(parts[2:6]):
        return None
    return parts


def check_topic_arn(arn: str | None, param: str = "TopicArn") -> list[str]:
    parts = split_arn(arn or "")
    if parts is None or len(parts) != 6 or parts[2] != "sns":
        raise invalid_parameter(param)
    return parts


def resolve_topic(store: SnsStore, arn: str | None, param: str = "TopicArn") -> Topic:
    """The topic an ARN names (NotFound when it is well formed but unknown)."""
    check_topic_arn(arn, param)
    assert arn is not None
    topic = store.topic(arn)
    if topic is None:
        raise topic_not_found()
    return topic


def page(items: list[Any], token: str | None, key: str) -> tuple[list[Any], str | None]:
    """One page of up to 100 items sorted by `key`, and the token of the next one."""
    start = 0
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid_parameter("NextToken") from None
        start = next((i for i, item in enumerate(items) if item[key] > after), len(items))
    chunk = items[start : start + PAGE_SIZE]
    more = start + PAGE_SIZE < len(items)
    next_token = base64.urlsafe_b64encode(chunk[-1][key].encode()).decode() if more else None
    return chunk, next_token


def check_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    """Validate a TagList; return it as a dict."""
    keys = [tag["Key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise invalid_parameter("Duplicated keys are not allowed.")
    for tag in tags:
        if tag["Key"].lower().startswith("aws:"):
            raise invalid_parameter("Tags Reason: Tag keys can not start with 'aws:'")
    return {tag["Key"]: tag["Value"] for tag in tags}


def tag_limit() -> ServiceError:
    return ServiceError(
        "TagLimitExceededException",
        "Could not complete request: tag quota of per resource exceeded",
    )
