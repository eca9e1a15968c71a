"""Amazon API Gateway REST APIs (v1): management (rest-json) and the deployed APIs."""

from __future__ import annotations

from typing import ClassVar

from cloudlet.services.base import Operation, Service

__all__ = ["ApiGatewayService"]


class ApiGatewayService(Service):
    name = "apigateway"
    signing_name = "apigateway"
    protocols = ("rest-json",)
    validation_error = "BadRequestException"
    operations: ClassVar[dict[str, Operation]] = {}
