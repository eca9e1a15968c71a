"""A deployment compiled for serving: the resource tree as a trie, matched per request.

Matching follows AWS: a literal path part beats a `{param}`, which beats a greedy
`{proxy+}`; a greedy part takes one segment or more (so `/auth/{proxy+}` does not
match `/auth`); a trailing slash is ignored for matching (`/auth/` is `/auth`). Among
the candidates, the most specific resource that has the request's method (or ANY)
wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]


@dataclass
class Node:
    literal: dict[str, Node] = field(default_factory=dict)
    param: tuple[str, Node] | None = None
    greedy: tuple[str, Node] | None = None
    resource: Doc | None = None


@dataclass(frozen=True)
class Match:
    resource: Doc
    method: Doc
    path_params: dict[str, str]


class RouteTable:
    def __init__(self, resources: list[Doc]) -> None:
        self.root = Node()
        for resource in sorted(resources, key=lambda r: r["path"].count("/")):
            node = self.root
            for part in filter(None, resource["path"].split("/")):
                node = self._child(node, part)
            node.resource = resource

    @staticmethod
    def _child(node: Node, part: str) -> Node:
        if part.startswith("{") and part.endswith("+}"):
            if node.greedy is None:
                node.greedy = (part[1:-2], Node())
            return node.greedy[1]
        if part.startswith("{") and part.endswith("}"):
            if node.param is None:
                node.param = (part[1:-1], Node())
            return node.param[1]
        return node.literal.setdefault(part, Node())

    def match(self, segments: list[str], http_method: str) -> Match | None:
        if segments and segments[-1] == "":
            segments = segments[:-1]  # "/auth/" is "/auth"
        params: dict[str, str] = {}
        found = self._walk(self.root, segments, 0, http_method, params)
        if found is None:
            return None
        resource, method = found
        return Match(resource, method, params)

    def _walk(
        self, node: Node, segments: list[str], i: int, http_method: str, params: dict[str, str]
    ) -> tuple[Doc, Doc] | None:
        if i == len(segments):
            return _method(node.resource, http_method)
        segment = segments[i]
        child = node.literal.get(segment)
        if child is not None:
            found = self._walk(child, segments, i + 1, http_method, params)
            if found is not None:
                return found
        if node.param is not None and segment:
            name, child = node.param
            found = self._walk(child, segments, i + 1, http_method, params)
            if found is not None:
                params[name] = segment
                return found
        if node.greedy is not None:
            name, child = node.greedy
            found = _method(child.resource, http_method)
            if found is not None:
                params[name] = "/".join(segments[i:])
                return found
        return None


def _method(resource: Doc | None, http_method: str) -> tuple[Doc, Doc] | None:
    if resource is None:
        return None
    methods = resource.get("resourceMethods")
    if not methods:
        return None
    method = methods.get(http_method) or methods.get("ANY")
    if method is None:
        return None
    return resource, method
