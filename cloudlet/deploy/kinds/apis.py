"""API Gateway REST (v1) and HTTP (v2) APIs: routes to functions through Lambda proxy
integrations, a deployment to the stage, and the Lambda permissions that let API
Gateway invoke each function."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cloudlet.app.constructs import Api, Function
from cloudlet.deploy.kinds.base import Kind, missing
from cloudlet.deploy.kinds.messaging import _found, _grant, _has_permission
from cloudlet.deploy.model import Actual, Context, Node


def _routes(ctx: Context, api: Api) -> dict[str, str]:
    """'METHOD /path' -> the function ARN it invokes."""
    return {
        f"{route.method} {route.path}": ctx.arn("lambda", f"function:{ctx.name_of(route.function)}")
        for route in api.routes
    }


def _functions(api: Api) -> list[Function]:
    seen: dict[str, Function] = {}
    for route in api.routes:
        seen.setdefault(route.function.name, route.function)
    return list(seen.values())


def _invoke_uri(ctx: Context, function_arn: str) -> str:
    return (
        f"arn:{ctx.target.partition}:apigateway:{ctx.region}:lambda:path/2015-03-31/"
        f"functions/{function_arn}/invocations"
    )


def _function_of(uri: str) -> str:
    # arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations
    if "/functions/" in uri:
        return uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return uri


def _permissions(ctx: Context, api_id: str | None, functions: list[str]) -> dict[str, bool]:
    if api_id is None:
        return dict.fromkeys(functions, False)
    source = ctx.arn("execute-api", f"{api_id}/*")
    return {name: _has_permission(ctx, name, _sid(api_id), source) for name in functions}


def _sid(api_id: str) -> str:
    return f"cloudlet-apigateway-{api_id}"


def _grant_all(ctx: Context, api_id: str, desired: dict[str, bool], have: dict[str, bool]) -> None:
    source = ctx.arn("execute-api", f"{api_id}/*")
    for name, wanted in desired.items():
        if wanted and not have.get(name):
            _grant(ctx, name, _sid(api_id), "apigateway.amazonaws.com", source)


class RestApiKind(Kind):
    kind = "rest_api"

    def read(self, ctx: Context, node: Node) -> Actual | None:
        apigw = ctx.client("apigateway")
        found = [a for a in _rest_apis(apigw) if a["name"] == node.physical]
        if not found:
            return None
        api = found[0]
        api_id = api["id"]
        resources = _resources(apigw, api_id)
        routes: dict[str, str] = {}
        for resource in resources:
            for method, detail in (resource.get("resourceMethods") or {}).items():
                integration = detail.get("methodIntegration") or {}
                routes[f"{method} {resource['path']}"] = _function_of(integration.get("uri", ""))
        try:
            stage = apigw.get_stage(restApiId=api_id, stageName=ctx.stage)
            deployment = apigw.get_deployment(restApiId=api_id, deploymentId=stage["deploymentId"])
            deployed = deployment.get("description", "")
        except Exception as error:
            if not missing(error, "NotFoundException"):
                raise
            deployed = ""
        functions = sorted({ctx.name_of(f) for f in _functions(node.source)})
        attrs = {
            "Routes": routes,
            "Deployed": deployed,
            "Permissions": _permissions(ctx, api_id, functions),
        }
        extra = {"resources": {r["path"]: r["id"] for r in resources}}
        return Actual(attrs, self._outputs(ctx, node, api_id), extra)

    def _outputs(self, ctx: Context, node: Node, api_id: str) -> dict[str, str]:
        if ctx.target.endpoint:
            url = f"{ctx.target.endpoint}/restapis/{api_id}/{ctx.stage}/_user_request_"
        else:
            url = f"https://{api_id}.execute-api.{ctx.region}.amazonaws.com/{ctx.stage}"
        return {"id": api_id, "name": node.physical, "url": url}

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        routes = _routes(ctx, node.source)
        digest = hashlib.sha256(json.dumps(routes, sort_keys=True).encode()).hexdigest()[:16]
        functions = sorted({ctx.name_of(f) for f in _functions(node.source)})
        return {
            "Routes": routes,
            "Deployed": f"cloudlet {digest}",
            "Permissions": dict.fromkeys(functions, True),
        }

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        api = ctx.client("apigateway").create_rest_api(
            name=node.physical, tags=ctx.tags, endpointConfiguration={"types": ["REGIONAL"]},
            description=f"cloudlet {ctx.app.name} {ctx.stage}: {node.logical}",
        )  # fmt: skip
        resources = _resources(ctx.client("apigateway"), api["id"])
        actual = Actual(
            {"Routes": {}, "Deployed": "", "Permissions": {}},
            self._outputs(ctx, node, api["id"]),
            {"resources": {r["path"]: r["id"] for r in resources}},
        )
        return self.update(ctx, node, desired, actual)

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        apigw = ctx.client("apigateway")
        api_id = actual.outputs["id"]
        ids: dict[str, str] = dict(actual.extra["resources"])
        have: dict[str, str] = actual.attrs.get("Routes", {})
        want: dict[str, str] = desired["Routes"]
        for key in sorted(set(have) - set(want)):
            method, path = key.split(" ", 1)
            apigw.delete_method(restApiId=api_id, resourceId=ids[path], httpMethod=method)
        for key, function_arn in sorted(want.items()):
            if have.get(key) == function_arn:
                continue
            method, path = key.split(" ", 1)
            resource_id = self._resource(apigw, api_id, ids, path)
            if key not in have:
                apigw.put_method(
                    restApiId=api_id, resourceId=resource_id, httpMethod=method,
                    authorizationType="NONE",
                )  # fmt: skip
            apigw.put_integration(
                restApiId=api_id, resourceId=resource_id, httpMethod=method, type="AWS_PROXY",
                integrationHttpMethod="POST", uri=_invoke_uri(ctx, function_arn),
            )  # fmt: skip
        # Resources no route uses any more go, deepest first.
        used = {key.split(" ", 1)[1] for key in want}
        needed = {"/"} | {p for path in used for p in _ancestors(path)}
        for path in sorted(set(ids) - needed, key=lambda p: -p.count("/")):
            try:
                apigw.delete_resource(restApiId=api_id, resourceId=ids.pop(path))
            except Exception as error:
                if not missing(error, "NotFoundException"):
                    raise
        _grant_all(ctx, api_id, desired["Permissions"], actual.attrs.get("Permissions", {}))
        if desired["Deployed"] != actual.attrs.get("Deployed") or want != have:
            if want:
                apigw.create_deployment(
                    restApiId=api_id, stageName=ctx.stage, description=desired["Deployed"]
                )
        return actual.outputs

    def _resource(self, apigw: Any, api_id: str, ids: dict[str, str], path: str) -> str:
        if path in ids:
            return ids[path]
        parent_path, _, part = path.rpartition("/")
        parent = self._resource(apigw, api_id, ids, parent_path or "/")
        created = apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)
        ids[path] = created["id"]
        return str(created["id"])

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        try:
            ctx.client("apigateway").delete_rest_api(restApiId=actual.outputs["id"])
        except Exception as error:
            if not missing(error, "NotFoundException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        found: list[tuple[str, Node]] = []
        for api in _rest_apis(ctx.client("apigateway")):
            if api["name"].startswith(ctx.prefix):
                info = {"id": api["id"], "tags": api.get("tags") or {}}
                found.append((api["name"], _found("rest_api", ctx, api["name"], info)))
        return found

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        return dict(node.source["tags"])


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)] if path != "/" else ["/"]


def _rest_apis(apigw: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = {"limit": 500}
    while True:
        page = apigw.get_rest_apis(**args)
        items += page.get("items", [])
        if not page.get("position"):
            return items
        args["position"] = page["position"]


def _resources(apigw: Any, api_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = {"restApiId": api_id, "limit": 500, "embed": ["methods"]}
    while True:
        page = apigw.get_resources(**args)
        items += page.get("items", [])
        if not page.get("position"):
            return items
        args["position"] = page["position"]


class HttpApiKind(Kind):
    kind = "http_api"

    def read(self, ctx: Context, node: Node) -> Actual | None:
        v2 = ctx.client("apigatewayv2")
        found = [a for a in _http_apis(v2) if a["Name"] == node.physical]
        if not found:
            return None
        api = found[0]
        api_id = api["ApiId"]
        integrations = {
            i["IntegrationId"]: i.get("IntegrationUri", "")
            for i in _pages(v2.get_integrations, ApiId=api_id)
        }
        routes: dict[str, str] = {}
        route_ids: dict[str, str] = {}
        for route in _pages(v2.get_routes, ApiId=api_id):
            target = (route.get("Target") or "").removeprefix("integrations/")
            routes[route["RouteKey"]] = _function_of(integrations.get(target, ""))
            route_ids[route["RouteKey"]] = route["RouteId"]
        stages = {s["StageName"]: s for s in _pages(v2.get_stages, ApiId=api_id)}
        default = stages.get("$default")
        functions = sorted({ctx.name_of(f) for f in _functions(node.source)})
        attrs = {
            "Routes": routes,
            "Stage": bool(default and default.get("AutoDeploy")),
            "Permissions": _permissions(ctx, api_id, functions),
        }
        extra: dict[str, Any] = {
            "integrations": {_function_of(uri): i for i, uri in integrations.items()},
            "routes": route_ids,
            "stage": default is not None,
        }
        return Actual(attrs, self._outputs(ctx, node, api_id, api.get("ApiEndpoint")), extra)

    def _outputs(
        self, ctx: Context, node: Node, api_id: str, endpoint: str | None
    ) -> dict[str, str]:
        if ctx.target.endpoint:
            url = f"{ctx.target.endpoint}/_aws/execute-api/{api_id}/$default"
        else:
            url = endpoint or f"https://{api_id}.execute-api.{ctx.region}.amazonaws.com"
        return {"id": api_id, "name": node.physical, "url": url}

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        functions = sorted({ctx.name_of(f) for f in _functions(node.source)})
        return {
            "Routes": _routes(ctx, node.source),
            "Stage": True,
            "Permissions": dict.fromkeys(functions, True),
        }

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        api = ctx.client("apigatewayv2").create_api(
            Name=node.physical, ProtocolType="HTTP", Tags=ctx.tags,
            Description=f"cloudlet {ctx.app.name} {ctx.stage}: {node.logical}",
        )  # fmt: skip
        actual = Actual(
            {"Routes": {}, "Stage": False, "Permissions": {}},
            self._outputs(ctx, node, api["ApiId"], api.get("ApiEndpoint")),
            {"integrations": {}, "routes": {}, "stage": False},
        )
        return self.update(ctx, node, desired, actual)

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        v2 = ctx.client("apigatewayv2")
        api_id = actual.outputs["id"]
        integrations: dict[str, str] = dict(actual.extra["integrations"])  # function ARN -> id
        route_ids: dict[str, str] = actual.extra["routes"]
        have: dict[str, str] = actual.attrs.get("Routes", {})
        want: dict[str, str] = desired["Routes"]

        def integration(function_arn: str) -> str:
            if function_arn not in integrations:
                created = v2.create_integration(
                    ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn,
                    PayloadFormatVersion="2.0", IntegrationMethod="POST",
                )  # fmt: skip
                integrations[function_arn] = created["IntegrationId"]
            return integrations[function_arn]

        for key in sorted(set(have) - set(want)):
            v2.delete_route(ApiId=api_id, RouteId=route_ids[key])
        for key, function_arn in sorted(want.items()):
            if have.get(key) == function_arn:
                continue
            target = f"integrations/{integration(function_arn)}"
            if key in route_ids:
                v2.update_route(ApiId=api_id, RouteId=route_ids[key], Target=target)
            else:
                v2.create_route(ApiId=api_id, RouteKey=key, Target=target)
        for function_arn, integration_id in integrations.items():
            if function_arn not in want.values():
                v2.delete_integration(ApiId=api_id, IntegrationId=integration_id)
        if not actual.attrs.get("Stage"):
            if actual.extra.get("stage"):
                v2.update_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
            else:
                v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, Tags=ctx.tags)
        _grant_all(ctx, api_id, desired["Permissions"], actual.attrs.get("Permissions", {}))
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        try:
            ctx.client("apigatewayv2").delete_api(ApiId=actual.outputs["id"])
        except Exception as error:
            if not missing(error, "NotFoundException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        found: list[tuple[str, Node]] = []
        for api in _http_apis(ctx.client("apigatewayv2")):
            if api["Name"].startswith(ctx.prefix):
                info = {"id": api["ApiId"], "tags": api.get("Tags") or {}}
                found.append((api["Name"], _found("http_api", ctx, api["Name"], info)))
        return found

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        return dict(node.source["tags"])


def _http_apis(v2: Any) -> list[dict[str, Any]]:
    return _pages(v2.get_apis)


def _pages(call: Any, **args: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args["MaxResults"] = "500"
    while True:
        page = call(**args)
        items += page.get("Items", [])
        if not page.get("NextToken"):
            return items
        args["NextToken"] = page["NextToken"]
