"""The JSONPath of `$input.json(x)` and `$input.path(x)`.

API Gateway evaluates these with Jayway JsonPath. Supported here: `$`, `.name`,
`['name']` / `["name"]` (also several names: `['a','b']`), `[n]` (negative from the
end), `[*]` and `.*`, slices `[a:b]`, deep scan `..name`, filters `[?(...)]` (`@.x`
existence, `== != < <= > >=` against numbers, strings, booleans, null or other paths,
`=~ /regex/i`, `&&`, `||`, `!`, parentheses); a path without `$` is taken from the root,
as Jayway does. A definite path (names and indexes only) yields one value or MISSING;
any other yields the list of what matched. A trailing function applies to that result:
length(), size(), min(), max(), avg(), sum(), stddev() (numbers, as doubles), keys().
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cloudlet.services.apigateway.vtl.errors import TemplateError


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""What a definite path yields when nothing is there (distinct from JSON null)."""


@dataclass(frozen=True)
class _Step:
    kind: str  # "names", "indexes", "wildcard", "slice", "deep", "filter"
    names: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    start: int | None = None
    stop: int | None = None
    inner: _Step | None = None  # for "deep": the step applied at every level
    predicate: Callable[[Any, Any], bool] | None = None  # for "filter": (item, root)


@dataclass(frozen=True)
class JsonPath:
    steps: tuple[_Step, ...]
    definite: bool
    function: str | None = None  # a trailing Jayway function: length(), sum() ...

    def evaluate(self, document: Any) -> Any:
        nodes = [document]
        for step in self.steps:
            nodes = [found for node in nodes for found in _apply(step, node, document)]
        if self.definite:
            result = nodes[0] if nodes else MISSING
        else:
            result = nodes
        if self.function is None or result is MISSING:
            return result
        return _FUNCTIONS[self.function](result)


def _apply(step: _Step, node: Any, root: Any) -> list[Any]:
    if step.kind == "filter":
        assert step.predicate is not None
        candidates = node if isinstance(node, list) else [node] if isinstance(node, dict) else []
        return [item for item in candidates if step.predicate(item, root)]
    if step.kind == "names":
        if isinstance(node, dict):
            return [node[name] for name in step.names if name in node]
        return []
    if step.kind == "indexes":
        if isinstance(node, list):
            found = []
            for index in step.indexes:
                position = index + len(node) if index < 0 else index
                if 0 <= position < len(node):
                    found.append(node[position])
            return found
        return []
    if step.kind == "wildcard":
        if isinstance(node, dict):
            return list(node.values())
        if isinstance(node, list):
            return list(node)
        return []
    if step.kind == "slice":
        return list(node[step.start : step.stop]) if isinstance(node, list) else []
    assert step.inner is not None
    found = []
    for descendant in _walk(node):
        found.extend(_apply(step.inner, descendant, root))
    return found


def _walk(node: Any) -> list[Any]:
    """The node and all its descendants, depth first."""
    out = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        out.extend(_walk(child))
    return out


