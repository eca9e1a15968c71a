"""Amazon API Gateway REST APIs (v1): management (rest-json) and the deployed APIs.

Management operations keep every object as a JSON document (store.py); deployments
snapshot the API, and the data plane (execute.py) serves a stage's snapshot, compiled
once and cached in memory, through Lambda proxy, HTTP, MOCK and AWS service
integrations with Lambda authorizers and API keys.
"""

from __future__ import annotations

from typing import ClassVar

from cloudlet.config import Config
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.apigateway import (
    account,
    apis,
    authorizers,
    deployments,
    export,
    gatewayresponses,
    imports,
    keys,
    methods,
    models,
    tags,
    testinvoke,
)
from cloudlet.services.apigateway.execute import Runtime
from cloudlet.services.apigateway.store import ApiGatewayStore
from cloudlet.services.base import Operation, Service
from cloudlet.store import Database

__all__ = ["ApiGatewayService"]


class ApiGatewayService(Service):
    name = "apigateway"
    signing_name = "apigateway"
    protocols = ("rest-json",)
    validation_error = "BadRequestException"
    operations: ClassVar[dict[str, Operation]] = {
        "CreateRestApi": apis.create_rest_api,
        "GetRestApi": apis.get_rest_api,
        "GetRestApis": apis.get_rest_apis,
        "UpdateRestApi": apis.update_rest_api,
        "DeleteRestApi": apis.delete_rest_api,
        "CreateResource": apis.create_resource,
        "GetResource": apis.get_resource,
        "GetResources": apis.get_resources,
        "UpdateResource": apis.update_resource,
        "DeleteResource": apis.delete_resource,
        "PutMethod": methods.put_method,
        "GetMethod": methods.get_method,
        "UpdateMethod": methods.update_method,
        "DeleteMethod": methods.delete_method,
        "PutMethodResponse": methods.put_method_response,
        "GetMethodResponse": methods.get_method_response,
        "UpdateMethodResponse": methods.update_method_response,
        "DeleteMethodResponse": methods.delete_method_response,
        "PutIntegration": methods.put_integration,
        "GetIntegration": methods.get_integration,
        "UpdateIntegration": methods.update_integration,
        "DeleteIntegration": methods.delete_integration,
        "PutIntegrationResponse": methods.put_integration_response,
        "GetIntegrationResponse": methods.get_integration_response,
        "UpdateIntegrationResponse": methods.update_integration_response,
        "DeleteIntegrationResponse": methods.delete_integration_response,
        "CreateDeployment": deployments.create_deployment,
        "GetDeployment": deployments.get_deployment,
        "GetDeployments": deployments.get_deployments,
        "UpdateDeployment": deployments.update_deployment,
        "DeleteDeployment": deployments.delete_deployment,
        "CreateStage": deployments.create_stage,
        "GetStage": deployments.get_stage,
        "GetStages": deployments.get_stages,
        "UpdateStage": deployments.update_stage,
        "DeleteStage": deployments.delete_stage,
        "CreateAuthorizer": authorizers.create_authorizer,
        "GetAuthorizer": authorizers.get_authorizer,
        "GetAuthorizers": authorizers.get_authorizers,
        "UpdateAuthorizer": authorizers.update_authorizer,
        "DeleteAuthorizer": authorizers.delete_authorizer,
        "CreateApiKey": keys.create_api_key,
        "GetApiKey": keys.get_api_key,
        "GetApiKeys": keys.get_api_keys,
        "UpdateApiKey": keys.update_api_key,
        "DeleteApiKey": keys.delete_api_key,
        "CreateUsagePlan": keys.create_usage_plan,
        "GetUsagePlan": keys.get_usage_plan,
        "GetUsagePlans": keys.get_usage_plans,
        "UpdateUsagePlan": keys.update_usage_plan,
        "DeleteUsagePlan": keys.delete_usage_plan,
        "CreateUsagePlanKey": keys.create_usage_plan_key,
        "GetUsagePlanKey": keys.get_usage_plan_key,
        "GetUsagePlanKeys": keys.get_usage_plan_keys,
        "DeleteUsagePlanKey": keys.delete_usage_plan_key,
        "ImportApiKeys": keys.import_api_keys,
        "TagResource": tags.tag_resource,
        "UntagResource": tags.untag_resource,
        "GetTags": tags.get_tags,
        "PutGatewayResponse": gatewayresponses.put_gateway_response,
        "GetGatewayResponse": gatewayresponses.get_gateway_response,
        "GetGatewayResponses": gatewayresponses.get_gateway_responses,
        "UpdateGatewayResponse": gatewayresponses.update_gateway_response,
        "DeleteGatewayResponse": gatewayresponses.delete_gateway_response,
        "FlushStageAuthorizersCache": deployments.flush_stage_authorizers_cache,
        "FlushStageCache": deployments.flush_stage_cache,
        "CreateModel": models.create_model,
        "GetModel": models.get_model,
        "GetModels": models.get_models,
        "UpdateModel": models.update_model,
        "DeleteModel": models.delete_model,
        "CreateRequestValidator": models.create_request_validator,
        "GetRequestValidator": models.get_request_validator,
        "GetRequestValidators": models.get_request_validators,
        "UpdateRequestValidator": models.update_request_validator,
        "DeleteRequestValidator": models.delete_request_validator,
        "TestInvokeMethod": testinvoke.test_invoke_method,
        "TestInvokeAuthorizer": testinvoke.test_invoke_authorizer,
        "GetAccount": account.get_account,
        "UpdateAccount": account.update_account,
        "GetExport": export.get_export,
        "ImportRestApi": imports.import_rest_api,
        "PutRestApi": imports.put_rest_api,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = ApiGatewayStore(db)
        self._runtime: Runtime | None = None
        self.store.runtime = lambda: self.runtime

    @property
    def runtime(self) -> Runtime:
        # Built on first use: `cloud` is set by the gateway after construction.
        if self._runtime is None:
            self._runtime = Runtime(self.store, self.cloud)
        return self._runtime

    async def execute_api(self, request: ApiRequest) -> Response | None:
        return await self.runtime.handle(request)

    async def stop(self) -> None:
        if self._runtime is not None:
            await self._runtime.logs.flush()  # log lines of the last calls
        await super().stop()

    def reset(self) -> None:
        self.store.load()
        if self._runtime is not None:
            self._runtime.reset()
