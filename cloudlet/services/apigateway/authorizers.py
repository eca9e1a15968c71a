"""Lambda (TOKEN, REQUEST) and Cognito user pool authorizers: their management."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup, patch
from cloudlet.services.apigateway.lookup import bad_request
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
DEFAULT_TTL = 300
MAX_TTL = 3600
_LAMBDA_URI = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/.+/invocations$"
)
_HEADER_SOURCE = re.compile(r"^method\.request\.header\.[^.,\s]+$")
_REQUEST_SOURCE = re.compile(
    r"^(method\.request\.(header|querystring|multivalueheader|multivaluequerystring)\.[^,\s]+"
    r"|stageVariables\.[^,\s]+|context\.[^,\s]+)$"
)


def sources(doc: Doc) -> list[str]:
    return [s.strip() for s in (doc.get("identitySource") or "").split(",") if s.strip()]


def _check(doc: Doc) -> None:
    kind = doc["type"]
    if kind not in TYPES:
        raise bad_request(f"Invalid authorizer type specified: {kind}")
    if not str(doc.get("name", "")).strip():
        raise bad_request("Invalid authorizer name specified")
    ttl = doc.get("authorizerResultTtlInSeconds", DEFAULT_TTL)
    if not 0 <= ttl <= MAX_TTL:
        raise bad_request(
            f"Invalid authorizer result TTL specified: {ttl}. Must be between 0 and {MAX_TTL}"
        )
    if kind == "COGNITO_USER_POOLS":
        if not doc.get("providerARNs"):
            raise bad_request("ProviderARNs need to be specified for COGNITO_USER_POOLS type")
        return
    uri = doc.get("authorizerUri") or ""
    if not _LAMBDA_URI.match(uri):
        raise bad_request(
            f"Invalid Authorizer URI specified: {uri}"
            if uri
            else "Authorizer URI is required for TOKEN/REQUEST authorizers"
        )
    found = sources(doc)
    if kind == "TOKEN":
        if len(found) != 1 or not _HEADER_SOURCE.match(found[0]):
            raise bad_request(
                "Invalid identity source specified: a TOKEN authorizer needs exactly one "
                "'method.request.header.<name>'"
            )
    else:
        if ttl > 0 and not found:
            raise bad_request("Identity source is required when result caching is enabled")
        for source in found:
            if not _REQUEST_SOURCE.match(source):
                raise bad_request(f"Invalid identity source specified: {source}")
    expression = doc.get("identityValidationExpression")
    if expression:
        try:
            re.compile(expression)
        except re.error:
            raise bad_request(f"Invalid identity validation expression: {expression}") from None


def create_authorizer(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc: Doc = {"name": request["name"], "type": request["type"]}
    for key in (
        "providerARNs",
        "authType",
        "authorizerUri",
        "authorizerCredentials",
        "identitySource",
        "identityValidationExpression",
    ):
        if request.get(key) is not None:
            doc[key] = request[key]
    doc["authorizerResultTtlInSeconds"] = request.get("authorizerResultTtlInSeconds", DEFAULT_TTL)
    _check(doc)
    doc = {"id": store.unique_id("authorizer", api["id"], 6), **doc}
    return store.put("authorizer", api["id"], doc["id"], doc)


def get_authorizer(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return lookup.authorizer(store, api["id"], request["authorizerId"])


def get_authorizers(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return lookup.page(store.items("authorizer", api["id"]), request)


_RULES = (
    patch.Rule("/name", patch.field("name", optional=False)),
    patch.Rule("/type", patch.field("type", optional=False)),
    patch.Rule("/authorizerUri", patch.field("authorizerUri"), ("replace", "remove")),
    patch.Rule(
        "/authorizerCredentials", patch.field("authorizerCredentials"), ("replace", "remove")
    ),
    patch.Rule("/identitySource", patch.field("identitySource"), ("replace", "remove")),
    patch.Rule(
        "/identityValidationExpression",
        patch.field("identityValidationExpression"),
        ("replace", "remove"),
    ),
    patch.Rule(
        "/authorizerResultTtlInSeconds",
        patch.field("authorizerResultTtlInSeconds", convert=patch.integer, optional=False),
    ),
    patch.Rule("/authType", patch.field("authType"), ("replace", "remove")),
    patch.Rule("/providerARNs/{}", patch.member("providerARNs"), ("add", "remove", "replace")),
)


def update_authorizer(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.authorizer(store, api["id"], request["authorizerId"])
    updated = patch.apply(doc, request.get("patchOperations") or [], _RULES)
    _check(updated)
    return store.put("authorizer", api["id"], doc["id"], updated)


def delete_authorizer(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.authorizer(store, api["id"], request["authorizerId"])
    for resource in store.items("resource", api["id"]):
        for method in (resource.get("resourceMethods") or {}).values():
            if method.get("authorizerId") == doc["id"]:
                raise lookup.conflict(
                    "Cannot delete authorizer, is referenced in method: "
                    f"{method['httpMethod']}/{resource['path']}"
                )
    store.delete("authorizer", api["id"], doc["id"])
    return {}
