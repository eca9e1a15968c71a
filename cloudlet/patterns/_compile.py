"""From a parsed pattern (a dict) to sub-rules, the way Event Ruler's JsonRuleCompiler
does it: nested objects become dotted paths ("detail.state"), every array of values
becomes one `FieldTest`, and each `$or` forks the rules built so far, one copy per
branch. A pattern matches when any sub-rule matches; a sub-rule when all its fields do.

Also here: SNS's own checks that run before Ruler sees a policy (nesting under the
MessageAttributes scope, at most 5 keys, at most 150 combinations).
"""

from __future__ import annotations

from typing import Any

from cloudlet.patterns._dialect import Dialect
from cloudlet.patterns._fields import FieldTest, compile_field

Rule = tuple[FieldTest, ...]

OR = "$or"
# Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP in Event Ruler.
RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists",
        "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    }
)  # fmt: skip
# Our own guard against $or blow-ups (AWS documents no number for EventBridge).
MAX_RULES = 1000
SNS_MAX_KEYS = 5  # "A filter policy can have a maximum of five keys" (leaf keys)
SNS_MAX_COMBINATIONS = 150


def compile_rules(pattern: dict[str, Any], dialect: Dialect) -> list[Rule]:
    if not pattern and dialect.sns:
        return [()]  # SNS accepts "{}": no condition, every message passes
    rules = _object(pattern, "", [{}], False, dialect)
    return [tuple(rule.values()) for rule in rules]


def _object(
    obj: dict[str, Any],
    prefix: str,
    rules: list[dict[str, FieldTest]],
    in_or: bool,
    dialect: Dialect,
) -> list[dict[str, FieldTest]]:
    if not obj:
        raise dialect.error("Empty objects are not allowed")
    for key, value in obj.items():
        if key == OR and _is_or(value, dialect):
            rules = _or(value, prefix, rules, dialect)
            continue
        if in_or and key in RESERVED_IN_OR:
            raise dialect.error(
                f"{key} is Ruler reserved fieldName which cannot be used inside $or."
            )
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            rules = _object(value, path, rules, in_or, dialect)
        elif isinstance(value, list):
            field = compile_field(path, value, dialect)
            for rule in rules:
                rule[path] = field  # a repeated path: the later one wins, as in Ruler
        else:
            raise dialect.error(f'"{key}" must be an object or an array')
    return rules


def _or(
    branches: Any, prefix: str, rules: list[dict[str, FieldTest]], dialect: Dialect
) -> list[dict[str, FieldTest]]:
    if not isinstance(branches, list):
        raise dialect.error("It must be an Array followed with $or.")
    forked: list[dict[str, FieldTest]] = []
    for branch in branches:
        if not isinstance(branch, dict):
            raise dialect.error("Only JSON object is allowed in array of $or relationship.")
        forked.extend(_object(branch, prefix, [dict(rule) for rule in rules], True, dialect))
        if len(forked) > MAX_RULES:
            raise dialect.error("Rule is too complex - too many $or combinations")
    if len(branches) < 2:
        raise dialect.error("There must have at least 2 Objects in $or relationship.")
    return forked


def _is_or(value: Any, dialect: Dialect) -> bool:
    """EventBridge always reads "$or" as the operator (and rejects a malformed one). SNS
    documents that "$or" is an ordinary attribute name unless its value is an array of
    2+ objects that use no Ruler keyword as a key."""
    if not dialect.sns:
        return True
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(branch, dict) and not RESERVED_IN_OR & branch.keys() for branch in value)
    )


def check_sns_shape(policy: dict[str, Any], attributes_scope: bool, dialect: Dialect) -> None:
    """SNS's checks, in the order AWS reports them: shape and nesting, then the number of
    keys, then the number of combinations."""
    keys, combinations = _shape(policy, 1, attributes_scope, dialect)
    if keys > SNS_MAX_KEYS:
        raise dialect.error("Filter policy can not have more than 5 keys")
    if combinations > SNS_MAX_COMBINATIONS:
        raise dialect.error("Filter policy is too complex")


def _shape(
    obj: dict[str, Any], depth: int, attributes_scope: bool, dialect: Dialect
) -> tuple[int, int]:
    """(leaf keys, combinations). AWS's example: a 4-value array three levels deep and a
    3-value array two levels deep give 3 x 4 x 2 x 3 = 72; $or branches add up."""
    keys, combinations = 0, 1
    for key, value in obj.items():
        if isinstance(value, dict):
            inner_keys, inner = _shape(value, depth + 1, attributes_scope, dialect)
            keys, combinations = keys + inner_keys, combinations * inner
        elif isinstance(value, list):
            if not value:
                raise dialect.error("Empty arrays are not allowed")
            if key == OR and _is_or(value, dialect):
                total = 0
                for branch in value:
                    branch_keys, branch_combinations = _shape(
                        branch, depth, attributes_scope, dialect
                    )
                    keys, total = keys + branch_keys, total + branch_combinations
                combinations *= total
            else:
                keys, combinations = keys + 1, combinations * len(value) * depth
        else:
            raise dialect.error(f'"{key}" must be an object or an array')
    if attributes_scope and depth > 1:
        raise dialect.error(
            "Filter policy scope MessageAttributes does not support nested filter policy",
            bare=True,
        )
    return keys, combinations
