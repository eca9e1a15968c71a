"""Condition expressions (ConditionExpression, FilterExpression, and the grammar the
KeyConditionExpression shares): parsed once into a tree whose nodes carry closures, so
evaluating an item is a few function calls.

Grammar (developer guide, "Condition and filter expressions, operators, and functions"):
  condition ::= operand comparator operand | operand BETWEEN operand AND operand
              | operand IN ( operand, ... ) | function | condition AND condition
              | condition OR condition | NOT condition | ( condition )
with NOT binding tighter than AND, and AND tighter than OR. A comparison with a missing
attribute is false, except `<>`, which is true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cloudlet.services.dynamodb.expressions.lexer import Parser
from cloudlet.services.dynamodb.expressions.paths import Item, Path, Value, getter, path_str
from cloudlet.services.dynamodb.values import compare, equal

Test = Callable[[Item], bool]
Read = Callable[[Item], Value | None]

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
TYPE_NAMES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")
MAX_IN_OPERANDS = 100


@dataclass(slots=True)
class Node:
    """A parsed condition or operand. `test` is set for conditions, `read` for operands."""

    kind: str
    end: int  # index of the first token after this node
    test: Test | None = None
    read: Read | None = None
    path: Path | None = None
    const: Value | None = None
    name: str = ""
    op: str = ""
    args: list[Node] = field(default_factory=list)
    parens: bool = False


class Condition:
    """A compiled condition: `evaluate(item)` with the item in wire form."""

    def __init__(self, root: Node) -> None:
        assert root.test is not None
        self.root = root
        self.evaluate: Test = root.test

    @staticmethod
    def always() -> Condition:
        return Condition(Node("true", 0, test=lambda item: True))

    @property
    def attributes(self) -> set[str]:
        """Top-level attribute names the condition reads (a Query's filter may not name
        a key attribute)."""
        names: set[str] = set()
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.path is not None:
                names.add(str(node.path[0]))
            stack.extend(node.args)
        return names


class ConditionParser(Parser):
    def parse(self) -> Node:
        node = self.guarded(self.condition)
        self.finish()
        return node

    # -- boolean structure ----------------------------------------------------------------

    def condition(self) -> Node:
        left = self.require(self.conjunction())
        while self.at_keyword("OR"):
            self.take()
            self.operator()
            right = self.require(self.conjunction())
            left = _or(left, right, self.pos)
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        if self.at_keyword("AND"):
            left = self.require(left)
        while self.at_keyword("AND"):
            self.take()
            self.operator()
            right = self.require(self.negation())
            left = _and(left, right, self.pos)
        return left

    def negation(self) -> Node:
        if self.at_keyword("NOT"):
            self.take()
            self.operator()
            inner = self.require(self.negation())
            test = inner.test
            assert test is not None
            return Node("not", self.pos, test=lambda item: not test(item), args=[inner])
        return self.comparison()

    def require(self, node: Node) -> Node:
        """A condition where one is needed; an operand there is AWS's syntax error at
        the token after it (`size` alone is a misused function)."""
        if node.test is not None:
            return node
        if node.kind == "size":
            self.note(
                "misused",
                "The function is not allowed to be used this way in an expression; function: size",
            )
            return Node("false", node.end, test=lambda item: False)
        raise self.syntax_error(node.end)

    # -- comparisons ------------------------------------------------------------------------

    def comparison(self) -> Node:
        node = self.clause()
        if node.test is not None and node.kind in ("compare", "between", "in", "function"):
            self.settle()
        return node

    def clause(self) -> Node:
        left = self.atom()
        token = self.peek()
        if token.kind == "op" and token.text in COMPARATORS:
            self.operand_only(left, token_index=self.pos)
            self.take()
            self.operator()
            right = self.atom()
            self.operand_only(right)
            self.distinct(token.text, left, right)
            self.ordered_types(token.text, [left, right])
            return compare_node(token.text, left, right, self.pos)
        if self.at_keyword("BETWEEN"):
            self.operand_only(left, token_index=self.pos)
            self.take()
            self.operator()
            low = self.atom()
            self.operand_only(low)
            if not self.at_keyword("AND"):
                raise self.syntax_error()
            self.take()
            high = self.atom()
            self.operand_only(high)
            self.ordered_types("BETWEEN", [left, low, high])
            self.between_bounds(low, high)
            return between_node(left, low, high, self.pos)
        if self.at_keyword("IN"):
            self.operand_only(left, token_index=self.pos)
            self.take()
            self.operator()
            self.expect_op("(")
            options = [self.atom()]
            while self.at_op(","):
                self.take()
                options.append(self.atom())
            self.expect_op(")")
            for option in options:
                self.operand_only(option)
            if len(options) > MAX_IN_OPERANDS:
                self.note(
                    "types",
                    "The IN operator is provided with too many operands; "
                    f"number of operands: {len(options)}",
                )
            return in_node(left, options, self.pos)
        return left

    def operand_only(self, node: Node, token_index: int | None = None) -> None:
        if node.test is None:
            return
        if node.kind == "function":
            self.note(
                "misused",
                "The function is not allowed to be used this way in an expression; "
                f"function: {node.name}",
            )
            node.read = _nothing
        else:
            # A parenthesised condition where an operand belongs.
            raise self.syntax_error(token_index if token_index is not None else node.end)

    def distinct(self, op: str, first: Node, other: Node) -> None:
        if first.path is not None and first.path == other.path:
            self.note(
                "distinct",
                "The first operand must be distinct from the remaining operands for this "
                f"operator or function; operator: {op}, first operand: {path_str(first.path)}",
            )

    def ordered_types(self, op: str, nodes: list[Node]) -> None:
        if op in ("=", "<>"):
            return
        for node in nodes:
            if node.const is not None:
                kind = next(iter(node.const))
                if kind not in ("N", "S", "B"):
                    self.note(
                        "types",
                        "Incorrect operand type for operator or function; "
                        f"operator or function: {op}, operand type: {kind}",
                    )

    def between_bounds(self, low: Node, high: Node) -> None:
        if low.const is None or high.const is None:
            return
        lk, hk = next(iter(low.const)), next(iter(high.const))
        shown = (
            f"lower bound operand: AttributeValue: {{{lk}:{_show(low.const)}}}, "
            f"upper bound operand: AttributeValue: {{{hk}:{_show(high.const)}}}"
        )
        if lk != hk:
            self.note(
                "types",
                "The BETWEEN operator requires same data type for lower and upper bounds; " + shown,
            )
        elif (compare(low.const, high.const) or 0) > 0:
            self.note(
                "types",
                "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                "bound; " + shown,
            )

    # -- operands and functions ----------------------------------------------------------------

    def atom(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text == "(":
            self.take()
            inner = self.condition_or_operand()
            self.expect_op(")")
            # AWS refuses doubled parentheses in conditions and filters, but accepts
            # them in key conditions (`((#pk = :pk)) AND ((#sk = :sk))`).
            if inner.parens and self.kind != "KeyConditionExpression":
                self.note("parens", "The expression has redundant parentheses;")
            inner.parens = True
            inner.end = self.pos
            return inner
        if token.kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == "(":
            return self.function()
        if token.kind == "value":
            const = self.value()
            return Node("value", self.pos, read=lambda item: const, const=const)
        if self.at_path():
            path = self.path()
            return Node("path", self.pos, read=getter(path), path=path)
        raise self.syntax_error()

    def condition_or_operand(self) -> Node:
        """Inside parentheses: a whole condition, or a lone operand (`(a) = :v`)."""
        node = self.conjunction()
        if self.at_keyword("OR"):
            node = self.require(node)
            while self.at_keyword("OR"):
                self.take()
                self.operator()
                right = self.require(self.conjunction())
                node = _or(node, right, self.pos)
        return node

    def function(self) -> Node:
        name = self.take().text
        self.operator()
        self.expect_op("(")
        args = [self.atom()]
        while self.at_op(","):
            self.take()
            args.append(self.atom())
        self.expect_op(")")
        for arg in args:
            self.operand_only(arg)
        end = self.pos
        if name in UPDATE_FUNCTIONS:
            self.note(
                "function_name",
                f"The function is not allowed in a condition expression; function: {name}",
            )
            return Node("function", end, test=lambda item: False, name=name, args=args)
        expected = CONDITION_FUNCTIONS.get(name)
        if expected is None:
            self.note("function_name", f"Invalid function name; function: {name}")
            return Node("function", end, test=lambda item: False, name=name, args=args)
        if len(args) != expected:
            self.note(
                "operands",
                "Incorrect number of operands for operator or function; "
                f"operator or function: {name}, number of operands: {len(args)}",
            )
            return Node("function", end, test=lambda item: False, name=name, args=args)
        if len(args) == 2:
            self.distinct(name, args[0], args[1])
        return self.build_function(name, args, end)

    def build_function(self, name: str, args: list[Node], end: int) -> Node:
        first = args[0]
        read = first.read
        assert read is not None
        if name == "size":
            if first.const is not None and next(iter(first.const)) in ("N", "BOOL", "NULL"):
                self._operand_type(name, first.const)
            return Node("size", end, read=_size(read), name=name, args=args)
        if name in ("attribute_exists", "attribute_not_exists"):
            if first.path is None:
                self.note(
                    "types",
                    f"Operator or function requires a document path; operator or function: {name}",
                )
            if name == "attribute_exists":
                test: Test = lambda item: read(item) is not None  # noqa: E731
            else:
                test = lambda item: read(item) is None  # noqa: E731
            return Node("function", end, test=test, name=name, args=args)
        second = args[1].read
        assert second is not None
        if name == "attribute_type":
            wanted = args[1].const
            if wanted is None or "S" not in wanted:
                shown = next(iter(wanted)) if wanted else "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
                self.note(
                    "types",
                    "Incorrect operand type for operator or function; "
                    f"operator or function: {name}, operand type: {shown}",
                )
                return Node("function", end, test=lambda item: False, name=name, args=args)
            type_name = wanted["S"]
            if type_name not in TYPE_NAMES:
                self.note(
                    "types",
                    f"Invalid attribute type name found; type: {type_name}, "
                    "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                )

            def has_type(item: Item) -> bool:
                value = read(item)
                return value is not None and type_name in value

            return Node("function", end, test=has_type, name=name, args=args)
        if name == "begins_with":
            for arg in args:
                if arg.const is not None and next(iter(arg.const)) not in ("S", "B"):
                    self._operand_type(name, arg.const)
            return Node("function", end, test=begins_with_test(read, second), name=name, args=args)
        return Node("function", end, test=contains_test(read, second), name=name, args=args)

    def _operand_type(self, name: str, const: Value) -> None:
        self.note(
            "types",
            "Incorrect operand type for operator or function; "
            f"operator or function: {name}, operand type: {next(iter(const))}",
        )


def _nothing(item: Item) -> Value | None:
    return None


def _show(value: Value) -> str:
    kind = next(iter(value))
    return str(value[kind])


# -- closures ------------------------------------------------------------------------------


def _or(left: Node, right: Node, end: int) -> Node:
    a, b = left.test, right.test
    assert a is not None and b is not None
    return Node("or", end, test=lambda item: a(item) or b(item), args=[left, right])


def _and(left: Node, right: Node, end: int) -> Node:
    a, b = left.test, right.test
    assert a is not None and b is not None
    return Node("and", end, test=lambda item: a(item) and b(item), args=[left, right])


def compare_node(op: str, left: Node, right: Node, end: int) -> Node:
    a, b = left.read, right.read
    assert a is not None and b is not None

    def test(item: Item) -> bool:
        x, y = a(item), b(item)
        if op == "<>":
            return x is None or y is None or not equal(x, y)
        if x is None or y is None:
            return False
        if op == "=":
            return equal(x, y)
        order = compare(x, y)
        if order is None:
            return False
        if op == "<":
            return order < 0
        if op == "<=":
            return order <= 0
        if op == ">":
            return order > 0
        return order >= 0

    return Node("compare", end, test=test, op=op, args=[left, right])


def between_node(value: Node, low: Node, high: Node, end: int) -> Node:
    v, lo, hi = value.read, low.read, high.read
    assert v is not None and lo is not None and hi is not None

    def test(item: Item) -> bool:
        x, a, b = v(item), lo(item), hi(item)
        if x is None or a is None or b is None:
            return False
        above, below = compare(x, a), compare(x, b)
        return above is not None and below is not None and above >= 0 and below <= 0

    return Node("between", end, test=test, args=[value, low, high])


def in_node(value: Node, options: list[Node], end: int) -> Node:
    v = value.read
    reads = [o.read for o in options]
    assert v is not None

    def test(item: Item) -> bool:
        x = v(item)
        if x is None:
            return False
        for read in reads:
            assert read is not None
            y = read(item)
            if y is not None and equal(x, y):
                return True
        return False

    return Node("in", end, test=test, args=[value, *options])


def _size(read: Read) -> Read:
    def size(item: Item) -> Value | None:
        value = read(item)
        if value is None:
            return None
        kind, raw = next(iter(value.items()))
        if kind == "S":
            # size() of a string counts UTF-16 code units (as AWS answers), not bytes.
            return {"N": str(len(raw.encode("utf-16-le", "surrogatepass")) // 2)}
        if kind in ("B", "SS", "NS", "BS", "L", "M"):
            return {"N": str(len(raw))}
        return None

    return size


def begins_with_test(read: Read, prefix: Read) -> Test:
    def test(item: Item) -> bool:
        value, start = read(item), prefix(item)
        if value is None or start is None:
            return False
        if "S" in value and "S" in start:
            return bool(value["S"].startswith(start["S"]))
        if "B" in value and "B" in start:
            return bool(value["B"].startswith(start["B"]))
        return False

    return test


def contains_test(read: Read, operand: Read) -> Test:
    def test(item: Item) -> bool:
        value, needle = read(item), operand(item)
        if value is None or needle is None:
            return False
        kind, raw = next(iter(value.items()))
        nkind, nraw = next(iter(needle.items()))
        if kind == "S":
            return nkind == "S" and nraw in raw
        if kind == "B":
            return nkind == "B" and nraw in raw
        if kind == "SS":
            return nkind == "S" and nraw in raw
        if kind == "BS":
            return nkind == "B" and nraw in raw
        if kind == "NS":
            return nkind == "N" and any(Decimal(m) == Decimal(nraw) for m in raw)
        if kind == "L":
            return any(equal(element, needle) for element in raw)
        return False

    return test


def parse_condition(text: str, kind: str, ctx: Any) -> Condition:
    return Condition(ConditionParser(text, kind, ctx).parse())
