"""The `json` protocol: POST with X-Amz-Target, a JSON body in, a JSON body out.

Errors are `{"__type": code, "message": ...}`. For awsQueryCompatible services the
query-style code also goes in the `x-amzn-query-error: Code;Sender` header, from which
botocore reports it (e.g. AWS.SimpleQueueService.NonExistentQueue).
"""

from __future__ import annotations

import base64
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.protocol._values import check, wire_name
from cloudlet.gateway.protocol.model import OperationModel, ServiceModel

CONTENT_TYPE = "application/x-amz-json-1.0"


def parse_request(model: ServiceModel, op: OperationModel, body: bytes) -> dict[str, Any]:
    if not body.strip():
        raw: Any = {}
    else:
        try:
            raw = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValidationError("SerializationException", "Malformed JSON body") from None
    if not isinstance(raw, dict):
        raise ValidationError("SerializationException", "Request body must be a JSON object")
    if op.input_shape is None:
        return {}
    out: dict[str, Any] = check(model, model.shapes[op.input_shape], raw, "", wire=True)
    return out


@cache
def _needs_walk(model: ServiceModel, shape_name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether values of this shape need rewriting for JSON: blobs, timestamps, or members
    renamed on the wire."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind in ("blob", "timestamp"):
        return True
    if shape_name in seen:
        return False
    seen = seen | {shape_name}
    if kind == "structure":
        members = shape.get("members", {})
        if any(wire_name(name, ref) != name for name, ref in members.items()):
            return True
        refs = [ref["shape"] for ref in members.values()]
    elif kind == "list":
        refs = [shape["member"]["shape"]]
    elif kind == "map":
        refs = [shape["value"]["shape"]]
    else:
        return False
    return any(_needs_walk(model, ref, seen) for ref in refs)


def _encode(model: ServiceModel, shape_name: str, value: Any) -> Any:
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        members = shape.get("members", {})
        return {
            wire_name(k, members[k]): _encode(model, members[k]["shape"], v)
            for k, v in value.items()
            if v is not None and k in members
        }
    if kind == "list":
        return [_encode(model, shape["member"]["shape"], v) for v in value]
    if kind == "map":
        return {k: _encode(model, shape["value"]["shape"], v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value


def serialize_response(model: ServiceModel, op: OperationModel, output: dict[str, Any]) -> bytes:
    if op.output_shape is None or not output:
        return b"{}"
    if _needs_walk(model, op.output_shape):
        output = _encode(model, op.output_shape, output)
    # Bytes left in an output (in shapes a service keeps opaque, such as DynamoDB's
    # attribute values) are blobs: base64, as the walk would have made them.
    return orjson.dumps(output, default=_blob)


def _blob(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def serialize_error(
    model: ServiceModel, error: ServiceError, query_code: str | None
) -> tuple[bytes, dict[str, str]]:
    headers = {}
    if model.query_compatible:
        fault = "Sender" if error.sender_fault else "Receiver"
        headers["x-amzn-query-error"] = f"{query_code or error.code};{fault}"
    body = orjson.dumps({"__type": error.code, "message": error.message} | error.fields)
    return body, headers
