"""One field of a pattern: its array of values (`"state": ["running", {"prefix": "st"}]`)
compiled into a single `FieldTest`. The values are OR'ed; exact strings and numbers
become set lookups, the operators become predicates. Structure, paths and $or are the
compiler's business; this module sees only the array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from cloudlet.patterns._anything_but import compile_anything_but
from cloudlet.patterns._dialect import Dialect, PatternError
from cloudlet.patterns._scalars import (
    Predicate,
    check_range,
    compile_cidr,
    compile_numeric,
    compile_wildcard,
    is_number,
    parse_ip,
    plain_number,
)

ONE_KEY = "Only one key allowed in match expression"
TOO_MANY = "Too many elements in numeric expression"


class FieldTest(NamedTuple):
    """The compiled values of one field (a dotted path such as "detail.state"). A tuple,
    so the matcher's hot loop can unpack it."""

    path: str
    test: Predicate  # does one present leaf value match any of the values?
    any_present: bool  # {"exists": true}: every present value matches
    absent_ok: bool  # {"exists": false}: matches when the field is missing


@dataclass
class _Values:
    dialect: Dialect
    strings: set[str] = field(default_factory=set)
    numbers: set[int | float] = field(default_factory=set)
    literals: set[bool | None] = field(default_factory=set)
    ips: set[tuple[int, int]] = field(default_factory=set)
    predicates: list[Predicate] = field(default_factory=list)
    any_present: bool = False
    absent_ok: bool = False

    def add(self, value: Any) -> None:
        if isinstance(value, dict):
            self.expression(value)
        elif isinstance(value, str):
            self.strings.add(value)
            # Ruler turns an IP literal into a one-address range: "::1" matches "0::1".
            ip = parse_ip(value)
            if ip is not None:
                self.ips.add(ip)
        elif value is None or isinstance(value, bool):
            self.literals.add(value)
        elif is_number(value):
            if self.dialect.sns:
                # AWS answers InternalFailure for an out-of-range number in a policy.
                try:
                    check_range(value, self.dialect)
                except PatternError as error:
                    raise self.dialect.error(error.reason, code="InternalFailure") from None
            self.numbers.add(plain_number(value))
        else:
            raise self.dialect.error("Match value must be String, number, true, false, or null")

    def expression(self, expression: dict[str, Any]) -> None:
        if not expression:
            raise self.dialect.error("Match expression name not found")
        name, operand = next(iter(expression.items()))
        handler = _OPERATORS.get(name)
        if handler is None or (name in _MODERN_ONLY and not self.dialect.modern):
            raise self.dialect.error(f"Unrecognized match type {name}")
        handler(self, operand)
        if len(expression) > 1:
            raise self.dialect.error(TOO_MANY if name in ("numeric", "anything-but") else ONE_KEY)

    def string_operand(self, operand: Any, name: str) -> str:
        if not isinstance(operand, str):
            raise self.dialect.error(f"{name} match pattern must be a string")
        return operand

    def build(self, path: str) -> FieldTest:
        return FieldTest(path, self.test(), self.any_present, self.absent_ok)

    def test(self) -> Predicate:
        strings, numbers, literals = frozenset(self.strings), frozenset(self.numbers), self.literals
        ips, predicates = frozenset(self.ips), tuple(self.predicates)
        if not (numbers or literals or ips or predicates):
            return strings.__contains__  # the common case: a set of exact strings
        if not (strings or numbers or literals) and len(predicates) == 1:
            return predicates[0]
        has_true, has_false, has_null = True in literals, False in literals, None in literals

        def test(value: Any) -> bool:
            kind = type(value)
            if kind is str:
                if value in strings:
                    return True
                if ips and parse_ip(value) in ips:
                    return True
            elif kind is int or kind is float:
                if value in numbers:
                    return True
            elif kind is bool:
                if has_true if value else has_false:
                    return True
            elif value is None:
                if has_null:
                    return True
            elif kind is Decimal and float(value) in numbers:
                return True
            return any(predicate(value) for predicate in predicates)

        return test


# -- operators --------------------------------------------------------------------------


def _prefix(values: _Values, operand: Any) -> None:
    _affix(values, operand, "prefix", str.startswith)


def _suffix(values: _Values, operand: Any) -> None:
    _affix(values, operand, "suffix", str.endswith)


def _affix(values: _Values, operand: Any, name: str, method: Callable[..., bool]) -> None:
    if isinstance(operand, dict) and values.dialect.modern:
        # {"prefix": {"equals-ignore-case": "EventB"}}
        title = name.capitalize()
        if not operand:
            raise values.dialect.error(f"{title} expression name not found")
        inner, text = next(iter(operand.items()))
        if inner != "equals-ignore-case":
            raise values.dialect.error(f"Unsupported {name} pattern: {inner}")
        folded = values.string_operand(text, "equals-ignore-case").lower()
        if len(operand) > 1:
            raise values.dialect.error(ONE_KEY)
        values.predicates.append(lambda value: type(value) is str and method(value.lower(), folded))
        return
    text = values.string_operand(operand, name)
    values.predicates.append(lambda value: type(value) is str and method(value, text))


def _equals_ignore_case(values: _Values, operand: Any) -> None:
    folded = values.string_operand(operand, "equals-ignore-case").lower()
    values.predicates.append(lambda value: type(value) is str and value.lower() == folded)


def _exactly(values: _Values, operand: Any) -> None:
    values.strings.add(values.string_operand(operand, "exact"))


def _wildcard(values: _Values, operand: Any) -> None:
    text = values.string_operand(operand, "wildcard")
    values.predicates.append(compile_wildcard(text, values.dialect))


def _numeric(values: _Values, operand: Any) -> None:
    values.predicates.append(compile_numeric(operand, values.dialect))


def _cidr(values: _Values, operand: Any) -> None:
    values.predicates.append(compile_cidr(operand, values.dialect))


def _exists(values: _Values, operand: Any) -> None:
    if not isinstance(operand, bool):
        raise values.dialect.error("exists match pattern must be either true or false.")
    if operand:
        values.any_present = True
    else:
        values.absent_ok = True


def _anything_but(values: _Values, operand: Any) -> None:
    values.predicates.append(compile_anything_but(operand, values.dialect))


_MODERN_ONLY = frozenset({"wildcard", "exactly"})
_OPERATORS: dict[str, Callable[[_Values, Any], None]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "exactly": _exactly,
    "wildcard": _wildcard,
    "numeric": _numeric,
    "cidr": _cidr,
    "exists": _exists,
    "anything-but": _anything_but,
}


def compile_field(path: str, values: list[Any], dialect: Dialect) -> FieldTest:
    """Compile the array of values of the field at `path`."""
    accumulated = _Values(dialect)
    for value in values:
        accumulated.add(value)
    if not values:
        raise dialect.error("Empty arrays are not allowed")
    return accumulated.build(path)
