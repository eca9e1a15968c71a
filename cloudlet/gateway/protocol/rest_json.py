"""The `rest-json` protocol: REST routes, members in the URI, query string and headers,
the rest in a JSON body (or raw, for a blob or string `payload` member).

Errors are a JSON body `{"Type": "User", "message": ...}` with the code in the
`X-Amzn-ErrorType` header, which is where botocore looks first.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.protocol import json_, rest
from cloudlet.gateway.protocol._values import check, wire_name
from cloudlet.gateway.protocol.model import OperationModel, ServiceModel

CONTENT_TYPE = b"application/json"


def parse_request(
    model: ServiceModel,
    op: OperationModel,
    labels: dict[str, str],
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
) -> dict[str, Any]:
    if op.input_shape is None:
        return {}
    shape = model.shapes[op.input_shape]
    located = rest.parse_located(model, op, labels, query, headers)
    payload = shape.get("payload")
    raw: dict[str, Any] = {}
    if payload is not None:
        target = model.shapes[shape["members"][payload]["shape"]]
        if target["type"] == "blob":
            raw[payload] = body
        elif target["type"] == "string":
            raw[payload] = body.decode("utf-8", "replace")
        elif body.strip():
            raw[payload] = _json_object(body)
    elif body.strip():
        raw = _json_object(body)
    body_raw = dict(raw)
    # Members bound to the URI, query or headers win over a body key of the same name.
    raw.update(located)
    out: dict[str, Any] = check(model, shape, raw, "", wire=True)
    # ... except for a body member whose wire name is that of a located member (API
    # Gateway's PutIntegration: `integrationHttpMethod` is "httpMethod" in the body,
    # beside the `httpMethod` URI label): it takes its value from the body.
    for name, ref in shape.get("members", {}).items():
        key = wire_name(name, ref)
        if key != name and key in located and "location" not in ref:
            if key in body_raw:
                out[name] = check(model, model.shapes[ref["shape"]], body_raw[key], key, wire=True)
            else:
                out.pop(name, None)
    return out


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValidationError("SerializationException", "Malformed JSON body") from None
    if not isinstance(value, dict):
        raise ValidationError("SerializationException", "Request body must be a JSON object")
    return value


def serialize_response(
    model: ServiceModel, op: OperationModel, output: dict[str, Any]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status, headers, rest_members = rest.serialize_located(model, op, output)
    status = status or int(op.http.get("responseCode", 200))
    if op.output_shape is None:
        return status, headers, b""
    shape = model.shapes[op.output_shape]
    payload = shape.get("payload")
    if payload is not None:
        value = rest_members.get(payload)
        kind = model.shapes[shape["members"][payload]["shape"]]["type"]
        if kind in ("blob", "string"):
            body = value if isinstance(value, bytes) else (value or "").encode()
            # A Content-Type member of the output (API Gateway's GetExport) says what it is.
            if not any(name.lower() == b"content-type" for name, _ in headers):
                headers = headers + [(b"content-type", b"application/octet-stream")]
            return status, headers, body
        body = orjson.dumps(value or {})
        return status, headers + [(b"content-type", CONTENT_TYPE)], body
    return (
        status,
        headers + [(b"content-type", CONTENT_TYPE)],
        json_.serialize_response(model, op, rest_members),
    )


def serialize_error(error: ServiceError) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = orjson.dumps(
        {"Type": "User" if error.sender_fault else "Service", "message": error.message}
        | error.fields
    )
    headers = [(b"content-type", CONTENT_TYPE), (b"x-amzn-errortype", error.code.encode())]
    return headers, body
