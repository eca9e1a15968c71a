"""ImportRestApi / PutRestApi: an OpenAPI 3.0 or Swagger 2.0 document becomes a REST API.

Contract (what the REST API service calls):

    load_document(body: bytes) -> dict
        The document from JSON or YAML (PyYAML's safe loader). Raises OpenApiError
        (`code` "BadRequestException", AWS's "Invalid OpenAPI input.") for a body that is
        not a JSON/YAML object or not an OpenAPI 3.0.x / Swagger 2.0 document.

    await import_rest_api(call, document, *, fail_on_warnings, parameters) -> (api, warnings)
        ImportRestApi: CreateRestApi from the document (info.title, info.description,
        x-amazon-apigateway-binary-media-types / -api-key-source /
        -minimum-compression-size / -policy, parameters' endpointConfigurationTypes),
        then apply_openapi in overwrite mode; on any error the new API is deleted again.
        `api` is GetRestApi's output.

    await apply_openapi(call, rest_api_id, document, *, mode, fail_on_warnings,
                        parameters=None) -> warnings
        PutRestApi. mode "merge" (AWS's default) adds the document's resources and
        replaces the methods it declares; "overwrite" first deletes every resource but the
        root, the root's methods and the authorizers, so the API becomes the document.
        `parameters` are ImportRestApi/PutRestApi's: basepath=ignore|prepend|split.

    `call(operation, request)` runs the REST API service's own public operation with a
    request in botocore's "apigateway" input shape ({"restApiId", "parentId",
    "pathPart"} ...) and returns its output; it raises the operation's ServiceError
    (code "NotImplemented" for an operation the service lacks).

The whole document is checked before anything changes: errors raise OpenApiError
"Errors found during import:\\n\\t..." and leave the API as it was; warnings (such as a
missing `responses`) are returned, or with fail_on_warnings raise
"Warnings found during import:\\n\\t..." before anything changes. An operation that fails
part way (which the checks make rare) is reported the same way; as on AWS, a PUT is
then not atomic (the guide: "idempotent, but not atomic"), while an import's new API is
deleted.

Translated: paths into the resource tree (`/pets/{petId}`, `/{proxy+}`), operations
(get/put/post/delete/options/head/patch and x-amazon-apigateway-any-method as ANY)
into methods with their path/query/header parameters, operationId, responses (method
responses with their headers) and security: a scheme with x-amazon-apigateway-authorizer
(token, request, cognito_user_pools) becomes an authorizer, one named for an `x-api-key`
header makes apiKeyRequired, x-amazon-apigateway-authtype awsSigv4 and
x-amazon-apigateway-auth make AWS_IAM; x-amazon-apigateway-integration (aws_proxy, aws,
http, http_proxy, mock with uri, httpMethod, credentials, passthroughBehavior,
requestTemplates, requestParameters, responses keyed by selection pattern, timeouts,
contentHandling, cache settings, tlsConfig) into the integration and its responses;
x-amazon-apigateway-request-validators and -request-validator (request validators) and
x-amazon-apigateway-gateway-responses (PutGatewayResponse) — where the service lacks
those operations (NotImplemented) the import warns and goes on without them;
definitions (2.0) / components.schemas (3.0) as models (references between them become
model URLs), and a body's or response's `$ref` schema as the method's requestModels /
responseModels (a reference to an undefined model is a warning). Inline (unnamed)
schemas make no model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.protocol import load_service_model

__all__ = [
    "Call",
    "OpenApiError",
    "apply_openapi",
    "import_rest_api",
    "load_document",
    "rest_api_settings",
]

Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

MAX_DOCUMENT_BYTES = 6 * 1024 * 1024
"""The largest definition file API Gateway imports (ImportRestApi's body: 6 MB)."""

INVALID_INPUT = "Invalid OpenAPI input."

_HTTP_METHODS = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "options": "OPTIONS",
    "head": "HEAD",
    "patch": "PATCH",
    "x-amazon-apigateway-any-method": "ANY",
}
_INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")
_PASSTHROUGH = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
_CONTENT_HANDLING = ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")
_AUTHORIZER_TYPES = {
    "token": "TOKEN",
    "request": "REQUEST",
    "cognito_user_pools": "COGNITO_USER_POOLS",
}
_PATH_PART = re.compile(r"^(?:[A-Za-z0-9._:-]+|\{[A-Za-z0-9._-]+\+?\})$")
_PATH_PART_MESSAGE = (
    "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and "
    "the end and an optional plus sign before the closing brace."
)
_STATUS_CODE = re.compile(r"^[1-5]\d\d$")
_PARAMETER_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


class OpenApiError(ValueError):
    """A document API Gateway refuses: a BadRequestException with AWS's message."""

    code = "BadRequestException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- loading ---------------------------------------------------------------------------


def load_document(body: bytes) -> dict[str, Any]:
    """The OpenAPI document in `body` (JSON or YAML); see the module's docstring."""
    if not body.strip() or len(body) > MAX_DOCUMENT_BYTES:
        raise OpenApiError(INVALID_INPUT)
    try:
        text = body.decode("utf-8-sig")
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = yaml.safe_load(text)
        document = _plain(loaded, {})
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError):
        raise OpenApiError(INVALID_INPUT) from None
    _check_document(document)
    assert isinstance(document, dict)
    return document


def _check_document(document: Any) -> None:
    """An OpenAPI 3.0.x or Swagger 2.0 document with `paths` an object."""
    if not isinstance(document, dict):
        raise OpenApiError(INVALID_INPUT)
    swagger, openapi = document.get("swagger"), document.get("openapi")
    if swagger is not None:
        if str(swagger) != "2.0" or openapi is not None:
            raise OpenApiError(INVALID_INPUT)
    elif not (isinstance(openapi, str) and re.fullmatch(r"3\.0(\.\d+)?", openapi)):
        raise OpenApiError(INVALID_INPUT)  # OpenAPI 3.1 included: API Gateway refuses it
    if not isinstance(document.get("paths", {}), dict):
        raise OpenApiError(INVALID_INPUT)


