"""`anything-but`: matches a *present* value that is not one of the listed ones.

A missing field never matches (pair it with `{"exists": false}` for that); a null, a
boolean or a number matches an anything-but of strings, and a non-string matches
anything-but prefix/suffix/wildcard/equals-ignore-case (AWS's recorded behaviour, e.g.
`{"anything-but": {"prefix": "init"}}` matches `12`). Validation follows Ruler's order
and messages, which differ slightly between EventBridge and SNS.
"""

from __future__ import annotations

from typing import Any

from cloudlet.patterns._dialect import Dialect
from cloudlet.patterns._scalars import (
    Predicate,
    check_range,
    compile_wildcard,
    is_number,
    plain_number,
)

_NESTED_VALUE = "Value of anything-but must be an array or single string/number value."
_LIST_TYPES = "Inside anything but list, start|null|boolean is not supported."
_MIXED = (
    "Inside anything but list, either all values are number or string, mixed type is not supported"
)
_IGNORE_CASE_TYPES = (
    "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
)


def compile_anything_but(operand: Any, dialect: Dialect) -> Predicate:
    if isinstance(operand, dict):
        return _nested(operand, dialect)
    if isinstance(operand, list):
        return _excluded(operand, dialect)
    if isinstance(operand, str) or is_number(operand):
        return _excluded([operand], dialect)
    raise dialect.error(_NESTED_VALUE)


def _excluded(items: list[Any], dialect: Dialect) -> Predicate:
    """A value or list of values: all strings or all numbers."""
    strings: set[str] = set()
    numbers: set[int | float] = set()
    for item in items:
        if isinstance(item, str):
            strings.add(item)
        elif is_number(item):
            check_range(item, dialect)
            numbers.add(plain_number(item))
        else:
            raise dialect.error(_LIST_TYPES)
    if bool(strings) == bool(numbers):
        raise dialect.error(_MIXED)
    if strings:
        excluded_strings = frozenset(strings)
        return lambda value: not (type(value) is str and value in excluded_strings)
    excluded = frozenset(numbers)
    return lambda value: not (type(value) in (int, float) and value in excluded)


def _nested(operand: dict[str, Any], dialect: Dialect) -> Predicate:
    """{"prefix": ...} / {"suffix": ...} / {"equals-ignore-case": ...} / {"wildcard": ...},
    each taking one string or (EventBridge) a list of strings."""
    if not operand:
        raise dialect.error("Anything-But expression name not found")
    name, inner = next(iter(operand.items()))
    if name not in dialect.anything_but_operators:
        raise dialect.error(f"Unsupported anything-but pattern: {name}")
    if dialect.sns and not isinstance(inner, str):
        raise dialect.error(dialect.affix_type_message)
    if not (isinstance(inner, (str, list)) or is_number(inner)):
        raise dialect.error(_NESTED_VALUE)
    texts = [_text(item, name, dialect) for item in (inner if isinstance(inner, list) else [inner])]
    if len(operand) > 1:
        raise dialect.error(dialect.extra_key_message)
    if name == "prefix":
        prefixes = tuple(texts)
        return lambda value: not (type(value) is str and value.startswith(prefixes))
    if name == "suffix":
        suffixes = tuple(texts)
        return lambda value: not (type(value) is str and value.endswith(suffixes))
    if name == "equals-ignore-case":
        folded = frozenset(text.lower() for text in texts)
        return lambda value: not (type(value) is str and value.lower() in folded)
    wildcards = [compile_wildcard(text, dialect) for text in texts]
    return lambda value: not any(matches(value) for matches in wildcards)


def _text(item: Any, name: str, dialect: Dialect) -> str:
    if not isinstance(item, str):
        if name == "equals-ignore-case":
            raise dialect.error(_IGNORE_CASE_TYPES)
        if name == "wildcard":
            raise dialect.error("wildcard match pattern must be a string")
        raise dialect.error(dialect.affix_type_message)
    if not item and name in ("prefix", "suffix"):
        raise dialect.error("Null prefix/suffix not allowed")
    return item
