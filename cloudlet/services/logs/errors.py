"""CloudWatch Logs errors: the model's error shapes with the messages AWS sends.

Logs answers malformed input with InvalidParameterException, including the constraint
violations (`1 validation error detected: ...`) that other json services report as
ValidationException.
"""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError


def group_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log group does not exist.")


def stream_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log stream does not exist.")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def constraint(member: str, value: object, rule: str) -> ServiceError:
    """A member outside the model's constraints, worded as AWS words it."""
    return invalid(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must {rule}"
    )


def invalid_token() -> ServiceError:
    return invalid("The specified nextToken is invalid.")