def _plain(value: Any, seen: dict[int, Any]) -> Any:
    """JSON-like data: string keys (YAML's `200:` is "200"), dates as text; a YAML alias
    stays one shared object, so a document of nested aliases cannot blow up."""
    if isinstance(value, dict):
        key = id(value)
        if key in seen:
            return seen[key]
        out: dict[str, Any] = {}
        seen[key] = out
        for name, item in value.items():
            out[_scalar_text(name)] = _plain(item, seen)
        return out
    if isinstance(value, list):
        key = id(value)
        if key in seen:
            return seen[key]
        items: list[Any] = []
        seen[key] = items
        items.extend(_plain(item, seen) for item in value)
        return items
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _scalar_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


# --- the plan: the document checked and translated, before anything changes --------------


@dataclass
class _Operation:
    path: str
    http_method: str
    method: dict[str, Any]
    authorizer: str | None
    validator: str | None
    method_responses: list[dict[str, Any]]
    integration: dict[str, Any] | None
    integration_responses: list[dict[str, Any]]


@dataclass
class _Plan:
    settings: dict[str, Any]
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    validators: dict[str, dict[str, Any]] = field(default_factory=dict)
    gateway_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)  # name -> JSON schema
    paths: list[str] = field(default_factory=list)
    operations: list[_Operation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Bad(Exception):
    """One problem found in the document (collected into the import's errors)."""


def _plan(document: dict[str, Any], parameters: dict[str, str] | None) -> _Plan:
    plan = _Plan(settings=rest_api_settings(document, parameters))
    resolver = _Resolver(document)
    swagger = "swagger" in document
    schemes = _dict_at(
        document, ("securityDefinitions",) if swagger else ("components", "securitySchemes")
    )
    for name, scheme in schemes.items():
        try:
            authorizer = _authorizer(name, resolver.resolve(scheme))
        except _Bad as bad:
            plan.errors.append(f"Unable to create authorizer '{name}': {bad}")
            continue
        if authorizer is not None:
            plan.authorizers[name] = authorizer
    validators = document.get("x-amazon-apigateway-request-validators", {})
    if not isinstance(validators, dict):
        plan.errors.append("Invalid x-amazon-apigateway-request-validators: must be an object")
        validators = {}
    for name, rules in validators.items():
        rules = rules if isinstance(rules, dict) else {}
        plan.validators[name] = {
            "name": name,
            "validateRequestBody": rules.get("validateRequestBody") is True,
            "validateRequestParameters": rules.get("validateRequestParameters") is True,
        }
    _plan_gateway_responses(document, plan)
    _plan_models(document, plan)
    prefix = _base_path(document, (parameters or {}).get("basepath", "ignore"), plan)
    _plan_paths(document, resolver, prefix, plan)
    _check_tree(plan)
    return plan


def _plan_paths(document: dict[str, Any], resolver: _Resolver, prefix: str, plan: _Plan) -> None:
    """The resources every path needs and the methods of its operations."""
    default_validator = document.get("x-amazon-apigateway-request-validator")
    paths: dict[str, None] = {}
    for raw_path, raw_item in (document.get("paths") or {}).items():
        try:
            full = _resource_path(prefix, raw_path)
            item = resolver.resolve(raw_item)
        except _Bad as bad:
            plan.errors.append(f"Unable to create resource at path '{raw_path}': {bad}")
            continue
        for ancestor in _ancestors(full):
            paths.setdefault(ancestor, None)
        if not isinstance(item, dict):
            plan.errors.append(f"Unable to create resource at path '{raw_path}': Invalid path item")
            continue
        for key, http_method in _HTTP_METHODS.items():
            if key not in item:
                continue
            try:
                spec = resolver.resolve(item[key])
                operation = _operation(
                    document, resolver, full, http_method, spec, item.get("parameters", []),
                    default_validator, plan,
                )  # fmt: skip
            except _Bad as bad:
                plan.errors.append(
                    f"Unable to put method '{http_method}' for resource at path '{raw_path}': {bad}"
                )
                continue
            if "responses" not in spec:
                plan.warnings.append(
                    f"Parse issue: attribute paths.'{raw_path}'({key}).responses is missing"
                )
            plan.operations.append(operation)
    plan.paths = [path for path in paths if path != "/"]


_MODEL_NAME = re.compile(r"^[A-Za-z0-9]+$")
_MODEL_REF = re.compile(r"^#/(?:definitions|components/schemas)/([^/]+)$")


def _plan_models(document: dict[str, Any], plan: _Plan) -> None:
    """definitions (Swagger 2.0) / components.schemas (OpenAPI 3.0) become models."""
    swagger = "swagger" in document
    schemas = _dict_at(document, ("definitions",) if swagger else ("components", "schemas"))
    for name, schema in schemas.items():
        if not _MODEL_NAME.match(name):
            plan.errors.append(
                f"Unable to create model for '{name}': Model name must be alphanumeric: {name}"
            )
        elif not isinstance(schema, dict):
            plan.errors.append(f"Unable to create model for '{name}': the schema must be an object")
        else:
            plan.models[name] = schema


def _model_reference(schema: Any) -> str | None:
    """The model a body or response schema names by `$ref` (None for inline schemas)."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        match = _MODEL_REF.match(schema["$ref"])
        if match:
            return match.group(1)
    return None


def _model_schema(schema: Any, api_id: str) -> str:
    """A model's schema as CreateModel takes it: references to other definitions become
    model URLs, as API Gateway writes them."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {key: rewrite(value) for key, value in node.items()}
            reference = node.get("$ref")
            match = _MODEL_REF.match(reference) if isinstance(reference, str) else None
            if match:
                out["$ref"] = (
                    f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{match.group(1)}"
                )
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return json.dumps(rewrite(schema), indent=2)


@cache
def _gateway_response_types() -> frozenset[str]:
    """GatewayResponseType's values, from the service model."""
    return frozenset(load_service_model("apigateway").shape("GatewayResponseType")["enum"])


def _plan_gateway_responses(document: dict[str, Any], plan: _Plan) -> None:
    responses = document.get("x-amazon-apigateway-gateway-responses", {})
    if not isinstance(responses, dict):
        plan.errors.append("Invalid x-amazon-apigateway-gateway-responses: must be an object")
        return
    for kind, spec in responses.items():
        try:
            if kind not in _gateway_response_types():
                raise _Bad(f"Invalid response type: {kind}")
            if not isinstance(spec, dict):
                raise _Bad("must be an object")
            request: dict[str, Any] = {}
            if "statusCode" in spec:
                status = _scalar_text(spec["statusCode"])
                if not _STATUS_CODE.match(status):
                    raise _Bad(f"Invalid status code: {status}")
                request["statusCode"] = status
            for key in ("responseParameters", "responseTemplates"):
                if key in spec:
                    request[key] = _string_map(spec[key], key)
        except _Bad as bad:
            plan.errors.append(f"Unable to put gateway response {kind}: {bad}")
            continue
        plan.gateway_responses[kind] = request


def rest_api_settings(
    document: dict[str, Any], parameters: dict[str, str] | None = None
) -> dict[str, Any]:
    """CreateRestApi's request for ImportRestApi (API-level fields of the document)."""
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    assert isinstance(info, dict)
    settings: dict[str, Any] = {}
    title = info.get("title")
    if isinstance(title, str | int | float) and str(title).strip():
        settings["name"] = str(title)
    if isinstance(info.get("description"), str):
        settings["description"] = info["description"]
    if isinstance(info.get("version"), str | int | float):
        settings["version"] = str(info["version"])
    media = document.get("x-amazon-apigateway-binary-media-types")
    if isinstance(media, list) and all(isinstance(m, str) for m in media):
        settings["binaryMediaTypes"] = list(media)
    source = document.get("x-amazon-apigateway-api-key-source")
    if isinstance(source, str):
        settings["apiKeySource"] = source.upper()
    size = document.get("x-amazon-apigateway-minimum-compression-size")
    if isinstance(size, int) and not isinstance(size, bool):
        settings["minimumCompressionSize"] = size
    policy = document.get("x-amazon-apigateway-policy")
    if isinstance(policy, dict):
        settings["policy"] = json.dumps(policy)
    elif isinstance(policy, str):
        settings["policy"] = policy
    types = (parameters or {}).get("endpointConfigurationTypes")
    if types:
        settings["endpointConfiguration"] = {"types": [types]}
    return settings


def _check_settings(plan: _Plan, document: dict[str, Any]) -> None:
    source = plan.settings.get("apiKeySource")
    if source is not None and source not in ("HEADER", "AUTHORIZER"):
        plan.errors.append(f"Invalid API key source specified: {source}")
    media = document.get("x-amazon-apigateway-binary-media-types")
    if media is not None and "binaryMediaTypes" not in plan.settings:
        plan.errors.append(
            "Invalid x-amazon-apigateway-binary-media-types: must be a list of strings"
        )
    size = plan.settings.get("minimumCompressionSize")
    if size is not None and not 0 <= size <= 10485760:
        plan.errors.append("Invalid minimum compression size, must be between 0 and 10485760")


class _Resolver:
    """Local `$ref`s (`#/components/parameters/id`, `#/parameters/id` ...)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, node: Any) -> Any:
        for _ in range(32):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            reference = node["$ref"]
            if not reference.startswith("#/"):
                raise _Bad(f"Only local references are supported: {reference}")
            target: Any = self.document
            for part in reference[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise _Bad(f"Unable to resolve reference {reference}")
                target = target[part]
            node = target
        raise _Bad("Too many nested references")


def _dict_at(document: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    node: Any = document
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _authorizer(name: str, scheme: Any) -> dict[str, Any] | None:
    """CreateAuthorizer's request for a security scheme (None: not an authorizer)."""
    if not isinstance(scheme, dict):
        raise _Bad("The security scheme must be an object")
    extension = scheme.get("x-amazon-apigateway-authorizer")
    if extension is None:
        return None
    if not isinstance(extension, dict):
        raise _Bad("x-amazon-apigateway-authorizer must be an object")
    kind = _AUTHORIZER_TYPES.get(str(extension.get("type", "")).lower())
    if kind is None:
        raise _Bad(f"Invalid authorizer type: {extension.get('type')}")
    request: dict[str, Any] = {"name": name, "type": kind}
    for key in ("authorizerUri", "authorizerCredentials", "identityValidationExpression",
                "identitySource"):  # fmt: skip
        if key in extension:
            request[key] = _text(extension[key], key)
    if "authorizerResultTtlInSeconds" in extension:
        request["authorizerResultTtlInSeconds"] = _integer(
            extension["authorizerResultTtlInSeconds"], "authorizerResultTtlInSeconds"
        )
    if kind == "COGNITO_USER_POOLS":
        arns = extension.get("providerARNs")
        if not isinstance(arns, list) or not arns or not all(isinstance(a, str) for a in arns):
            raise _Bad("providerARNs must be a non-empty list of user pool ARNs")
        request["providerARNs"] = list(arns)
    elif "authorizerUri" not in request:
        raise _Bad("authorizerUri is required")
    if "identitySource" not in request and kind in ("TOKEN", "COGNITO_USER_POOLS"):
        header = scheme.get("name") if scheme.get("in", "header") == "header" else None
        request["identitySource"] = f"method.request.header.{header or 'Authorization'}"
    authtype = scheme.get("x-amazon-apigateway-authtype")
    if isinstance(authtype, str):
        request["authType"] = authtype
    return request


def _is_api_key_scheme(scheme: Any) -> bool:
    return (
        isinstance(scheme, dict)
        and scheme.get("type") == "apiKey"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        and scheme.get("in") == "header"
        and "x-amazon-apigateway-authorizer" not in scheme
    )


def _is_iam_scheme(scheme: Any) -> bool:
    return isinstance(scheme, dict) and scheme.get("x-amazon-apigateway-authtype") == "awsSigv4"


def _base_path(document: dict[str, Any], mode: str, plan: _Plan) -> str:
    """The resource path prefix the basepath parameter makes of the document's base path."""
    if mode not in ("ignore", "prepend", "split"):
        plan.errors.append(f"Invalid basepath parameter: {mode}")
        return ""
    if mode == "ignore":
        return ""
    base = document.get("basePath") if "swagger" in document else None
    if base is None:
        servers = document.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url", ""))
            variables = servers[0].get("variables")
            if isinstance(variables, dict):
                for key, spec in variables.items():
                    if isinstance(spec, dict) and "default" in spec:
                        url = url.replace("{" + key + "}", str(spec["default"]))
            base = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", "", url)
    parts = [part for part in str(base or "").split("/") if part]
    if mode == "split":
        parts = parts[1:]
    return "/" + "/".join(parts) if parts else ""


def _resource_path(prefix: str, raw: str) -> str:
    if not isinstance(raw, str) or not raw.startswith("/"):
        raise _Bad("A path must start with '/'")
    parts = [part for part in raw.split("/") if part != ""]
    if raw != "/" and (raw.endswith("/") or "//" in raw):
        raise _Bad(_PATH_PART_MESSAGE)
    for index, part in enumerate(parts):
        if not _PATH_PART.match(part):
            raise _Bad(_PATH_PART_MESSAGE)
        if part.endswith("+}") and index != len(parts) - 1:
            raise _Bad(
                f"Cannot create a child of a resource with a greedy path variable: /{'/'.join(parts[: index + 1])}"
            )
    return (prefix + "/" + "/".join(parts)) if parts else (prefix or "/")


def _ancestors(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))] or ["/"]


