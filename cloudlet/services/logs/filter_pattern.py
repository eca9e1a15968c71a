"""CloudWatch Logs filter patterns: compiled once, then matched against many messages.

The pattern's first character picks the syntax, as on AWS:

- `{ $.level = "ERROR" && $.latency > 100 }`: a JSON pattern (see `_pattern_expr`);
  it matches only messages that are a JSON document.
- `[ip, user, ..., status = 404, size > 1000]`: a space-delimited pattern; the message
  is split on spaces (text in "..." or [...] is one field) and bound to the names.
- `%regex%`: a regular expression searched for in the message.
- anything else: terms. `ERROR Exception` needs both, `"exact phrase"` a phrase,
  `?ERROR ?WARN` either, `-DEBUG` excludes. Matching is case-sensitive and by substring
  (AWS's own example: `ERROR` matches "Exiting with ERRORCODE: -1").

An empty pattern matches everything. This module knows nothing of log groups or SQL;
metric-value extraction is not here (metric filters are not implemented).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from cloudlet.services.logs._pattern_expr import (
    MAX_REGEXES,
    Condition,
    InvalidFilterPattern,
    Parser,
    compile_regex,
    split_top_level,
)

__all__ = ["FilterPattern", "InvalidFilterPattern", "compile_pattern"]

MAX_PATTERN_LENGTH = 1024
_JSON_OPENERS = ("{", "[")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_$]+")


class FilterPattern:
    """A compiled pattern. `required_terms` are substrings every matching message
    contains, so a caller can narrow its scan before calling `matches`."""

    @property
    def required_terms(self) -> tuple[str, ...]:
        return ()

    def matches(self, message: str) -> bool:
        return True


@lru_cache(maxsize=512)
def compile_pattern(text: str) -> FilterPattern:
    """Compile `text`; raise InvalidFilterPattern if AWS would reject it."""
    if len(text) > MAX_PATTERN_LENGTH:
        raise InvalidFilterPattern("pattern longer than 1024 characters")
    stripped = text.strip()
    if not stripped:
        return FilterPattern()
    if stripped[0] == "{":
        return _json_pattern(stripped)
    if stripped[0] == "[":
        return _delimited_pattern(stripped)
    if len(stripped) >= 2 and stripped[0] == "%" and stripped[-1] == "%":
        return _RegexPattern(compile_regex(stripped[1:-1]))
    return _terms_pattern(stripped)


# -- terms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TermsPattern(FilterPattern):
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    excluded: tuple[str, ...]

    @property
    def required_terms(self) -> tuple[str, ...]:
        return self.all_of

    def matches(self, message: str) -> bool:
        for term in self.all_of:
            if term not in message:
                return False
        if self.any_of and not any(term in message for term in self.any_of):
            return False
        return not any(term in message for term in self.excluded)


def _terms_pattern(text: str) -> FilterPattern:
    buckets: dict[str, list[str]] = {"": [], "?": [], "-": []}
    pending = ""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        mode, pending = pending, ""
        if not mode and text[i] in "?-":
            if i + 1 == n or text[i + 1].isspace():
                # A detached sign applies to the next term: `"ERROR" - "Exiting"` is an
                # example in AWS's own documentation.
                pending = text[i]
                i += 1
                continue
            mode = text[i]
            i += 1
        if text[i] == '"':
            term, i = _quoted(text, i)
            if not term.strip():
                continue  # `" "` is AWS's documented match-everything pattern
        else:
            start = i
            while i < n and not text[i].isspace():
                i += 1
            term = text[start:i]
        buckets[mode].append(term)
    if pending:
        raise InvalidFilterPattern(f"{pending!r} without a term")
    if not any(buckets.values()):
        return FilterPattern()
    return _TermsPattern(tuple(buckets[""]), tuple(buckets["?"]), tuple(buckets["-"]))


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The phrase in the double quotes starting at `i`, and the index after them."""
    out: list[str] = []
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise InvalidFilterPattern("unterminated quoted phrase")


