"""Create/Get/Update/Delete/GetApis (with quick create), DeleteCorsConfiguration, and
tags (TagResource/UntagResource/GetTags)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigatewayv2.common import (
    apply,
    bad_request,
    get_api,
    not_found,
    page,
)
from cloudlet.services.apigatewayv2.deploy import auto_deploy
from cloudlet.services.apigatewayv2.integrations import lambda_arn, new_integration
from cloudlet.services.apigatewayv2.models import Api, ApiStore, Doc, new_id, now_iso, public
from cloudlet.services.apigatewayv2.routes import new_route
from cloudlet.services.apigatewayv2.stages import add_stage, new_stage

_MEMBERS = (
    "ApiKeySelectionExpression",
    "CorsConfiguration",
    "Description",
    "DisableSchemaValidation",
    "DisableExecuteApiEndpoint",
    "IpAddressType",
    "Name",
    "RouteSelectionExpression",
    "Version",
)
_ARN = re.compile(
    r"^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::/apis/([a-z0-9]+)(?:/stages/([^/]+))?$"
)
_CORS_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"})


def endpoint(ctx: RequestContext, api_id: str) -> str:
    """Where the API is called: the host form on this cloudlet's port."""
    _, _, port = ctx.host.rpartition(":")
    suffix = f":{port}" if port.isdigit() else ""
    return f"http://{api_id}.execute-api.localhost.localstack.cloud{suffix}"


def _check_cors(cors: Doc | None) -> None:
    if not cors:
        return
    for method in cors.get("AllowMethods") or []:
        if method.upper() not in _CORS_METHODS:
            raise bad_request(f"Invalid CORS method: {method}")
    if cors.get("AllowCredentials") and "*" in (cors.get("AllowOrigins") or []):
        raise bad_request(
            "allow-credentials is not supported when allow-origins is configured as '*'"
        )


def _quick_create(store: ApiStore, api: Api, target: str, route_key: str | None) -> None:
    """AWS's quick create: an integration to the target, a route to it (`$default`
    unless RouteKey says otherwise), and an auto-deploying `$default` stage."""
    if lambda_arn(target) is not None:
        integration = new_integration(
            {
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": target,
                "PayloadFormatVersion": "2.0",
            },
            managed=True,
        )
    else:
        integration = new_integration(
            {"IntegrationType": "HTTP_PROXY", "IntegrationUri": target, "IntegrationMethod": "ANY"},
            managed=True,
        )
    route = new_route(
        api,
        {"RouteKey": route_key or "$default"},
        managed=True,
    )
    store.put_part(api, "integrations", integration["IntegrationId"], integration)
    route["Target"] = f"integrations/{integration['IntegrationId']}"
    store.put_part(api, "routes", route["RouteId"], route)
    add_stage(
        store, api, new_stage(api, {"StageName": "$default", "AutoDeploy": True}, managed=True)
    )


