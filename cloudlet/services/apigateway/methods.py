"""Methods, their integrations, and the method and integration responses.

All of them live inside their resource's document (`resourceMethods`, as GetResource
with embed=methods shows them), so each change writes the resource anew.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup, models, patch
from cloudlet.services.apigateway.lookup import bad_request, conflict, not_found
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
_LAMBDA_URI = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(.+)/invocations$"
)
_AWS_URI = re.compile(r"^arn:aws[a-zA-Z-]*:apigateway:[^:]*:[a-zA-Z0-9.-]+:(path|action)/.+$")
_PARAM = re.compile(
    r"^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.[^.\s]+$"
)
DEFAULT_TIMEOUT_MS = 29_000


def _edit(
    ctx: RequestContext,
    store: ApiGatewayStore,
    request: dict[str, Any],
    change: Callable[[dict[str, Doc], str], Doc],
) -> Doc:
    """Run `change(methods, http_method)` on a copy of the resource's methods and store
    the resource with them; returns what `change` returns."""
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.resource(store, api["id"], request["resourceId"])
    methods = copy.deepcopy(doc.get("resourceMethods") or {})
    http_method = request["httpMethod"].upper()
    result = change(methods, http_method)
    updated = dict(doc)
    if methods:
        updated["resourceMethods"] = methods
    else:
        updated.pop("resourceMethods", None)
    store.put("resource", api["id"], doc["id"], updated)
    return result


def _read(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.resource(store, api["id"], request["resourceId"])
    return lookup.method(doc, request["httpMethod"].upper())


def _method_of(methods: dict[str, Doc], http_method: str) -> Doc:
    found = methods.get(http_method)
    if found is None:
        raise not_found("Invalid Method identifier specified")
    return found


# -- methods -------------------------------------------------------------------------------


def _check_method_auth(ctx: RequestContext, store: ApiGatewayStore, api_id: str, doc: Doc) -> None:
    kind = doc.get("authorizationType")
    if kind not in AUTHORIZATION_TYPES:
        raise bad_request(
            f"Invalid authorization type specified. Valid values are: "
            f"{', '.join(AUTHORIZATION_TYPES)}"
        )
    if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        authorizer_id = doc.get("authorizerId")
        if not authorizer_id:
            raise bad_request(
                "Invalid authorizer ID specified. Setting the authorization type "
                f"to {kind} requires a valid authorizer."
            )
        found = lookup.authorizer(store, api_id, authorizer_id)
        wanted = "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else ("TOKEN", "REQUEST")
        if found["type"] not in wanted:
            raise bad_request(
                f"Authorizer {authorizer_id} of type {found['type']} cannot be used with "
                f"authorization type {kind}"
            )


def _check_request_parameters(params: dict[str, Any] | None) -> None:
    for name in params or {}:
        if not _PARAM.match(name):
            raise bad_request(
                f"Invalid mapping expression specified: Validation Result: "
                f"warnings : [], errors : [Invalid method parameter name: {name}]"
            )


def put_method(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    lookup.resource(
        store, lookup.rest_api(ctx, store, request["restApiId"])["id"], request["resourceId"]
    )
    http_method = request["httpMethod"].upper()
    if http_method not in HTTP_METHODS:
        raise bad_request(
            "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,"
            "OPTIONS,HEAD,ANY"
        )
    doc: Doc = {
        "httpMethod": http_method,
        "authorizationType": request["authorizationType"],
        "apiKeyRequired": request.get("apiKeyRequired", False),
    }
    for key in (
        "authorizerId",
        "operationName",
        "requestParameters",
        "requestModels",
        "requestValidatorId",
        "authorizationScopes",
    ):
        if request.get(key) is not None:
            doc[key] = request[key]
    if doc["authorizationType"] not in ("CUSTOM", "COGNITO_USER_POOLS"):
        doc.pop("authorizerId", None)
    _check_method_auth(ctx, store, request["restApiId"], doc)
    _check_request_parameters(doc.get("requestParameters"))
    models.check_method_references(store, request["restApiId"], doc)

    def change(methods: dict[str, Doc], name: str) -> Doc:
        if name in methods:
            raise conflict("Method already exists for this resource")
        methods[name] = doc
        return doc

    return _edit(ctx, store, request, change)


def get_method(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    return _read(ctx, store, request)


def _bool_rule(name: str) -> patch.Rule:
    return patch.Rule(f"/{name}", patch.field(name, convert=patch.boolean, optional=False))


_METHOD_RULES = (
    patch.Rule("/authorizationType", patch.field("authorizationType", optional=False)),
    patch.Rule("/authorizerId", patch.field("authorizerId"), ("replace", "remove")),
    _bool_rule("apiKeyRequired"),
    patch.Rule("/operationName", patch.field("operationName"), ("replace", "remove")),
    patch.Rule("/requestValidatorId", patch.field("requestValidatorId"), ("replace", "remove")),
    patch.Rule(
        "/requestParameters/{}",
        patch.entry("requestParameters", convert=patch.boolean),
        ("add", "replace", "remove"),
    ),
    patch.Rule("/requestModels/{}", patch.entry("requestModels"), ("add", "replace", "remove")),
    patch.Rule("/authorizationScopes", patch.values("authorizationScopes"), ("add", "remove")),
)


def update_method(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    def change(methods: dict[str, Doc], name: str) -> Doc:
        updated = patch.apply(
            _method_of(methods, name), request.get("patchOperations") or [], _METHOD_RULES
        )
        if updated["authorizationType"] not in ("CUSTOM", "COGNITO_USER_POOLS"):
            updated.pop("authorizerId", None)
        _check_method_auth(ctx, store, request["restApiId"], updated)
        _check_request_parameters(updated.get("requestParameters"))
        models.check_method_references(store, request["restApiId"], updated)
        methods[name] = updated
        return updated

    return _edit(ctx, store, request, change)


def delete_method(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    def change(methods: dict[str, Doc], name: str) -> Doc:
        _method_of(methods, name)
        del methods[name]
        return {}

    return _edit(ctx, store, request, change)


# -- method responses ------------------------------------------------------------------------


def _response_of(parent: Doc, key: str, status: str) -> Doc:
    found = (parent.get(key) or {}).get(status)
    if found is None:
        raise not_found("Invalid Response status code specified")
    return dict(found)


def put_method_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    status = request["statusCode"]
    doc: Doc = {"statusCode": status}
    for key in ("responseParameters", "responseModels"):
        if request.get(key) is not None:
            doc[key] = request[key]

    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        responses = method.setdefault("methodResponses", {})
        if status in responses:
            raise conflict("Response already exists for this resource")
        responses[status] = doc
        return doc

    return _edit(ctx, store, request, change)


def get_method_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    return _response_of(_read(ctx, store, request), "methodResponses", request["statusCode"])


_METHOD_RESPONSE_RULES = (
    patch.Rule(
        "/responseParameters/{}",
        patch.entry("responseParameters", convert=patch.boolean),
        ("add", "replace", "remove"),
    ),
    patch.Rule("/responseModels/{}", patch.entry("responseModels"), ("add", "replace", "remove")),
)


def update_method_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    status = request["statusCode"]

    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        current = _response_of(method, "methodResponses", status)
        updated = patch.apply(current, request.get("patchOperations") or [], _METHOD_RESPONSE_RULES)
        method["methodResponses"][status] = updated
        return updated

    return _edit(ctx, store, request, change)


def delete_method_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    status = request["statusCode"]

    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        _response_of(method, "methodResponses", status)
        del method["methodResponses"][status]
        if not method["methodResponses"]:
            del method["methodResponses"]
        return {}

    return _edit(ctx, store, request, change)


# -- integrations ----------------------------------------------------------------------------


def check_integration(doc: Doc) -> None:
    """AWS's checks of an integration's type, method, URI and timeout."""
    kind = doc["type"]
    uri = doc.get("uri") or ""
    if kind != "MOCK":
        if not doc.get("httpMethod"):
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if doc["httpMethod"] not in HTTP_METHODS:
            raise bad_request(f"Invalid integration HTTP method specified: {doc['httpMethod']}")
        if not uri:
            raise bad_request(
                "Integrations of type 'AWS', 'AWS_PROXY', 'HTTP' and 'HTTP_PROXY' require a URI"
            )
    if kind in ("HTTP", "HTTP_PROXY") and not re.match(r"^https?://[^/\s]+", uri):
        raise bad_request("Invalid HTTP endpoint specified for URI")
    if kind == "AWS_PROXY" and not _LAMBDA_URI.match(uri):
        if _AWS_URI.match(uri):
            raise bad_request(
                "Integrations of type 'AWS_PROXY' currently only supports Lambda "
                "function and Firehose stream invocations."
            )
        raise bad_request("Invalid ARN specified in the request")
    if kind == "AWS" and not _AWS_URI.match(uri):
        raise bad_request("AWS ARN for integration must contain path or action")
    timeout = doc.get("timeoutInMillis", DEFAULT_TIMEOUT_MS)
    if not 50 <= timeout <= DEFAULT_TIMEOUT_MS:
        raise bad_request(f"Timeout should be between 50 ms and {DEFAULT_TIMEOUT_MS} ms")
    behaviour = doc.get("passthroughBehavior")
    if behaviour not in (None, "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"):
        raise bad_request(f"Invalid passthrough behavior specified: {behaviour}")
    handling = doc.get("contentHandling")
    if handling not in (None, "CONVERT_TO_BINARY", "CONVERT_TO_TEXT"):
        raise bad_request(f"Invalid content handling specified: {handling}")
    for name, source in (doc.get("requestParameters") or {}).items():
        if not re.match(
            r"^integration\.request\.(path|querystring|header|multivaluequerystring|"
            r"multivalueheader)\.[^.\s]+$",
            name,
        ) or not isinstance(source, str):
            raise bad_request(
                f"Invalid mapping expression specified: Validation Result: "
                f"warnings : [], errors : [Invalid mapping expression specified: "
                f"{name}]"
            )


def put_integration(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    doc: Doc = {
        "type": request["type"],
        "passthroughBehavior": request.get("passthroughBehavior", "WHEN_NO_MATCH"),
        "timeoutInMillis": request.get("timeoutInMillis", DEFAULT_TIMEOUT_MS),
        "cacheNamespace": request.get("cacheNamespace") or request["resourceId"],
        "cacheKeyParameters": request.get("cacheKeyParameters") or [],
    }
    if request.get("integrationHttpMethod"):
        doc["httpMethod"] = request["integrationHttpMethod"].upper()
    if request["type"] != "MOCK":
        doc["connectionType"] = request.get("connectionType", "INTERNET")
    for key in (
        "uri",
        "connectionId",
        "credentials",
        "requestParameters",
        "requestTemplates",
        "contentHandling",
        "tlsConfig",
    ):
        if request.get(key) is not None:
            doc[key] = request[key]
    check_integration(doc)

    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        method["methodIntegration"] = doc
        return doc

    return _edit(ctx, store, request, change)


def get_integration(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    return lookup.integration(_read(ctx, store, request))


_INTEGRATION_RULES = (
    patch.Rule("/type", patch.field("type", optional=False)),
    patch.Rule("/httpMethod", patch.field("httpMethod", optional=False)),
    patch.Rule("/uri", patch.field("uri"), ("replace", "remove")),
    patch.Rule("/connectionType", patch.field("connectionType")),
    patch.Rule("/connectionId", patch.field("connectionId"), ("replace", "remove")),
    patch.Rule("/credentials", patch.field("credentials"), ("replace", "remove")),
    patch.Rule("/passthroughBehavior", patch.field("passthroughBehavior", optional=False)),
    patch.Rule("/contentHandling", patch.field("contentHandling"), ("replace", "remove")),
    patch.Rule("/cacheNamespace", patch.field("cacheNamespace")),
    patch.Rule(
        "/timeoutInMillis", patch.field("timeoutInMillis", convert=patch.integer, optional=False)
    ),
    patch.Rule(
        "/requestParameters/{}", patch.entry("requestParameters"), ("add", "replace", "remove")
    ),
    patch.Rule(
        "/requestTemplates/{}", patch.entry("requestTemplates"), ("add", "replace", "remove")
    ),
    patch.Rule("/cacheKeyParameters/{}", patch.member("cacheKeyParameters"), ("add", "remove")),
)


def update_integration(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        current = lookup.integration(method)
        updated = patch.apply(current, request.get("patchOperations") or [], _INTEGRATION_RULES)
        updated.setdefault("cacheKeyParameters", [])
        check_integration(updated)
        method["methodIntegration"] = updated
        return updated

    return _edit(ctx, store, request, change)


def delete_integration(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        lookup.integration(method)
        del method["methodIntegration"]
        return {}

    return _edit(ctx, store, request, change)


# -- integration responses -------------------------------------------------------------------


def _check_selection(pattern: str | None) -> None:
    if pattern:
        try:
            re.compile(pattern)
        except re.error:
            raise bad_request(f"Invalid selection pattern specified: {pattern}") from None


def put_integration_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    status = request["statusCode"]
    doc: Doc = {"statusCode": status}
    for key in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
        if request.get(key) is not None:
            doc[key] = request[key]
    _check_selection(doc.get("selectionPattern"))

    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        integration = method.get("methodIntegration")
        if integration is None:
            raise not_found("Invalid Integration identifier specified")
        if status not in (method.get("methodResponses") or {}):
            raise not_found("Invalid Response status code specified")
        integration.setdefault("integrationResponses", {})[status] = doc
        return doc

    return _edit(ctx, store, request, change)


def get_integration_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    integration = lookup.integration(_read(ctx, store, request))
    return _response_of(integration, "integrationResponses", request["statusCode"])


_INTEGRATION_RESPONSE_RULES = (
    patch.Rule("/selectionPattern", patch.field("selectionPattern"), ("replace", "remove")),
    patch.Rule("/contentHandling", patch.field("contentHandling"), ("replace", "remove")),
    patch.Rule(
        "/responseParameters/{}", patch.entry("responseParameters"), ("add", "replace", "remove")
    ),
    patch.Rule(
        "/responseTemplates/{}", patch.entry("responseTemplates"), ("add", "replace", "remove")
    ),
)


def update_integration_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    status = request["statusCode"]

    def change(methods: dict[str, Doc], name: str) -> Doc:
        integration = lookup.integration(_method_of(methods, name))
        current = _response_of(integration, "integrationResponses", status)
        updated = patch.apply(
            current, request.get("patchOperations") or [], _INTEGRATION_RESPONSE_RULES
        )
        _check_selection(updated.get("selectionPattern"))
        _method_of(methods, name)["methodIntegration"] = dict(
            integration,
            integrationResponses={**integration["integrationResponses"], status: updated},
        )
        return updated

    return _edit(ctx, store, request, change)


def delete_integration_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    status = request["statusCode"]

    def change(methods: dict[str, Doc], name: str) -> Doc:
        method = _method_of(methods, name)
        integration = method.get("methodIntegration")
        if integration is None:
            raise not_found("Invalid Integration identifier specified")
        _response_of(integration, "integrationResponses", status)
        del integration["integrationResponses"][status]
        if not integration["integrationResponses"]:
            del integration["integrationResponses"]
        return {}

    return _edit(ctx, store, request, change)
