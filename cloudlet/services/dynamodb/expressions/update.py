"""Update expressions: SET (with +, -, if_not_exists and list_append), REMOVE, ADD and
DELETE, each section at most once, in any order.

Every right-hand side is evaluated against the item as it was before the update (so
`SET a = b, b = a` swaps), then the actions are applied to a copy; removals from one
list happen from the highest index down, so indexes name the original elements.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal
from typing import Any

from cloudlet.services.dynamodb.expressions.condition import CONDITION_FUNCTIONS, UPDATE_FUNCTIONS
from cloudlet.services.dynamodb.expressions.lexer import (
    UPDATE_ORDER,
    Parser,
    type_word,
    validation,
)
from cloudlet.services.dynamodb.expressions.paths import (
    Item,
    Path,
    Value,
    getter,
    overlap_message,
)
from cloudlet.services.dynamodb.values import normalize_number

Read = Callable[[Item], Value]  # raises when a referenced attribute is missing
SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")
_EXACT = Context(prec=400)

MISSING = "The provided expression refers to an attribute that does not exist in the item"
BAD_TYPE = "An operand in the update expression has an incorrect data type"
BAD_PATH = "The document path provided in the update expression is invalid for update"


class Action:
    """One action of an update: `kind` (SET, REMOVE, ADD, DELETE, APPEND), its target
    path, and for SET a reader of the new value or for the others a constant."""

    __slots__ = ("kind", "path", "read", "const")

    def __init__(
        self, kind: str, path: Path, read: Read | None = None, const: Value | None = None
    ) -> None:
        self.kind = kind
        self.path = path
        self.read = read
        self.const = const


class Update:
    """A compiled update: `apply(item)` returns the new item (the argument is untouched)."""

    def __init__(self, actions: list[Action]) -> None:
        self.actions = actions
        self.paths: list[Path] = [a.path for a in actions]
        self.touched: set[str] = {str(a.path[0]) for a in actions}

    def apply(self, item: Item) -> Item:
        # Values first, from the old item.
        planned = [
            (action, action.read(item) if action.read is not None else action.const)
            for action in self.actions
        ]
        new = dict(item)
        copied: set[int] = set()
        removals: list[Action] = []
        for action, value in planned:
            if action.kind == "REMOVE":
                removals.append(action)
                continue
            assert value is not None
            if action.kind == "SET":
                _put(new, action.path, value, copied)
            elif action.kind == "ADD":
                _add(new, action.path, value, copied)
            elif action.kind == "APPEND":
                _append(new, action.path, value, copied)
            else:
                _delete(new, action.path, value, copied)
        removals.sort(
            key=lambda a: [(1, p) if isinstance(p, int) else (0, p) for p in a.path], reverse=True
        )
        for action in removals:
            _remove(new, action.path, copied)
        return new


# -- applying ----------------------------------------------------------------------------


def _own(container: Any, copied: set[int]) -> Any:
    """Copy-on-write: a map/list of the old item is copied before its first change."""
    if id(container) in copied:
        return container
    fresh = dict(container) if isinstance(container, dict) else list(container)
    copied.add(id(fresh))
    return fresh


def _parent(new: Item, path: Path, copied: set[int], strict: bool = True) -> Any:
    """The (owned) container holding the last element of `path`. A path through the
    wrong type raises; a missing parent raises when `strict` (SET, ADD), else gives
    None (REMOVE of something that is not there does nothing)."""
    container: Any = new
    for index, part in enumerate(path[:-1]):
        if isinstance(container, dict):
            if not isinstance(part, str):
                raise validation(BAD_PATH)
            child = container.get(part)
        else:
            if not isinstance(part, int):
                raise validation(BAD_PATH)
            child = container[part] if part < len(container) else None
        if child is None:
            if strict:
                raise validation(BAD_PATH)
            return None
        nxt = path[index + 1]
        kind = "L" if isinstance(nxt, int) else "M"
        if kind not in child:
            raise validation(BAD_PATH)
        inner = _own(child[kind], copied)
        owned_child = {kind: inner}
        container[part] = owned_child
        container = inner
    return container


def _put(new: Item, path: Path, value: Value, copied: set[int]) -> None:
    container = _parent(new, path, copied)
    last = path[-1]
    if isinstance(container, dict):
        if not isinstance(last, str):
            raise validation(BAD_PATH)
        container[last] = value
    else:
        if not isinstance(last, int):
            raise validation(BAD_PATH)
        if last < len(container):
            container[last] = value
        else:
            container.append(value)


def _current(new: Item, path: Path) -> Value | None:
    return getter(path)(new)


def _add(new: Item, path: Path, value: Value, copied: set[int]) -> None:
    existing = _current(new, path)
    if existing is None:
        _put(new, path, value, copied)
        return
    kind = next(iter(value))
    if kind == "N" and "N" in existing:
        total = _EXACT.add(Decimal(existing["N"]), Decimal(value["N"]))
        _put(new, path, {"N": normalize_number(_plain(total))}, copied)
        return
    if kind in ("SS", "NS", "BS") and kind in existing:
        _put(new, path, {kind: _union(kind, existing[kind], value[kind])}, copied)
        return
    raise validation(BAD_TYPE)


def _append(new: Item, path: Path, value: Value, copied: set[int]) -> None:
    """Legacy AttributeUpdates ADD: a list value is appended to an existing list."""
    existing = _current(new, path)
    if existing is not None and "L" in existing and "L" in value:
        _put(new, path, {"L": existing["L"] + value["L"]}, copied)
        return
    _add(new, path, value, copied)


def _delete(new: Item, path: Path, value: Value, copied: set[int]) -> None:
    existing = _current(new, path)
    if existing is None:
        return
    kind = next(iter(value))
    if kind not in existing:
        raise validation(BAD_TYPE)
    if kind == "NS":
        gone = {Decimal(m) for m in value[kind]}
        left = [m for m in existing[kind] if Decimal(m) not in gone]
    else:
        drop = set(value[kind])
        left = [m for m in existing[kind] if m not in drop]
    if left:
        _put(new, path, {kind: left}, copied)
    else:
        _remove(new, path, copied)


def _remove(new: Item, path: Path, copied: set[int]) -> None:
    container = _parent(new, path, copied, strict=False)
    if container is None:
        return
    last = path[-1]
    if isinstance(container, dict):
        if isinstance(last, str):
            container.pop(last, None)
    elif isinstance(last, int) and last < len(container):
        del container[last]


def _union(kind: str, old: list[Any], extra: list[Any]) -> list[Any]:
    out = list(old)
    if kind == "NS":
        seen = {Decimal(m) for m in old}
        for m in extra:
            if Decimal(m) not in seen:
                seen.add(Decimal(m))
                out.append(m)
        return out
    present = set(old)
    for m in extra:
        if m not in present:
            present.add(m)
            out.append(m)
    return out


def _plain(number: Decimal) -> str:
    return format(number, "f") if number.is_finite() else "NaN"


# -- parsing -----------------------------------------------------------------------------


class UpdateParser(Parser):
    order = UPDATE_ORDER
    local = ()

    def parse(self) -> Update:
        return self.guarded(self._parse)

    def _parse(self) -> Update:
        self.wrapped: set[int] = set()  # ids of values written in parentheses
        self.constants: dict[int, Value] = {}  # id of a value's reader -> the value
        actions: list[Action] = []
        seen: set[str] = set()
        while True:
            token = self.peek()
            section = token.text.upper() if token.kind == "name" else ""
            if section not in SECTIONS:
                raise self.syntax_error()
            self.take()
            if section in seen:
                self.note(
                    "section",
                    f'The "{section}" section can only be used once in an update expression;',
                )
            seen.add(section)
            while True:
                actions.append(self.action(section))
                self.settle()
                if not self.at_op(","):
                    break
                self.take()
            if self.peek().kind == "eof":
                break
        overlap = overlap_message([a.path for a in actions])
        if overlap:
            self.note("overlap", overlap)
        self.finish()
        return Update(actions)

    def action(self, section: str) -> Action:
        path = self.path()
        if section == "REMOVE":
            return Action("REMOVE", path)
        if section == "SET":
            self.expect_op("=")
            return Action("SET", path, read=self.set_value())
        if self.peek().kind != "value":
            raise self.syntax_error()
        const = self.value()
        kind = next(iter(const))
        allowed = ("N", "SS", "NS", "BS") if section == "ADD" else ("SS", "NS", "BS")
        if kind not in allowed:
            # AWS names the ADD type set for DELETE too.
            self.note(
                "types",
                "Incorrect operand type for operator or function; "
                f"operator: {section}, operand type: {type_word(const)}, "
                "typeSet: ALLOWED_FOR_ADD_OPERAND",
            )
        return Action(section, path, const=const)

    def set_value(self) -> Read:
        left = self.operand()
        if self.at_op("+") or self.at_op("-"):
            op = self.take().text
            self.operator()
            right = self.operand()
            self.constant_types(op, "N", [left, right])
            return _arithmetic(op, left, right)
        return left

    def constant_types(self, op: str, wanted: str, operands: list[Read]) -> None:
        """A value written in the expression must already have the type `op` takes."""
        for operand in operands:
            const = self.constants.get(id(operand))
            if const is not None and wanted not in const:
                self.note(
                    "types",
                    "Incorrect operand type for operator or function; "
                    f"operator or function: {op}, operand type: {next(iter(const))}",
                )

    def operand(self) -> Read:
        token = self.peek()
        if token.kind == "op" and token.text == "(":
            # `SET c = (c - :v)`: parentheses around a value; twice is redundant.
            self.take()
            inner = self.set_value()
            self.expect_op(")")
            if id(inner) in self.wrapped:
                self.note("parens", "The expression has redundant parentheses;")
            self.wrapped.add(id(inner))
            return inner
        if token.kind == "value":
            const = self.value()
            read: Read = lambda item: const  # noqa: E731
            self.constants[id(read)] = const
            return read
        if token.kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == "(":
            return self.function()
        if self.at_path():
            return _reader(self.path())
        raise self.syntax_error()

    def function(self) -> Read:
        name = self.take().text
        self.operator()
        self.expect_op("(")
        first_is_path = self.at_path() and not (
            self.peek().kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == "("
        )
        first_path = self.path() if first_is_path else None
        args: list[Read] = [_reader(first_path) if first_path is not None else self.operand()]
        while self.at_op(","):
            self.take()
            args.append(self.operand())
        self.expect_op(")")
        if name in CONDITION_FUNCTIONS:
            self.note(
                "function_name",
                f"The function is not allowed in an update expression; function: {name}",
            )
            return _fail
        if name not in UPDATE_FUNCTIONS:
            self.note("function_name", f"Invalid function name; function: {name}")
            return _fail
        if len(args) != UPDATE_FUNCTIONS[name]:
            self.note(
                "operands",
                "Incorrect number of operands for operator or function; "
                f"operator or function: {name}, number of operands: {len(args)}",
            )
            return _fail
        if name == "if_not_exists":
            if first_path is None:
                self.note(
                    "types",
                    f"Operator or function requires a document path; operator or function: {name}",
                )
                return _fail
            return _if_not_exists(getter(first_path), args[1])
        self.constant_types(name, "L", args)
        return _list_append(args[0], args[1])


def _fail(item: Item) -> Value:
    raise validation(BAD_TYPE)


def _reader(path: Path) -> Read:
    get = getter(path)

    def read(item: Item) -> Value:
        value = get(item)
        if value is None:
            raise validation(MISSING)
        return value

    return read


def _arithmetic(op: str, left: Read, right: Read) -> Read:
    def compute(item: Item) -> Value:
        a, b = left(item), right(item)
        if "N" not in a or "N" not in b:
            raise validation(BAD_TYPE)
        x, y = Decimal(a["N"]), Decimal(b["N"])
        result = _EXACT.add(x, y) if op == "+" else _EXACT.subtract(x, y)
        return {"N": normalize_number(_plain(result))}

    return compute


def _if_not_exists(get: Callable[[Item], Value | None], fallback: Read) -> Read:
    def read(item: Item) -> Value:
        value = get(item)
        return value if value is not None else fallback(item)

    return read


def _list_append(first: Read, second: Read) -> Read:
    def read(item: Item) -> Value:
        a, b = first(item), second(item)
        if "L" not in a or "L" not in b:
            raise validation(BAD_TYPE)
        return {"L": [*a["L"], *b["L"]]}

    return read


def parse_update(text: str, ctx: Any) -> Update:
    return UpdateParser(text, "UpdateExpression", ctx).parse()


__all__ = ["Action", "Update", "parse_update"]