def create_api(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    protocol = request["ProtocolType"]
    if protocol != "HTTP":
        raise bad_request(
            f"Protocol type {protocol} is not supported by cloudlet: only HTTP APIs are"
        )
    target = request.get("Target")
    if target is None and ("RouteKey" in request or "CredentialsArn" in request):
        raise bad_request(
            "RouteKey and CredentialsArn are supported only with Target (quick create)"
        )
    api_id = new_id(10)
    while api_id in store.apis:
        api_id = new_id(10)
    doc: Doc = {
        "ApiId": api_id,
        "ApiEndpoint": endpoint(ctx, api_id),
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        "CreatedDate": now_iso(),
        "DisableExecuteApiEndpoint": False,
        "IpAddressType": "ipv4",
        "ProtocolType": "HTTP",
        "RouteSelectionExpression": "$request.method $request.path",
        "Tags": dict(request.get("Tags") or {}),
    }
    apply(doc, request, _MEMBERS)
    if doc["RouteSelectionExpression"] != "$request.method $request.path":
        raise bad_request(
            "HTTP APIs use the route selection expression $request.method $request.path"
        )
    _check_cors(doc.get("CorsConfiguration"))
    api = Api(api_id, ctx.account_id, ctx.region, doc)
    with store.db.transaction():
        store.put_api(api)
        if target is not None:
            _quick_create(store, api, target, request.get("RouteKey"))
    return public(doc)


def get_api_op(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    return public(get_api(ctx, store, request["ApiId"]).doc)


def get_apis(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    return page(request, [a.doc for a in store.list_apis(ctx.account_id, ctx.region)])


def update_api(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = dict(api.doc)
    apply(doc, request, _MEMBERS)
    if doc["RouteSelectionExpression"] != "$request.method $request.path":
        raise bad_request(
            "HTTP APIs use the route selection expression $request.method $request.path"
        )
    _check_cors(doc.get("CorsConfiguration"))
    managed = [i for i in api.parts["integrations"].values() if i.get("ApiGatewayManaged")]
    if ("Target" in request or "RouteKey" in request) and not managed:
        raise bad_request("Target and RouteKey can be updated only for quick-created APIs")
    with store.db.transaction():
        api.doc = doc
        store.put_api(api)
        if "Target" in request:
            integration = dict(managed[0])
            integration["IntegrationUri"] = request["Target"]
            store.put_part(api, "integrations", integration["IntegrationId"], integration)
        if "RouteKey" in request:
            for route in api.parts["routes"].values():
                if route.get("ApiGatewayManaged"):
                    store.put_part(
                        api, "routes", route["RouteId"], route | {"RouteKey": request["RouteKey"]}
                    )
        auto_deploy(store, api)
    return public(doc)


def delete_api(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    store.delete_api(api)
    store.forget_authorizer_cache(api.id, None)
    return {}


def delete_cors_configuration(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    with store.db.transaction():
        api.doc = {k: v for k, v in api.doc.items() if k != "CorsConfiguration"}
        store.put_api(api)
        auto_deploy(store, api)
    return {}


# -- tags -------------------------------------------------------------------------------


def _tagged(ctx: RequestContext, store: ApiStore, arn: str) -> tuple[Api, Doc | None]:
    """The API (and stage) a tag ARN names."""
    found = _ARN.match(unquote(arn))
    if found is None:
        raise bad_request(f"Invalid resource ARN: {arn}")
    region, api_id, stage = found.groups()
    api = store.api(api_id, ctx.account_id, region)
    if api is None:
        raise not_found(f"Unable to find resource {arn}")
    if stage is None:
        return api, None
    doc = api.parts["stages"].get(stage)
    if doc is None:
        raise not_found(f"Unable to find resource {arn}")
    return api, doc


def tag_resource(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api, stage = _tagged(ctx, store, request["ResourceArn"])
    tags = request.get("Tags") or {}
    if stage is None:
        api.doc = api.doc | {"Tags": {**api.doc.get("Tags", {}), **tags}}
        store.put_api(api)
    else:
        store.put_part(
            api, "stages", stage["StageName"], stage | {"Tags": {**stage.get("Tags", {}), **tags}}
        )
    return {}


def untag_resource(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api, stage = _tagged(ctx, store, request["ResourceArn"])
    keys = set(request["TagKeys"])
    if stage is None:
        api.doc = api.doc | {
            "Tags": {k: v for k, v in api.doc.get("Tags", {}).items() if k not in keys}
        }
        store.put_api(api)
    else:
        tags = {k: v for k, v in stage.get("Tags", {}).items() if k not in keys}
        store.put_part(api, "stages", stage["StageName"], stage | {"Tags": tags})
    return {}


def get_tags(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api, stage = _tagged(ctx, store, request["ResourceArn"])
    return {"Tags": dict((stage if stage is not None else api.doc).get("Tags", {}))}
