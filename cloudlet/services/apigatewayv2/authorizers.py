"""Create/Get/Update/Delete/GetAuthorizers: JWT and REQUEST (Lambda) authorizers, and
ResetAuthorizersCache."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigatewayv2.common import (
    apply,
    bad_request,
    conflict,
    get_api,
    get_part,
    page,
)
from cloudlet.services.apigatewayv2.deploy import auto_deploy
from cloudlet.services.apigatewayv2.integrations import lambda_arn
from cloudlet.services.apigatewayv2.models import ApiStore, Doc, new_id, public

_MEMBERS = (
    "AuthorizerCredentialsArn",
    "AuthorizerPayloadFormatVersion",
    "AuthorizerResultTtlInSeconds",
    "AuthorizerType",
    "AuthorizerUri",
    "EnableSimpleResponses",
    "IdentitySource",
    "IdentityValidationExpression",
    "JwtConfiguration",
    "Name",
)
IDENTITY = re.compile(
    r"^\$(request\.header|request\.querystring|context|stageVariables)\.([A-Za-z0-9._\-]+)$"
)


def _validate(doc: Doc) -> None:
    kind = doc.get("AuthorizerType")
    sources = doc.get("IdentitySource") or []
    if kind == "JWT":
        config = doc.get("JwtConfiguration") or {}
        issuer = config.get("Issuer")
        if not issuer:
            raise bad_request("JwtConfiguration.Issuer is required for JWT authorizers")
        if urlsplit(issuer).scheme not in ("http", "https"):
            raise bad_request(f"Invalid issuer URL: {issuer}")
        if len(sources) != 1 or not sources[0].startswith("$"):
            raise bad_request(
                "A JWT authorizer needs exactly one identity source, such as "
                "$request.header.Authorization"
            )
    elif kind == "REQUEST":
        uri = doc.get("AuthorizerUri")
        if not uri or lambda_arn(uri) is None:
            raise bad_request(f"Invalid authorizer URI: {uri}")
        version = doc.get("AuthorizerPayloadFormatVersion")
        if version not in ("1.0", "2.0"):
            raise bad_request(
                "AuthorizerPayloadFormatVersion is required for REQUEST authorizers "
                "and must be one of: 1.0, 2.0"
            )
        if doc.get("EnableSimpleResponses") and version != "2.0":
            raise bad_request("Simple responses require authorizer payload format version 2.0")
        ttl = doc.get("AuthorizerResultTtlInSeconds", 0)
        if not 0 <= ttl <= 3600:
            raise bad_request("AuthorizerResultTtlInSeconds must be between 0 and 3600")
        if ttl > 0 and not sources:
            raise bad_request("Identity source is required when authorizer caching is enabled")
    else:
        raise bad_request(f"Invalid authorizer type {kind}: use JWT or REQUEST")
    for source in sources:
        if not IDENTITY.match(source):
            raise bad_request(f"Invalid identity source: {source}")


def create_authorizer(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc: Doc = {"AuthorizerId": new_id(6)}
    apply(doc, request, _MEMBERS)
    if doc.get("AuthorizerType") == "REQUEST":
        doc.setdefault("AuthorizerResultTtlInSeconds", 0)
        doc.setdefault("EnableSimpleResponses", False)
    _validate(doc)
    with store.db.transaction():
        store.put_part(api, "authorizers", doc["AuthorizerId"], doc)
        auto_deploy(store, api)
    return public(doc)


def get_authorizer(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return public(get_part(ctx, api, "authorizers", request["AuthorizerId"]))


def get_authorizers(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return page(request, sorted(api.parts["authorizers"].values(), key=lambda d: d["AuthorizerId"]))


def update_authorizer(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = dict(get_part(ctx, api, "authorizers", request["AuthorizerId"]))
    apply(doc, request, _MEMBERS)
    _validate(doc)
    for route in api.parts["routes"].values():
        if route.get("AuthorizerId") == doc["AuthorizerId"]:
            wanted = "JWT" if route.get("AuthorizationType") == "JWT" else "REQUEST"
            if wanted != doc["AuthorizerType"]:
                raise bad_request(
                    f"Route {route['RouteId']} uses this authorizer with authorization "
                    f"type {route.get('AuthorizationType')}"
                )
    with store.db.transaction():
        store.put_part(api, "authorizers", doc["AuthorizerId"], doc)
        auto_deploy(store, api)
    store.forget_authorizer_cache(api.id, None)
    return public(doc)


def delete_authorizer(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    authorizer_id = request["AuthorizerId"]
    get_part(ctx, api, "authorizers", authorizer_id)
    for route in api.parts["routes"].values():
        if route.get("AuthorizerId") == authorizer_id:
            raise conflict(
                f"Unable to delete authorizer {authorizer_id}: route "
                f"{route['RouteKey']} ({route['RouteId']}) uses it"
            )
    with store.db.transaction():
        store.delete_part(api, "authorizers", authorizer_id)
        auto_deploy(store, api)
    store.forget_authorizer_cache(api.id, None)
    return {}


def reset_authorizers_cache(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    get_part(ctx, api, "stages", request["StageName"])
    store.forget_authorizer_cache(api.id, request["StageName"])
    return {}
