"""Subscription filter policies, evaluated by the shared pattern module.

`cloudlet.patterns` holds the matcher (shared with EventBridge and Lambda filters) and
AWS's validation messages; this module only asks it whether a policy is valid and
whether a message passes, on the message's attributes (FilterPolicyScope
MessageAttributes, the default) or on its JSON body (MessageBody). Compiled policies
are cached by the pattern module, keyed by their text.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.patterns import PatternError, compile_filter_policy

# PatternError carries the wire code; operations raise the model's shape names.
_SHAPES = {"InvalidParameter": "InvalidParameterException"}


def check(policy: str, scope: str, subscribing: bool) -> None:
    """Raise SNS's error if `policy` is not a valid filter policy for `scope`, in
    Subscribe's words ("Invalid parameter: Attributes Reason: FilterPolicy: ...") or
    SetSubscriptionAttributes' ("Invalid parameter: FilterPolicy: ...")."""
    try:
        compile_filter_policy(policy, scope=scope)
    except PatternError as error:
        message = error.subscribe_message if subscribing else error.message
        raise ServiceError(_SHAPES.get(error.code, error.code), message) from None


def matches(policy: str, scope: str, message: dict[str, Any], body: str) -> bool:
    """Whether a message passes a filter policy. `body` is the text the subscription
    would receive; a body that is not a JSON object never matches a body policy."""
    compiled = compile_filter_policy(policy, scope=scope)
    if scope == "MessageBody":
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        return compiled.matches_body(document)
    return compiled.matches_attributes(message.get("MessageAttributes") or {})
