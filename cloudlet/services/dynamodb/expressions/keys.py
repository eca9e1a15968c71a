"""Key conditions of a Query: `=` on the partition key and at most one condition on
the sort key (=, <, <=, >, >=, BETWEEN, begins_with), joined by AND."""

from __future__ import annotations

from typing import Any

from cloudlet.services.dynamodb.expressions.condition import Condition, ConditionParser, Node
from cloudlet.services.dynamodb.expressions.lexer import validation
from cloudlet.services.dynamodb.expressions.paths import Item, Value

RangeCondition = tuple[Any, ...]
_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class KeyCondition:
    """`hash_value` (a typed value), `range`: None, (op, value) with op one of
    = < <= > >=, ("BETWEEN", low, high) or ("begins_with", prefix)."""

    def __init__(
        self,
        hash_key: str,
        hash_value: Value,
        range_key: str | None,
        range: RangeCondition | None,
        condition: Condition,
    ) -> None:
        self.hash_key = hash_key
        self.hash_value = hash_value
        self.range_key = range_key
        self.range = range
        self.condition = condition

    def matches(self, item: Item) -> bool:
        return self.condition.evaluate(item)


def _walk(node: Node, found: dict[str, RangeCondition]) -> None:
    """Check the key conditions in the order written, as AWS reports the first problem."""
    if node.kind == "and":
        for arg in node.args:
            _walk(arg, found)
        return
    if node.kind in ("or", "not"):
        raise validation(f"Invalid operator used in KeyConditionExpression: {node.kind.upper()}")
    if node.kind == "in":
        raise validation("Invalid operator used in KeyConditionExpression: IN")
    if node.kind == "compare" and node.op == "<>":
        raise validation("Invalid operator used in KeyConditionExpression: <>")
    if node.kind == "function" and node.name != "begins_with":
        raise validation(f"Invalid operator used in KeyConditionExpression: {node.name}")
    name, spec = _leaf(node)
    if name in found:
        raise validation(
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one "
            "condition per key"
        )
    found[name] = spec


class KeyConditionDraft:
    """A parsed KeyConditionExpression not yet checked against a key schema: AWS
    reports the expression's own errors before it looks the table up."""

    def __init__(self, root: Node) -> None:
        self.root = root

    def bind(self, hash_key: str, range_key: str | None) -> KeyCondition:
        return _bind(self.root, hash_key, range_key)


def parse_key_condition_draft(text: str, ctx: Any) -> KeyConditionDraft:
    return KeyConditionDraft(ConditionParser(text, "KeyConditionExpression", ctx).parse())


def parse_key_condition(text: str, hash_key: str, range_key: str | None, ctx: Any) -> KeyCondition:
    return parse_key_condition_draft(text, ctx).bind(hash_key, range_key)


def _bind(root: Node, hash_key: str, range_key: str | None) -> KeyCondition:
    found: dict[str, RangeCondition] = {}
    _walk(root, found)
    key_count = 1 if range_key is None else 2
    if len(found) > key_count:
        raise validation(
            f"The number of query conditions ({len(found)}) exceeds the number of key "
            f"attributes defined in the schema ({key_count})"
        )
    if hash_key not in found:
        raise validation(f"Query condition missed key schema element: {hash_key}")
    for name in found:
        if name not in (hash_key, range_key):
            if range_key is not None:
                raise validation(f"Query condition missed key schema element: {range_key}")
            raise validation("Query key condition not supported")
    hash_spec = found[hash_key]
    if hash_spec[0] != "=":
        raise validation("Query key condition not supported")
    range_spec = found.get(range_key) if range_key is not None else None
    return KeyCondition(hash_key, hash_spec[1], range_key, range_spec, Condition(root))


def _leaf(node: Node) -> tuple[str, RangeCondition]:
    """The key a single condition constrains, and how."""
    args = node.args
    if any(a.kind == "size" for a in args):
        raise validation("KeyConditionExpressions cannot contain nested operations")
    what = "BETWEEN" if node.kind == "between" else node.name
    if node.kind in ("between", "function") and args[0].path is None:
        raise validation(
            f"Invalid condition in KeyConditionExpression: {what} operator must have the key "
            "attribute as its first operand"
        )
    paths = [a.path for a in args if a.path is not None]
    if len(paths) > 1:
        raise validation(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition"
        )
    if not paths:
        raise validation("Invalid condition in KeyConditionExpression: No key attribute specified")
    key = paths[0]
    if len(key) > 1:
        raise validation("KeyConditionExpressions cannot have conditions on nested attributes")
    name = str(key[0])
    consts = [a.const for a in args if a.const is not None]
    if node.kind == "compare":
        op = node.op if args[0].path is not None else _FLIP[node.op]
        return name, (op, consts[0])
    if node.kind == "between":
        return name, ("BETWEEN", consts[0], consts[1])
    return name, ("begins_with", consts[0])
