"""Walks a value against a botocore shape: type checks, required members, and the
conversions every protocol shares (blobs to bytes, timestamps to epoch seconds).

Violations are raised in the words most AWS services use (ValidationException,
"1 validation error detected: ...", or SerializationException for a wrong type); a
service with other words restates them (`Service.validation`: SQS says MissingParameter
and InvalidParameterValue, CloudWatch Logs InvalidParameterException).
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
    if kind == "missing":
        return ValidationError(
            "ValidationException",
            f"1 validation error detected: Value null at '{_camel(path)}' failed to satisfy "
            "constraint: Member must not be null",
            kind,
            path,
        )
    return ValidationError("SerializationException", f"{detail} at '{path}'", kind, path, detail)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave that check to the service
        return None


def _camel(path: str) -> str:
    return ".".join(p[:1].lower() + p[1:] for p in path.split("."))


def _shown(value: Any) -> str:
    shown = "null" if value is None else str(value)
    if len(shown) > 256:  # a 10,000-item list would make a megabyte of message
        shown = shown[:256] + "..."
    return shown


def _constraint_rules(shape: Shape, kind: str, value: Any) -> list[str]:
    """The model traits `value` breaks, in AWS's words."""
    rules = []
    low, high = shape.get("min"), shape.get("max")
    if kind in ("string", "list", "map", "blob"):
        size = len(value)
        if low is not None and size < low:
            rules.append(f"Member must have length greater than or equal to {low}")
        if high is not None and size > high:
            rules.append(f"Member must have length less than or equal to {high}")
        if kind == "string" and "pattern" in shape:
            compiled = _pattern(shape["pattern"])
            if compiled is not None and compiled.fullmatch(value) is None:
                rules.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
        if kind == "string" and "enum" in shape and value not in shape["enum"]:
            rules.append(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
    elif kind in ("integer", "long", "float", "double"):
        if low is not None and value < low:
            rules.append(f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            rules.append(f"Member must have value less than or equal to {high}")
    return rules


Problem = tuple[str, str, str, str]  # (kind, path, text, rule)


def _raise_problems(problems: list[Problem]) -> None:
    """All the violations at once, as AWS reports them: "2 validation errors detected:
    ...; ...". The first one's kind and path are kept for services that restate it."""
    if not problems:
        return
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    message = f"{count} validation {noun} detected: " + "; ".join(p[2] for p in problems)
    kind, path, _, rule = problems[0]
    raise ValidationError("ValidationException", message, kind, path, rule)


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


_MEMBERS: dict[tuple[int, bool], tuple[Shape, _Members]] = {}
_Members = tuple[dict[str, list[tuple[str, str]]], list[tuple[str, str]]]


def _members(shape: Shape, wire: bool) -> _Members:
    """A structure's members by the key a value uses for them ({key: [(member name, shape
    name)]}) and its required members as (name, key); made once per shape (the entry
    keeps the shape alive, so its id is never reused)."""
    found = _MEMBERS.get((id(shape), wire))
    if found is not None and found[0] is shape:
        return found[1]
    by_key: dict[str, list[tuple[str, str]]] = {}
    keys: dict[str, str] = {}
    for name, ref in shape.get("members", {}).items():
        key = wire_name(name, ref) if wire else name
        # Two members can share a key (API Gateway: a URI member and a body member
        # renamed to its name): both take the value, as the model-order walk gives them.
        by_key.setdefault(key, []).append((name, ref["shape"]))
        keys[name] = key
    required = [(name, keys[name]) for name in shape.get("required", ()) if name in keys]
    _MEMBERS[(id(shape), wire)] = (shape, (by_key, required))
    return by_key, required


def check(
    model: ServiceModel,
    shape: Shape,
    value: Any,
    path: str,
    wire: bool = False,
    problems: list[Problem] | None = None,
) -> Any:
    """Return `value` converted to its Python form, keyed by member names, or raise a
    ValidationError. `wire`: the structures' keys are wire names (JSON bodies).
    Missing members and broken constraints are gathered and reported together; a value
    of the wrong type stops the walk at once."""
    if problems is None:
        gathered: list[Problem] = []
        try:
            out = check(model, shape, value, path, wire, gathered)
        except ValidationError:
            gathered = [("type", path, "", "")]
        if gathered:
            # Walk again in the model's order, for AWS's order of the violations (and
            # for which wrong type it names first); only bad requests pay for it.
            ordered = _InModelOrder()
            out = check(model, shape, value, path, wire, ordered)
            _raise_problems(ordered)
        return out
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            raise violation(model, "type", path, "expected an object")
        if type(problems) is _InModelOrder:
            return _structure_in_model_order(model, shape, value, path, wire, problems)
        members, required = _members(shape, wire)
        out_struct: dict[str, Any] = {}
        # The members present, by their key (members AWS does not know are ignored, as
        # AWS does): a value names a few of a shape's members (an AttributeValue one of
        # ten), so this is cheaper than walking the model's list.
        for key, item in value.items():
            named = members.get(key)
            if named is None or item is None:
                continue
            where = f"{path}.{key}" if path else key
            for name, member_shape in named:
                out_struct[name] = check(
                    model, model.shapes[member_shape], item, where, wire, problems
                )
        for name, key in required:
            if value.get(key) is None:
                where = _join(path, key)
                text = f"Value null at '{_camel(where)}' failed to satisfy constraint: Member must not be null"
                problems.append(("missing", where, text, "Member must not be null"))
        return out_struct
    value = _typed(model, shape, kind, value, path, wire, problems)
    if model.check_constraints:
        for rule in _constraint_rules(shape, kind, value):
            # AWS names scalar values in the message, not lists or maps.
            shown = "" if kind in ("list", "map") else f" '{_shown(value)}'"
            text = f"Value{shown} at '{_camel(path)}' failed to satisfy constraint: {rule}"
            problems.append(("constraint", path, text, rule))
    return value


class _InModelOrder(list[Problem]):
    """Problems gathered walking each structure's members in the model's order."""


def _structure_in_model_order(
    model: ServiceModel,
    shape: Shape,
    value: dict[str, Any],
    path: str,
    wire: bool,
    problems: list[Problem],
) -> dict[str, Any]:
    required = shape.get("required", ())
    out: dict[str, Any] = {}
    for name, ref in shape.get("members", {}).items():
        key = wire_name(name, ref) if wire else name
        item = value.get(key)
        where = _join(path, key)
        if item is None:
            if name in required:
                text = f"Value null at '{_camel(where)}' failed to satisfy constraint: Member must not be null"
                problems.append(("missing", where, text, "Member must not be null"))
            continue
        out[name] = check(model, model.shapes[ref["shape"]], item, where, wire, problems)
    return out


def _typed(
    model: ServiceModel,
    shape: Shape,
    kind: str,
    value: Any,
    path: str,
    wire: bool,
    problems: list[Problem],
) -> Any:
    if kind == "list":
        if not isinstance(value, list):
            raise violation(model, "type", path, "expected a list")
        member = model.shapes[shape["member"]["shape"]]
        return [
            check(model, member, v, f"{path}.{i + 1}", wire, problems) for i, v in enumerate(value)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            raise violation(model, "type", path, "expected a map")
        key_shape = model.shapes[shape["key"]["shape"]]
        val_shape = model.shapes[shape["value"]["shape"]]
        return {
            check(model, key_shape, k, path, wire, problems): check(
                model, val_shape, v, _join(path, str(k)), wire, problems
            )
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