_NAME = re.compile(r"[^.\[\]\s]+")
_QUOTED = re.compile(r"\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")\s*")
_INTEGER = re.compile(r"\s*(-?\d+)\s*")
_SLICE = re.compile(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*")


@lru_cache(maxsize=1024)
def compile_path(path: str) -> JsonPath:
    text = path.strip()
    if not text.startswith("$"):
        text = "$" + ("" if text.startswith("[") else ".") + text
    function = None
    call = re.search(r"\.([a-z]+)\(\s*\)$", text)
    if call and call.group(1) in _FUNCTIONS:
        function = call.group(1)
        text = text[: call.start()]
    position = 1
    steps: list[_Step] = []
    while position < len(text):
        if text.startswith("..", position):
            position += 2
            inner, position = _member(text, position, path)
            steps.append(_Step("deep", inner=inner))
        elif text[position] == ".":
            inner, position = _member(text, position + 1, path)
            steps.append(inner)
        elif text[position] == "[":
            step, position = _bracket(text, position, path)
            steps.append(step)
        else:
            raise _invalid(path)
    definite = all(
        (step.kind == "names" and len(step.names) == 1)
        or (step.kind == "indexes" and len(step.indexes) == 1)
        for step in steps
    )
    if function is None and re.search(r"\(\s*\)$", text):
        raise TemplateError(f"JSONPath function not supported: {path}")
    return JsonPath(tuple(steps), definite, function)


def _numbers(value: Any) -> list[float]:
    items = value if isinstance(value, list) else [value]
    numbers = [x for x in items if isinstance(x, int | float) and not isinstance(x, bool)]
    if not numbers:
        raise TemplateError("Aggregation function attempted to calculate value using empty array")
    return numbers


def _length(value: Any) -> Any:
    return len(value) if isinstance(value, list | dict) else MISSING


def _stddev(value: Any) -> float:
    numbers = _numbers(value)
    mean = sum(numbers) / len(numbers)
    return float((sum((x - mean) ** 2 for x in numbers) / len(numbers)) ** 0.5)


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "length": _length,
    "size": _length,
    "min": lambda value: float(min(_numbers(value))),
    "max": lambda value: float(max(_numbers(value))),
    "avg": lambda value: float(sum(_numbers(value)) / len(_numbers(value))),
    "sum": lambda value: float(sum(_numbers(value))),
    "stddev": _stddev,
    "keys": lambda value: list(value) if isinstance(value, dict) else MISSING,
}


def _member(text: str, position: int, path: str) -> tuple[_Step, int]:
    """What follows `.` or `..`: a name, `*`, or a bracket."""
    if text.startswith("*", position):
        return _Step("wildcard"), position + 1
    if text.startswith("[", position):
        return _bracket(text, position, path)
    match = _NAME.match(text, position)
    if not match:
        raise _invalid(path)
    return _Step("names", names=(match.group(),)), match.end()


def _bracket(text: str, position: int, path: str) -> tuple[_Step, int]:
    close = _closing_bracket(text, position, path)
    content = text[position + 1 : close]
    after = close + 1
    if content.strip() == "*":
        return _Step("wildcard"), after
    stripped = content.strip()
    if stripped.startswith("?"):
        inner = stripped[1:].strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise _invalid(path)
        return _Step("filter", predicate=_Filter(inner[1:-1], path).parse()), after
    if stripped.startswith("("):
        raise TemplateError(f"JSONPath script expressions are not supported: {path}")
    parts = _split_union(content)
    quoted = [_QUOTED.fullmatch(part) for part in parts]
    if all(quoted):
        names = tuple(
            _unescape(m.group(1) if m.group(1) is not None else m.group(2))
            for m in quoted
            if m is not None
        )
        return _Step("names", names=names), after
    integers = [_INTEGER.fullmatch(part) for part in parts]
    if all(integers):
        return _Step("indexes", indexes=tuple(int(m.group(1)) for m in integers if m)), after
    slice_match = _SLICE.fullmatch(content)
    if slice_match and len(parts) == 1:
        start, stop = slice_match.groups()
        return _Step(
            "slice",
            start=int(start) if start is not None else None,
            stop=int(stop) if stop is not None else None,
        ), after
    raise _invalid(path)


def _closing_bracket(text: str, position: int, path: str) -> int:
    """The `]` that closes the `[` at `position` (quotes and nested brackets skipped)."""
    quote = ""
    depth = 0
    index = position + 1
    while index < len(text):
        ch = text[index]
        if quote:
            if ch == "\\":
                index += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    raise _invalid(path)


