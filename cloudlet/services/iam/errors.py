"""IAM errors: the model's error shapes, their query-protocol codes, and AWS's messages.

Operations raise `ServiceError(<shape name>, ...)`; the gateway takes the HTTP status
from the shape's `httpStatusCode` (404 NoSuchEntity, 409 EntityAlreadyExists, ...) and
the wire code from the shape's declared `error.code` (IAM's codes drop the
"Exception" suffix).
Field validation errors (`ValidationError`) are not shapes in the model: always 400.
"""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntityException", message)


def no_such_role(name: str) -> ServiceError:
    return no_such_entity(f"The role with name {name} cannot be found.")


def policy_not_found(arn: str) -> ServiceError:
    return no_such_entity(f"Policy {arn} was not found.")


def version_not_found(arn: str, version: str) -> ServiceError:
    return no_such_entity(f"Policy {arn} version {version} does not exist or is not attachable.")


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExistsException", message)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflictException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocumentException", message)


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400)
