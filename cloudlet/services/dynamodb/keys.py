"""Key values encoded to bytes whose bytewise order is DynamoDB's order.

SQLite compares BLOBs with memcmp (then by length), so a key column holding these
encodings makes a Query an index range scan:

- S: the UTF-8 bytes (DynamoDB orders strings by their UTF-8 bytes);
- B: the bytes themselves;
- N: an order-preserving encoding of the decimal, exact for all 38 digits (never float):
  sign class (0x00 negative, 0x01 zero, 0x02 positive), a two-byte biased decimal
  exponent, then one byte per significant digit. Negative numbers invert exponent and
  digits and end with 0xFF, so that a longer mantissa sorts before its own prefix
  (-0.123 < -0.12).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

_BIAS = 32768


def encode_number(text: str) -> bytes:
    try:
        sign, digits, exponent = Decimal(text).as_tuple()
    except InvalidOperation:  # validated before; keep any stray value orderable
        return b"\x01"
    if not isinstance(exponent, int):  # NaN / Infinity are refused by validation
        return b"\x01"
    stripped = list(digits)
    while stripped and stripped[-1] == 0:
        stripped.pop()
        exponent += 1
    while stripped and stripped[0] == 0:
        stripped.pop(0)
    if not stripped:
        return b"\x01"
    # value = 0.d1d2d3... x 10^adjusted
    adjusted = exponent + len(stripped) + _BIAS
    if not sign:
        return b"\x02" + adjusted.to_bytes(2, "big") + bytes(stripped)
    inverted = (0xFFFF - adjusted).to_bytes(2, "big")
    return b"\x00" + inverted + bytes(10 - d for d in stripped) + b"\xff"


def encode_key(value: dict[str, Any]) -> bytes:
    """The sortable bytes of a key value {"S": ...} / {"N": ...} / {"B": ...}."""
    if "S" in value:
        text: str = value["S"]
        return text.encode("utf-8", "surrogatepass")
    if "N" in value:
        return encode_number(value["N"])
    raw: bytes = value["B"]
    return raw


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with `prefix`
    (None: there is none), for begins_with as a range."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
