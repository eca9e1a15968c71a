"""The responses API Gateway gives itself (not the integration's), as AWS words them,
with the `x-amzn-ErrorType` header AWS sets and the gateway response type a user can
customise (gatewayresponses.py)."""

from __future__ import annotations

from typing import Any

import orjson


class Failure(Exception):
    def __init__(
        self, status: int, body: bytes, error_type: str, response_type: str, text: str | None
    ) -> None:
        super().__init__(error_type)
        self.status, self.body, self.error_type = status, body, error_type
        self.response_type = response_type
        self.text = text
        """`$context.error.message`."""
        self.call: Any = None
        """The `request.Call` it happened in, once a method was matched."""


def message(status: int, text: str, error_type: str, response_type: str) -> Failure:
    return Failure(status, orjson.dumps({"message": text}), error_type, response_type, text)


def forbidden(response_type: str = "DEFAULT_4XX") -> Failure:
    return Failure(
        403, b'{"message":"Forbidden"}', "ForbiddenException", response_type, "Forbidden"
    )


def missing_token() -> Failure:
    text = "Missing Authentication Token"
    return Failure(
        403,
        b'{"message":"Missing Authentication Token"}',
        "MissingAuthenticationTokenException",
        "MISSING_AUTHENTICATION_TOKEN",
        text,
    )


def unauthorized() -> Failure:
    return Failure(
        401, b'{"message":"Unauthorized"}', "UnauthorizedException", "UNAUTHORIZED", "Unauthorized"
    )


def access_denied(explicit: bool) -> Failure:
    text = "User is not authorized to access this resource"
    if explicit:
        text += " with an explicit deny"
    # AWS capitalises this one's member: {"Message": ...}.
    body = orjson.dumps({"Message": text})
    return Failure(403, body, "AccessDeniedException", "ACCESS_DENIED", text)


def authorizer_configuration() -> Failure:
    return Failure(
        500,
        b'{"message": null}',
        "AuthorizerConfigurationException",
        "AUTHORIZER_CONFIGURATION_ERROR",
        None,
    )


def internal_error() -> Failure:
    return Failure(
        500,
        b'{"message": "Internal server error"}',
        "InternalServerErrorException",
        "API_CONFIGURATION_ERROR",
        "Internal server error",
    )


def bad_gateway() -> Failure:
    return Failure(
        502,
        b'{"message": "Internal server error"}',
        "InternalServerErrorException",
        "DEFAULT_5XX",
        "Internal server error",
    )


def timed_out() -> Failure:
    return Failure(
        504,
        b'{"message": "Endpoint request timed out"}',
        "IntegrationTimeout",
        "INTEGRATION_TIMEOUT",
        "Endpoint request timed out",
    )