def _split_union(content: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    escaped = False
    for ch in content:
        if escaped:
            escaped = False
        elif quote and ch == "\\":
            escaped = True
        elif quote and ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
        elif not quote and ch == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


def _invalid(path: str) -> TemplateError:
    return TemplateError(f"Invalid JSONPath expression: {path}")


# --- filters ------------------------------------------------------------------------------

Operand = Callable[[Any, Any], Any]  # (item, root) -> value or MISSING
Predicate = Callable[[Any, Any], bool]

_FILTER_TOKEN = re.compile(
    r"""\s*(?:(?P<op>&&|\|\||==|!=|<=|>=|=~|<|>|!|\(|\))"""
    r"""|(?P<path>[@$](?:\.[A-Za-z_][\w-]*|\[[^\]]*\]|\.\*)*)"""
    r"""|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"""
    r"""|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)"""
    r"""|(?P<word>true|false|null))"""
)


class _Filter:
    """A filter expression compiled to a predicate of (item, root)."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            if not text[position:].strip():
                break
            match = _FILTER_TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise _invalid(path)
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0

    def parse(self) -> Predicate:
        predicate = self.either()
        if self.index != len(self.tokens):
            raise _invalid(self.path)
        return predicate

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] == value:
            self.index += 1
            return True
        return False

    def either(self) -> Predicate:
        left = self.both()
        while self.take("||"):
            right = self.both()
            left = _or(left, right)
        return left

    def both(self) -> Predicate:
        left = self.negation()
        while self.take("&&"):
            right = self.negation()
            left = _and(left, right)
        return left

    def negation(self) -> Predicate:
        if self.take("!"):
            inner = self.negation()
            return lambda item, root: not inner(item, root)
        if self.take("("):
            inner = self.either()
            if not self.take(")"):
                raise _invalid(self.path)
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        left, is_path = self.operand()
        token = self.peek()
        if token is None or token[0] != "op" or token[1] not in _COMPARISONS:
            if not is_path:
                raise _invalid(self.path)
            return lambda item, root: left(item, root) is not MISSING  # existence
        self.index += 1
        if token[1] == "=~":
            regex = self.peek()
            if regex is None or regex[0] != "regex":
                raise _invalid(self.path)
            self.index += 1
            return _matches(left, _java_regex(regex[1], self.path))
        right, _ = self.operand()
        return _compare(token[1], left, right)

    def operand(self) -> tuple[Operand, bool]:
        token = self.peek()
        if token is None:
            raise _invalid(self.path)
        self.index += 1
        kind, text = token
        if kind == "path":
            relative = compile_path("$" + text[1:])
            if text.startswith("@"):
                return (lambda item, root: relative.evaluate(item)), True
            return (lambda item, root: relative.evaluate(root)), True
        if kind == "number":
            number = float(text) if any(c in text for c in ".eE") else int(text)
            return (lambda item, root: number), False
        if kind == "string":
            value = _unescape(text[1:-1])
            return (lambda item, root: value), False
        if kind == "word":
            constant = {"true": True, "false": False, "null": None}[text]
            return (lambda item, root: constant), False
        raise _invalid(self.path)


_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "=~")


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda item, root: left(item, root) or right(item, root)


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda item, root: left(item, root) and right(item, root)


def _java_regex(text: str, path: str) -> re.Pattern[str]:
    body, _, flags = text[1:].rpartition("/")
    try:
        return re.compile(body, re.IGNORECASE if "i" in flags else 0)
    except re.error:
        raise _invalid(path) from None


def _matches(operand: Operand, pattern: re.Pattern[str]) -> Predicate:
    def predicate(item: Any, root: Any) -> bool:
        value = operand(item, root)
        return isinstance(value, str) and pattern.fullmatch(value) is not None

    return predicate


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _compare(op: str, left: Operand, right: Operand) -> Predicate:
    def predicate(item: Any, root: Any) -> bool:
        a, b = left(item, root), right(item, root)
        if a is MISSING or b is MISSING:
            return False
        if op in ("==", "!="):
            same = _kind(a) == _kind(b) and a == b
            return same if op == "==" else not same
        if _kind(a) != _kind(b) or _kind(a) not in ("number", "str"):
            return False
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)

    return predicate
