"""The expression language inside JSON (`{ ... }`) and space-delimited (`[ ... ]`)
filter patterns, compiled to plain Python closures.

    expr      := and ( "||" and )*          "&&" binds tighter than "||", as AWS documents
    and       := atom ( "&&" atom )*
    atom      := "(" expr ")" | condition
    condition := selector ( OP value | IS (NULL | TRUE | FALSE) | NOT EXISTS )
    OP        := = != < > <= >=
    value     := "quoted string" | %regex% | number | bare-word    (* is a wildcard)

Selectors are `$.a.b[0].c` in JSON patterns and field names in space-delimited ones.
A condition on a missing field, a null, an object or an array is false for every
operator (AWS: "If a property selector points to an array or object, the metric filter
won't match"); only IS NULL and NOT EXISTS test for those.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

import orjson

Condition = Callable[[Any], bool]
"""A compiled expression: takes the JSON document, or the dict of named fields."""

MAX_REGEXES = 2  # AWS: "a limit of 2 regex for each filter pattern" (JSON, delimited)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_KEY = re.compile(r"[^\s.\[\]()=!<>&|\"%]+")
_INDEX = re.compile(r"\[(\d+)\]")
_NAME = re.compile(r"[A-Za-z0-9_$]+")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
# The characters AWS accepts between the % signs; no parentheses, no multi-byte text.
_REGEX_CHARS = frozenset(string.ascii_letters + string.digits + "_#=@/;,-:" + "^$?[]{}|\\*+.")
_MISSING = object()


class InvalidFilterPattern(ValueError):
    """The pattern is not valid filter pattern syntax."""


def compile_regex(body: str) -> re.Pattern[str]:
    if not body or any(c not in _REGEX_CHARS for c in body):
        raise InvalidFilterPattern("unsupported character in regular expression")
    try:
        return re.compile(body)
    except re.error as error:
        raise InvalidFilterPattern(f"invalid regular expression: {error}") from None


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on `separator` outside "quoted strings" and %regexes%."""
    parts, start, quote = [], 0, ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in '"%':
            quote = c
        elif c == separator:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


