"""`patchOperations`, the one way every Update* operation of API Gateway changes things.

Each operation is `{"op": "replace"|"add"|"remove"|"move"|"copy"|"test", "path": "/name",
"value": "text"}`; paths are JSON-pointer-like (`~1` is "/", `~0` is "~") and values are
strings that the target field converts (`"true"`, `"300"`). Each updatable kind
declares its paths as `Rule`s; a path no rule matches, or an op the rule does not
allow, is AWS's BadRequestException, and nothing is changed (rules apply to a copy).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cloudlet.gateway.errors import ServiceError

Doc = dict[str, Any]
# (document, op, the segments matched by "{}" in the rule, value) -> None
Handler = Callable[[Doc, str, list[str], str | None], None]


def bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


@dataclass(frozen=True)
class Rule:
    path: str
    """Segments separated by "/", "{}" standing for any one segment."""
    handler: Handler
    ops: tuple[str, ...] = ("replace",)

    def match(self, segments: list[str]) -> list[str] | None:
        parts = self.path.strip("/").split("/")
        if len(parts) != len(segments):
            return None
        captured = []
        for want, got in zip(parts, segments, strict=True):
            if want == "{}":
                captured.append(got)
            elif want != got:
                return None
        return captured


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def apply(doc: Doc, operations: Sequence[dict[str, Any]], rules: Sequence[Rule]) -> Doc:
    """A new document with `operations` applied to a copy of `doc`."""
    out = copy.deepcopy(doc)
    for operation in operations:
        op = operation.get("op", "")
        path = operation.get("path") or ""
        if op not in ("add", "remove", "replace", "move", "copy", "test"):
            raise bad(
                "Invalid patch operation specified. Must be one of: [add, remove, replace, "
                "move, copy, test]"
            )
        segments = [_unescape(s) for s in path.strip("/").split("/")] if path else []
        for rule in rules:
            captured = rule.match(segments)
            if captured is None:
                continue
            if op not in rule.ops:
                raise bad(
                    f"Invalid patch path '{path}' specified for op '{op}'. Please choose "
                    f"supported operations"
                )
            rule.handler(out, op, captured, operation.get("value"))
            break
        else:
            allowed = ", ".join(r.path for r in rules)
            raise bad(
                f"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [{allowed}]"
            )
    return out


# -- value conversions -------------------------------------------------------------------


def text(value: str | None) -> str:
    if value is None:
        raise bad("Invalid null value specified")
    return value


def boolean(value: str | None) -> bool:
    if value is None or value.lower() not in ("true", "false"):
        raise bad(f"Invalid boolean value specified: {value}")
    return value.lower() == "true"


def integer(value: str | None) -> int:
    try:
        return int(text(value))
    except ValueError:
        raise bad(f"Invalid integer value specified: {value}") from None


def number(value: str | None) -> float:
    try:
        return float(text(value))
    except ValueError:
        raise bad(f"Invalid double value specified: {value}") from None


# -- handlers ------------------------------------------------------------------------------


def field(
    *keys: str, convert: Callable[[str | None], Any] = text, optional: bool = True
) -> Handler:
    """The value at doc[k1][k2]...; "remove" drops it (when the field is optional)."""

    def handle(doc: Doc, op: str, _: list[str], value: str | None) -> None:
        target = doc
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        if op == "remove":
            if not optional:
                raise bad(f"Cannot remove /{'/'.join(keys)}")
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = convert(value)

    return handle


def entry(name: str, convert: Callable[[str | None], Any] = text) -> Handler:
    """One key of the map doc[name] (the key is the segment the rule captured)."""

    def handle(doc: Doc, op: str, captured: list[str], value: str | None) -> None:
        mapping = doc.setdefault(name, {})
        key = "/".join(captured)
        if op == "remove":
            if key not in mapping:
                raise bad(f"Cannot remove {name} '{key}': it does not exist")
            del mapping[key]
        else:
            mapping[key] = convert(value)
        if not mapping:
            doc.pop(name, None)

    return handle


def member(name: str) -> Handler:
    """A value of the list doc[name], named by the path: add it, remove it, or replace
    it with `value`."""

    def handle(doc: Doc, op: str, captured: list[str], value: str | None) -> None:
        items: list[str] = doc.setdefault(name, [])
        item = captured[0]
        if op == "add":
            if item not in items:
                items.append(item)
        elif op == "remove":
            if item in items:
                items.remove(item)
        else:
            if item not in items:
                raise bad(f"Invalid {name} value '{item}': it does not exist")
            items[items.index(item)] = text(value)
        if not items:
            doc.pop(name, None)

    return handle


def values(name: str) -> Handler:
    """The list doc[name] as a whole: add or remove `value` (AWS's `/apiStages`, `/stages`)."""

    def handle(doc: Doc, op: str, _: list[str], value: str | None) -> None:
        items: list[str] = doc.setdefault(name, [])
        item = text(value)
        if op == "add":
            if item not in items:
                items.append(item)
        elif op == "remove":
            if item not in items:
                raise bad(f"Invalid {name} value '{item}': it does not exist")
            items.remove(item)
        if not items:
            doc.pop(name, None)

    return handle