def _check_tree(plan: _Plan) -> None:
    """Siblings: one variable path part under a parent (CreateResource's rule)."""
    variables: dict[str, str] = {}
    for path in plan.paths:
        parent, _, part = path.rpartition("/")
        if part.startswith("{"):
            other = variables.setdefault(parent or "/", part)
            if other != part:
                plan.errors.append(
                    f"Unable to create resource at path '{path}': A sibling ({other}) of this "
                    "resource already has a variable path part -- only one is allowed"
                )


def _operation(
    document: dict[str, Any],
    resolver: _Resolver,
    path: str,
    http_method: str,
    operation: Any,
    shared: Any,
    default_validator: Any,
    plan: _Plan,
) -> _Operation:
    if not isinstance(operation, dict):
        raise _Bad("The operation must be an object")
    method: dict[str, Any] = {"httpMethod": http_method, "authorizationType": "NONE"}
    if isinstance(operation.get("operationId"), str):
        method["operationName"] = operation["operationId"]
    request_parameters = _request_parameters(resolver, shared, operation.get("parameters", []))
    if request_parameters:
        method["requestParameters"] = request_parameters
    authorizer = _security(document, operation, method)
    validator = operation.get("x-amazon-apigateway-request-validator", default_validator)
    if validator is not None and (
        not isinstance(validator, str) or validator not in plan.validators
    ):
        raise _Bad(f"Invalid request validator: {validator}")
    swagger = "swagger" in document
    request_models = _request_models(resolver, swagger, document, operation)
    method_responses = _method_responses(
        resolver, operation.get("responses", {}), _media_types(document, operation, "produces")
    )
    _drop_unknown_models(plan, path, http_method, request_models, method_responses)
    if request_models:
        method["requestModels"] = request_models
    integration, integration_responses = _integration(
        resolver, operation.get("x-amazon-apigateway-integration")
    )
    declared = {response["statusCode"] for response in method_responses}
    for response in integration_responses:  # each integration response needs its method response
        if response["statusCode"] not in declared:
            declared.add(response["statusCode"])
            method_responses.append({"statusCode": response["statusCode"]})
    return _Operation(
        path, http_method, method, authorizer, validator, method_responses, integration,
        integration_responses,
    )  # fmt: skip


