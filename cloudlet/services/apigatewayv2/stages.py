"""Stages (Create/Get/Update/Delete/GetStages) and deployments
(Create/Get/Update/Delete/GetDeployments)."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigatewayv2.common import (
    apply,
    bad_request,
    conflict,
    get_api,
    get_part,
    not_found,
    page,
)
from cloudlet.services.apigatewayv2.deploy import deploy, point_stage
from cloudlet.services.apigatewayv2.models import Api, ApiStore, Doc, now_iso, public

_NAME = re.compile(r"^(\$default|[A-Za-z0-9_\-]{1,128})$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{0,2048}$")
_MEMBERS = (
    "AccessLogSettings",
    "AutoDeploy",
    "ClientCertificateId",
    "DefaultRouteSettings",
    "DeploymentId",
    "Description",
    "RouteSettings",
    "StageVariables",
)
DEFAULT_ROUTE_SETTINGS = {"DataTraceEnabled": False, "DetailedMetricsEnabled": False}


def _validate(api: Api, doc: Doc) -> None:
    deployment_id = doc.get("DeploymentId")
    if deployment_id and deployment_id not in api.parts["deployments"]:
        raise bad_request(f"Deployment id {deployment_id} does not exist")
    for name, value in (doc.get("StageVariables") or {}).items():
        if not _VARIABLE_NAME.match(name):
            raise bad_request(f"Stage variable name {name} must match [A-Za-z0-9_]{{1,64}}")
        if not _VARIABLE_VALUE.match(value):
            raise bad_request(
                f"Stage variable value {value} must match [A-Za-z0-9-._~:/?#&=,]{{0,2048}}"
            )
    route_keys = {r["RouteKey"] for r in api.parts["routes"].values()}
    for key in doc.get("RouteSettings") or {}:
        if key not in route_keys:
            raise not_found(f"Unable to find Route by key {key} within the provided RouteSettings")


def new_stage(api: Api, request: dict[str, Any], managed: bool = False) -> Doc:
    name = request["StageName"]
    if not _NAME.match(name):
        raise bad_request(f"Stage name {name} is invalid: use $default or [A-Za-z0-9_-]")
    if name in api.parts["stages"]:
        raise conflict(f"Stage {name} already exists")
    now = now_iso()
    doc: Doc = {
        "StageName": name,
        "CreatedDate": now,
        "LastUpdatedDate": now,
        "DefaultRouteSettings": dict(DEFAULT_ROUTE_SETTINGS),
        "RouteSettings": {},
        "StageVariables": {},
        "Tags": {},
        "AutoDeploy": False,
    }
    apply(doc, request, _MEMBERS)
    doc["Tags"] = dict(request.get("Tags") or {})
    if managed:
        doc["ApiGatewayManaged"] = True
    _validate(api, doc)
    return doc


def add_stage(store: ApiStore, api: Api, doc: Doc) -> None:
    """Store a new stage; an autoDeploy stage is deployed at once, as on AWS."""
    with store.db.transaction():
        store.put_part(api, "stages", doc["StageName"], doc)
        if doc.get("AutoDeploy"):
            point_stage(store, api, doc, deploy(store, api, auto=True), auto=True)


def create_stage(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = new_stage(api, request)
    add_stage(store, api, doc)
    return public(doc)


def get_stage(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return public(get_part(ctx, api, "stages", request["StageName"]))


def get_stages(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return page(request, sorted(api.parts["stages"].values(), key=lambda d: d["StageName"]))


def update_stage(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    old = get_part(ctx, api, "stages", request["StageName"])
    doc = dict(old)
    apply(doc, request, _MEMBERS)
    doc["LastUpdatedDate"] = now_iso()
    _validate(api, doc)
    with store.db.transaction():
        store.put_part(api, "stages", doc["StageName"], doc)
        if doc.get("AutoDeploy") and not old.get("AutoDeploy"):
            point_stage(store, api, doc, deploy(store, api, auto=True), auto=True)
    store.forget_authorizer_cache(api.id, doc["StageName"])
    return public(doc)


def delete_stage(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    get_part(ctx, api, "stages", request["StageName"])
    store.delete_part(api, "stages", request["StageName"])
    store.forget_authorizer_cache(api.id, request["StageName"])
    return {}


# -- deployments ------------------------------------------------------------------------


def create_deployment(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    stage = None
    name = request.get("StageName")
    if name is not None:
        stage = api.parts["stages"].get(name)
        if stage is None:
            raise not_found(f"Invalid stage identifier specified {ctx.account_id}:{name}")
        if stage.get("AutoDeploy"):
            raise bad_request(
                f"Stage {name} has autoDeploy enabled: it is deployed on every change"
            )
    with store.db.transaction():
        doc = deploy(store, api, request.get("Description"))
        if stage is not None:
            point_stage(store, api, dict(stage), doc, auto=False)
    return public(doc)


def get_deployment(ctx: RequestContext, store: ApiStore, request: dict[str, Any]) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return public(get_part(ctx, api, "deployments", request["DeploymentId"]))


def get_deployments(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    items = sorted(api.parts["deployments"].values(), key=lambda d: d["CreatedDate"])
    return page(request, items)


def update_deployment(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = dict(get_part(ctx, api, "deployments", request["DeploymentId"]))
    apply(doc, request, ("Description",))
    store.put_part(api, "deployments", doc["DeploymentId"], doc)
    return public(doc)


def delete_deployment(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    deployment_id = request["DeploymentId"]
    get_part(ctx, api, "deployments", deployment_id)
    for stage in api.parts["stages"].values():
        if stage.get("DeploymentId") == deployment_id:
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    store.delete_part(api, "deployments", deployment_id)
    return {}
