"""The Lambda proxy events of HTTP APIs (payload format 2.0 and 1.0) and the parsing of
the function's answer, as AWS documents them for HTTP APIs."""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import orjson

from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol.wire import Headers

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "+json", "+xml")  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class BadResponse(Exception):
    """The function's answer does not fit the payload format."""


@dataclass
class Call:
    """One request to a deployed HTTP API, with what the gateway learned about it."""

    request: ApiRequest
    account: str
    region: str
    stage: str
    path: str
    """The resource path (decoded, without the stage)."""
    raw_path: str
    """The path as the function sees it in rawPath (with a named stage's segment)."""
    route_key: str = "$default"
    route_path: str = "$default"
    path_params: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None
    """What the authorizer produced: {"jwt": {...}} or {"lambda": {...}} (2.0 form)."""
    principal_id: str | None = None
    epoch_ms: int = 0

    def __post_init__(self) -> None:
        self.epoch_ms = int(time.time() * 1000)

    @property
    def domain_name(self) -> str:
        host = self.request.host.rpartition(":")[0] or self.request.host
        if host.lower().startswith(self.request.api_id.lower() + "."):
            return host
        return f"{self.request.api_id}.execute-api.localhost.localstack.cloud"

    @property
    def time(self) -> str:
        t = time.gmtime(self.epoch_ms / 1000)
        return (
            f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
        )