def _request_parameters(resolver: _Resolver, *lists: Any) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for parameters in lists:
        if not isinstance(parameters, list):
            raise _Bad("parameters must be a list")
        for raw in parameters:
            parameter = resolver.resolve(raw)
            if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
                raise _Bad("Each parameter needs a name")
            location = _PARAMETER_LOCATIONS.get(str(parameter.get("in")))
            if location is None:
                continue  # body, formData and cookie parameters map to no request parameter
            required = location == "path" or parameter.get("required") is True
            out[f"method.request.{location}.{parameter['name']}"] = required
    return out


def _security(
    document: dict[str, Any], operation: dict[str, Any], method: dict[str, Any]
) -> str | None:
    """Sets the method's authorization from `security` (the operation's, else the
    document's) and x-amazon-apigateway-auth; returns the authorizer's scheme name."""
    swagger = "swagger" in document
    schemes = _dict_at(
        document, ("securityDefinitions",) if swagger else ("components", "securitySchemes")
    )
    requirements = operation.get("security", document.get("security", []))
    if not isinstance(requirements, list):
        raise _Bad("security must be a list")
    authorizer: str | None = None
    for requirement in requirements:
        if not isinstance(requirement, dict):
            raise _Bad("Each security requirement must be an object")
        for name, scopes in requirement.items():
            scheme = schemes.get(name)
            if scheme is None:
                raise _Bad(f"No security definition named '{name}'")
            if isinstance(scheme, dict) and "x-amazon-apigateway-authorizer" in scheme:
                extension = scheme["x-amazon-apigateway-authorizer"]
                kind = str(extension.get("type", "")).lower() if isinstance(extension, dict) else ""
                authorizer = name
                if kind == "cognito_user_pools":
                    method["authorizationType"] = "COGNITO_USER_POOLS"
                    if isinstance(scopes, list) and scopes:
                        method["authorizationScopes"] = [str(scope) for scope in scopes]
                else:
                    method["authorizationType"] = "CUSTOM"
            elif _is_api_key_scheme(scheme):
                method["apiKeyRequired"] = True
            elif _is_iam_scheme(scheme):
                method["authorizationType"] = "AWS_IAM"
    auth = operation.get("x-amazon-apigateway-auth")
    if isinstance(auth, dict) and isinstance(auth.get("type"), str):
        kind = auth["type"].upper()
        if kind not in ("AWS_IAM", "NONE"):
            raise _Bad(f"Invalid x-amazon-apigateway-auth type: {auth['type']}")
        method["authorizationType"] = kind
    return authorizer


