"""A small router for API Gateway REST (v1) Lambda proxy events.

Routes are `METHOD /path/{param}` patterns matched against the event's `path`; a path
that matches with another method answers 405 with an Allow header, no match 404. A
handler gets a `Request` and returns `(status, body)`; raising `HttpError` answers with
its status and message. Enough for two services, without pulling a framework into the
zips (a smaller package is a faster deploy and cold start).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class HttpError(Exception):
    """An answer other than success: its status and a message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw_body: str
    event: JSON = field(repr=False)

    def json(self) -> JSON:
        """The body as a JSON object; 400 when it is not one."""
        try:
            value = json.loads(self.raw_body or "")
        except ValueError:
            raise HttpError(400, "body must be JSON") from None
        if not isinstance(value, dict):
            raise HttpError(400, "body must be a JSON object")
        return value

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


Handler = Callable[[Request], tuple[int, Any]]


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> JSON:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body, default=str),
    }


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile(
            "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern.rstrip("/"))) + "/?$"
        )

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), regex, handler))
            return handler

        return register

    def __call__(self, event: JSON, context: Any = None) -> JSON:
        """The Lambda handler: route the proxy event, answer a proxy response."""
        try:
            request = _request(event)
            allowed: list[str] = []
            for method, regex, handler in self._routes:
                match = regex.match(request.path)
                if match is None:
                    continue
                if method != request.method:
                    allowed.append(method)
                    continue
                request.params = match.groupdict()
                status, body = handler(request)
                return respond(status, body)
            if allowed:
                raise HttpError(405, "method not allowed", {"allow": ", ".join(sorted(allowed))})
            raise HttpError(404, "not found")
        except HttpError as error:
            return respond(error.status, {"message": error.message}, error.headers)


def _request(event: JSON) -> Request:
    body = event.get("body") or ""
    if event.get("isBase64Encoded") and body:
        try:
            body = base64.b64decode(body).decode()
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "body must be UTF-8 text") from None
    return Request(
        method=str(event.get("httpMethod", "")).upper(),
        path=str(event.get("path") or "/"),
        params={},
        query=dict(event.get("queryStringParameters") or {}),
        headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
        raw_body=body,
        event=event,
    )
