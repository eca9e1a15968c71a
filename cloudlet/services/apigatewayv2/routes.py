"""Create/Get/Update/Delete/GetRoutes."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigatewayv2 import routing
from cloudlet.services.apigatewayv2.common import (
    apply,
    bad_request,
    conflict,
    get_api,
    get_part,
    page,
)
from cloudlet.services.apigatewayv2.deploy import auto_deploy
from cloudlet.services.apigatewayv2.models import Api, ApiStore, Doc, new_id, public

_MEMBERS = (
    "ApiKeyRequired",
    "AuthorizationScopes",
    "AuthorizationType",
    "AuthorizerId",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteKey",
    "RouteResponseSelectionExpression",
    "Target",
)
_AUTH_TYPES = {"NONE": None, "JWT": "JWT", "CUSTOM": "REQUEST", "AWS_IAM": None}


def _validate(api: Api, doc: Doc, route_id: str) -> None:
    key = doc["RouteKey"]
    routing.parse(key)
    for other in api.parts["routes"].values():
        if other["RouteKey"] == key and other["RouteId"] != route_id:
            raise conflict(f"Route with key {key} already exists for this API")
    target = doc.get("Target")
    if target is not None:
        kind, _, integration_id = target.partition("/")
        if kind != "integrations" or integration_id not in api.parts["integrations"]:
            raise bad_request(f"Invalid target specified: {target}")
    auth = doc.get("AuthorizationType", "NONE")
    if auth not in _AUTH_TYPES:
        raise bad_request(f"Invalid authorization type {auth}: use NONE, JWT, CUSTOM or AWS_IAM")
    authorizer_type = _AUTH_TYPES[auth]
    authorizer_id = doc.get("AuthorizerId")
    if authorizer_type is not None:
        if not authorizer_id:
            raise bad_request(f"AuthorizerId is required for authorization type {auth}")
        authorizer = api.parts["authorizers"].get(authorizer_id)
        if authorizer is None:
            raise bad_request(f"Invalid authorizer id specified: {authorizer_id}")
        if authorizer["AuthorizerType"] != authorizer_type:
            raise bad_request(
                f"Authorizer {authorizer_id} is of type {authorizer['AuthorizerType']}, "
                f"which cannot be used with authorization type {auth}"
            )
    elif authorizer_id:
        raise bad_request(f"AuthorizerId cannot be set for authorization type {auth}")
    if doc.get("AuthorizationScopes") and auth != "JWT":
        raise bad_request("Authorization scopes are supported only for JWT authorizers")


def new_route(api: Api, request: dict[str, Any], managed: bool = False) -> Doc:
    doc: Doc = {
        "RouteId": new_id(7),
        "ApiKeyRequired": False,
        "AuthorizationType": "NONE",
    }
    apply(doc, request, _MEMBERS)
    if managed:
        doc["ApiGatewayManaged"] = True
    _validate(api, doc, doc["RouteId"])
    return doc


def create_route(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = new_route(api, request)
    with store.db.transaction():
        store.put_part(api, "routes", doc["RouteId"], doc)
        auto_deploy(store, api)
    return public(doc)


def get_route(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return public(get_part(ctx, api, "routes", request["RouteId"]))


def get_routes(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return page(request, sorted(api.parts["routes"].values(), key=lambda d: d["RouteId"]))


def update_route(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = dict(get_part(ctx, api, "routes", request["RouteId"]))
    apply(doc, request, _MEMBERS)
    if doc.get("AuthorizationType") in ("NONE", "AWS_IAM") and "AuthorizerId" not in request:
        doc.pop("AuthorizerId", None)  # switching authorization off drops the authorizer
    _validate(api, doc, doc["RouteId"])
    with store.db.transaction():
        store.put_part(api, "routes", doc["RouteId"], doc)
        auto_deploy(store, api)
    return public(doc)


def delete_route(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    get_part(ctx, api, "routes", request["RouteId"])
    with store.db.transaction():
        store.delete_part(api, "routes", request["RouteId"])
        auto_deploy(store, api)
    return {}
