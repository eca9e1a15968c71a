"""The responses API Gateway gives itself (not the integration's), as AWS words them,
with the `x-amzn-ErrorType` header AWS sets."""

from __future__ import annotations

import orjson


class Failure(Exception):
    def __init__(self, status: int, body: bytes, error_type: str) -> None:
        super().__init__(error_type)
        self.status, self.body, self.error_type = status, body, error_type


def message(status: int, text: str, error_type: str) -> Failure:
    return Failure(status, orjson.dumps({"message": text}), error_type)


def forbidden() -> Failure:
    return Failure(403, b'{"message":"Forbidden"}', "ForbiddenException")


def missing_token() -> Failure:
    return Failure(
        403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"
    )


def unauthorized() -> Failure:
    return Failure(401, b'{"message":"Unauthorized"}', "UnauthorizedException")


def access_denied(explicit: bool) -> Failure:
    text = b" with an explicit deny" if explicit else b""
    return Failure(
        403,
        b'{"Message":"User is not authorized to access this resource' + text + b'"}',
        "AccessDeniedException",
    )


def authorizer_configuration() -> Failure:
    return Failure(500, b'{"message": null}', "AuthorizerConfigurationException")


def internal_error() -> Failure:
    return Failure(500, b'{"message": "Internal server error"}', "InternalServerErrorException")


def bad_gateway() -> Failure:
    return Failure(502, b'{"message": "Internal server error"}', "InternalServerErrorException")


def timed_out() -> Failure:
    return Failure(504, b'{"message": "Endpoint request timed out"}', "IntegrationTimeout")
