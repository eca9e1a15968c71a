"""What makes a message acceptable, and the digests AWS returns for it.

The MD5 of message attributes follows the algorithm AWS documents: attributes sorted
by name; for each, the length-prefixed (4-byte big-endian) name, data type, then one
transport byte (1 string, 2 binary) and the length-prefixed value.
"""

from __future__ import annotations

import hashlib
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudlet.gateway.errors import ServiceError, invalid_parameter, missing_parameter

MAX_ATTRIBUTES = 10
# The complement of XML 1.0's characters (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
# #x10000-#x10FFFF), which is what SQS accepts; the short class compiles much faster.
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,256}$")
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\..+)?$")


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def attributes_md5(attributes: dict[str, dict[str, Any]]) -> str:
    parts = []
    for name in sorted(attributes):
        attr = attributes[name]
        data_type = attr["DataType"]
        parts.append(_prefixed(name.encode()))
        parts.append(_prefixed(data_type.encode()))
        if "BinaryValue" in attr:
            parts.append(b"\x02" + _prefixed(attr["BinaryValue"]))
        else:
            parts.append(b"\x01" + _prefixed(attr["StringValue"].encode()))
    return md5_hex(b"".join(parts))


def _prefixed(data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + data


def check_body(body: str) -> int:
    """Validate a message body; return its size in bytes."""
    if body == "":
        raise missing_parameter("MessageBody")
    if _INVALID_CHARS.search(body):
        raise ServiceError(
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
            "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    return len(body.encode())


def check_attributes(attributes: dict[str, dict[str, Any]], kind: str = "user") -> int:
    """Validate message attributes; return the bytes they count toward the message size."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    size = 0
    for name, attr in attributes.items():
        lowered = name.lower()
        if (
            not _ATTR_NAME.match(name)
            or lowered.startswith(("aws.", "amazon."))
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
        ):
            raise invalid_parameter(f"Message ({kind}) attribute name '{name}' is invalid.")
        data_type = attr.get("DataType", "")
        if not _DATA_TYPE.match(data_type):
            raise invalid_parameter(
                f"The type of message ({kind}) attribute '{name}' is invalid. You must use only "
                "the following supported type prefixes: Binary, Number, String."
            )
        if data_type.startswith("Binary"):
            value = attr.get("BinaryValue")
            if not value:
                raise invalid_parameter(
                    f"Message ({kind}) attribute '{name}' must contain a non-empty value of "
                    "type 'Binary'."
                )
            size += len(value)
        else:
            text = attr.get("StringValue")
            if not text:
                raise invalid_parameter(
                    f"Message ({kind}) attribute '{name}' must contain a non-empty value of "
                    "type 'String'."
                )
            if _INVALID_CHARS.search(text):
                raise ServiceError(
                    "InvalidMessageContents",
                    f"Message ({kind}) attribute '{name}' has invalid characters.",
                )
            if data_type.startswith("Number"):
                _check_number(name, text, kind)
            size += len(text.encode())
        size += len(name.encode()) + len(data_type.encode())
    return size


def _check_number(name: str, text: str, kind: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise invalid_parameter(
            f"Can't cast the value of message ({kind}) attribute '{name}' to a number."
        )


def only_wire_fields(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Keep the members SQS stores (the list forms are reserved and never returned)."""
    out = {}
    for name, attr in attributes.items():
        kept: dict[str, Any] = {"DataType": attr["DataType"]}
        if attr["DataType"].startswith("Binary"):
            kept["BinaryValue"] = attr["BinaryValue"]
        else:
            kept["StringValue"] = attr["StringValue"]
        out[name] = kept
    return out
