"""DynamoDB's typed attribute values (wire form `{"S": "x"}`, `{"N": "1.5"}`, ...).

Numbers are exact decimals: up to 38 significant digits, magnitudes 1E-130 to
9.9999999999999999999999999999999999999E+125 (and zero), never passed through float.
DynamoDB answers a number in its canonical form (leading and trailing zeros trimmed,
no exponent), so `normalize_number` is applied to every N on the way in. Binary
values arrive already decoded from base64 by the protocol layer (bytes).

Errors are `ServiceError("ValidationException", ...)` with AWS's messages.
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from cloudlet.gateway.errors import ServiceError

__all__ = [
    "MAX_ITEM_SIZE",
    "MAX_NESTING",
    "TYPES",
    "compare",
    "equal",
    "item_size",
    "normalize_number",
    "number",
    "type_of",
    "validate_item",
    "validate_value",
    "validation",
    "value_size",
]

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
MAX_ITEM_SIZE = 400 * 1024
MAX_NESTING = 32  # levels of a document, the attribute itself being level 1

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_DIGITS = 38
_MAX_ADJUSTED = 125  # 9.99..E+125
_MIN_ADJUSTED = -130  # 1E-130

_INVALID = "One or more parameter values were invalid: "
_OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
_UNDERFLOW = (
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def number(text: str) -> Decimal:
    """The exact value of an N already validated (no context rounding)."""
    return Decimal(text)


def normalize_number(text: str, *, older: bool = False) -> str:
    """Validate an N's text and return DynamoDB's canonical form of it. `older`: the
    wording of AWS's older validation layer (see `validate_item`)."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        if not text and older:
            raise validation("The parameter cannot be converted to a numeric value")
        raise validation(f"The parameter cannot be converted to a numeric value: {text or ''}")
    mantissa, _, power = text.lower().partition("e")
    if power:
        exponent = int(power)
        if not -(2**63) <= exponent < 2**63:
            # AWS reads the exponent as a 64-bit integer.
            raise validation(f"The parameter cannot be converted to a numeric value: {text}")
        if abs(exponent) > 10**17:
            # Beyond Decimal's exponent limits; the exponent alone decides (AWS checks
            # even a zero against the range by the exponent it is written with).
            raise validation(_OVERFLOW if exponent > 0 else _UNDERFLOW)
    value = Decimal(text)
    adjusted = value.adjusted()
    if adjusted > _MAX_ADJUSTED:
        raise validation(_OVERFLOW)
    if adjusted < _MIN_ADJUSTED:
        raise validation(_UNDERFLOW)
    if not value:
        return "0"
    sign, digits, places = value.as_tuple()
    assert isinstance(places, int)
    # Decimal keeps trailing zeros of the coefficient; they are not significant.
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    if significant > _MAX_DIGITS:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    trimmed = Decimal((sign, digits[:significant], places + len(digits) - significant))
    return format(trimmed, "f")


def type_of(value: dict[str, Any]) -> str:
    """The type tag of a stored (valid) value."""
    for key in value:
        return key
    raise validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


# -- validation ----------------------------------------------------------------------


def validate_value(value: Any, depth: int = 0, *, older: bool = False) -> dict[str, Any]:
    """Check one attribute value; return it with numbers in canonical form."""
    if not isinstance(value, dict):
        raise validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    present = [k for k, v in value.items() if v is not None]
    if not present:
        raise validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if len(present) > 1:
        raise validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        )
    kind = present[0]
    raw = value[kind]
    if kind == "S":
        if not isinstance(raw, str):
            raise validation(_INVALID + "An S attribute value must be a string")
        return {"S": raw}
    if kind == "N":
        return {"N": normalize_number(raw, older=older)}
    if kind == "B":
        if not isinstance(raw, (bytes, bytearray)):
            raise validation(_INVALID + "A B attribute value must be binary")
        return {"B": bytes(raw)}
    if kind == "BOOL":
        if not isinstance(raw, bool):
            raise validation(_INVALID + "A BOOL attribute value must be a boolean")
        return {"BOOL": raw}
    if kind == "NULL":
        # AWS now accepts {"NULL": false} and stores it as {"NULL": true}.
        if not isinstance(raw, bool):
            raise validation(_INVALID + "Null attribute value types must have the value of true")
        return {"NULL": True}
    if kind in _SET_NAMES:
        return {kind: _validate_set(kind, raw, older)}
    if kind in ("M", "L"):
        # This value is at level depth + 1; its elements one deeper.
        if raw and depth + 2 > MAX_NESTING:
            raise validation(
                "Nesting Levels have exceeded supported limits: Attributes in the item have "
                "nested levels beyond supported limit"
            )
        if kind == "M":
            if not isinstance(raw, dict):
                raise validation(_INVALID + "An M attribute value must be a map")
            return {
                "M": {str(k): validate_value(v, depth + 1, older=older) for k, v in raw.items()}
            }
        if not isinstance(raw, list):
            raise validation(_INVALID + "An L attribute value must be a list")
        return {"L": [validate_value(v, depth + 1, older=older) for v in raw]}
    raise validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


