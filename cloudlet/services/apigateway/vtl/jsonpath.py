"""The JSONPath of `$input.json(x)` and `$input.path(x)`.

API Gateway evaluates these with Jayway JsonPath. Supported here: `$`, `.name`,
`['name']` / `["name"]` (also several names: `['a','b']`), `[n]` (negative from the
end), `[*]` and `.*`, slices `[a:b]`, deep scan `..name`; a path without `$` is taken
from the root, as Jayway does. A definite path (names and indexes only) yields one value
or MISSING; any other yields the list of what matched. Filters (`[?(...)]`) and
functions are not supported and raise TemplateError.
"""

from __future__ import annotations

import re
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
    kind: str  # "names", "indexes", "wildcard", "slice", "deep"
    names: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    start: int | None = None
    stop: int | None = None
    inner: _Step | None = None  # for "deep": the step applied at every level


@dataclass(frozen=True)
class JsonPath:
    steps: tuple[_Step, ...]
    definite: bool

    def evaluate(self, document: Any) -> Any:
        nodes = [document]
        for step in self.steps:
            nodes = [found for node in nodes for found in _apply(step, node)]
        if self.definite:
            return nodes[0] if nodes else MISSING
        return nodes


def _apply(step: _Step, node: Any) -> list[Any]:
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
        found.extend(_apply(step.inner, descendant))
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
    return JsonPath(tuple(steps), definite)


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
    if content.lstrip().startswith("?") or content.lstrip().startswith("("):
        raise TemplateError(f"JSONPath filters and scripts are not supported: {path}")
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
    quote = ""
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
        elif ch == "]":
            return index
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
