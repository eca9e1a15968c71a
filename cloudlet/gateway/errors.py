"""Errors raised by operations and by the protocol layer.

An operation raises `ServiceError(code, message)`; the serializer of the request's
protocol renders it. `code` is the error shape's name in the service model (the JSON
`__type`); services whose model is `awsQueryCompatible` map it to their query-style
code in one table (see `Service.query_errors`).
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(
        self, code: str, message: str = "", status: int | None = None, sender_fault: bool = True
    ) -> None:
        # status None: the error shape's httpStatusCode in the model, else 400.
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields: dict[str, object] = {}

    def with_fields(self, **fields: object) -> ServiceError:
        """Extra members of the error shape (e.g. Lambda's `Reason`), sent in the body."""
        self.fields.update(fields)
        return self


class ValidationError(ServiceError):
    """The request does not fit the operation's input shape (a client error).

    `kind` says how ("missing", "type", "constraint", "malformed") and `path` where, so
    a service can restate it in its own words (`Service.validation`)."""

    def __init__(
        self, code: str, message: str, kind: str = "malformed", path: str = "", detail: str = ""
    ) -> None:
        super().__init__(code, message, 400)
        self.kind = kind
        self.path = path
        self.detail = detail


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def missing_parameter(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}.")