def _media_types(document: dict[str, Any], operation: dict[str, Any], key: str) -> list[str]:
    """Swagger 2.0's consumes/produces (the operation's, else the document's)."""
    types = operation.get(key, document.get(key))
    if isinstance(types, list) and types and all(isinstance(t, str) for t in types):
        return list(types)
    return ["application/json"]


def _content_models(content: Any) -> dict[str, str]:
    """OpenAPI 3.0 `content`: media type -> the model its schema refers to."""
    models: dict[str, str] = {}
    if isinstance(content, dict):
        for media, spec in content.items():
            name = _model_reference(spec.get("schema") if isinstance(spec, dict) else None)
            if name is not None:
                models[media] = name
    return models


def _request_models(
    resolver: _Resolver, swagger: bool, document: dict[str, Any], operation: dict[str, Any]
) -> dict[str, str]:
    """requestModels: a body parameter's schema (2.0) or requestBody's content (3.0)."""
    if not swagger:
        body = resolver.resolve(operation.get("requestBody"))
        return _content_models(body.get("content") if isinstance(body, dict) else None)
    models: dict[str, str] = {}
    parameters = operation.get("parameters")
    for raw in parameters if isinstance(parameters, list) else []:
        parameter = resolver.resolve(raw)
        if isinstance(parameter, dict) and parameter.get("in") == "body":
            name = _model_reference(parameter.get("schema"))
            if name is not None:
                for media in _media_types(document, operation, "consumes"):
                    models[media] = name
    return models


def _drop_unknown_models(
    plan: _Plan,
    path: str,
    http_method: str,
    request_models: dict[str, str],
    method_responses: list[dict[str, Any]],
) -> None:
    """A reference to a model the document does not define is a warning (the guide's
    example of one) and is left out."""
    places = [("request", request_models)] + [
        (f"response {r['statusCode']}", r.get("responseModels", {})) for r in method_responses
    ]
    for where, models in places:
        for media, name in list(models.items()):
            if name not in plan.models:
                plan.warnings.append(
                    f"Unable to find model '{name}' for the {where} of '{http_method}' at path "
                    f"'{path}': the reference was ignored"
                )
                del models[media]
    for response in method_responses:
        if response.get("responseModels") == {}:
            del response["responseModels"]


def _method_responses(
    resolver: _Resolver, responses: Any, produces: list[str]
) -> list[dict[str, Any]]:
    responses = resolver.resolve(responses)
    if not isinstance(responses, dict):
        raise _Bad("responses must be an object")
    out: list[dict[str, Any]] = []
    for code, response in responses.items():
        if not _STATUS_CODE.match(code):
            continue  # "default" and patterns declare no method response
        response = resolver.resolve(response)
        request: dict[str, Any] = {"statusCode": code}
        if isinstance(response, dict):
            if "schema" in response:  # Swagger 2.0
                name = _model_reference(response["schema"])
                models = {media: name for media in produces} if name is not None else {}
            else:  # OpenAPI 3.0
                models = _content_models(response.get("content"))
            if models:
                request["responseModels"] = models
        headers = response.get("headers") if isinstance(response, dict) else None
        if isinstance(headers, dict) and headers:
            request["responseParameters"] = {
                f"method.response.header.{name}": False for name in headers
            }
        out.append(request)
    return out


