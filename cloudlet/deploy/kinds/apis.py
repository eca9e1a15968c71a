"""API Gateway REST (v1) and HTTP (v2) APIs: routes to functions through Lambda proxy
integrations, a deployment to the stage, and the Lambda permissions that let API
Gateway invoke each function."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cloudlet.app.constructs import Api, Authorizer, Function
from cloudlet.deploy.kinds.base import Kind, missing
from cloudlet.deploy.kinds.messaging import _found, _grant, _has_permission, invoke_arn
from cloudlet.deploy.model import Actual, Context, Node


def _fn_arn(ctx: Context, function: Function) -> str:
    return invoke_arn(ctx, function)


def _routes(ctx: Context, api: Api) -> dict[str, list[Any]]:
    """'METHOD /path' -> [function ARN, authorizer name or None, scopes]."""
    return {
        f"{route.method} {route.path}": [
            _fn_arn(ctx, route.function),
            route.authorizer.name if route.authorizer else None,
            sorted(route.scopes or []),
        ]
        for route in api.routes
    }


def _functions(api: Api) -> list[Function]:
    seen: dict[str, Function] = {}
    for route in api.routes:
        seen.setdefault(route.function.name, route.function)
    for authorizer in api.authorizers.values():
        if authorizer.function is not None:
            seen.setdefault(authorizer.function.name, authorizer.function)
    return list(seen.values())


def _rest_authorizer(ctx: Context, authorizer: Authorizer) -> dict[str, Any]:
    assert authorizer.function is not None
    return {
        "type": authorizer.token_type,
        "authorizerUri": _invoke_uri(ctx, _fn_arn(ctx, authorizer.function)),
        "identitySource": authorizer.identity_source,
        "authorizerResultTtlInSeconds": authorizer.ttl,
    }


def _http_authorizer(ctx: Context, authorizer: Authorizer) -> dict[str, Any]:
    if authorizer.kind == "jwt":
        return {
            "AuthorizerType": "JWT",
            "IdentitySource": [authorizer.identity_source],
            "JwtConfiguration": {
                "Issuer": authorizer.issuer,
                "Audience": sorted(authorizer.audience),
            },
        }
    assert authorizer.function is not None
    return {
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": _invoke_uri(ctx, _fn_arn(ctx, authorizer.function)),
        "IdentitySource": [authorizer.identity_source],
        "AuthorizerPayloadFormatVersion": "2.0",
        "EnableSimpleResponses": True,
        "AuthorizerResultTtlInSeconds": authorizer.ttl,
    }


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


def _grant_all(ctx: Context, api_id: str, desired: dict[str, bool], actual: Actual) -> None:
    """Grant the API each function it now invokes; take the grant back from functions it
    no longer does (found in the routes and authorizers read)."""
    have = actual.attrs.get("Permissions", {})
    source = ctx.arn("execute-api", f"{api_id}/*")
    for name, wanted in desired.items():
        if wanted and not have.get(name):
            _grant(ctx, name, _sid(api_id), "apigateway.amazonaws.com", source)
    before = {spec[0] for spec in actual.attrs.get("Routes", {}).values()}
    for config in actual.attrs.get("Authorizers", {}).values():
        uri = config.get("authorizerUri") or config.get("AuthorizerUri")
        if uri:
            before.add(_function_of(uri))
    lam = ctx.client("lambda")
    for function in sorted(before - set(desired)):
        try:
            lam.remove_permission(FunctionName=function, StatementId=_sid(api_id))
        except Exception as error:
            if not missing(error, "ResourceNotFoundException"):
                raise


class RestApiKind(Kind):
    kind = "rest_api"

    def read(self, ctx: Context, node: Node) -> Actual | None:
        apigw = ctx.client("apigateway")
        found = [a for a in _rest_apis(ctx, apigw) if a["name"] == node.physical]
        if not found:
            return None
        api = found[0]
        api_id = api["id"]
        resources = _resources(apigw, api_id)
        # Authorizers are listed only when some are declared or in use (fewer reads, and
        # implementations without the listing still deploy APIs that use none).
        in_use = any(
            detail.get("authorizerId")
            for r in resources
            for detail in (r.get("resourceMethods") or {}).values()
        )
        authorizers = _rest_authorizers(apigw, api_id) if in_use or node.source.authorizers else []
        names = {a["id"]: a["name"] for a in authorizers}
        routes: dict[str, list[Any]] = {}
        for resource in resources:
            for method, detail in (resource.get("resourceMethods") or {}).items():
                integration = detail.get("methodIntegration") or {}
                authorizer = None
                if detail.get("authorizationType") == "CUSTOM":
                    authorizer = names.get(detail.get("authorizerId", ""))
                routes[f"{method} {resource['path']}"] = [
                    _function_of(integration.get("uri", "")), authorizer, [],
                ]  # fmt: skip
        try:
            stage = apigw.get_stage(restApiId=api_id, stageName=ctx.stage)
            deployment = apigw.get_deployment(restApiId=api_id, deploymentId=stage["deploymentId"])
            deployed = deployment.get("description", "")
        except Exception as error:
            if not missing(error, "NotFoundException"):
                raise
            deployed = ""
        functions = sorted({invoke_arn(ctx, f) for f in _functions(node.source)})
        attrs = {
            "Authorizers": {
                a["name"]: {
                    "type": a.get("type"),
                    "authorizerUri": a.get("authorizerUri"),
                    "identitySource": a.get("identitySource"),
                    "authorizerResultTtlInSeconds": a.get("authorizerResultTtlInSeconds", 300),
                }
                for a in authorizers
            },
            "Routes": routes,
            "Deployed": deployed,
            "Permissions": _permissions(ctx, api_id, functions),
        }
        extra = {
            "resources": {r["path"]: r["id"] for r in resources},
            "authorizers": {a["name"]: a["id"] for a in authorizers},
        }
        return Actual(attrs, self._outputs(ctx, node, api_id), extra)

    def _outputs(self, ctx: Context, node: Node, api_id: str) -> dict[str, str]:
        if ctx.target.endpoint:
            url = f"{ctx.target.endpoint}/restapis/{api_id}/{ctx.stage}/_user_request_"
        else:
            url = f"https://{api_id}.execute-api.{ctx.region}.amazonaws.com/{ctx.stage}"
        return {"id": api_id, "name": node.physical, "url": url}

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        api: Api = node.source
        routes = _routes(ctx, api)
        authorizers = {a.name: _rest_authorizer(ctx, a) for a in api.authorizers.values()}
        state = json.dumps([routes, authorizers], sort_keys=True).encode()
        digest = hashlib.sha256(state).hexdigest()[:16]
        functions = sorted({invoke_arn(ctx, f) for f in _functions(api)})
        return {
            "Authorizers": authorizers,
            "Routes": routes,
            "Deployed": f"cloudlet {digest}" if routes else "",
            "Permissions": dict.fromkeys(functions, True),
        }

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        api = ctx.client("apigateway").create_rest_api(
            name=node.physical, tags=ctx.tags, endpointConfiguration={"types": ["REGIONAL"]},
            description=f"cloudlet {ctx.app.name} {ctx.stage}: {node.logical}",
        )  # fmt: skip
        resources = _resources(ctx.client("apigateway"), api["id"])
        actual = Actual(
            {"Authorizers": {}, "Routes": {}, "Deployed": "", "Permissions": {}},
            self._outputs(ctx, node, api["id"]),
            {"resources": {r["path"]: r["id"] for r in resources}, "authorizers": {}},
        )
        return self.update(ctx, node, desired, actual)

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        apigw = ctx.client("apigateway")
        api_id = actual.outputs["id"]
        ids: dict[str, str] = dict(actual.extra["resources"])
        have: dict[str, list[Any]] = actual.attrs.get("Routes", {})
        want: dict[str, list[Any]] = desired["Routes"]
        authorizer_ids = self._sync_authorizers(ctx, api_id, desired, actual)
        for key in sorted(set(have) - set(want)):
            method, path = key.split(" ", 1)
            apigw.delete_method(restApiId=api_id, resourceId=ids[path], httpMethod=method)
        for key, (function_arn, authorizer, _) in sorted(want.items()):
            if have.get(key) == want[key]:
                continue
            method, path = key.split(" ", 1)
            resource_id = self._resource(apigw, api_id, ids, path)
            if key in have and have[key][1] != authorizer:
                # A method's authorization is set when it is put: put it again.
                apigw.delete_method(restApiId=api_id, resourceId=resource_id, httpMethod=method)
            if key not in have or have[key][1] != authorizer:
                auth: dict[str, Any] = {"authorizationType": "NONE"}
                if authorizer:
                    auth = {
                        "authorizationType": "CUSTOM",
                        "authorizerId": authorizer_ids[authorizer],
                    }
                apigw.put_method(
                    restApiId=api_id, resourceId=resource_id, httpMethod=method, **auth
                )
            apigw.put_integration(
                restApiId=api_id, resourceId=resource_id, httpMethod=method, type="AWS_PROXY",
                integrationHttpMethod="POST", uri=_invoke_uri(ctx, function_arn),
            )  # fmt: skip
        for name, authorizer_id in actual.extra.get("authorizers", {}).items():
            if name not in desired["Authorizers"]:
                apigw.delete_authorizer(restApiId=api_id, authorizerId=authorizer_id)
        # Resources no route uses any more go, deepest first.
        used = {key.split(" ", 1)[1] for key in want}
        needed = {"/"} | {p for path in used for p in _ancestors(path)}
        for path in sorted(set(ids) - needed, key=lambda p: -p.count("/")):
            try:
                apigw.delete_resource(restApiId=api_id, resourceId=ids.pop(path))
            except Exception as error:
                if not missing(error, "NotFoundException"):
                    raise
        _grant_all(ctx, api_id, desired["Permissions"], actual)
        if desired["Deployed"] != actual.attrs.get("Deployed") or want != have:
            if want:
                apigw.create_deployment(
                    restApiId=api_id, stageName=ctx.stage, description=desired["Deployed"]
                )
            elif actual.attrs.get("Deployed"):
                # No routes left: AWS deploys no empty API, so the stage goes instead.
                try:
                    apigw.delete_stage(restApiId=api_id, stageName=ctx.stage)
                except Exception as error:
                    if not missing(error, "NotFoundException"):
                        raise
        return actual.outputs

    def _sync_authorizers(
        self, ctx: Context, api_id: str, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        apigw = ctx.client("apigateway")
        ids: dict[str, str] = dict(actual.extra.get("authorizers", {}))
        have = actual.attrs.get("Authorizers", {})
        for name, config in desired["Authorizers"].items():
            if name not in ids:
                created = apigw.create_authorizer(restApiId=api_id, name=name, **config)
                ids[name] = created["id"]
            elif have.get(name) != config:
                patch = [
                    {"op": "replace", "path": f"/{key}", "value": str(value)}
                    for key, value in config.items()
                    if have[name].get(key) != value
                ]
                apigw.update_authorizer(
                    restApiId=api_id, authorizerId=ids[name], patchOperations=patch
                )
        return ids

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
        for api in _rest_apis(ctx, ctx.client("apigateway")):
            if api["name"].startswith(ctx.prefix):
                info = {"id": api["id"], "tags": api.get("tags") or {}}
                found.append((api["name"], _found("rest_api", ctx, api["name"], info)))
        return found

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        return dict(node.source["tags"])


def _rest_authorizers(apigw: Any, api_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = {"restApiId": api_id, "limit": 500}
    while True:
        page = apigw.get_authorizers(**args)
        items += page.get("items", [])
        if not page.get("position"):
            return items
        args["position"] = page["position"]


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)] if path != "/" else ["/"]


def _rest_apis(ctx: Context, apigw: Any) -> list[dict[str, Any]]:
    # Read once to find the declared APIs and the owned ones.
    return ctx.listing("rest_apis", lambda: _all_rest_apis(apigw))


def _all_rest_apis(apigw: Any) -> list[dict[str, Any]]:
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
        found = [a for a in _http_apis(ctx, v2) if a["Name"] == node.physical]
        if not found:
            return None
        api = found[0]
        api_id = api["ApiId"]
        integrations = {
            i["IntegrationId"]: i.get("IntegrationUri", "")
            for i in _pages(v2.get_integrations, ApiId=api_id)
        }
        found_routes = _pages(v2.get_routes, ApiId=api_id)
        in_use = any(route.get("AuthorizerId") for route in found_routes)
        authorizers = []
        if in_use or node.source.authorizers:  # as for REST APIs: only when needed
            authorizers = _pages(v2.get_authorizers, ApiId=api_id)
        names = {a["AuthorizerId"]: a["Name"] for a in authorizers}
        routes: dict[str, list[Any]] = {}
        route_ids: dict[str, str] = {}
        for route in found_routes:
            target = (route.get("Target") or "").removeprefix("integrations/")
            authorizer = None
            if route.get("AuthorizationType") in ("JWT", "CUSTOM"):
                authorizer = names.get(route.get("AuthorizerId", ""))
            routes[route["RouteKey"]] = [
                _function_of(integrations.get(target, "")),
                authorizer,
                sorted(route.get("AuthorizationScopes") or []),
            ]
            route_ids[route["RouteKey"]] = route["RouteId"]
        stages = {s["StageName"]: s for s in _pages(v2.get_stages, ApiId=api_id)}
        default = stages.get("$default")
        functions = sorted({invoke_arn(ctx, f) for f in _functions(node.source)})
        attrs = {
            "Cors": _cors_view(api.get("CorsConfiguration")),
            "Authorizers": {a["Name"]: _http_authorizer_view(a) for a in authorizers},
            "Routes": routes,
            "Stage": bool(default and default.get("AutoDeploy")),
            "Permissions": _permissions(ctx, api_id, functions),
        }
        extra: dict[str, Any] = {
            "integrations": {_function_of(uri): i for i, uri in integrations.items()},
            "routes": route_ids,
            "stage": default is not None,
            "authorizers": {a["Name"]: a["AuthorizerId"] for a in authorizers},
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
        api: Api = node.source
        functions = sorted({invoke_arn(ctx, f) for f in _functions(api)})
        return {
            "Cors": _cors_view(node.source.cors),
            "Authorizers": {a.name: _http_authorizer(ctx, a) for a in api.authorizers.values()},
            "Routes": _routes(ctx, api),
            "Stage": True,
            "Permissions": dict.fromkeys(functions, True),
        }

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        cors = {"CorsConfiguration": node.source.cors} if node.source.cors else {}
        api = ctx.client("apigatewayv2").create_api(
            Name=node.physical, ProtocolType="HTTP", Tags=ctx.tags,
            Description=f"cloudlet {ctx.app.name} {ctx.stage}: {node.logical}", **cors,
        )  # fmt: skip
        actual = Actual(
            {
                "Cors": desired["Cors"],
                "Authorizers": {},
                "Routes": {},
                "Stage": False,
                "Permissions": {},
            },
            self._outputs(ctx, node, api["ApiId"], api.get("ApiEndpoint")),
            {"integrations": {}, "routes": {}, "stage": False, "authorizers": {}},
        )
        return self.update(ctx, node, desired, actual)

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        v2 = ctx.client("apigatewayv2")
        api_id = actual.outputs["id"]
        integrations: dict[str, str] = dict(actual.extra["integrations"])  # function ARN -> id
        route_ids: dict[str, str] = actual.extra["routes"]
        have: dict[str, list[Any]] = actual.attrs.get("Routes", {})
        want: dict[str, list[Any]] = desired["Routes"]
        if desired["Cors"] != actual.attrs.get("Cors"):
            if desired["Cors"]:
                v2.update_api(ApiId=api_id, CorsConfiguration=node.source.cors)
            else:
                v2.delete_cors_configuration(ApiId=api_id)
        authorizer_ids: dict[str, str] = dict(actual.extra.get("authorizers", {}))
        for name, config in desired["Authorizers"].items():
            if name not in authorizer_ids:
                created = v2.create_authorizer(ApiId=api_id, Name=name, **config)
                authorizer_ids[name] = created["AuthorizerId"]
            elif actual.attrs.get("Authorizers", {}).get(name) != config:
                v2.update_authorizer(ApiId=api_id, AuthorizerId=authorizer_ids[name], **config)

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
        for key, (function_arn, authorizer, scopes) in sorted(want.items()):
            if have.get(key) == want[key]:
                continue
            args: dict[str, Any] = {
                "Target": f"integrations/{integration(function_arn)}",
                "AuthorizationType": "NONE",
                "AuthorizationScopes": scopes,
            }
            if authorizer:
                kind = desired["Authorizers"][authorizer]["AuthorizerType"]
                args["AuthorizationType"] = "JWT" if kind == "JWT" else "CUSTOM"
                args["AuthorizerId"] = authorizer_ids[authorizer]
            if key in route_ids:
                v2.update_route(ApiId=api_id, RouteId=route_ids[key], **args)
            else:
                v2.create_route(ApiId=api_id, RouteKey=key, **args)
        used = {spec[0] for spec in want.values()}
        for function_arn, integration_id in integrations.items():
            if function_arn not in used:
                v2.delete_integration(ApiId=api_id, IntegrationId=integration_id)
        for name, authorizer_id in actual.extra.get("authorizers", {}).items():
            if name not in desired["Authorizers"]:
                v2.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
        if not actual.attrs.get("Stage"):
            if actual.extra.get("stage"):
                v2.update_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
            else:
                v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, Tags=ctx.tags)
        _grant_all(ctx, api_id, desired["Permissions"], actual)
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        try:
            ctx.client("apigatewayv2").delete_api(ApiId=actual.outputs["id"])
        except Exception as error:
            if not missing(error, "NotFoundException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        found: list[tuple[str, Node]] = []
        for api in _http_apis(ctx, ctx.client("apigatewayv2")):
            if api["Name"].startswith(ctx.prefix):
                info = {"id": api["ApiId"], "tags": api.get("Tags") or {}}
                found.append((api["Name"], _found("http_api", ctx, api["Name"], info)))
        return found

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        return dict(node.source["tags"])


def _cors_view(cors: dict[str, Any] | None) -> dict[str, Any] | None:
    """CORS settings compared as sets where order means nothing (AWS may reorder)."""
    if not cors:
        return None
    view = dict(cors)
    for key in ("AllowOrigins", "AllowMethods", "AllowHeaders", "ExposeHeaders"):
        if key in view:
            view[key] = sorted(
                str(v).lower() if key != "AllowOrigins" else str(v) for v in view[key]
            )
    return {k: v for k, v in view.items() if v not in (None, [], False)}


def _http_authorizer_view(found: dict[str, Any]) -> dict[str, Any]:
    """An authorizer as GetAuthorizers shows it, in the shape _http_authorizer builds."""
    if found.get("AuthorizerType") == "JWT":
        jwt = found.get("JwtConfiguration") or {}
        return {
            "AuthorizerType": "JWT",
            "IdentitySource": found.get("IdentitySource", []),
            "JwtConfiguration": {
                "Issuer": jwt.get("Issuer"),
                "Audience": sorted(jwt.get("Audience", [])),
            },
        }
    return {
        "AuthorizerType": found.get("AuthorizerType"),
        "AuthorizerUri": found.get("AuthorizerUri"),
        "IdentitySource": found.get("IdentitySource", []),
        "AuthorizerPayloadFormatVersion": found.get("AuthorizerPayloadFormatVersion"),
        "EnableSimpleResponses": bool(found.get("EnableSimpleResponses")),
        "AuthorizerResultTtlInSeconds": found.get("AuthorizerResultTtlInSeconds", 0),
    }


def _http_apis(ctx: Context, v2: Any) -> list[dict[str, Any]]:
    return ctx.listing("http_apis", lambda: _pages(v2.get_apis))


def _pages(call: Any, **args: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args["MaxResults"] = "500"
    while True:
        page = call(**args)
        items += page.get("Items", [])
        if not page.get("NextToken"):
            return items
        args["NextToken"] = page["NextToken"]
