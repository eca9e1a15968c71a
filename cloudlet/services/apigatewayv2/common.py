"""What the management operations share: lookups with AWS's errors, paging, ARNs."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.apigatewayv2.models import Api, ApiStore, Doc, public

# The name AWS uses for each kind of part in its "Invalid ... identifier" messages.
KIND_NAMES = {
    "routes": "Route",
    "integrations": "Integration",
    "authorizers": "Authorizer",
    "stages": "Stage",
    "deployments": "Deployment",
}


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def not_found(message: str, resource_type: str | None = None) -> ServiceError:
    error = ServiceError("NotFoundException", message)
    return error.with_fields(resourceType=resource_type) if resource_type else error


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message)


def get_api(ctx: RequestContext, store: ApiStore, api_id: str) -> Api:
    api = store.api(api_id, ctx.account_id, ctx.region)
    if api is None:
        raise not_found(f"Invalid API identifier specified {ctx.account_id}:{api_id}")
    return api


def get_part(ctx: RequestContext, api: Api, kind: str, part_id: str) -> Doc:
    doc = api.parts[kind].get(part_id)
    if doc is None:
        name = KIND_NAMES[kind]
        if kind == "stages":
            raise not_found(f"Invalid stage identifier specified {ctx.account_id}:{part_id}")
        raise not_found(f"Invalid {name} identifier specified {ctx.account_id}:{part_id}")
    return doc


def page(request: dict[str, Any], items: list[Doc]) -> dict[str, Any]:
    """Items of a Get* listing, paged by MaxResults/NextToken (an offset)."""
    try:
        start = int(request.get("NextToken") or 0)
        size = int(request.get("MaxResults") or 0) or len(items) or 1
    except ValueError:
        raise bad_request("Invalid pagination token or MaxResults") from None
    if start < 0 or size < 1:
        raise bad_request("Invalid pagination token or MaxResults")
    chunk = items[start : start + size]
    out: dict[str, Any] = {"Items": [public(d) for d in chunk]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def api_arn(api: Api) -> str:
    return f"arn:aws:apigateway:{api.region}::/apis/{api.id}"


def apply(doc: Doc, request: dict[str, Any], members: tuple[str, ...]) -> None:
    """Copy the members the request carries into the document (an Update*)."""
    for name in members:
        if name in request:
            doc[name] = request[name]
