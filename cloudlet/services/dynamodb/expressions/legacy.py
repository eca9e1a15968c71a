"""The legacy conditional parameters (Expected, KeyConditions, QueryFilter, ScanFilter,
AttributesToGet, ConditionalOperator, AttributeUpdates) compiled to the same objects as
expressions, with AWS's messages; and AWS's refusal to mix them with expressions.

Semantics (API reference, "Condition" and "ExpectedAttributeValue"): EQ/NE/LT/LE/GT/GE
with one value, NULL/NOT_NULL with none (existence), CONTAINS/NOT_CONTAINS with one
scalar, BEGINS_WITH with one S or B, IN with one or more, BETWEEN with two. As with the
expression they stand for, NE and NOT_CONTAINS hold for a missing attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.services.dynamodb.expressions.condition import (
    Condition,
    Node,
    begins_with_test,
    between_node,
    compare_node,
    contains_test,
    in_node,
)
from cloudlet.services.dynamodb.expressions.keys import KeyCondition
from cloudlet.services.dynamodb.expressions.lexer import validation
from cloudlet.services.dynamodb.expressions.paths import Value, getter
from cloudlet.services.dynamodb.expressions.projection import Projection
from cloudlet.services.dynamodb.expressions.update import Action, Read, Update
from cloudlet.services.dynamodb.values import validate_value

__all__ = [
    "attribute_updates",
    "attributes_to_get",
    "check_mixing",
    "expected",
    "filter",
    "key_conditions",
]

_INVALID = "One or more parameter values were invalid: "
_NON_EXPRESSION = (
    "AttributesToGet",
    "AttributeUpdates",
    "ConditionalOperator",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
)
_EXPRESSION = (
    "ProjectionExpression",
    "UpdateExpression",
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
)
# Operator -> number of values (None: one or more).
_ARITY: dict[str, int | None] = {
    "EQ": 1,
    "NE": 1,
    "LE": 1,
    "LT": 1,
    "GE": 1,
    "GT": 1,
    "NOT_NULL": 0,
    "NULL": 0,
    "CONTAINS": 1,
    "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1,
    "IN": None,
    "BETWEEN": 2,
}
_SCALAR_ONLY = {"LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS", "BETWEEN", "IN"}
_SYMBOL = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_KEY_OPERATORS = {"EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"}


def check_mixing(request: Mapping[str, Any]) -> None:
    legacy = [k for k in _NON_EXPRESSION if request.get(k) is not None]
    modern = [k for k in _EXPRESSION if request.get(k) is not None]
    if legacy and modern:
        raise validation(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(legacy)}}} "
            f"Expression parameters: {{{', '.join(modern)}}}"
        )
    if request.get("ConditionalOperator") is not None:
        conditions = [
            request[k] for k in ("Expected", "QueryFilter", "ScanFilter") if request.get(k)
        ]
        if not conditions:
            raise validation("ConditionalOperator cannot be used without Filter or Expected")
        if all(len(c) < 2 for c in conditions):
            raise validation(
                "ConditionalOperator can only be used when Filter or Expected has two or more elements"
            )


# -- conditions ------------------------------------------------------------------------


def _path_node(name: str) -> Node:
    return Node("path", 0, read=getter((name,)), path=(name,))


def _const_node(value: Value) -> Node:
    return Node("value", 0, read=lambda item: value, const=value)


def _operator_test(name: str, operator: Any, values: Any, older: bool = False) -> Node:
    if not isinstance(operator, str) or operator not in _ARITY:
        raise validation(f"{_INVALID}Unsupported operator on Condition: {operator}")
    raw = list(values or [])
    arity = _ARITY[operator]
    if (arity is None and not raw) or (arity is not None and len(raw) != arity):
        raise validation(
            f"{_INVALID}Invalid number of argument(s) for the {operator} ComparisonOperator"
        )
    consts = [validate_value(v, older=older) for v in raw]
    for const in consts:
        kind = next(iter(const))
        if operator in _SCALAR_ONLY and kind not in ("S", "N", "B"):
            raise validation(
                f"{_INVALID}ComparisonOperator {operator} is not valid for {kind} AttributeValue type"
            )
        if operator == "BEGINS_WITH" and kind not in ("S", "B"):
            raise validation(
                f"{_INVALID}ComparisonOperator {operator} is not valid for {kind} AttributeValue type"
            )
    target = _path_node(name)
    read = target.read
    assert read is not None
    args = [_const_node(c) for c in consts]
    if operator in _SYMBOL:
        return compare_node(_SYMBOL[operator], target, args[0], 0)
    if operator == "NULL":
        return Node(
            "function",
            0,
            test=lambda item: read(item) is None,
            name="attribute_not_exists",
            args=[target],
        )
    if operator == "NOT_NULL":
        return Node(
            "function",
            0,
            test=lambda item: read(item) is not None,
            name="attribute_exists",
            args=[target],
        )
    if operator == "BETWEEN":
        return between_node(target, args[0], args[1], 0)
    if operator == "IN":
        return in_node(target, args, 0)
    second = args[0].read
    assert second is not None
    if operator == "BEGINS_WITH":
        return Node(
            "function",
            0,
            test=begins_with_test(read, second),
            name="begins_with",
            args=[target, args[0]],
        )
    contains = contains_test(read, second)
    if operator == "CONTAINS":
        return Node("function", 0, test=contains, name="contains", args=[target, args[0]])
    return Node(
        "function", 0, test=lambda item: not contains(item), name="contains", args=[target, args[0]]
    )


def _join(nodes: list[Node], conditional_operator: Any) -> Condition:
    if conditional_operator not in (None, "AND", "OR"):
        raise validation(f"{_INVALID}Unsupported ConditionalOperator: {conditional_operator}")
    tests = [n.test for n in nodes if n.test is not None]
    if not tests:
        return Condition.always()
    if conditional_operator == "OR":
        return Condition(Node("or", 0, test=lambda item: any(t(item) for t in tests), args=nodes))
    return Condition(Node("and", 0, test=lambda item: all(t(item) for t in tests), args=nodes))


def expected(
    entries: Mapping[str, Any], conditional_operator: Any = None, *, older: bool = False
) -> Condition:
    """Expected: per attribute, Value/Exists or ComparisonOperator/AttributeValueList."""
    nodes: list[Node] = []
    for name, spec in entries.items():
        spec = spec or {}
        value = spec.get("Value")
        exists = spec.get("Exists")
        operator = spec.get("ComparisonOperator")
        values = spec.get("AttributeValueList")
        if value is not None and values is not None:
            raise validation(
                f"{_INVALID}Value and AttributeValueList cannot be used together for Attribute: {name}"
            )
        if operator is not None:
            if exists is not None:
                raise validation(
                    f"{_INVALID}Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                )
            if operator not in ("NULL", "NOT_NULL") and value is None and values is None:
                raise validation(
                    f"{_INVALID}Value or AttributeValueList must be used with ComparisonOperator: "
                    f"{operator} for Attribute: {name}"
                )
            nodes.append(
                _operator_test(name, operator, [value] if value is not None else values, older)
            )
            continue
        if values is not None:
            raise validation(
                f"{_INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )
        if exists is False:
            if value is not None:
                raise validation(
                    f"{_INVALID}Value cannot be used when Exists is false for Attribute: {name}"
                )
            nodes.append(_operator_test(name, "NULL", []))
            continue
        if value is None:
            shown = "null" if exists is None else "true"
            raise validation(
                f"{_INVALID}Value must be provided when Exists is {shown} for Attribute: {name}"
            )
        nodes.append(_operator_test(name, "EQ", [value], older))
    return _join(nodes, conditional_operator)


def filter(
    entries: Mapping[str, Any], conditional_operator: Any = None, *, older: bool = False
) -> Condition:
    """QueryFilter / ScanFilter: per attribute a ComparisonOperator and its values."""
    nodes = [
        _operator_test(
            name,
            (spec or {}).get("ComparisonOperator"),
            (spec or {}).get("AttributeValueList"),
            older,
        )
        for name, spec in entries.items()
    ]
    return _join(nodes, conditional_operator)


def key_conditions(
    entries: Mapping[str, Any], hash_key: str, range_key: str | None
) -> KeyCondition:
    if not 1 <= len(entries) <= 2:
        raise validation("Conditions can be of length 1 or 2 only")
    specs: dict[str, tuple[str, list[Value]]] = {}
    nodes: list[Node] = []
    for name, spec in entries.items():
        spec = spec or {}
        operator = spec.get("ComparisonOperator")
        node = _operator_test(name, operator, spec.get("AttributeValueList"))
        if operator not in _KEY_OPERATORS:
            raise validation("Attempted conditional constraint is not an indexable operation")
        specs[name] = (operator, [validate_value(v) for v in spec.get("AttributeValueList") or []])
        nodes.append(node)
    if hash_key not in specs:
        raise validation(f"Query condition missed key schema element: {hash_key}")
    for name in specs:
        if name not in (hash_key, range_key):
            if range_key is not None:
                raise validation(f"Query condition missed key schema element: {range_key}")
            raise validation("Query key condition not supported")
    operator, values = specs[hash_key]
    if operator != "EQ":
        raise validation("Query key condition not supported")
    range_spec: tuple[Any, ...] | None = None
    if range_key is not None and range_key in specs:
        op, vals = specs[range_key]
        if op == "BETWEEN":
            range_spec = ("BETWEEN", vals[0], vals[1])
        elif op == "BEGINS_WITH":
            range_spec = ("begins_with", vals[0])
        else:
            range_spec = (_SYMBOL[op], vals[0])
    return KeyCondition(hash_key, values[0], range_key, range_spec, _join(nodes, "AND"))


# -- projection and updates -------------------------------------------------------------


def attributes_to_get(names: list[str]) -> Projection:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise validation(f"{_INVALID}Duplicate value in attribute name: {name}")
        seen.add(name)
    return Projection([(name,) for name in names])


def _constant(value: Value) -> Read:
    return lambda item: value


def attribute_updates(entries: Mapping[str, Any]) -> Update:
    actions: list[Action] = []
    for name, spec in entries.items():
        spec = spec or {}
        action = spec.get("Action") or "PUT"
        raw = spec.get("Value")
        if raw is None:
            if action != "DELETE":
                raise validation(
                    f"{_INVALID}Only DELETE action is allowed when no attribute value is specified"
                )
            actions.append(Action("REMOVE", (name,)))
            continue
        value = validate_value(raw)
        kind = next(iter(value))
        if action == "PUT":
            actions.append(Action("SET", (name,), read=_constant(value)))
        elif action == "ADD":
            if kind not in ("N", "SS", "NS", "BS", "L"):
                raise validation(f"{_INVALID}ADD action is not supported for the type {kind}")
            actions.append(Action("APPEND", (name,), const=value))
        elif action == "DELETE":
            if kind not in ("SS", "NS", "BS"):
                raise validation(
                    f"{_INVALID}DELETE action with value is not supported for the type {kind}"
                )
            actions.append(Action("DELETE", (name,), const=value))
        else:
            raise validation(f"{_INVALID}Unsupported Action: {action}")
    return Update(actions)
