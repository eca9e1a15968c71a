"""Amazon API Gateway HTTP APIs (v2): management (rest-json) and the deployed APIs.

Management operations live in apis.py, routes.py, integrations.py, authorizers.py and
stages.py (stages and deployments); calls to deployed APIs go through dataplane.py.
`PUT /_apigatewayv2/jwks` gives a JWT issuer's keys locally (see jwt.py).
"""

from __future__ import annotations

from typing import ClassVar

import orjson

from cloudlet.config import Config
from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.apigatewayv2 import apis, authorizers, integrations, routes, stages
from cloudlet.services.apigatewayv2.dataplane import DataPlane
from cloudlet.services.apigatewayv2.jwt import parse_jwks
from cloudlet.services.apigatewayv2.models import ApiStore
from cloudlet.services.base import Operation, Service
from cloudlet.store import Database

__all__ = ["ApiGatewayV2Service"]

_JSON = [(b"content-type", b"application/json")]


class ApiGatewayV2Service(Service):
    name = "apigatewayv2"
    signing_name = "apigateway"
    protocols = ("rest-json",)
    validation_error = "BadRequestException"
    operations: ClassVar[dict[str, Operation]] = {
        "CreateApi": apis.create_api,
        "GetApi": apis.get_api_op,
        "GetApis": apis.get_apis,
        "UpdateApi": apis.update_api,
        "DeleteApi": apis.delete_api,
        "DeleteCorsConfiguration": apis.delete_cors_configuration,
        "TagResource": apis.tag_resource,
        "UntagResource": apis.untag_resource,
        "GetTags": apis.get_tags,
        "CreateRoute": routes.create_route,
        "GetRoute": routes.get_route,
        "GetRoutes": routes.get_routes,
        "UpdateRoute": routes.update_route,
        "DeleteRoute": routes.delete_route,
        "CreateIntegration": integrations.create_integration,
        "GetIntegration": integrations.get_integration,
        "GetIntegrations": integrations.get_integrations,
        "UpdateIntegration": integrations.update_integration,
        "DeleteIntegration": integrations.delete_integration,
        "CreateAuthorizer": authorizers.create_authorizer,
        "GetAuthorizer": authorizers.get_authorizer,
        "GetAuthorizers": authorizers.get_authorizers,
        "UpdateAuthorizer": authorizers.update_authorizer,
        "DeleteAuthorizer": authorizers.delete_authorizer,
        "ResetAuthorizersCache": authorizers.reset_authorizers_cache,
        "CreateStage": stages.create_stage,
        "GetStage": stages.get_stage,
        "GetStages": stages.get_stages,
        "UpdateStage": stages.update_stage,
        "DeleteStage": stages.delete_stage,
        "CreateDeployment": stages.create_deployment,
        "GetDeployment": stages.get_deployment,
        "GetDeployments": stages.get_deployments,
        "UpdateDeployment": stages.update_deployment,
        "DeleteDeployment": stages.delete_deployment,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = ApiStore(db)
        self.plane = DataPlane(self.store, lambda: self.cloud)
        self.store.forget_authorizer_cache = self.plane.answers.forget

    def validation(self, error: ValidationError) -> ServiceError:
        # API Gateway has no SerializationException: a body it cannot read is a bad request.
        if error.code == "SerializationException":
            error.code = "BadRequestException"
        return super().validation(error)

    async def execute_api(self, request: ApiRequest) -> Response | None:
        return await self.plane.execute(request)

    def reset(self) -> None:
        self.store.load()
        self.plane.answers.forget_all()
        self.plane.jwt.forget()

    async def internal(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> Response:
        """`PUT /_apigatewayv2/jwks` {"issuer", "keys"}: a JWT issuer's key set, given
        locally; `DELETE` with {"issuer"} forgets it."""
        if path.rstrip("/") != "/_apigatewayv2/jwks":
            return 404, list(_JSON), b'{"message": "not found"}'
        try:
            document = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError:
            return 400, list(_JSON), b'{"message": "the body must be a JSON object"}'
        issuer = document.get("issuer") if isinstance(document, dict) else None
        if not isinstance(issuer, str) or not issuer:
            return 400, list(_JSON), b'{"message": "issuer is required"}'
        if method == "DELETE":
            found = self.store.delete_jwks(issuer)
            await self.db.barrier()
            return (200 if found else 404), list(_JSON), orjson.dumps({"issuer": issuer})
        if method != "PUT":
            return 405, list(_JSON), b'{"message": "use PUT or DELETE"}'
        jwks = {"keys": document.get("keys")}
        usable = parse_jwks(jwks)
        if not usable:
            return (
                400,
                list(_JSON),
                b'{"message": "keys must hold at least one RSA or EC public key (JWK)"}',
            )
        self.store.put_jwks(issuer, jwks)
        await self.db.barrier()
        return 200, list(_JSON), orjson.dumps({"issuer": issuer, "keys": len(usable)})
