"""GetExport: a stage's deployment as an OpenAPI 3.0 (`oas30`) or Swagger 2.0
(`swagger`) document, JSON or YAML, with API Gateway's extensions on request
(`extensions=integrations`, `authorizers`, `apigateway` for both)."""

from __future__ import annotations

import time
from typing import Any

import orjson
import yaml

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

_ANY = "x-amazon-apigateway-any-method"
_INTEGRATION_KEYS = (
    "type",
    "httpMethod",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "timeoutInMillis",
    "cacheNamespace",
    "cacheKeyParameters",
)


def _parameters(method: Doc, swagger: bool) -> list[Doc]:
    out = []
    for name, required in sorted((method.get("requestParameters") or {}).items()):
        where, _, key = name[len("method.request.") :].partition(".")
        place = {"path": "path", "querystring": "query", "header": "header"}.get(where)
        if place is None:
            continue
        item: Doc = {"name": key, "in": place, "required": bool(required) or place == "path"}
        if swagger:
            item["type"] = "string"
        else:
            item["schema"] = {"type": "string"}
        out.append(item)
    return out


def _responses(method: Doc) -> Doc:
    out: Doc = {}
    for status, response in sorted((method.get("methodResponses") or {}).items()):
        item: Doc = {"description": f"{status} response"}
        headers = {
            name[len("method.response.header.") :]: {"schema": {"type": "string"}}
            for name in response.get("responseParameters") or {}
            if name.startswith("method.response.header.")
        }
        if headers:
            item["headers"] = headers
        out[status] = item
    return out


def _integration(integration: Doc) -> Doc:
    out: Doc = {k: integration[k] for k in _INTEGRATION_KEYS if integration.get(k) is not None}
    out["type"] = out["type"].lower()
    responses: Doc = {}
    for status, response in (integration.get("integrationResponses") or {}).items():
        key = response.get("selectionPattern") or "default"
        item: Doc = {"statusCode": status}
        for name in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(name):
                item[name] = response[name]
        responses[key] = item
    if responses:
        out["responses"] = responses
    return out


def _authorizer_scheme(authorizer: Doc) -> Doc:
    extension: Doc = {"type": authorizer["type"].lower()}
    keys = (
        "authorizerUri",
        "authorizerCredentials",
        "identitySource",
        "identityValidationExpression",
        "authorizerResultTtlInSeconds",
        "providerARNs",
    )
    for key in keys:
        if authorizer.get(key) is not None:
            extension[key] = authorizer[key]
    header = "Authorization"
    source = (authorizer.get("identitySource") or "").split(",")[0].strip()
    if source.startswith("method.request.header."):
        header = source[len("method.request.header.") :]
    kind = "cognito_user_pools" if authorizer["type"] == "COGNITO_USER_POOLS" else "custom"
    return {
        "type": "apiKey",
        "name": header,
        "in": "header",
        "x-amazon-apigateway-authtype": kind,
        "x-amazon-apigateway-authorizer": extension,
    }


def document(api: Doc, stage: Doc, snapshot: Doc, kind: str, extensions: set[str]) -> Doc:
    swagger = kind == "swagger"
    with_integrations = bool(extensions & {"integrations", "apigateway"})
    with_authorizers = bool(extensions & {"authorizers", "apigateway"})
    authorizers = snapshot["authorizers"]
    paths: Doc = {}
    api_key_used = False
    for resource in sorted(snapshot["resources"], key=lambda r: r["path"]):
        methods = resource.get("resourceMethods") or {}
        if not methods:
            continue
        entry: Doc = paths.setdefault(resource["path"], {})
        for name, method in sorted(methods.items()):
            operation: Doc = {}
            parameters = _parameters(method, swagger)
            if parameters:
                operation["parameters"] = parameters
            operation["responses"] = _responses(method)
            security: list[Doc] = []
            authorizer = authorizers.get(method.get("authorizerId") or "")
            if authorizer is not None and method["authorizationType"] in (
                "CUSTOM",
                "COGNITO_USER_POOLS",
            ):
                security.append({authorizer["name"]: []})
            if method.get("apiKeyRequired"):
                api_key_used = True
                security.append({"api_key": []})
            if security:
                operation["security"] = security
            if with_integrations and method.get("methodIntegration"):
                operation["x-amazon-apigateway-integration"] = _integration(
                    method["methodIntegration"]
                )
            entry[_ANY if name == "ANY" else name.lower()] = operation
    schemes: Doc = {}
    if api_key_used:
        schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    for authorizer in authorizers.values():
        schemes[authorizer["name"]] = (
            _authorizer_scheme(authorizer)
            if with_authorizers
            else {"type": "apiKey", "name": "Authorization", "in": "header"}
        )
    models = {}
    for name, model in (snapshot.get("models") or {}).items():
        try:
            models[name] = orjson.loads(model.get("schema") or "{}")
        except orjson.JSONDecodeError:
            continue
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(api.get("createdDate", 0)))
    info: Doc = {"title": api["name"], "version": api.get("version") or created}
    if api.get("description"):
        info["description"] = api["description"]
    host = f"{api['id']}.execute-api.{snapshot['region']}.amazonaws.com"
    out: Doc
    if swagger:
        out = {"swagger": "2.0", "info": info, "host": host, "basePath": f"/{stage['stageName']}"}
        out["schemes"] = ["https"]
        out["paths"] = paths
        if schemes:
            out["securityDefinitions"] = schemes
        if models:
            out["definitions"] = models
    else:
        out = {"openapi": "3.0.1", "info": info}
        out["servers"] = [
            {
                "url": f"https://{host}/{{basePath}}",
                "variables": {"basePath": {"default": stage["stageName"]}},
            }
        ]
        out["paths"] = paths
        components: Doc = {}
        if models:
            components["schemas"] = models
        if schemes:
            components["securitySchemes"] = schemes
        if components:
            out["components"] = components
    if with_integrations and snapshot.get("binaryMediaTypes"):
        out["x-amazon-apigateway-binary-media-types"] = snapshot["binaryMediaTypes"]
    return out


def get_export(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    stage = lookup.stage(store, api["id"], request["stageName"])
    kind = request["exportType"]
    if kind not in ("oas30", "swagger"):
        raise lookup.bad_request(f"Invalid export type specified: {kind}")
    deployment = lookup.deployment(store, api["id"], stage["deploymentId"])
    parameters = request.get("parameters") or {}
    extensions = {e.strip() for e in parameters.get("extensions", "").split(",") if e.strip()}
    unknown = extensions - {"integrations", "authorizers", "apigateway"}
    if unknown:
        raise lookup.bad_request(f"Invalid extensions specified: {', '.join(sorted(unknown))}")
    built = document(api, stage, deployment["_snapshot"], kind, extensions)
    accepts = (request.get("accepts") or "application/json").lower()
    if "yaml" in accepts:
        body = yaml.safe_dump(built, sort_keys=False).encode()
        content_type, suffix = "application/yaml", "yaml"
    else:
        body = orjson.dumps(built, option=orjson.OPT_INDENT_2)
        content_type, suffix = "application/json", "json"
    name = "swagger" if kind == "swagger" else "oas30"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "contentType": content_type,
        "contentDisposition": f'attachment; filename="{name}_{stamp}.{suffix}"',
        "body": body,
    }
