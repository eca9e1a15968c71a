"""What the Logs operations share: finding a log group from a request, the model's
constraints that the protocol layer does not check (patterns, ranges), ARNs and
page tokens."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from typing import Any, TypeVar

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.services.logs.errors import constraint, group_not_found, invalid, invalid_token
from cloudlet.services.logs.models import LogGroup, LogsStore

T = TypeVar("T")

_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
_GROUP_ARN = re.compile(r"arn:[\w-]+:logs:([\w-]+):(\d{12}):log-group:([^:]+)(:\*)?")
MAX_TAGS = 50
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def group_arn(group: LogGroup) -> str:
    """The ARN DescribeLogGroups reports as `arn`: with a trailing `:*`."""
    return group.arn + ":*"


def check_group_name(name: str) -> None:
    if not 1 <= len(name) <= 512:
        raise constraint("logGroupName", name, "have length between 1 and 512")
    if not _GROUP_NAME.fullmatch(name):
        raise constraint(
            "logGroupName", name, r"satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+"
        )


def check_stream_name(name: str) -> None:
    if not 1 <= len(name) <= 512:
        raise constraint("logStreamName", name, "have length between 1 and 512")
    if ":" in name or "*" in name:
        raise constraint("logStreamName", name, "satisfy regular expression pattern: [^:*]*")


def check_limit(request: dict[str, Any], maximum: int) -> int:
    """The request's `limit`, defaulting to the maximum, as AWS does."""
    value = request.get("limit")
    if value is None:
        return maximum
    if value < 1:
        raise constraint("limit", value, "have value greater than or equal to 1")
    if value > maximum:
        raise constraint("limit", value, f"have value less than or equal to {maximum}")
    return int(value)


def find_group(ctx: RequestContext, store: LogsStore, name: str) -> LogGroup:
    group = store.group(ctx.account_id, ctx.region, name)
    if group is None:
        raise group_not_found()
    return group


def resolve_group(ctx: RequestContext, store: LogsStore, request: dict[str, Any]) -> LogGroup:
    """The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN)."""
    name = request.get("logGroupName")
    identifier = request.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if name is None:
        if identifier is None:
            raise invalid("Either logGroupName or logGroupIdentifier must be provided.")
        name = identifier
        if identifier.startswith("arn:"):
            match = _GROUP_ARN.fullmatch(identifier)
            if match is None or match.group(1, 2) != (ctx.region, ctx.account_id):
                raise group_not_found()
            name = match.group(3)
    return find_group(ctx, store, name)


def group_by_arn(ctx: RequestContext, store: LogsStore, arn: str) -> LogGroup:
    """The group a tagging operation's `resourceArn` names. Those take the ARN without
    the trailing `:*` (AWS documents this); other resource types are not implemented."""
    if not arn.startswith("arn:") or arn.count(":") < 5:
        raise invalid(f"Invalid ARN: {arn}")
    match = _GROUP_ARN.fullmatch(arn)
    if match is None or match.group(4) or match.group(1, 2) != (ctx.region, ctx.account_id):
        raise group_not_found()
    return find_group(ctx, store, match.group(3))


def check_tags(tags: dict[str, str]) -> None:
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _tag_text(key):
            raise constraint("tags", key, "satisfy tag key constraints")
        if key.lower().startswith("aws:"):
            raise invalid("Tag keys starting with 'aws:' are reserved for AWS use.")
        if len(value) > 256 or not _tag_text(value):
            raise constraint("tags", value, "satisfy tag value constraints")


def _tag_text(text: str) -> bool:
    # The model's pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (letters, separators, digits).
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)


def page(items: list[T], request: dict[str, Any], limit: int) -> tuple[list[T], str | None]:
    """One page of `items` from the request's nextToken, and the token of the next."""
    start = 0
    token = request.get("nextToken")
    if token:
        start = decode_token(token).get("o", -1)
        if start < 0:
            raise invalid_token()
    end = start + limit
    return items[start:end], encode_token({"o": end}) if end < len(items) else None


def encode_token(state: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode()


def decode_token(token: str) -> dict[str, int]:
    try:
        state = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        raise invalid_token() from None
    if not isinstance(state, dict) or not all(isinstance(v, int) for v in state.values()):
        raise invalid_token()
    return state