def _integration(
    resolver: _Resolver, raw: Any
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    if raw is None:
        return None, []
    spec = resolver.resolve(raw)
    if not isinstance(spec, dict):
        raise _Bad("x-amazon-apigateway-integration must be an object")
    kind = str(spec.get("type", "")).upper()
    if kind not in _INTEGRATION_TYPES:
        raise _Bad(f"Invalid integration type specified: {spec.get('type')}")
    request: dict[str, Any] = {"type": kind}
    if "httpMethod" in spec:
        request["integrationHttpMethod"] = _text(spec["httpMethod"], "httpMethod").upper()
    for key in ("uri", "credentials", "cacheNamespace", "connectionId", "connectionType"):
        if key in spec:
            request[key] = _text(spec[key], key)
    if kind != "MOCK" and "uri" not in request:
        raise _Bad("Invalid integration URI specified")
    if kind != "MOCK" and "integrationHttpMethod" not in request:
        raise _Bad("Enumeration value for HttpMethod must be non-empty")
    if "passthroughBehavior" in spec:
        behavior = _text(spec["passthroughBehavior"], "passthroughBehavior").upper()
        if behavior not in _PASSTHROUGH:
            raise _Bad(f"Invalid passthrough behavior specified: {spec['passthroughBehavior']}")
        request["passthroughBehavior"] = behavior
    if "contentHandling" in spec:
        request["contentHandling"] = _content_handling(spec["contentHandling"])
    if "timeoutInMillis" in spec:
        request["timeoutInMillis"] = _integer(spec["timeoutInMillis"], "timeoutInMillis")
    if "requestParameters" in spec:
        request["requestParameters"] = _string_map(spec["requestParameters"], "requestParameters")
    if "requestTemplates" in spec:
        request["requestTemplates"] = _string_map(spec["requestTemplates"], "requestTemplates")
    if "cacheKeyParameters" in spec:
        keys = spec["cacheKeyParameters"]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise _Bad("cacheKeyParameters must be a list of strings")
        request["cacheKeyParameters"] = list(keys)
    tls = spec.get("tlsConfig")
    if isinstance(tls, dict) and isinstance(tls.get("insecureSkipVerification"), bool):
        request["tlsConfig"] = {"insecureSkipVerification": tls["insecureSkipVerification"]}
    responses = spec.get("responses", {})
    if not isinstance(responses, dict):
        raise _Bad("x-amazon-apigateway-integration.responses must be an object")
    out: list[dict[str, Any]] = []
    for pattern, raw_response in responses.items():
        response = resolver.resolve(raw_response)
        if not isinstance(response, dict) or "statusCode" not in response:
            raise _Bad(f"The integration response for '{pattern}' needs a statusCode")
        status = _scalar_text(response["statusCode"])
        if not _STATUS_CODE.match(status):
            raise _Bad(f"Invalid status code: {status}")
        item: dict[str, Any] = {"statusCode": status}
        if pattern != "default":
            item["selectionPattern"] = pattern
        for key in ("responseParameters", "responseTemplates"):
            if key in response:
                item[key] = _string_map(response[key], key)
        if "contentHandling" in response:
            item["contentHandling"] = _content_handling(response["contentHandling"])
        out.append(item)
    return request, out


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"{name} must be a string")


def _integer(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value.strip()):
        return int(value)
    raise _Bad(f"{name} must be an integer")