def _headers(call: Call) -> tuple[dict[str, str], list[str]]:
    """Lower-case headers, repeats joined with ","; cookies split out (payload 2.0)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in call.request.header_list:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif key in headers:
            headers[key] += "," + value
        else:
            headers[key] = value
    _forwarded(call, headers)
    return headers, cookies


def _forwarded(call: Call, headers: dict[str, str]) -> None:
    headers.setdefault("x-forwarded-for", call.request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    port = call.request.host.rpartition(":")[2]
    headers.setdefault("x-forwarded-port", port if port.isdigit() else "80")
    headers.setdefault(
        "x-amzn-trace-id",
        f"Root=1-{call.epoch_ms // 1000:08x}-{call.request.request_id.replace('-', '')[:24]}",
    )


def query_pairs(raw: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def is_text(content_type: str | None, body: bytes) -> bool:
    if not content_type:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    lowered = content_type.lower()
    return any(t in lowered for t in _TEXT_TYPES)


def _body(call: Call) -> tuple[str | None, bool]:
    body = call.request.body
    if not body:
        return None, False
    if is_text(call.request.headers.get("content-type"), body):
        return body.decode("utf-8", "replace"), False
    return base64.b64encode(body).decode(), True


def http_context(call: Call) -> dict[str, Any]:
    """requestContext of payload 2.0 (also the Lambda authorizer's 2.0 event)."""
    request = call.request
    context: dict[str, Any] = {
        "accountId": call.account,
        "apiId": request.api_id,
        "domainName": call.domain_name,
        "domainPrefix": request.api_id,
        "http": {
            "method": request.method,
            "path": call.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": request.headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": call.route_key,
        "stage": call.stage,
        "time": call.time,
        "timeEpoch": call.epoch_ms,
    }
    if call.authorizer is not None:
        context["authorizer"] = call.authorizer
    return context


def v2_common(call: Call) -> dict[str, Any]:
    """The members payload 2.0 events and 2.0 authorizer events share."""
    headers, cookies = _headers(call)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": call.route_key,
        "rawPath": call.raw_path,
        "rawQueryString": call.request.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query: dict[str, str] = {}
    for name, value in query_pairs(call.request.query_string):
        query[name] = query[name] + "," + value if name in query else value
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = http_context(call)
    if call.path_params:
        event["pathParameters"] = call.path_params
    if call.stage_variables:
        event["stageVariables"] = call.stage_variables
    return event


def event_v2(call: Call) -> dict[str, Any]:
    event = v2_common(call)
    body, encoded = _body(call)
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


def v1_context(call: Call) -> dict[str, Any]:
    request = call.request
    context: dict[str, Any] = {
        "accountId": call.account,
        "apiId": request.api_id,
        "domainName": call.domain_name,
        "domainPrefix": request.api_id,
        "extendedRequestId": request.request_id,
        "httpMethod": request.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": request.source_ip,
            "user": None,
            "userAgent": request.headers.get("user-agent", ""),
            "userArn": None,
        },
        "path": call.raw_path,
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "requestTime": call.time,
        "requestTimeEpoch": call.epoch_ms,
        "resourceId": call.route_key,
        "resourcePath": call.route_path,
        "stage": call.stage,
    }
    auth = call.authorizer
    if auth is not None and "jwt" in auth:
        context["authorizer"] = {"claims": auth["jwt"]["claims"], "scopes": auth["jwt"]["scopes"]}
    elif auth is not None and "lambda" in auth:
        context["authorizer"] = {**(auth["lambda"] or {}), "principalId": call.principal_id}
    return context


def v1_headers(call: Call) -> tuple[dict[str, str], dict[str, list[str]]]:
    """headers (the last value) and multiValueHeaders of payload 1.0, names lower-case
    as HTTP APIs send them."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in call.request.header_list:
        key = name.lower()
        headers[key] = value
        multi.setdefault(key, []).append(value)
    forwarded: dict[str, str] = {}
    _forwarded(call, forwarded)
    for name, value in forwarded.items():
        if name not in headers:
            headers[name] = value
            multi[name] = [value]
    return headers, multi


def event_v1(call: Call) -> dict[str, Any]:
    """Payload 1.0: the REST API's proxy event, as HTTP APIs send it."""
    request = call.request
    headers, multi_headers = v1_headers(call)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs(request.query_string):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, encoded = _body(call)
    return {
        "version": "1.0",
        "resource": call.route_path,
        "path": call.raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": v1_context(call),
        "pathParameters": call.path_params or None,
        "stageVariables": call.stage_variables or None,
        "body": body,
        "isBase64Encoded": encoded,
    }


# -- the function's answer --------------------------------------------------------------


def _status(value: Any) -> int:
    if isinstance(value, bool):
        raise BadResponse("statusCode")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or not 100 <= value <= 599:
        raise BadResponse("statusCode")
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise BadResponse("header value")


_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _name(name: str) -> bytes:
    """A header name from the function: an HTTP token, or the response is malformed."""
    if not _TOKEN.match(name):
        raise BadResponse(f"header name {name!r}")
    return name.encode()


def _value(value: str) -> bytes:
    # No line breaks: a value must not start another header (response splitting).
    if "\r" in value or "\n" in value:
        raise BadResponse("header value with a line break")
    return value.encode("latin-1", "replace")


def _decoded_body(document: dict[str, Any]) -> bytes:
    body = document.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadResponse("body")
    if document.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadResponse("body") from None
    return body.encode()


def response_v2(payload: bytes) -> tuple[int, Headers, bytes]:
    """AWS's 2.0 rules: an object with statusCode is a response; any other JSON value is
    the body of a 200 application/json response."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise BadResponse("not JSON") from None
    if not isinstance(document, dict) or "statusCode" not in document:
        return 200, [(b"content-type", b"application/json")], payload
    status = _status(document["statusCode"])
    headers: Headers = []
    raw_headers = document.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise BadResponse("headers")
    for name, value in raw_headers.items():
        if isinstance(value, list):
            value = ",".join(_text(v) for v in value)
        headers.append((_name(name), _value(_text(value))))
    cookies = document.get("cookies") or []
    if not isinstance(cookies, list):
        raise BadResponse("cookies")
    for cookie in cookies:
        headers.append((b"set-cookie", _value(_text(cookie))))
    if not any(name.lower() == b"content-type" for name, _ in headers):
        headers.append((b"content-type", b"application/json"))
    return status, headers, _decoded_body(document)


def response_v1(payload: bytes) -> tuple[int, Headers, bytes]:
    """The 1.0 (REST-style) answer: statusCode, headers, multiValueHeaders, body."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise BadResponse("not JSON") from None
    if not isinstance(document, dict) or "statusCode" not in document:
        raise BadResponse("statusCode")
    status = _status(document["statusCode"])
    single = document.get("headers") or {}
    multi = document.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise BadResponse("headers")
    merged: dict[str, list[str]] = {}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise BadResponse("multiValueHeaders")
        merged[name] = [_text(v) for v in values]
    for name, value in single.items():
        # Both given: merged, a value in multiValueHeaders once (AWS's rule).
        text = _text(value)
        if text not in merged.setdefault(name, []):
            merged[name].append(text)
    headers: Headers = [
        (_name(name), _value(value)) for name, values in merged.items() for value in values
    ]
    if not any(name.lower() == b"content-type" for name, _ in headers):
        headers.append((b"content-type", b"application/json"))
    return status, headers, _decoded_body(document)
