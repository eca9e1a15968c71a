"""Finding API Gateway objects by id, with AWS's errors when they are not there, and
the position/limit paging every Get*s operation shares."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc, public

DEFAULT_LIMIT = 25
MAX_LIMIT = 500


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message)


def account_scope(ctx: RequestContext) -> str:
    return f"{ctx.account_id}:{ctx.region}"


def rest_api(ctx: RequestContext, store: ApiGatewayStore, api_id: str) -> Doc:
    doc = store.get("api", "", api_id)
    if doc is None or doc["_account"] != ctx.account_id or doc["_region"] != ctx.region:
        raise not_found(f"Invalid API identifier specified {ctx.account_id}:{api_id}")
    return doc


def resource(store: ApiGatewayStore, api_id: str, resource_id: str) -> Doc:
    doc = store.get("resource", api_id, resource_id)
    if doc is None:
        raise not_found("Invalid Resource identifier specified")
    return doc


def method(resource_doc: Doc, http_method: str) -> Doc:
    found = (resource_doc.get("resourceMethods") or {}).get(http_method)
    if found is None:
        raise not_found("Invalid Method identifier specified")
    return dict(found)


def integration(method_doc: Doc) -> Doc:
    found = method_doc.get("methodIntegration")
    if found is None:
        raise not_found("Invalid Integration identifier specified")
    return dict(found)


def stage(store: ApiGatewayStore, api_id: str, name: str) -> Doc:
    doc = store.get("stage", api_id, name)
    if doc is None:
        raise not_found("Invalid Stage identifier specified")
    return doc


def deployment(store: ApiGatewayStore, api_id: str, deployment_id: str) -> Doc:
    doc = store.get("deployment", api_id, deployment_id)
    if doc is None:
        raise not_found("Invalid Deployment identifier specified")
    return doc


def authorizer(store: ApiGatewayStore, api_id: str, authorizer_id: str) -> Doc:
    doc = store.get("authorizer", api_id, authorizer_id)
    if doc is None:
        raise not_found("Invalid Authorizer identifier specified")
    return doc


def api_key(ctx: RequestContext, store: ApiGatewayStore, key_id: str) -> Doc:
    doc = store.get("apikey", account_scope(ctx), key_id)
    if doc is None:
        raise not_found("Invalid API Key identifier specified")
    return doc


def usage_plan(ctx: RequestContext, store: ApiGatewayStore, plan_id: str) -> Doc:
    doc = store.get("usageplan", account_scope(ctx), plan_id)
    if doc is None:
        raise not_found("Invalid Usage Plan ID specified")
    return doc


def page(items: list[Doc], request: dict[str, Any], key: str = "id") -> dict[str, Any]:
    """`{"items": [...], "position": next}`: `position` is the id of the first item of
    the next page, as opaque to clients as AWS's."""
    limit = request.get("limit", DEFAULT_LIMIT)
    if limit < 1 or limit > MAX_LIMIT:
        raise bad_request(f"Invalid limit: {limit}. Must be between 1 and {MAX_LIMIT}")
    start = 0
    position = request.get("position")
    if position:
        ids = [item[key] for item in items]
        if position not in ids:
            raise bad_request("Invalid position parameter")
        start = ids.index(position)
    chosen = items[start : start + limit]
    out: dict[str, Any] = {"items": [public(item) for item in chosen]}
    if start + limit < len(items):
        out["position"] = items[start + limit][key]
    return out
