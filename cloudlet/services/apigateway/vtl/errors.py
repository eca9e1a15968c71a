"""What a mapping template can fail with, and how API Gateway answers each failure."""

from __future__ import annotations


class TemplateError(Exception):
    """A template that cannot be parsed or that fails while rendering.

    `status` is what API Gateway answers the caller with: 500 (an internal error: a
    syntax error, a failing method call) unless a subclass says otherwise."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateSyntaxError(TemplateError):
    """The template does not parse (reported with its line and column)."""


class InvalidJsonBodyError(TemplateError):
    """`$input.json()`/`$input.path()` on a body that is not JSON.

    API Gateway answers a method request whose body does not parse with 400 and
    `{"message": "Could not parse request body into json: ..."}`; for an integration
    response it is the backend's fault, so the caller decides (`status` is a hint)."""

    status = 400
