"""The Lambda proxy integration (AWS_PROXY) of REST APIs: payload format 1.0.

`event()` builds exactly the event API Gateway sends; `response()` reads what the
function returned, or reports it malformed (API Gateway then answers 502).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson

from cloudlet.services.apigateway.request import Call

Headers = list[tuple[bytes, bytes]]
_ALLOWED_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class Malformed(Exception):
    """The function's answer is not a proxy response."""


def event(call: Call) -> bytes:
    """The event as JSON bytes."""
    request = call.request
    body: str | None = None
    encoded = False
    if request.body:
        if call.binary:
            body, encoded = base64.b64encode(request.body).decode(), True
        else:
            body = request.body.decode("utf-8", "replace")
    payload = {
        "resource": call.resource["path"],
        "path": call.path,
        "httpMethod": request.method,
        "headers": call.headers or None,
        "multiValueHeaders": call.multi_headers or None,
        "queryStringParameters": call.query or None,
        "multiValueQueryStringParameters": call.multi_query or None,
        "pathParameters": call.path_params or None,
        "stageVariables": call.stage_variables or None,
        "requestContext": call.request_context(),
        "body": body,
        "isBase64Encoded": encoded,
    }
    return orjson.dumps(payload)


def response(payload: bytes, binary: bool = True) -> tuple[int, Headers, bytes]:
    """(status, headers, body) from the function's result; raises Malformed. A body with
    `isBase64Encoded` is decoded only when `binary` (the request's Accept is one of the
    API's binaryMediaTypes); otherwise the client gets the base64 text, as on AWS."""
    try:
        value: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise Malformed("not JSON") from None
    if not isinstance(value, dict) or not set(value) <= _ALLOWED_KEYS:
        raise Malformed("not a proxy response object")
    status = value.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise Malformed("statusCode")
    headers: Headers = []
    single = value.get("headers") or {}
    multi = value.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise Malformed("headers")
    seen = set()
    for name, values in multi.items():
        if not isinstance(values, list):
            raise Malformed("multiValueHeaders")
        seen.add(name.lower())
        headers += [(_name(name), _text(v)) for v in values]
    for name, item in single.items():
        if name.lower() not in seen:
            headers.append((_name(name), _text(item)))
    body = value.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise Malformed("body")
    elif value.get("isBase64Encoded") is True and binary:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise Malformed("base64 body") from None
    else:
        data = body.encode()
    return status, headers, data


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _name(name: str) -> bytes:
    # A name that is no HTTP token (or a value with a line break) could split the
    # response: such an answer is malformed.
    if not _TOKEN.match(name):
        raise Malformed("header name")
    return name.encode()


def _text(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, (dict, list)):
        raise Malformed("header value")
    text = "" if value is None else str(value)
    if "\r" in text or "\n" in text:
        raise Malformed("header value")
    return text.encode("latin-1", "replace")
