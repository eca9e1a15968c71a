"""Deployments (snapshots of an API) and the stages that serve them.

A deployment copies the API's resources, methods, integrations and authorizers as
they are at that moment (`_snapshot`); a stage serves one deployment, so edits to the
API reach callers only when it is deployed again, as on AWS.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import accesslog, lookup, patch
from cloudlet.services.apigateway.lookup import bad_request, conflict
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc, now, public

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{0,512}$")
_CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")


def snapshot(store: ApiGatewayStore, api: Doc, check: bool = True) -> Doc:
    """The API as it is now; `check`: as CreateDeployment requires it (methods, each
    with an integration)."""
    resources = copy.deepcopy(store.items("resource", api["id"]))
    methods = [m for r in resources for m in (r.get("resourceMethods") or {}).values()]
    if check and not methods:
        raise bad_request("The REST API doesn't contain any methods")
    if check and any("methodIntegration" not in m for m in methods):
        raise bad_request("No integration defined for method")
    return {
        "resources": resources,
        "authorizers": {a["id"]: a for a in copy.deepcopy(store.items("authorizer", api["id"]))},
        "binaryMediaTypes": api.get("binaryMediaTypes") or [],
        "apiKeySource": api.get("apiKeySource", "HEADER"),
        "models": {m["name"]: m for m in copy.deepcopy(store.items("model", api["id"]))},
        "validators": {v["id"]: v for v in copy.deepcopy(store.items("validator", api["id"]))},
        "gatewayResponses": {
            g["responseType"]: g for g in copy.deepcopy(store.items("gatewayresponse", api["id"]))
        },
        "account": api["_account"],
        "region": api["_region"],
    }


def _check_variables(variables: dict[str, str] | None) -> None:
    for name, value in (variables or {}).items():
        if not _VARIABLE_NAME.match(name):
            raise bad_request(
                f"Stage variable name {name} is invalid: only alphanumeric characters and "
                "underscores are allowed"
            )
        if not _VARIABLE_VALUE.match(value):
            raise bad_request(
                f"Stage variable value {value} is invalid: allowed characters are "
                "alphanumerics and -._~:/?#&=,"
            )


def _check_stage_name(name: str) -> None:
    if not _STAGE_NAME.match(name):
        raise bad_request(
            "Stage name only allows a-zA-Z0-9_- and must be at most 128 characters long"
        )


def _new_stage(api_id: str, name: str, deployment_id: str, request: dict[str, Any]) -> Doc:
    stamp = now()
    doc: Doc = {
        "deploymentId": deployment_id,
        "stageName": name,
        "cacheClusterEnabled": request.get("cacheClusterEnabled", False),
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": request.get("tracingEnabled", False),
        "createdDate": stamp,
        "lastUpdatedDate": stamp,
    }
    if doc["cacheClusterEnabled"]:
        doc["cacheClusterSize"] = request.get("cacheClusterSize", "0.5")
        doc["cacheClusterStatus"] = "AVAILABLE"
    for key in ("description", "variables", "documentationVersion", "tags"):
        if request.get(key):
            doc[key] = request[key]
    return doc


def _check_canary(store: ApiGatewayStore, api_id: str, canary: Doc | None) -> None:
    """A stage's canarySettings: an existing deployment, 0-100 % of the traffic."""
    if not canary:
        return
    if not canary.get("deploymentId"):
        raise bad_request("Canary settings need a deploymentId")
    lookup.deployment(store, api_id, canary["deploymentId"])
    percent = canary.get("percentTraffic", 0.0)
    if not 0.0 <= percent <= 100.0:
        raise bad_request("Canary traffic percentage must be between 0.0 and 100.0")
    _check_variables(canary.get("stageVariableOverrides"))


# -- deployments -----------------------------------------------------------------------------


