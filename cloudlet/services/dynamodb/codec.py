"""Attribute values on the wire, fast.

The gateway checks and converts every value of a request against the model, shape by
shape; for DynamoDB that walk visits all ten members of every attribute value and
cost more than the operation itself (a 100-item Query answer took over a millisecond
to serialize). So the service's model marks AttributeValue opaque (`OPAQUE_VALUES`):
the gateway leaves attribute values as parsed JSON and sends answers straight to
orjson, which writes bytes as base64. What the gateway did for those values is done
here: `decoder(operation)` turns the base64 text of B and BS values into bytes, in
place, walking only the members of that operation's input that can hold attribute
values. Everything else about a value is checked by `values.validate_value`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import cache
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.protocol import ServiceModel, load_service_model

OPAQUE_VALUES: dict[str, Any] = {"shapes": {"AttributeValue": {"type": "attribute-value"}}}
"""Model overlay: AttributeValue is neither walked nor converted by the gateway."""

Walk = Callable[[Any], None]


def _bytes(text: Any) -> Any:
    if not isinstance(text, str):
        return text  # not base64 text: validate_value says what is wrong with it
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(
            "SerializationException", "Base64 encoded binary value is not valid"
        ) from None


def decode_value(value: Any) -> None:
    """Binary members of one attribute value (and of the values inside it) to bytes."""
    if type(value) is not dict:
        return
    if "B" in value:
        value["B"] = _bytes(value["B"])
    elif "BS" in value:
        members = value["BS"]
        if type(members) is list:
            value["BS"] = [_bytes(m) for m in members]
    elif "M" in value:
        inner = value["M"]
        if type(inner) is dict:
            for member in inner.values():
                decode_value(member)
    elif "L" in value:
        elements = value["L"]
        if type(elements) is list:
            for element in elements:
                decode_value(element)


@cache
def _model() -> ServiceModel:
    return load_service_model("dynamodb")  # the model as botocore has it


def _compile(model: ServiceModel, name: str, seen: frozenset[str]) -> Walk | None:
    """A walk over values of shape `name` that decodes the attribute values inside, or
    None when the shape holds none."""
    if name == "AttributeValue":
        return decode_value
    if name in seen:
        return None
    seen = seen | {name}
    shape = model.shapes[name]
    kind = shape["type"]
    if kind == "structure":
        parts = [
            (member, walk)
            for member, ref in shape.get("members", {}).items()
            if (walk := _compile(model, ref["shape"], seen)) is not None
        ]
        if not parts:
            return None

        def structure(value: Any) -> None:
            if type(value) is dict:
                for member, walk in parts:
                    inner = value.get(member)
                    if inner is not None:
                        walk(inner)

        return structure
    if kind == "list":
        each = _compile(model, shape["member"]["shape"], seen)
        if each is None:
            return None

        def listed(value: Any) -> None:
            if type(value) is list:
                for element in value:
                    each(element)

        return listed
    if kind == "map":
        every = _compile(model, shape["value"]["shape"], seen)
        if every is None:
            return None

        def mapped(value: Any) -> None:
            if type(value) is dict:
                for element in value.values():
                    every(element)

        return mapped
    return None


@cache
def decoder(operation: str) -> Walk | None:
    """The in-place decoder of an operation's request, or None if it has no values."""
    model = _model()
    op = model.operations.get(operation)
    if op is None or op.input_shape is None:
        return None
    return _compile(model, op.input_shape, frozenset())