def _string_map(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Bad(f"{name} must be an object of strings")
    return {key: _text(item, f"{name}.{key}") for key, item in value.items()}


def _content_handling(value: Any) -> str:
    handling = _text(value, "contentHandling").upper()
    if handling not in _CONTENT_HANDLING:
        raise _Bad(f"Invalid content handling specified: {value}")
    return handling


# --- carrying the plan out ----------------------------------------------------------------


def _checked_plan(
    document: dict[str, Any], parameters: dict[str, str] | None, fail_on_warnings: bool
) -> _Plan:
    _check_document(document)
    plan = _plan(document, parameters)
    _check_settings(plan, document)
    if plan.errors:
        raise OpenApiError("Errors found during import:\n\t" + "\n\t".join(plan.errors))
    if plan.warnings and fail_on_warnings:
        raise OpenApiError("Warnings found during import:\n\t" + "\n\t".join(plan.warnings))
    return plan


async def import_rest_api(
    call: Call,
    document: dict[str, Any],
    *,
    fail_on_warnings: bool,
    parameters: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """ImportRestApi: see the module's docstring."""
    plan = _checked_plan(document, parameters, fail_on_warnings)
    if "name" not in plan.settings:
        raise OpenApiError(INVALID_INPUT)  # a REST API needs info.title for its name
    api = await call("CreateRestApi", dict(plan.settings))
    try:
        await _execute(call, api["id"], plan, "overwrite", fail_on_warnings, fresh=True)
        api = await call("GetRestApi", {"restApiId": api["id"]})
    except Exception:
        try:
            await call("DeleteRestApi", {"restApiId": api["id"]})
        except ServiceError:
            pass
        raise
    return api, plan.warnings


async def apply_openapi(
    call: Call,
    rest_api_id: str,
    document: dict[str, Any],
    *,
    mode: str,
    fail_on_warnings: bool,
    parameters: dict[str, str] | None = None,
) -> list[str]:
    """PutRestApi: see the module's docstring. Returns the warnings."""
    if mode not in ("merge", "overwrite"):
        raise OpenApiError(f"Invalid mode: {mode}")
    plan = _checked_plan(document, parameters, fail_on_warnings)
    await call("GetRestApi", {"restApiId": rest_api_id})  # NotFoundException before anything
    await _execute(call, rest_api_id, plan, mode, fail_on_warnings, fresh=False)
    return plan.warnings


async def _step(call: Call, operation: str, request: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return await call(operation, request)
    except ServiceError as error:
        raise OpenApiError(
            f"Errors found during import:\n\tUnable to {what}: {error.message}"
        ) from None


async def _all(call: Call, operation: str, api_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"restApiId": api_id, "limit": 500}
    while True:
        page = await call(operation, request)
        items.extend(page.get("items") or [])
        if not page.get("position"):
            return items
        request = dict(request, position=page["position"])


async def _optional(call: Call, operation: str, api_id: str) -> list[dict[str, Any]] | None:
    """A listing of something the service may not implement (None then)."""
    try:
        return await _all(call, operation, api_id)
    except ServiceError as error:
        if error.code == "NotImplemented":
            return None
        raise OpenApiError(f"Errors found during import:\n\t{error.message}") from None


def _unsupported(plan: _Plan, what: str, fail_on_warnings: bool) -> None:
    warning = f"{what} are not supported by cloudlet and were ignored"
    if fail_on_warnings:
        raise OpenApiError("Warnings found during import:\n\t" + warning)
    plan.warnings.append(warning)


Listing = list[dict[str, Any]] | None


async def _probe(
    call: Call, api_id: str, plan: _Plan, overwrite: bool, fail_on_warnings: bool
) -> tuple[Listing, Listing, Listing]:
    """The API's request validators, gateway responses and models (None: the service
    has no such operations). What it cannot store is a warning, known before anything
    changes."""

    async def listing(operation: str, wanted: bool, what: str) -> Listing:
        found = await _optional(call, operation, api_id) if wanted or overwrite else []
        if found is None and wanted:
            _unsupported(plan, what, fail_on_warnings)
        return found

    validators = await listing(
        "GetRequestValidators", bool(plan.validators),
        "Request validators (x-amazon-apigateway-request-validators)",
    )  # fmt: skip
    responses = await listing(
        "GetGatewayResponses", bool(plan.gateway_responses),
        "Gateway responses (x-amazon-apigateway-gateway-responses)",
    )  # fmt: skip
    models = await listing(
        "GetModels", bool(plan.models), "Models (definitions, components.schemas)"
    )
    if models is None:
        for operation in plan.operations:
            operation.method.pop("requestModels", None)
            for response in operation.method_responses:
                response.pop("responseModels", None)
    return validators, responses, models


async def _execute(
    call: Call, api_id: str, plan: _Plan, mode: str, fail_on_warnings: bool, *, fresh: bool
) -> None:
    overwrite = mode == "overwrite" and not fresh
    validators, responses, models = await _probe(call, api_id, plan, overwrite, fail_on_warnings)
    resources = await _all(call, "GetResources", api_id)
    root = next(r for r in resources if r.get("path") == "/")
    existing_authorizers = await _all(call, "GetAuthorizers", api_id)
    if overwrite:
        await _delete_all(
            call,
            api_id,
            plan,
            root,
            resources,
            existing_authorizers,
            validators or [],
            responses or [],
        )
        for model in models or []:
            name = model.get("name")
            if name not in plan.models and name not in ("Empty", "Error"):
                request = {"restApiId": api_id, "modelName": name}
                await _step(call, "DeleteModel", request, f"delete model '{name}'")
        resources, existing_authorizers = [root], []
        validators = None if validators is None else []
        root = dict(root, resourceMethods={})
    if not fresh:
        await _update_api(call, api_id, plan, mode)
    if models is not None:
        await _models(call, api_id, plan, models)
    validator_ids = (
        await _validators(call, api_id, plan, validators) if validators is not None else {}
    )
    if responses is not None:
        for kind, request in plan.gateway_responses.items():
            await _step(
                call,
                "PutGatewayResponse",
                dict(request, restApiId=api_id, responseType=kind),
                f"put gateway response {kind}",
            )
    authorizer_ids = await _authorizers(call, api_id, plan, existing_authorizers)
    ids = {r["path"]: r["id"] for r in resources}
    methods = {r["path"]: set(r.get("resourceMethods") or {}) for r in resources}
    for path in plan.paths:
        if path in ids:
            continue
        parent, _, part = path.rpartition("/")
        created = await _step(
            call, "CreateResource",
            {"restApiId": api_id, "parentId": ids[parent or "/"], "pathPart": part},
            f"create resource at path '{path}'",
        )  # fmt: skip
        ids[path] = created["id"]
    for operation in plan.operations:
        await _put_operation(
            call, api_id, ids[operation.path], operation, methods, authorizer_ids, validator_ids
        )


async def _delete_all(
    call: Call,
    api_id: str,
    plan: _Plan,
    root: dict[str, Any],
    resources: list[dict[str, Any]],
    authorizers: list[dict[str, Any]],
    validators: list[dict[str, Any]],
    responses: list[dict[str, Any]],
) -> None:
    """Overwrite: everything the document does not define goes (methods before the
    authorizers and validators they use)."""
    for name in root.get("resourceMethods") or {}:
        request = {"restApiId": api_id, "resourceId": root["id"], "httpMethod": name}
        await _step(call, "DeleteMethod", request, f"delete method '{name}' at path '/'")
    for child in resources:
        if child.get("parentId") == root["id"]:
            request = {"restApiId": api_id, "resourceId": child["id"]}
            await _step(
                call, "DeleteResource", request, f"delete resource at path '{child.get('path')}'"
            )
    for authorizer in authorizers:
        request = {"restApiId": api_id, "authorizerId": authorizer["id"]}
        await _step(
            call, "DeleteAuthorizer", request, f"delete authorizer '{authorizer.get('name')}'"
        )
    for validator in validators:
        request = {"restApiId": api_id, "requestValidatorId": validator["id"]}
        await _step(
            call,
            "DeleteRequestValidator",
            request,
            f"delete request validator '{validator.get('name')}'",
        )
    for response in responses:
        kind = response.get("responseType")
        if response.get("defaultResponse") is False and kind not in plan.gateway_responses:
            request = {"restApiId": api_id, "responseType": kind}
            await _step(call, "DeleteGatewayResponse", request, f"delete gateway response {kind}")


async def _models(call: Call, api_id: str, plan: _Plan, existing: list[dict[str, Any]]) -> None:
    """Creates the document's models; one the API has already (such as the default
    Empty and Error) gets the document's schema."""
    present = {model.get("name") for model in existing}
    for name, schema in plan.models.items():
        text = _model_schema(schema, api_id)
        if name in present:
            patch = {"restApiId": api_id, "modelName": name,
                     "patchOperations": [{"op": "replace", "path": "/schema", "value": text}]}  # fmt: skip
            await _step(call, "UpdateModel", patch, f"update model '{name}'")
        else:
            request = {"restApiId": api_id, "name": name, "contentType": "application/json",
                       "schema": text}  # fmt: skip
            await _step(call, "CreateModel", request, f"create model for '{name}'")


async def _validators(
    call: Call, api_id: str, plan: _Plan, existing: list[dict[str, Any]]
) -> dict[str, str]:
    by_name = {validator.get("name"): validator for validator in existing}
    ids: dict[str, str] = {}
    for name, request in plan.validators.items():
        current = by_name.get(name)
        if current is None:
            created = await _step(
                call,
                "CreateRequestValidator",
                dict(request, restApiId=api_id),
                f"create request validator '{name}'",
            )
            ids[name] = created["id"]
            continue
        operations = [
            {"op": "replace", "path": f"/{key}", "value": _scalar_text(request[key])}
            for key in ("validateRequestBody", "validateRequestParameters")
            if current.get(key, False) != request[key]
        ]
        if operations:
            patch = {
                "restApiId": api_id,
                "requestValidatorId": current["id"],
                "patchOperations": operations,
            }
            await _step(call, "UpdateRequestValidator", patch, f"update request validator '{name}'")
        ids[name] = current["id"]
    return ids


async def _update_api(call: Call, api_id: str, plan: _Plan, mode: str) -> None:
    current = await call("GetRestApi", {"restApiId": api_id})
    settings = plan.settings
    operations: list[dict[str, Any]] = []
    for key in ("name", "description", "version", "apiKeySource", "policy"):
        if key in settings and settings[key] != current.get(key):
            operations.append({"op": "replace", "path": f"/{key}", "value": settings[key]})
    if "minimumCompressionSize" in settings:
        operations.append(
            {
                "op": "replace",
                "path": "/minimumCompressionSize",
                "value": str(settings["minimumCompressionSize"]),
            }
        )
    if (
        mode == "overwrite"
        and "apiKeySource" not in settings
        and current.get("apiKeySource", "HEADER") != "HEADER"
    ):
        operations.append({"op": "replace", "path": "/apiKeySource", "value": "HEADER"})
    wanted = settings.get("binaryMediaTypes", [])
    present = current.get("binaryMediaTypes") or []
    for media in wanted:
        if media not in present:
            operations.append({"op": "add", "path": "/binaryMediaTypes/" + _escape(media)})
    if mode == "overwrite":
        for media in present:
            if media not in wanted:
                operations.append({"op": "remove", "path": "/binaryMediaTypes/" + _escape(media)})
    if operations:
        await _step(
            call,
            "UpdateRestApi",
            {"restApiId": api_id, "patchOperations": operations},
            "update the API's settings",
        )


def _escape(text: str) -> str:
    """A JSON Pointer path segment (`/` is `~1`), as patch paths spell media types."""
    return text.replace("~", "~0").replace("/", "~1")


async def _authorizers(
    call: Call, api_id: str, plan: _Plan, existing: list[dict[str, Any]]
) -> dict[str, str]:
    by_name = {authorizer.get("name"): authorizer for authorizer in existing}
    ids: dict[str, str] = {}
    for name, request in plan.authorizers.items():
        current = by_name.get(name)
        if current is None:
            created = await _step(
                call,
                "CreateAuthorizer",
                dict(request, restApiId=api_id),
                f"create authorizer '{name}'",
            )
            ids[name] = created["id"]
            continue
        # merge: the document's definition of a same-named authorizer wins
        operations = [
            {"op": "replace", "path": f"/{key}", "value": _scalar_text(value)}
            for key, value in request.items()
            if key not in ("name", "providerARNs") and current.get(key) != value
        ]
        if operations:
            await _step(
                call,
                "UpdateAuthorizer",
                {"restApiId": api_id, "authorizerId": current["id"], "patchOperations": operations},
                f"update authorizer '{name}'",
            )
        ids[name] = current["id"]
    return ids


async def _put_operation(
    call: Call,
    api_id: str,
    resource_id: str,
    operation: _Operation,
    methods: dict[str, set[str]],
    authorizer_ids: dict[str, str],
    validator_ids: dict[str, str],
) -> None:
    where = f"'{operation.http_method}' for resource at path '{operation.path}'"
    ids = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": operation.http_method}
    if operation.http_method in methods.get(operation.path, set()):
        await _step(
            call, "DeleteMethod", dict(ids), f"replace method {where}"
        )  # merge: the document's wins
    method = dict(operation.method, **ids)
    if operation.authorizer is not None:
        method["authorizerId"] = authorizer_ids[operation.authorizer]
    if operation.validator is not None and operation.validator in validator_ids:
        method["requestValidatorId"] = validator_ids[operation.validator]
    await _step(call, "PutMethod", method, f"put method {where}")
    for response in operation.method_responses:
        await _step(
            call,
            "PutMethodResponse",
            dict(response, **ids),
            f"put method response {response['statusCode']} on {where}",
        )
    if operation.integration is not None:
        await _step(
            call,
            "PutIntegration",
            dict(operation.integration, **ids),
            f"put integration on {where}",
        )
        for response in operation.integration_responses:
            await _step(
                call,
                "PutIntegrationResponse",
                dict(response, **ids),
                f"put integration response {response['statusCode']} on {where}",
            )