def _validate_set(kind: str, raw: Any, older: bool) -> list[Any]:
    if not isinstance(raw, list):
        raise validation(_INVALID + f"An {_SET_NAMES[kind]} set must be a list")
    if not raw:
        raise validation(_INVALID + f"An {_SET_NAMES[kind]} set  may not be empty")
    members: list[Any]
    if kind == "SS":
        if not all(isinstance(m, str) for m in raw):
            raise validation(_INVALID + "A string set may only contain strings")
        members = list(raw)
    elif kind == "NS":
        members = [normalize_number(m, older=older) for m in raw]
    else:
        if not all(isinstance(m, (bytes, bytearray)) for m in raw):
            raise validation(_INVALID + "A binary set may only contain binary values")
        members = [bytes(m) for m in raw]
    if len(set(members)) != len(members):
        raise validation(_duplicates(kind, members, older))
    return members


def _duplicates(kind: str, members: list[Any], older: bool) -> str:
    """AWS's message for a set with a repeated member. The older layer lists the
    members as sent; the current one lists, quoted, those seen before the first repeat
    in byte order, then the repeat, then the rest as sent (the missing spaces are
    AWS's)."""
    if kind == "NS":
        if older:
            return "Input collection contains duplicates"
        return _INVALID + "Input collection contains duplicates."
    show = (lambda m: base64.b64encode(m).decode()) if kind == "BS" else str
    if older:
        listed = ", ".join(show(m) for m in members)
    else:
        seen: set[Any] = set()
        for index, member in enumerate(members):
            if member in seen:
                break
            seen.add(member)
        ordered = [*sorted(seen), member, *members[index + 1 :]]
        listed = (", " if kind == "SS" else ",").join(f'"{show(m)}"' for m in ordered)
    if kind == "BS":
        return _INVALID + f"Input collection [{listed}]of type BS contains duplicates."
    return _INVALID + f"Input collection [{listed}] contains duplicates."


def validate_item(
    item: Any, where: str = "Item", *, older: bool = False
) -> dict[str, dict[str, Any]]:
    """Check every attribute of an item (or of ExpressionAttributeValues); return it
    with numbers canonical.

    AWS checks values in one of two layers, and the operation decides which: the
    current one (PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem, Query) and
    the older one (BatchWriteItem, TransactWriteItems, TransactGetItems, Scan), which
    words bad numbers and repeated set members differently and, for
    ExpressionAttributeValues, prefixes the message and names the key."""
    if not isinstance(item, dict):
        raise validation(f"{where} must be a map")
    out: dict[str, dict[str, Any]] = {}
    for name, value in item.items():
        try:
            out[name] = validate_value(value, older=older)
        except ServiceError as error:
            if where == "ExpressionAttributeValues" and older:
                error.message = (
                    f"ExpressionAttributeValues contains invalid value: {error.message} "
                    f"for key {name}"
                )
                error.args = (error.message,)
            raise
    return out


# -- comparison ------------------------------------------------------------------------


def compare(a: dict[str, Any], b: dict[str, Any]) -> int | None:
    """Order of two scalar values of one type (-1, 0, 1): N numerically, S by UTF-8
    bytes (code point order is the same), B by bytes. None when the types differ or
    are not ordered types."""
    ka = type_of(a)
    if ka not in ("N", "S", "B") or type_of(b) != ka:
        return None
    if ka == "N":
        x: Any = Decimal(a["N"])
        y: Any = Decimal(b["N"])
    else:
        x, y = a[ka], b[ka]
    return -1 if x < y else (1 if x > y else 0)


def equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """DynamoDB's `=`: same type and same value (sets regardless of order)."""
    ka = type_of(a)
    if type_of(b) != ka:
        return False
    x, y = a[ka], b[ka]
    if ka == "N":
        return bool(Decimal(x) == Decimal(y))
    if ka == "NS":
        return {Decimal(m) for m in x} == {Decimal(m) for m in y}
    if ka in ("SS", "BS"):
        return set(x) == set(y)
    if ka == "L":
        return len(x) == len(y) and all(equal(p, q) for p, q in zip(x, y, strict=True))
    if ka == "M":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    return bool(x == y)


# -- sizes -------------------------------------------------------------------------------


def _number_size(text: str) -> int:
    """A number's bytes as AWS counts them: a byte, one per pair of digits with the
    pairs aligned on the decimal point (so `1.5` costs one more than `15`), and one
    more when negative. Leading and trailing zeros are not stored."""
    value = Decimal(text)
    if not value:
        return 1
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    end = len(digits)
    while digits[end - 1] == 0:
        end -= 1
        exponent += 1
    lowest = exponent
    highest = exponent + end - 1
    return 1 + (highest // 2 - lowest // 2 + 1) + (1 if sign else 0)


def value_size(value: dict[str, Any]) -> int:
    """Bytes a value counts toward the 400 KB item limit (without its name)."""
    kind = type_of(value)
    raw = value[kind]
    if kind == "S":
        return len(raw.encode("utf-8", "surrogatepass"))
    if kind == "N":
        return _number_size(raw)
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(m.encode("utf-8", "surrogatepass")) for m in raw)
    if kind == "NS":
        return sum(_number_size(m) for m in raw)
    if kind == "BS":
        return sum(len(m) for m in raw)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    # M: 3 bytes, and per element its name, its value and one byte.
    return 3 + sum(
        len(k.encode("utf-8", "surrogatepass")) + value_size(v) + 1 for k, v in raw.items()
    )


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """Size of an item as DynamoDB counts it: names plus values."""
    return sum(len(k.encode("utf-8", "surrogatepass")) + value_size(v) for k, v in item.items())
