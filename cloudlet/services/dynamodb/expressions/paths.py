"""Document paths (`a.b[2].c`) as tuples of names and list indexes: reading them from an
item, printing them as DynamoDB does in messages, and finding overlaps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Path = tuple[str | int, ...]
Value = dict[str, Any]
Item = dict[str, Value]
Getter = Callable[[Item], Value | None]


def path_str(path: Path) -> str:
    """DynamoDB's rendering in messages: `[a, b, [0]]`."""
    return "[" + ", ".join(f"[{p}]" if isinstance(p, int) else p for p in path) + "]"


def getter(path: Path) -> Getter:
    """A function reading the value at `path` of an item (None when absent)."""
    head = path[0]
    assert isinstance(head, str)
    rest = path[1:]
    if not rest:
        return lambda item: item.get(head)

    def get(item: Item) -> Value | None:
        value = item.get(head)
        for part in rest:
            if value is None:
                return None
            if isinstance(part, int):
                seq = value.get("L")
                if seq is None or part >= len(seq):
                    return None
                value = seq[part]
            else:
                fields = value.get("M")
                if fields is None:
                    return None
                value = fields.get(part)
        return value

    return get


def relation(one: Path, two: Path) -> str | None:
    """'overlap' when one path is a prefix of the other (or equal), 'conflict' when they
    part where one takes a name and the other an index, else None."""
    for a, b in zip(one, two, strict=False):
        if a == b and type(a) is type(b):
            continue
        if isinstance(a, int) != isinstance(b, int):
            return "conflict"
        return None
    return "overlap"


def overlap_message(paths: list[Path]) -> str | None:
    for i, one in enumerate(paths):
        for two in paths[i + 1 :]:
            kind = relation(one, two)
            if kind == "overlap":
                return (
                    "Two document paths overlap with each other; must remove or rewrite one of "
                    f"these paths; path one: {path_str(one)}, path two: {path_str(two)}"
                )
            if kind == "conflict":
                return (
                    "Two document paths conflict with each other; must remove or rewrite one of "
                    f"these paths; path one: {path_str(one)}, path two: {path_str(two)}"
                )
    return None
