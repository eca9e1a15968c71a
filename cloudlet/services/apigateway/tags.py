"""Tags on REST APIs, stages, API keys and usage plans, addressed by ARN
(`arn:aws:apigateway:{region}::/restapis/{id}[/stages/{name}]`, `::/apikeys/{id}`,
`::/usageplans/{id}`); they live in the tagged object's document."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup
from cloudlet.services.apigateway.lookup import account_scope, bad_request, not_found
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:(?P<region>[a-z0-9-]+)::"
    r"/(?:restapis/(?P<api>[^/]+)(?:/stages/(?P<stage>[^/]+))?|apikeys/(?P<key>[^/]+)"
    r"|usageplans/(?P<plan>[^/]+))$"
)
MAX_TAGS = 50


def _target(ctx: RequestContext, store: ApiGatewayStore, arn: str) -> tuple[str, str, str, Doc]:
    found = _ARN.match(arn)
    if found is None:
        raise bad_request(f"Invalid ARN specified in the request: {arn}")
    if found["region"] != ctx.region:
        raise not_found(f"Invalid resource ARN specified: {arn}")
    if found["api"]:
        api = lookup.rest_api(ctx, store, found["api"])
        if found["stage"]:
            return (
                "stage",
                api["id"],
                found["stage"],
                lookup.stage(store, api["id"], found["stage"]),
            )
        return "api", "", api["id"], api
    if found["key"]:
        return "apikey", account_scope(ctx), found["key"], lookup.api_key(ctx, store, found["key"])
    plan = lookup.usage_plan(ctx, store, found["plan"])
    return "usageplan", account_scope(ctx), plan["id"], plan


def tag_resource(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    kind, scope, key, doc = _target(ctx, store, request["resourceArn"])
    tags = {**(doc.get("tags") or {}), **request["tags"]}
    if len(tags) > MAX_TAGS:
        raise bad_request(f"Too many tags: a resource can have at most {MAX_TAGS}")
    for name in request["tags"]:
        if name.lower().startswith("aws:"):
            raise bad_request("Tag keys must not start with 'aws:'")
    store.put(kind, scope, key, dict(doc, tags=tags))
    return {}


def untag_resource(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    kind, scope, key, doc = _target(ctx, store, request["resourceArn"])
    tags = {k: v for k, v in (doc.get("tags") or {}).items() if k not in request["tagKeys"]}
    updated = dict(doc, tags=tags)
    if not tags:
        updated.pop("tags")
    store.put(kind, scope, key, updated)
    return {}


def get_tags(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    doc = _target(ctx, store, request["resourceArn"])[3]
    return {"tags": doc.get("tags") or {}}
