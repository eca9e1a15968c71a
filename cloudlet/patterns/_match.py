"""Matching compiled sub-rules against a JSON document.

The document is flattened the way Event Ruler flattens events, but only along the paths
the pattern names: every leaf value (string, number, boolean, null) reached through
objects and arrays becomes an entry under its dotted path, remembering which element of
which array it came from. Objects and empty arrays are not leaves, so `{"exists": true}`
never matches them and `{"exists": false}` does ("exists only works on leaf nodes").

Dots are path separators on both sides, as in Ruler: the pattern key "state.status" and
the event key "state.status" both meet the nested `{"state": {"status": ...}}`.

Array consistency (Ruler's rulesForJSONEvent): the fields of one sub-rule must not be
satisfied by values from different elements of the same array, so
`{"employees": {"first": ["Anna"], "last": ["Jones"]}}` does not match Anna Smith and
Peter Jones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudlet.patterns._compile import Rule

Membership = tuple[tuple[int, int], ...]  # (array identity, index) for each array passed
Entry = tuple[Any, Membership]
Entries = dict[str, list[Entry]]
_NO_ARRAYS: Membership = ()


class PathNode:
    """A node of the trie of dotted paths a pattern reads. `lookups` pairs every key the
    document may use to reach a descendant (one segment, or several joined by dots) with
    that descendant."""

    __slots__ = ("path", "leaf", "children", "lookups")

    def __init__(self, path: str) -> None:
        self.path = path
        self.leaf = False
        self.children: dict[str, PathNode] = {}
        self.lookups: tuple[tuple[str, PathNode], ...] = ()


def build_trie(paths: Iterable[str]) -> PathNode:
    root = PathNode("")
    for path in paths:
        node = root
        for segment in path.split("."):
            child = node.children.get(segment)
            if child is None:
                child = node.children[segment] = PathNode(
                    f"{node.path}.{segment}" if node.path else segment
                )
            node = child
        node.leaf = True
    _link(root)
    return root


def _link(node: PathNode) -> list[tuple[str, PathNode]]:
    """Set `node.lookups`; return them for the parent to extend."""
    lookups: list[tuple[str, PathNode]] = []
    for segment, child in node.children.items():
        lookups.append((segment, child))
        lookups.extend((f"{segment}.{key}", deeper) for key, deeper in _link(child))
    node.lookups = tuple(lookups)
    return lookups


def collect(document: dict[str, Any], root: PathNode) -> tuple[Entries, bool]:
    """The leaf values of `document` under the trie's paths, and whether any came out of
    an array (only then does array consistency need checking)."""
    entries: Entries = {}
    arrays = [False]
    for key, child in root.lookups:
        if key in document:
            _visit(document[key], child, entries, _NO_ARRAYS, arrays)
    return entries, arrays[0]


def _visit(
    value: Any, node: PathNode, entries: Entries, membership: Membership, arrays: list[bool]
) -> None:
    kind = type(value)
    if kind is dict or (kind is not str and isinstance(value, dict)):
        for key, child in node.lookups:
            if key in value:
                _visit(value[key], child, entries, membership, arrays)
    elif kind is list or (kind is not str and isinstance(value, list)):
        arrays[0] = True
        array = id(value)  # unique while the document is alive, which is all we need
        for index, item in enumerate(value):
            _visit(item, node, entries, (*membership, (array, index)), arrays)
    elif node.leaf:
        found = entries.get(node.path)
        if found is None:
            entries[node.path] = [(value, membership)]
        else:
            found.append((value, membership))


def any_rule_matches(rules: list[Rule], entries: Entries, arrays: bool) -> bool:
    for rule in rules:
        # Consistency is a relation between two fields or more.
        if (
            _matches_consistently(rule, entries)
            if arrays and len(rule) > 1
            else _matches(rule, entries)
        ):
            return True
    return False


def _matches(rule: Rule, entries: Entries) -> bool:
    """No arrays in the document: each field on its own."""
    for path, test, any_present, absent_ok in rule:
        found = entries.get(path)
        if found is None:
            if absent_ok:
                continue
            return False
        if any_present:
            continue
        for value, _ in found:
            if test(value):
                break
        else:
            return False
    return True


def _matches_consistently(rule: Rule, entries: Entries) -> bool:
    """The document has arrays: the matching values of all fields must be choosable
    without taking two different elements of any one array."""
    tagged: list[tuple[int, Membership]] = []  # (the field's bit, where the value sits)
    required = 0
    for number, (path, test, any_present, absent_ok) in enumerate(rule):
        found = entries.get(path)
        if found is None:
            if absent_ok:
                continue
            return False
        bit = 1 << number
        before = len(tagged)
        tagged.extend(
            (bit, membership) for value, membership in found if any_present or test(value)
        )
        if len(tagged) == before:
            return False
        required |= bit
    return any(mask & required == required for mask in _achievable(tagged, 0))


def _achievable(tagged: list[tuple[int, Membership]], depth: int) -> set[int]:
    """The sets of fields (bit masks, maximal ones) satisfiable together by values that
    share the first `depth` array positions. Values outside further arrays combine with
    anything; different arrays are independent; the elements of one array are
    alternatives. Linear in the values, unlike a search over combinations."""
    free = 0
    arrays: dict[int, dict[int, list[tuple[int, Membership]]]] = {}
    for bit, membership in tagged:
        if len(membership) == depth:
            free |= bit
        else:
            array, index = membership[depth]
            arrays.setdefault(array, {}).setdefault(index, []).append((bit, membership))
    masks = {free}
    for elements in arrays.values():
        options: set[int] = set()
        for members in elements.values():
            options |= _achievable(members, depth + 1)
        masks = _maximal({mask | option for mask in masks for option in options})
    return masks


def _maximal(masks: set[int]) -> set[int]:
    """Drop the masks contained in another: any subset of a satisfiable set is."""
    if len(masks) < 2:
        return masks
    kept: list[int] = []
    for mask in sorted(masks, key=int.bit_count, reverse=True):
        if not any(mask | other == other for other in kept):
            kept.append(mask)
    return set(kept)
