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


def _leaves(node: Node, out: list[Node]) -> None:
    if node.kind == "and":
        for arg in node.args:
            _leaves(arg, out)
        return
    if node.kind in ("or", "not"):
        raise validation(f"Invalid operator used in KeyConditionExpression: {node.kind.upper()}")
    if node.kind == "in":
        raise validation("Invalid operator used in KeyConditionExpression: IN")
    if node.kind == "compare" and node.op == "<>":
        raise validation("Invalid operator used in KeyConditionExpression: <>")
    if node.kind == "function" and node.name != "begins_with":
        raise validation(f"Invalid operator used in KeyConditionExpression: {node.name}")
    out.append(node)


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
    leaves: list[Node] = []
    _leaves(root, leaves)
    found: dict[str, RangeCondition] = {}
    for leaf in leaves:
        name, spec = _leaf(leaf)
        if name in found:
            raise validation("KeyConditionExpressions must only contain one condition per key")
        found[name] = spec
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
    args = node.args
    paths = [a for a in args if a.path is not None]
    if not paths or any(a.const is None and a.path is None for a in args):
        raise validation("Query key condition not supported")
    key = paths[0].path
    assert key is not None
    if len(key) > 1:
        raise validation("KeyConditionExpressions cannot have conditions on nested attributes")
    name = str(key[0])
    if node.kind == "compare":
        left, right = args
        if left.path is not None and right.const is not None:
            return name, (node.op, right.const)
        if right.path is not None and left.const is not None:
            return name, (_FLIP[node.op], left.const)
        raise validation("Query key condition not supported")
    if node.kind == "between":
        value, low, high = args
        if value.path is None or low.const is None or high.const is None:
            raise validation("Query key condition not supported")
        return name, ("BETWEEN", low.const, high.const)
    # begins_with(key, :prefix)
    target, prefix = args
    if target.path is None or prefix.const is None:
        raise validation("Query key condition not supported")
    return name, ("begins_with", prefix.const)