# -- regex ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RegexPattern(FilterPattern):
    regex: re.Pattern[str]

    def matches(self, message: str) -> bool:
        return self.regex.search(message) is not None


# -- JSON -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JsonPattern(FilterPattern):
    condition: Condition

    def matches(self, message: str) -> bool:
        # AWS applies JSON patterns only to events that are JSON documents; most text
        # lines are told apart by their first character, without a failed parse.
        if message[:1] not in _JSON_OPENERS and message.lstrip()[:1] not in _JSON_OPENERS:
            return False
        try:
            document: Any = orjson.loads(message)
        except orjson.JSONDecodeError:
            return False
        return self.condition(document)


def _json_pattern(text: str) -> FilterPattern:
    if not text.endswith("}"):
        raise InvalidFilterPattern("JSON pattern without a closing brace")
    parser = Parser(text[1:-1], fields=None)
    return _JsonPattern(parser.parse())


# -- space-delimited --------------------------------------------------------------------

_ELLIPSIS = "..."


@dataclass(frozen=True)
class _DelimitedPattern(FilterPattern):
    names: tuple[str, ...]  # field names, `...` for an ellipsis
    condition: Condition | None

    def matches(self, message: str) -> bool:
        fields = split_fields(message)
        if _ELLIPSIS not in self.names and len(fields) != len(self.names):
            return False
        for binding in _bindings(self.names, fields):
            if self.condition is None or self.condition(binding):
                return True
        return False


def _delimited_pattern(text: str) -> FilterPattern:
    if not text.endswith("]"):
        raise InvalidFilterPattern("space-delimited pattern without a closing bracket")
    parts = [part.strip() for part in split_top_level(text[1:-1], ",")]
    names: list[str] = []
    expressions: list[str] = []
    for position, part in enumerate(parts, 1):
        if part == _ELLIPSIS:
            names.append(_ELLIPSIS)
            continue
        if not part:
            # An unnamed field: AWS's `[..., status_code=4*,]` reports it as "$7".
            names.append(f"${position}")
            continue
        match = _FIELD_NAME.match(part)
        if match is None:
            raise InvalidFilterPattern(f"field {part!r} has no name")
        names.append(match.group())
        if part[match.end() :].strip():
            expressions.append(part)
    if names == ["$1"]:
        raise InvalidFilterPattern("space-delimited pattern without fields")
    known = {name for name in names if name != _ELLIPSIS}
    parsers = [Parser(expr, fields=known) for expr in expressions]
    conditions = [parser.parse() for parser in parsers]
    if sum(parser.regexes for parser in parsers) > MAX_REGEXES:
        raise InvalidFilterPattern("more than 2 regular expressions in one pattern")
    condition = None
    if conditions:
        condition = conditions[0] if len(conditions) == 1 else _all(conditions)
    return _DelimitedPattern(tuple(names), condition)


def _all(conditions: list[Condition]) -> Condition:
    return lambda document: all(condition(document) for condition in conditions)


def split_fields(message: str) -> list[str]:
    """A message's space-delimited fields; text in "..." or [...] is one field."""
    fields: list[str] = []
    i, n = 0, len(message)
    while i < n:
        c = message[i]
        if c.isspace():
            i += 1
            continue
        if c in '"[':
            close = message.find('"' if c == '"' else "]", i + 1)
            if close != -1:
                fields.append(message[i + 1 : close])
                i = close + 1
                continue
        start = i
        while i < n and not message[i].isspace():
            i += 1
        fields.append(message[start:i])
    return fields


def _bindings(names: tuple[str, ...], fields: list[str]) -> Iterator[dict[str, str]]:
    """Every way to lay the names over the fields, an ellipsis taking zero or more."""
    bound: dict[str, str] = {}

    def walk(i: int, j: int) -> Iterator[dict[str, str]]:
        if i == len(names):
            if j == len(fields):
                yield bound
            return
        if names[i] == _ELLIPSIS:
            for k in range(j, len(fields) + 1):
                yield from walk(i + 1, k)
        elif j < len(fields):
            bound[names[i]] = fields[j]
            yield from walk(i + 1, j + 1)

    return walk(0, 0)
