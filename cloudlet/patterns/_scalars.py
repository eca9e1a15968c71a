"""Operands of the leaf operators: numbers, numeric ranges, IP addresses and CIDR blocks,
wildcard strings. Each is validated the way Event Ruler validates it (same messages) and
compiled to a plain predicate over one event value. Structure and $or live elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cloudlet.patterns._dialect import Dialect

Predicate = Callable[[Any], bool]

# Ruler only treats strings of these shapes as IP addresses (no DNS lookups, no zones).
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK = re.compile(r"[+-]?[0-9]+")
# Ruler's own bound on wildcard "complexity"; AWS rejects "*:*:*:*:*:event-bus/*" (six).
MAX_WILDCARDS = 5


def is_number(value: Any) -> bool:
    """A JSON number (bool is an int in Python, never a number in JSON)."""
    return type(value) in (int, float, Decimal)


def decimal_of(value: Any) -> Decimal:
    # repr() is the shortest text that round-trips, i.e. what the JSON said.
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def plain_number(value: Any) -> int | float:
    """The int or float an event value is compared with (300 == 3.0e2 == 300.0)."""
    number = decimal_of(value)
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def json_text(value: Any) -> str:
    """What Jackson's getText() shows for a token, for messages that quote one."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, list):
        return "["
    if isinstance(value, dict):
        return "{"
    return str(value)


def check_range(value: Any, dialect: Dialect) -> None:
    if abs(decimal_of(value)) > dialect.number_limit:
        raise dialect.error(dialect.range_message)


# -- numeric ----------------------------------------------------------------------------


def compile_numeric(operand: Any, dialect: Dialect) -> Predicate:
    """`{"numeric": [">", 0, "<=", 5]}`: Ruler's grammar and messages, in its order
    (shape first, then the number range, then bottom < top)."""
    if not isinstance(operand, list):
        raise dialect.error("Value of numeric must be an array.")
    items = operand
    if not items:
        raise dialect.error("Invalid member in numeric match: ]")
    op = items[0]
    if not isinstance(op, str):
        raise dialect.error(f"Invalid member in numeric match: {json_text(op)}")

    def operand_at(index: int, name: str) -> Any:
        if index >= len(items) or not is_number(items[index]):
            raise dialect.error(f"Value of {name} must be numeric")
        return items[index]

    def single(name: str) -> Any:
        value = operand_at(1, name)
        if len(items) > 2:
            raise dialect.error("Too many elements in numeric expression")
        check_range(value, dialect)
        return plain_number(value)

    limit = float(dialect.number_limit)
    if op == "=":
        value = single("equals")
        return _between(value, False, value, False, limit)
    if op in ("<", "<="):
        return _between(None, False, single(op), op == "<", limit)
    if op not in (">", ">="):
        raise dialect.error(f"Unrecognized numeric range operator: {op}")
    bottom = operand_at(1, op)
    if len(items) == 2:
        check_range(bottom, dialect)
        return _between(plain_number(bottom), op == ">", None, False, limit)
    op2 = items[2]
    if not isinstance(op2, str):
        raise dialect.error(f"Bad value in numeric range: {json_text(op2)}")
    if op2 not in ("<", "<="):
        raise dialect.error(f"Bad numeric range operator: {op2}")
    top = operand_at(3, op2)
    if len(items) > 4:
        raise dialect.error("Too many terms in numeric range expression")
    check_range(bottom, dialect)
    check_range(top, dialect)
    if decimal_of(bottom) >= decimal_of(top):
        raise dialect.error("Bottom must be less than top")
    return _between(plain_number(bottom), op == ">", plain_number(top), op2 == "<", limit)


def _between(
    low: float | None, low_open: bool, high: float | None, high_open: bool, limit: float
) -> Predicate:
    def test(value: Any) -> bool:
        kind = type(value)
        if kind is not int and kind is not float:
            if kind is not Decimal:
                return False
            value = float(value)
        # Ruler cannot index event numbers outside its range; they never match numerically.
        if value > limit or value < -limit:
            return False
        if low is not None and (value <= low if low_open else value < low):
            return False
        return high is None or (value < high if high_open else value <= high)

    return test


# -- IP addresses -----------------------------------------------------------------------


@lru_cache(maxsize=4096)  # events repeat their source addresses; parsing is the cost
def parse_ip(text: str) -> tuple[int, int] | None:
    """(version, integer) for an IP literal as Ruler recognizes one, else None."""
    if _IPV4.fullmatch(text):
        # Java's parser reads each part as decimal, so "010.0.0.1" is 10.0.0.1.
        parts = [int(part) for part in text.split(".")]
        if any(part > 255 for part in parts):
            return None
        return 4, (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
    if _IPV6.fullmatch(text):
        try:
            return 6, int(ipaddress.IPv6Address(text))
        except ValueError:
            return None
    return None


def compile_cidr(operand: Any, dialect: Dialect) -> Predicate:
    if not isinstance(operand, str):
        # Ruler's message for a non-string CIDR really does say "prefix".
        raise dialect.error("prefix match pattern must be a string")
    parts = operand.split("/")
    while parts and not parts[-1]:
        parts.pop()  # Java's String.split drops trailing empty strings
    if len(parts) != 2:
        raise dialect.error("Malformed CIDR, one '/' required")
    if not _MASK.fullmatch(parts[1]):
        raise dialect.error("Malformed CIDR, mask bits must be an integer")
    bits = int(parts[1])
    if bits < 0:
        raise dialect.error("Malformed CIDR, mask bits must not be negative")
    if not (_IPV4.fullmatch(parts[0]) or _IPV6.fullmatch(parts[0])):
        raise dialect.error(f"Nonstandard IP address: {parts[0]}")
    address = parse_ip(parts[0])
    if address is None:
        raise dialect.error(f"Invalid IP address: {parts[0]}")
    version, base = address
    width = 32 if version == 4 else 128
    if bits >= width:
        raise dialect.error(f"IPv{version} mask bits must be < {width}")
    # Ruler's range runs from the address as written (not masked) to its last host.
    top = base | ((1 << (width - bits)) - 1)

    def test(value: Any) -> bool:
        if type(value) is not str:
            return False
        ip = parse_ip(value)
        return ip is not None and ip[0] == version and base <= ip[1] <= top

    return test


# -- wildcard ---------------------------------------------------------------------------


def compile_wildcard(text: str, dialect: Dialect) -> Predicate:
    """`*` matches any run of characters (also none); `\\*` and `\\\\` are literal."""
    pieces: list[str] = []
    literal: list[str] = []
    wildcards = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "*":
            if text[i + 1 : i + 2] == "*":
                raise dialect.error(f"Consecutive wildcard characters at pos {_pos(text, i)}")
            pieces.append(re.escape("".join(literal)))
            pieces.append(".*")
            literal.clear()
            wildcards += 1
        elif char == "\\":
            if text[i + 1 : i + 2] not in ("*", "\\"):
                raise dialect.error(f"Invalid escape character at pos {_pos(text, i)}")
            literal.append(text[i + 1])
            i += 1
        else:
            literal.append(char)
        i += 1
    if wildcards > MAX_WILDCARDS:
        raise dialect.error(
            "Rule is too complex - try using fewer wildcard characters or fewer "
            "repeating character sequences after a wildcard character"
        )
    pieces.append(re.escape("".join(literal)))
    match = re.compile("".join(pieces), re.DOTALL).fullmatch
    return lambda value: type(value) is str and match(value) is not None


def _pos(text: str, index: int) -> int:
    # Ruler counts UTF-8 bytes of the value with its opening quote.
    return len(text[:index].encode("utf-8")) + 1
