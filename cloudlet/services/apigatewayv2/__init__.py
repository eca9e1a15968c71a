"""Amazon API Gateway HTTP APIs (v2): management (rest-json) and the deployed APIs."""

from __future__ import annotations

from typing import ClassVar

from cloudlet.services.base import Operation, Service

__all__ = ["ApiGatewayV2Service"]


class ApiGatewayV2Service(Service):
    name = "apigatewayv2"
    signing_name = "apigateway"
    protocols = ("rest-json",)
    validation_error = "BadRequestException"
    operations: ClassVar[dict[str, Operation]] = {}
