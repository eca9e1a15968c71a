"""Event patterns and filter policies: one matching engine for EventBridge rules, Lambda
event-source FilterCriteria (and Pipes filters), and SNS subscription filter policies.

    m = compile_event_pattern('{"source": ["aws.ec2"], "detail": {"n": [{"numeric": [">", 0]}]}}')
    m.matches(event_dict)

    p = compile_filter_policy(policy, scope="MessageAttributes")   # or "MessageBody"
    p.matches_attributes({"store": {"DataType": "String", "StringValue": "example_corp"}})
    p.matches_body({"store": "example_corp"})

AWS compiles both languages with its Event Ruler library; so does this package, in
Python: patterns are validated with Ruler's messages (`PatternError`), then compiled
once into sets and predicates, so that matching a message costs a few microseconds.
What AWS does with a match (delivery, retries) is not here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from cloudlet.patterns._compile import Rule, check_sns_shape, compile_rules
from cloudlet.patterns._dialect import EVENTBRIDGE, SNS, Dialect, PatternError
from cloudlet.patterns._match import any_rule_matches, build_trie, collect
from cloudlet.patterns._sns import attribute_entries

__all__ = [
    "EventPattern",
    "FilterPolicy",
    "PatternError",
    "compile_event_pattern",
    "compile_filter_policy",
]

SCOPES: Final = ("MessageAttributes", "MessageBody")
SNS_MAX_POLICY_BYTES: Final = 256 * 1024  # "The maximum size of a filter policy is 256 KB"


class EventPattern:
    """A compiled EventBridge event pattern (or Lambda FilterCriteria pattern)."""

    __slots__ = ("_rules", "_root")

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = rules
        self._root = build_trie({field.path for rule in rules for field in rule})

    def matches(self, event: Any) -> bool:
        """Does the JSON document `event` (a dict) match? Anything else never does."""
        if not isinstance(event, dict):
            return False
        entries, arrays = collect(event, self._root)
        return any_rule_matches(self._rules, entries, arrays)


class FilterPolicy(EventPattern):
    """A compiled SNS subscription filter policy."""

    __slots__ = ("scope", "_names")

    def __init__(self, rules: list[Rule], scope: str) -> None:
        super().__init__(rules)
        self.scope = scope
        self._names = tuple({field.path for rule in rules for field in rule})

    def matches_attributes(self, attributes: dict[str, dict[str, Any]] | None) -> bool:
        """Scope MessageAttributes: match the Publish MessageAttributes."""
        entries = attribute_entries(attributes or {}, self._names)
        return any_rule_matches(self._rules, entries, False)

    def matches_body(self, body: Any) -> bool:
        """Scope MessageBody: match the message parsed as JSON. A body that is not a
        JSON object never matches (AWS: policies "assume that the message payload is a
        well-formed JSON object")."""
        return self.matches(body)


def compile_event_pattern(pattern: dict[str, Any] | str) -> EventPattern:
    """Compile an EventBridge event pattern; raise PatternError as PutRule would."""
    if isinstance(pattern, str):
        return _event_pattern_from_text(pattern)
    return EventPattern(compile_rules(_require_object(pattern, EVENTBRIDGE), EVENTBRIDGE))


def compile_filter_policy(
    policy: dict[str, Any] | str, scope: str = "MessageAttributes"
) -> FilterPolicy:
    """Compile an SNS filter policy for `scope`; raise PatternError as
    SetSubscriptionAttributes would."""
    if isinstance(policy, str):
        return _filter_policy_from_text(policy, scope)
    return _filter_policy(policy, json.dumps(policy, default=str), scope)


@lru_cache(maxsize=1024)
def _event_pattern_from_text(text: str) -> EventPattern:
    pattern = _parse(text, EVENTBRIDGE)
    return EventPattern(compile_rules(_require_object(pattern, EVENTBRIDGE), EVENTBRIDGE))


@lru_cache(maxsize=1024)
def _filter_policy_from_text(text: str, scope: str) -> FilterPolicy:
    return _filter_policy(_parse(text, SNS), text, scope)


def _filter_policy(policy: Any, text: str, scope: str) -> FilterPolicy:
    if scope not in SCOPES:
        raise PatternError(
            f"Invalid parameter: FilterPolicyScope: Invalid value [{scope}]. "
            "Please use either MessageBody or MessageAttributes"
        )
    if len(text.encode("utf-8")) > SNS_MAX_POLICY_BYTES:
        raise SNS.error("Filter policy is too long")
    policy = _require_object(policy, SNS)
    check_sns_shape(policy, scope == "MessageAttributes", SNS)
    return FilterPolicy(compile_rules(policy, SNS), scope)


def _parse(text: str, dialect: Dialect) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as error:
        if dialect.sns:
            raise dialect.error("failed to parse JSON.") from None
        where = ""
        if isinstance(error, json.JSONDecodeError):
            where = f'\n at [Source: (String)"{text}"; line: {error.lineno}, column: {error.colno}]'
            error_text = error.msg
        else:
            error_text = str(error)
        raise dialect.error(error_text + where) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _require_object(pattern: Any, dialect: Dialect) -> dict[str, Any]:
    if not isinstance(pattern, dict):
        raise dialect.error("Filter is not an object")
    return pattern
