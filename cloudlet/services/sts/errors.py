"""STS errors: the model's error shapes with their query-protocol codes, and the
errors STS sends that the model does not describe (AccessDenied, ValidationError)."""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, status=403)


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, status=400)


def invalid_identity_token() -> ServiceError:
    return ServiceError(
        "InvalidIdentityTokenException",
        "The web identity token that was passed could not be validated by AWS. Get a new "
        "identity token from the identity provider and then retry the request.",
    )


def expired_identity_token() -> ServiceError:
    return ServiceError(
        "ExpiredTokenException",
        "The web identity token that was passed is expired or is not valid. Get a new "
        "identity token from the identity provider and then retry the request.",
    )
