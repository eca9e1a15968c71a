"""Projection expressions: the attributes (and nested elements) a read returns.

Requested list elements come back in index order, packed into a shorter list, as
DynamoDB returns them; paths that are absent from an item are left out.
"""

from __future__ import annotations

from typing import Any

from cloudlet.services.dynamodb.expressions.lexer import Parser
from cloudlet.services.dynamodb.expressions.paths import Item, Path, Value, overlap_message


class Projection:
    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        # Top-level names, in order (an index projection decides with these).
        self.attributes: list[str] = list(dict.fromkeys(str(p[0]) for p in paths))
        self._simple = all(len(p) == 1 for p in paths)

    def apply(self, item: Item) -> Item:
        if self._simple:
            return {name: item[name] for name in self.attributes if name in item}
        return _project_map(item, [p for p in self.paths])


def _project_map(fields: dict[str, Value], tails: list[Path]) -> dict[str, Value]:
    groups: dict[str, list[Path]] = {}
    for tail in tails:
        head = tail[0]
        if isinstance(head, str):
            groups.setdefault(head, []).append(tail[1:])
    out: dict[str, Value] = {}
    for name, subs in groups.items():
        value = fields.get(name)
        if value is None:
            continue
        picked = _project_value(value, subs)
        if picked is not None:
            out[name] = picked
    return out


def _project_value(value: Value, subs: list[Path]) -> Value | None:
    if any(not s for s in subs):
        return value
    if "M" in value:
        inner = _project_map(value["M"], subs)
        return {"M": inner} if inner else None
    if "L" in value:
        elements: list[Any] = value["L"]
        groups: dict[int, list[Path]] = {}
        for tail in subs:
            head = tail[0]
            if isinstance(head, int):
                groups.setdefault(head, []).append(tail[1:])
        picked = []
        for index in sorted(groups):
            if index < len(elements):
                element = _project_value(elements[index], groups[index])
                if element is not None:
                    picked.append(element)
        return {"L": picked} if picked else None
    return None


class ProjectionParser(Parser):
    def parse(self) -> Projection:
        paths = [self.path()]
        self.settle()
        while self.at_op(","):
            self.take()
            paths.append(self.path())
            self.settle()
        overlap = overlap_message(paths)
        if overlap:
            self.note("overlap", overlap)
        self.finish()
        return Projection(paths)


def parse_projection(text: str, ctx: Any) -> Projection:
    return ProjectionParser(text, "ProjectionExpression", ctx).parse()