class Parser:
    """Recursive descent over one expression. `fields` is None for JSON patterns, else
    the names a space-delimited pattern declares (conditions may only use those)."""

    def __init__(self, text: str, fields: set[str] | None) -> None:
        self.text = text
        self.i = 0
        self.fields = fields
        self.regexes = 0

    def parse(self) -> Condition:
        condition = self._or()
        self._skip()
        if self.i != len(self.text):
            raise self._error("unexpected text")
        if self.regexes > MAX_REGEXES:
            raise InvalidFilterPattern("more than 2 regular expressions in one pattern")
        return condition

    # -- structure ----------------------------------------------------------------------

    def _or(self) -> Condition:
        items = [self._and()]
        while self._eat("||"):
            items.append(self._and())
        if len(items) == 1:
            return items[0]
        return lambda document: any(item(document) for item in items)

    def _and(self) -> Condition:
        items = [self._atom()]
        while self._eat("&&"):
            items.append(self._atom())
        if len(items) == 1:
            return items[0]
        return lambda document: all(item(document) for item in items)

    def _atom(self) -> Condition:
        if self._eat("("):
            inner = self._or()
            if not self._eat(")"):
                raise self._error("missing )")
            return inner
        return self._condition()

    def _condition(self) -> Condition:
        resolve = self._selector()
        if self._word("IS"):
            for word, test in (("NULL", _is_null), ("TRUE", _is_true), ("FALSE", _is_false)):
                if self._word(word):
                    return lambda document: test(resolve(document))
            raise self._error("IS must be followed by NULL, TRUE or FALSE")
        if self._word("NOT"):
            if not self._word("EXISTS"):
                raise self._error("NOT must be followed by EXISTS")
            return lambda document: resolve(document) is _MISSING
        compare = self._comparison()

        def condition(document: Any) -> bool:
            value = resolve(document)
            return _usable(value) and compare(value)

        return condition

    # -- selectors ----------------------------------------------------------------------

    def _selector(self) -> Callable[[Any], Any]:
        self._skip()
        if self.fields is not None:
            match = _NAME.match(self.text, self.i)
            if match is None:
                raise self._error("expected a field name")
            self.i = match.end()
            name = _field(match.group(), self.fields)
            return lambda fields: fields.get(name, _MISSING)
        if not self.text.startswith("$", self.i):
            raise self._error("expected a selector starting with $")
        self.i += 1
        path: list[str | int] = []
        while True:
            if self.text.startswith(".", self.i):
                match = _KEY.match(self.text, self.i + 1)
                if match is None:
                    raise self._error("expected a property name after .")
                path.append(match.group())
            elif (match := _INDEX.match(self.text, self.i)) is not None:
                path.append(int(match.group(1)))
            else:
                break
            self.i = match.end()
        if not path:
            raise self._error("a selector needs a property")
        steps = tuple(path)
        return lambda document: _walk(document, steps)

    # -- comparisons --------------------------------------------------------------------

    def _comparison(self) -> Callable[[Any], bool]:
        self._skip()
        op = next((o for o in _OPERATORS if self.text.startswith(o, self.i)), None)
        if op is None:
            raise self._error("expected a comparison operator")
        self.i += len(op)
        self._skip()
        if self.text.startswith('"', self.i):
            return _text_test(op, self._quoted())
        if self.text.startswith("%", self.i):
            end = self.text.find("%", self.i + 1)
            if end == -1:
                raise self._error("unterminated regular expression")
            regex = compile_regex(self.text[self.i + 1 : end])
            self.i = end + 1
            self.regexes += 1
            if op not in ("=", "!="):
                raise self._error("a regular expression needs = or !=")
            want = op == "="
            return lambda value: (regex.search(_text(value)) is not None) == want
        word = self._bare()
        if _NUMBER.fullmatch(word):
            return _number_test(op, float(word))
        if op not in ("=", "!="):
            raise self._error(f"{op} needs a number")
        return _text_test(op, word)

    def _quoted(self) -> str:
        out: list[str] = []
        i = self.i + 1
        while i < len(self.text):
            c = self.text[i]
            if c == "\\" and i + 1 < len(self.text):
                out.append(self.text[i + 1])
                i += 2
                continue
            if c == '"':
                self.i = i + 1
                return "".join(out)
            out.append(c)
            i += 1
        raise self._error("unterminated string")

    def _bare(self) -> str:
        start = i = self.i
        while i < len(self.text):
            c = self.text[i]
            if c.isspace() or c == ")" or self.text.startswith(("&&", "||"), i):
                break
            i += 1
        if i == start:
            raise self._error("expected a value")
        self.i = i
        return self.text[start:i]

    # -- lexing -------------------------------------------------------------------------

    def _skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def _eat(self, token: str) -> bool:
        self._skip()
        if self.text.startswith(token, self.i):
            self.i += len(token)
            return True
        return False

    def _word(self, word: str) -> bool:
        self._skip()
        end = self.i + len(word)
        if self.text[self.i : end].upper() == word and (
            end == len(self.text) or not self.text[end].isalnum()
        ):
            self.i = end
            return True
        return False

    def _error(self, reason: str) -> InvalidFilterPattern:
        return InvalidFilterPattern(f"{reason} at position {self.i}")


def _field(name: str, fields: set[str]) -> str:
    """The declared field a condition names; AWS's own example mixes `w1` and `W1`."""
    if name in fields:
        return name
    for declared in fields:
        if declared.lower() == name.lower():
            return declared
    raise InvalidFilterPattern(f"condition on undeclared field {name!r}")


def _walk(document: Any, steps: tuple[str | int, ...]) -> Any:
    node = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
        elif not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


def _usable(value: Any) -> bool:
    """Comparisons apply to value nodes only: strings, numbers and booleans."""
    return value is not _MISSING and value is not None and not isinstance(value, dict | list)


def _is_null(value: Any) -> bool:
    return value is None


def _is_true(value: Any) -> bool:
    return value is True


def _is_false(value: Any) -> bool:
    return value is False


def _text(value: Any) -> str:
    """A value node as the text a pattern compares it with (JSON spelling)."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _text_test(op: str, pattern: str) -> Callable[[Any], bool]:
    want = op == "="
    if "*" not in pattern:
        return lambda value: (_text(value) == pattern) == want
    parts = (re.escape(part) for part in pattern.split("*"))
    regex = re.compile(".*".join(parts), re.DOTALL)
    return lambda value: (regex.fullmatch(_text(value)) is not None) == want


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return None


_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _number_test(op: str, number: float) -> Callable[[Any], bool]:
    check = _NUMERIC[op]

    def test(value: Any) -> bool:
        actual = _as_number(value)
        if actual is None:
            return op == "!="  # not a number, so certainly not equal to one
        return check(actual, number)

    return test
