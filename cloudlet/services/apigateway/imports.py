"""ImportRestApi and PutRestApi: an OpenAPI document applied through this service's own
operations (the translation lives in openapi.py)."""

from __future__ import annotations

import inspect
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.apigateway import lookup, openapi
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc


def _caller(ctx: RequestContext, store: ApiGatewayStore) -> openapi.Call:
    async def call(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        from cloudlet.services.apigateway import ApiGatewayService

        handler = ApiGatewayService.operations.get(operation)
        if handler is None:
            raise ServiceError(
                "NotImplemented", f"cloudlet does not implement apigateway.{operation} yet", 501
            )
        result = handler(ctx, store, request)
        output: dict[str, Any] = await result if inspect.isawaitable(result) else result
        return output

    return call


async def import_rest_api(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    try:
        document = openapi.load_document(request.get("body") or b"")
        api, warnings = await openapi.import_rest_api(
            _caller(ctx, store),
            document,
            fail_on_warnings=request.get("failOnWarnings", False),
            parameters=request.get("parameters"),
        )
    except openapi.OpenApiError as error:
        raise ServiceError(error.code, error.message) from None
    if warnings:
        api["warnings"] = warnings
    return api


async def put_rest_api(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    lookup.rest_api(ctx, store, request["restApiId"])
    call = _caller(ctx, store)
    try:
        document = openapi.load_document(request.get("body") or b"")
        warnings = await openapi.apply_openapi(
            call,
            request["restApiId"],
            document,
            mode=request.get("mode", "merge"),
            fail_on_warnings=request.get("failOnWarnings", False),
            parameters=request.get("parameters"),
        )
    except openapi.OpenApiError as error:
        raise ServiceError(error.code, error.message) from None
    api = await call("GetRestApi", {"restApiId": request["restApiId"]})
    if warnings:
        api["warnings"] = warnings
    return api
