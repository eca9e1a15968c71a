"""HTTP API route keys: validated when a route is written, compiled once per deployment.

A route key is `$default` or `METHOD /path`, where METHOD is an HTTP method or ANY and
the path's segments are literals, `{name}` parameters, or a final greedy `{name+}`.
Requests are matched as AWS documents: the most specific route wins — a literal path
over one with parameters, a literal segment over a parameter at the same place, a
route without a greedy variable over one with it, a method over ANY — and `$default`
catches what nothing else matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cloudlet.gateway.errors import ServiceError

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
DEFAULT = "$default"
_PARAM = re.compile(r"^\{([A-Za-z0-9._\-]+)(\+?)\}$")
_LITERAL = re.compile(r"^[A-Za-z0-9._\-~:@!$&'()*,;=%]+$")


@dataclass(frozen=True)
class RouteKey:
    method: str
    path: str
    segments: tuple[str | None, ...]
    """Literal segments, None where a parameter stands (the greedy one excluded)."""
    names: tuple[str | None, ...]
    """The parameter's name at each place, None for a literal."""
    greedy: str | None
    """The name of the final `{name+}` variable, if any."""


def _invalid(key: str) -> ServiceError:
    return ServiceError(
        "BadRequestException",
        f"Unable to create route {key}. Route key must be '$default' or of the form "
        "'METHOD /path', where METHOD is an HTTP method or ANY and path segments are "
        "literals, {parameter} or a final greedy {parameter+}.",
    )


def parse(key: str) -> RouteKey | None:
    """The parsed key (None for `$default`); raises BadRequestException if malformed."""
    if key == DEFAULT:
        return None
    method, sep, path = key.partition(" ")
    if not sep or method not in METHODS or not path.startswith("/") or " " in path:
        raise _invalid(key)
    if path != "/" and path.endswith("/"):
        raise _invalid(key)
    segments: list[str | None] = []
    names: list[str | None] = []
    greedy: str | None = None
    seen: set[str] = set()
    parts = [] if path == "/" else path[1:].split("/")
    for i, part in enumerate(parts):
        found = _PARAM.match(part)
        if found is not None:
            name, plus = found.group(1), found.group(2)
            if name in seen:
                raise _invalid(key)
            seen.add(name)
            if plus:
                if i != len(parts) - 1:
                    raise _invalid(key)
                greedy = name
            else:
                segments.append(None)
                names.append(name)
        elif part and _LITERAL.match(part) and "{" not in part and "}" not in part:
            segments.append(part)
            names.append(None)
        else:
            raise _invalid(key)
    return RouteKey(method, path, tuple(segments), tuple(names), greedy)


def _rank(key: RouteKey) -> tuple[Any, ...]:
    # Lower sorts first: literal before parameter at each place, then method over ANY.
    return (tuple(0 if s is not None else 1 for s in key.segments), key.method == "ANY")


class Router:
    """Matches (method, decoded path) to a route of one deployment snapshot."""

    def __init__(self, routes: list[dict[str, Any]]) -> None:
        self.exact: dict[tuple[str, str], dict[str, Any]] = {}
        self.by_length: dict[int, list[tuple[RouteKey, dict[str, Any]]]] = {}
        self.greedy: list[tuple[RouteKey, dict[str, Any]]] = []
        self.default: dict[str, Any] | None = None
        for route in routes:
            key = parse(route["RouteKey"])
            if key is None:
                self.default = route
            elif key.greedy is not None:
                self.greedy.append((key, route))
            elif all(s is not None for s in key.segments):
                self.exact[(key.method, key.path)] = route
            else:
                self.by_length.setdefault(len(key.segments), []).append((key, route))
        for candidates in self.by_length.values():
            candidates.sort(key=lambda kr: _rank(kr[0]))
        # The longest literal prefix first, then as for the others.
        self.greedy.sort(key=lambda kr: (-len(kr[0].segments), _rank(kr[0])))

    def match(
        self, method: str, path: str, parts: list[str] | None = None
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """`parts`: the decoded segments when they differ from `path.split("/")` (an
        encoded "/" inside a segment stays in its segment)."""
        if parts is None:
            route = self.exact.get((method, path)) or self.exact.get(("ANY", path))
            if route is not None:
                return route, {}
            parts = [] if path == "/" else path[1:].split("/")
        elif not any("/" in p for p in parts):
            route = self.exact.get((method, path)) or self.exact.get(("ANY", path))
            if route is not None:
                return route, {}
        for key, route in self.by_length.get(len(parts), ()):
            if key.method != method and key.method != "ANY":
                continue
            params = _bind(key, parts)
            if params is not None:
                return route, params
        for key, route in self.greedy:
            if key.method != method and key.method != "ANY":
                continue
            n = len(key.segments)
            if len(parts) <= n or not parts[n]:
                continue  # a greedy variable needs at least one segment
            params = _bind(key, parts[:n])
            if params is not None:
                assert key.greedy is not None
                params[key.greedy] = "/".join(parts[n:])
                return route, params
        if self.default is not None:
            return self.default, {}
        return None


def _bind(key: RouteKey, parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for literal, name, part in zip(key.segments, key.names, parts, strict=True):
        if literal is not None:
            if literal != part:
                return None
        elif not part:
            return None
        else:
            assert name is not None
            params[name] = part
    return params
