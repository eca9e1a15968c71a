"""Walks a value against a botocore shape: type checks, required members, and the
conversions every protocol shares (blobs to bytes, timestamps to epoch seconds).

Which error code a violation gets depends on the service's protocol family, decided
once in `violation`: query services (and json services that are awsQueryCompatible)
answer MissingParameter / InvalidParameterValue; json services answer
ValidationException / SerializationException, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from cloudlet.gateway.errors import ValidationError
from cloudlet.gateway.protocol.model import ServiceModel, Shape


def violation(model: ServiceModel, kind: str, path: str, detail: str = "") -> ValidationError:
    queryish = model.query_compatible or model.metadata.get("protocol") == "query"
    if kind == "missing":
        if queryish:
            return ValidationError(
                "MissingParameter", f"The request must contain the parameter {path}."
            )
        return ValidationError(
            "ValidationException",
            f"1 validation error detected: Value null at '{path}' failed to satisfy "
            "constraint: Member must not be null",
        )
    if queryish:
        return ValidationError(
            "InvalidParameterValue", f"Value for parameter {path} is invalid. Reason: {detail}."
        )
    return ValidationError("SerializationException", f"{detail} at '{path}'")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _constrained(model: ServiceModel) -> bool:
    """json and rest services enforce the model's min/max/pattern traits themselves (the
    ValidationException every such service sends); query services validate in their own
    words, so there the service checks."""
    queryish = model.query_compatible or model.metadata.get("protocol") == "query"
    return not queryish


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave that check to the service
        return None


def _camel(path: str) -> str:
    return ".".join(p[:1].lower() + p[1:] for p in path.split("."))


def _constraint_error(value: Any, path: str, rule: str) -> ValidationError:
    shown = "null" if value is None else str(value)
    if len(shown) > 256:  # a 10,000-item list would make a megabyte of message
        shown = shown[:256] + "..."
    return ValidationError(
        "ValidationException",
        f"1 validation error detected: Value '{shown}' at '{_camel(path)}' failed to satisfy "
        f"constraint: {rule}",
    )


def _check_constraints(shape: Shape, kind: str, value: Any, path: str) -> None:
    low, high = shape.get("min"), shape.get("max")
    if kind in ("string", "list", "map", "blob"):
        size = len(value)
        noun = "length" if kind in ("string", "blob") else "length"
        if low is not None and size < low:
            raise _constraint_error(
                value, path, f"Member must have {noun} greater than or equal to {low}"
            )
        if high is not None and size > high:
            raise _constraint_error(
                value, path, f"Member must have {noun} less than or equal to {high}"
            )
        if kind == "string" and "pattern" in shape:
            compiled = _pattern(shape["pattern"])
            if compiled is not None and compiled.fullmatch(value) is None:
                raise _constraint_error(
                    value,
                    path,
                    f"Member must satisfy regular expression pattern: {shape['pattern']}",
                )
        if kind == "string" and "enum" in shape and value not in shape["enum"]:
            raise _constraint_error(
                value, path, f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]"
            )
    elif kind in ("integer", "long", "float", "double"):
        if low is not None and value < low:
            raise _constraint_error(
                value, path, f"Member must have value greater than or equal to {low}"
            )
        if high is not None and value > high:
            raise _constraint_error(
                value, path, f"Member must have value less than or equal to {high}"
            )


def parse_timestamp(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    raise ValueError("not a timestamp")


def wire_name(name: str, ref: dict[str, Any]) -> str:
    """A body member's name on the wire: its locationName, if the model gives one."""
    return name if "location" in ref else ref.get("locationName", name)


def check(model: ServiceModel, shape: Shape, value: Any, path: str, wire: bool = False) -> Any:
    """Return `value` converted to its Python form, keyed by member names, or raise a
    ValidationError. `wire`: the structures' keys are wire names (JSON bodies)."""
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            raise violation(model, "type", path, "expected an object")
        required = shape.get("required", ())
        out: dict[str, Any] = {}
        for name, ref in shape.get("members", {}).items():
            key = wire_name(name, ref) if wire else name
            item = value.get(key)  # members AWS does not know are ignored, as AWS does
            if item is None:
                if name in required:
                    raise violation(model, "missing", _join(path, key))
                continue
            out[name] = check(model, model.shapes[ref["shape"]], item, _join(path, key), wire)
        return out
    value = _typed(model, shape, kind, value, path, wire)
    if _constrained(model):
        _check_constraints(shape, kind, value, path)
    return value


def _typed(model: ServiceModel, shape: Shape, kind: str, value: Any, path: str, wire: bool) -> Any:
    if kind == "list":
        if not isinstance(value, list):
            raise violation(model, "type", path, "expected a list")
        member = model.shapes[shape["member"]["shape"]]
        return [check(model, member, v, f"{path}.{i + 1}", wire) for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise violation(model, "type", path, "expected a map")
        key_shape = model.shapes[shape["key"]["shape"]]
        val_shape = model.shapes[shape["value"]["shape"]]
        return {
            check(model, key_shape, k, path): check(model, val_shape, v, _join(path, str(k)), wire)
            for k, v in value.items()
        }
    return _scalar(model, kind, value, path)


def _scalar(model: ServiceModel, kind: str, value: Any, path: str) -> Any:
    if kind == "string":
        if not isinstance(value, str):
            raise violation(model, "type", path, "expected a string")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise violation(model, "type", path, "expected an integer")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise violation(model, "type", path, "expected a boolean")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise violation(model, "type", path, "expected a number")
        return float(value)
    if kind == "blob":
        if isinstance(value, bytes):
            return value
        if not isinstance(value, str):
            raise violation(model, "type", path, "expected base64 data")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise violation(model, "type", path, "invalid base64 data") from None
    if kind == "timestamp":
        try:
            return parse_timestamp(value)
        except (ValueError, TypeError):
            raise violation(model, "type", path, "expected a timestamp") from None
    return value