def create_deployment(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    stage_name = request.get("stageName")
    if stage_name:
        _check_stage_name(stage_name)
    if request.get("canarySettings") is not None and (
        not stage_name or store.get("stage", api["id"], stage_name) is None
    ):
        raise bad_request("A canary deployment needs an existing stage (stageName)")
    _check_variables(request.get("variables"))
    deployment_id = store.unique_id("deployment", api["id"], 6)
    doc: Doc = {"id": deployment_id, "createdDate": now(), "_snapshot": snapshot(store, api)}
    if request.get("description"):
        doc["description"] = request["description"]
    with store.db.transaction():
        store.put("deployment", api["id"], deployment_id, doc)
        if stage_name:
            stage = store.get("stage", api["id"], stage_name)
            if stage is None:
                stage = _new_stage(
                    api["id"],
                    stage_name,
                    deployment_id,
                    {
                        "description": request.get("stageDescription"),
                        "variables": request.get("variables"),
                        "cacheClusterEnabled": request.get("cacheClusterEnabled", False),
                        "cacheClusterSize": request.get("cacheClusterSize"),
                        "tracingEnabled": request.get("tracingEnabled", False),
                    },
                )
            elif request.get("canarySettings") is not None:
                # A canary release: the new deployment serves a share of the stage's
                # traffic; the stage's own deployment stays until promoted.
                canary = {
                    "deploymentId": deployment_id,
                    "percentTraffic": 0.0,
                    "useStageCache": False,
                    **request["canarySettings"],
                }
                _check_canary(store, api["id"], canary)
                stage = dict(stage, canarySettings=canary, lastUpdatedDate=now())
            else:
                stage = dict(stage, deploymentId=deployment_id, lastUpdatedDate=now())
                if request.get("variables"):
                    stage["variables"] = {**stage.get("variables", {}), **request["variables"]}
            store.put("stage", api["id"], stage_name, stage)
    return public(doc)


def _api_summary(doc: Doc) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for resource in doc["_snapshot"]["resources"]:
        for name, method in (resource.get("resourceMethods") or {}).items():
            summary.setdefault(resource["path"], {})[name] = {
                "authorizationType": method["authorizationType"],
                "apiKeyRequired": method.get("apiKeyRequired", False),
            }
    return summary


def get_deployment(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.deployment(store, api["id"], request["deploymentId"])
    out = public(doc)
    if "apisummary" in [e.lower() for e in request.get("embed") or ()]:
        out["apiSummary"] = _api_summary(doc)
    return out


def get_deployments(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return lookup.page(store.items("deployment", api["id"]), request)


def update_deployment(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.deployment(store, api["id"], request["deploymentId"])
    rules = (patch.Rule("/description", patch.field("description"), ("replace", "remove")),)
    updated = patch.apply(doc, request.get("patchOperations") or [], rules)
    return public(store.put("deployment", api["id"], doc["id"], updated))


def delete_deployment(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.deployment(store, api["id"], request["deploymentId"])
    if any(s["deploymentId"] == doc["id"] for s in store.items("stage", api["id"])):
        raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    store.delete("deployment", api["id"], doc["id"])
    return {}


# -- stages ------------------------------------------------------------------------------------


def create_stage(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    name = request["stageName"]
    _check_stage_name(name)
    _check_variables(request.get("variables"))
    lookup.deployment(store, api["id"], request["deploymentId"])
    if store.get("stage", api["id"], name) is not None:
        raise conflict("Stage already exists")
    size = request.get("cacheClusterSize")
    if size is not None and size not in _CACHE_SIZES:
        raise bad_request(f"Invalid cache cluster size specified: {size}")
    doc = _new_stage(api["id"], name, request["deploymentId"], request)
    if request.get("canarySettings"):
        canary = {"percentTraffic": 0.0, "useStageCache": False, **request["canarySettings"]}
        _check_canary(store, api["id"], canary)
        doc["canarySettings"] = canary
    return public(store.put("stage", api["id"], name, doc))


def get_stage(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return public(lookup.stage(store, api["id"], request["stageName"]))


def get_stages(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    items = store.items("stage", api["id"])
    wanted = request.get("deploymentId")
    if wanted:
        items = [s for s in items if s["deploymentId"] == wanted]
    return {"item": [public(s) for s in items]}


def delete_stage(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.stage(store, api["id"], request["stageName"])
    store.delete("stage", api["id"], doc["stageName"])
    return {}


def _check_access_log(settings: Doc | None) -> None:
    if not settings:
        return
    arn = settings.get("destinationArn")
    if arn and accesslog.destination(arn) is None:
        raise bad_request(f"Invalid ARN specified in the request: {arn}")
    fmt = settings.get("format")
    if fmt and "$context.requestId" not in fmt and "$context.extendedRequestId" not in fmt:
        raise bad_request(
            "Access Log format must contain at least $context.requestId or "
            "$context.extendedRequestId"
        )


# Method settings: /{resource path, ~1-escaped, or *}/{method or *}/{group}/{setting}.
_SETTINGS = {
    "metrics/enabled": ("metricsEnabled", patch.boolean),
    "logging/loglevel": ("loggingLevel", patch.text),
    "logging/dataTrace": ("dataTraceEnabled", patch.boolean),
    "throttling/burstLimit": ("throttlingBurstLimit", patch.integer),
    "throttling/rateLimit": ("throttlingRateLimit", patch.number),
    "caching/enabled": ("cachingEnabled", patch.boolean),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", patch.integer),
    "caching/dataEncrypted": ("cacheDataEncrypted", patch.boolean),
    "caching/requireAuthorizationForCacheControl": (
        "requireAuthorizationForCacheControl",
        patch.boolean,
    ),
    "caching/unauthorizedCacheControlHeaderStrategy": (
        "unauthorizedCacheControlHeaderStrategy",
        patch.text,
    ),
}
_DEFAULT_SETTING = {
    "metricsEnabled": False,
    "dataTraceEnabled": False,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


def _method_setting(doc: Doc, op: str, captured: list[str], value: str | None) -> None:
    resource, method, group, setting = captured
    found = _SETTINGS.get(f"{group}/{setting}")
    if found is None:
        raise bad_request(f"Invalid method setting path: /{'/'.join(captured)}")
    key = f"{resource.replace('~', '~0').replace('/', '~1')}/{method}"
    settings = doc.setdefault("methodSettings", {})
    if op == "remove":
        settings.pop(key, None)
        return
    name, convert = found
    entry = settings.setdefault(key, dict(_DEFAULT_SETTING))
    entry[name] = convert(value)


def _deployment_id(store: ApiGatewayStore, api_id: str) -> patch.Handler:
    def handle(doc: Doc, op: str, _: list[str], value: str | None) -> None:
        lookup.deployment(store, api_id, patch.text(value))
        doc["deploymentId"] = value

    return handle


def _variable(doc: Doc, op: str, captured: list[str], value: str | None) -> None:
    if op != "remove":
        _check_variables({captured[0]: patch.text(value)})
    patch.entry("variables")(doc, op, captured, value)


def _canary_variable(doc: Doc, op: str, captured: list[str], value: str | None) -> None:
    patch.entry("stageVariableOverrides")(doc.setdefault("canarySettings", {}), op, captured, value)


def update_stage(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.stage(store, api["id"], request["stageName"])
    rules = (
        patch.Rule("/description", patch.field("description"), ("replace", "remove")),
        patch.Rule("/deploymentId", _deployment_id(store, api["id"])),
        patch.Rule("/variables/{}", _variable, ("add", "replace", "remove")),
        patch.Rule(
            "/cacheClusterEnabled", patch.field("cacheClusterEnabled", convert=patch.boolean)
        ),
        patch.Rule("/cacheClusterSize", patch.field("cacheClusterSize")),
        patch.Rule("/tracingEnabled", patch.field("tracingEnabled", convert=patch.boolean)),
        patch.Rule(
            "/clientCertificateId", patch.field("clientCertificateId"), ("replace", "remove")
        ),
        patch.Rule(
            "/documentationVersion", patch.field("documentationVersion"), ("replace", "remove")
        ),
        patch.Rule("/webAclArn", patch.field("webAclArn"), ("replace", "remove")),
        patch.Rule(
            "/accessLogSettings/destinationArn",
            patch.field("accessLogSettings", "destinationArn"),
            ("replace", "remove"),
        ),
        patch.Rule(
            "/accessLogSettings/format",
            patch.field("accessLogSettings", "format"),
            ("replace", "remove"),
        ),
        patch.Rule("/accessLogSettings", patch.field("accessLogSettings"), ("remove",)),
        patch.Rule(
            "/canarySettings/percentTraffic",
            patch.field("canarySettings", "percentTraffic", convert=patch.number),
        ),
        patch.Rule("/canarySettings/deploymentId", patch.field("canarySettings", "deploymentId")),
        patch.Rule(
            "/canarySettings/useStageCache",
            patch.field("canarySettings", "useStageCache", convert=patch.boolean),
        ),
        patch.Rule(
            "/canarySettings/stageVariableOverrides/{}",
            _canary_variable,
            ("add", "replace", "remove"),
        ),
        patch.Rule("/canarySettings", patch.field("canarySettings"), ("remove",)),
        patch.Rule("/{}/{}/{}/{}", _method_setting, ("replace", "remove")),
    )
    updated = patch.apply(doc, request.get("patchOperations") or [], rules)
    _check_canary(store, api["id"], updated.get("canarySettings"))
    _check_access_log(updated.get("accessLogSettings"))
    updated["cacheClusterStatus"] = (
        "AVAILABLE" if updated.get("cacheClusterEnabled") else "NOT_AVAILABLE"
    )
    updated["lastUpdatedDate"] = now()
    return public(store.put("stage", api["id"], doc["stageName"], updated))


def flush_stage_authorizers_cache(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    stage = lookup.stage(store, api["id"], request["stageName"])
    store.runtime().authorizers.flush(api["id"], stage["stageName"])
    return {}


def flush_stage_cache(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    stage = lookup.stage(store, api["id"], request["stageName"])
    store.runtime().cache.flush(api["id"], stage["stageName"])
    return {}
