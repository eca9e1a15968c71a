"""SNS message attributes as the leaf values a filter policy is matched against.

SNS hands Ruler the attributes as JSON: a String attribute is a JSON string, a Number
attribute a JSON number (so `[{"numeric": [">", 100]}]` and `[100]` see it, `["100"]`
does not), a String.Array its parsed elements. Binary attributes are ignored (AWS:
"Amazon SNS ignores message attributes with the Binary data type"), i.e. absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from cloudlet.patterns._match import Entries

_NOT_IN_ANY_ARRAY = ()


def attribute_entries(attributes: Mapping[str, Any], names: Iterable[str]) -> Entries:
    """Entries for the attributes the policy names. `attributes` is the Publish form
    ({"DataType": ..., "StringValue": ...}); the notification form ({"Type": ...,
    "Value": ...}) is accepted too."""
    entries: Entries = {}
    for name in names:
        attribute = attributes.get(name)
        if attribute is None or (
            type(attribute) is not dict and not isinstance(attribute, Mapping)
        ):
            continue
        values = _values(attribute)
        if values:
            entries[name] = [(value, _NOT_IN_ANY_ARRAY) for value in values]
    return entries


def _values(attribute: Mapping[str, Any]) -> list[Any]:
    data_type = attribute.get("DataType") or attribute.get("Type") or ""
    raw = attribute["StringValue"] if "StringValue" in attribute else attribute.get("Value")
    if data_type == "String":
        return [raw] if type(raw) is str else []
    if data_type == "Number":
        return _number(raw)
    if data_type == "String.Array":
        return _array(raw)
    # Custom types ("Number.float", "String.uuid") filter as their base type.
    if not isinstance(data_type, str):
        return []
    if data_type.startswith("String."):
        return [raw] if isinstance(raw, str) else []
    if data_type.startswith("Number."):
        return _number(raw)
    return []


def _number(raw: Any) -> list[Any]:
    if type(raw) in (int, float):
        return [raw]
    if not isinstance(raw, str):
        return []
    # Integers stay exact; anything with a fraction or an exponent is a double, as in Ruler.
    if "." not in raw and "e" not in raw and "E" not in raw:
        try:
            return [int(raw)]
        except ValueError:
            pass
    try:
        number = float(raw)
    except ValueError:
        return []
    return [number] if math.isfinite(number) else []


def _array(raw: Any) -> list[Any]:
    if not isinstance(raw, str):
        return []
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:  # orjson refuses integers beyond 64 bits; the standard parser does not
            parsed = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(parsed, list):
        return []
    leaves: list[Any] = []
    _flatten(parsed, leaves)
    return leaves


def _flatten(items: list[Any], leaves: list[Any]) -> None:
    for item in items:
        if isinstance(item, list):
            _flatten(item, leaves)
        elif not isinstance(item, dict):  # an object has no leaf at the attribute's path
            leaves.append(item)
