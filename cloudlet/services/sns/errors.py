"""SNS errors: the model's error shapes and the messages AWS sends with them.

Operations raise `ServiceError(<shape name>, message)`; the gateway takes the HTTP
status and the wire code from the shape (InvalidParameterException -> InvalidParameter,
InvalidParameterValueException -> ParameterValueInvalid, NotFoundException ->
NotFound 404, ...). AWS prefixes most parameter errors with "Invalid parameter: ".
"""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError


def invalid_parameter(detail: str) -> ServiceError:
    """InvalidParameter with AWS's "Invalid parameter: <detail>" wording."""
    return ServiceError("InvalidParameterException", f"Invalid parameter: {detail}")


def invalid_value(message: str) -> ServiceError:
    """ParameterValueInvalid (message attribute problems)."""
    return ServiceError("InvalidParameterValueException", message)


def topic_not_found() -> ServiceError:
    return ServiceError("NotFoundException", "Topic does not exist")


def subscription_not_found() -> ServiceError:
    return ServiceError("NotFoundException", "Subscription does not exist")


def resource_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "Resource does not exist")
