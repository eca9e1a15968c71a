"""OpenAPI import's translation (cloudlet.services.apigateway.openapi).

The module turns a document into calls of the REST API service's own operations; these
tests record those calls with a stand-in `call` that answers like the service's
operations do (ids for what is created, the items listed), so they check the translation
alone. tests/test_apigateway_openapi.py checks the same through the real service.

Sources of the expectations:
- [EXT] API Gateway developer guide, "API Gateway extensions to OpenAPI":
  x-amazon-apigateway-integration (and .responses: keys are selection patterns,
  "default" the default response), -any-method, -authorizer (token/request; a token
  authorizer's identity is the scheme's header), -authtype (awsSigv4), -api-key-source,
  -binary-media-types, -request-validators.
- [IMP] "Develop REST APIs using OpenAPI": errors leave the API unchanged, warnings are
  returned or, with failonwarnings, fail the import; merge keeps what the document does
  not declare and replaces the methods it does, overwrite deletes it; basePath
  ignore/prepend/split.
- [ERR] AWS's answer to a document it cannot read: BadRequestException "Invalid OpenAPI
  input." (also for OpenAPI 3.1).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.apigateway.openapi import (
    OpenApiError,
    apply_openapi,
    import_rest_api,
    load_document,
)

LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations"
)
AUTH_URI = LAMBDA_URI.replace("function:auth", "function:authorizer")
MUTATING = ("Create", "Put", "Update", "Delete")
# operations a service may lack: the import goes on without them, with a warning
OPTIONAL = frozenset(
    {"GetRequestValidators", "CreateRequestValidator", "UpdateRequestValidator",
     "DeleteRequestValidator", "GetGatewayResponses", "PutGatewayResponse",
     "DeleteGatewayResponse", "GetModels", "CreateModel", "UpdateModel", "DeleteModel"}
)  # fmt: skip


class Recorder:
    """Answers as the REST API service's operations do, and records every call."""

    def __init__(
        self,
        resources: list[dict[str, Any]] | None = None,
        authorizers: list[dict[str, Any]] | None = None,
        api: dict[str, Any] | None = None,
        supported: frozenset[str] = frozenset(),
        failing: dict[str, ServiceError] | None = None,
        validators: list[dict[str, Any]] | None = None,
        gateway_responses: list[dict[str, Any]] | None = None,
        models: list[dict[str, Any]] | None = None,
    ) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.resources = resources or [{"id": "root", "path": "/"}]
        self.authorizers = authorizers or []
        self.api = api or {"id": "api1", "name": "old", "apiKeySource": "HEADER"}
        self.supported = supported
        self.failing = failing or {}
        self.validators = validators or []
        self.gateway_responses = gateway_responses or []
        self.models = models or []
        self.count = 0
        self.answers: dict[str, list[dict[str, Any]]] = {}

    async def __call__(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, request))
        if operation in self.failing:
            raise self.failing[operation]
        self.count += 1
        if operation in OPTIONAL and operation not in self.supported:
            raise ServiceError("NotImplemented", f"{operation} is not implemented")
        if operation == "GetRequestValidators":
            return {"items": self.validators}
        if operation == "GetGatewayResponses":
            return {"items": self.gateway_responses}
        if operation == "GetModels":
            return {"items": self.models}
        if operation in ("GetRestApi", "CreateRestApi"):
            return dict(self.api, **{k: v for k, v in request.items() if k != "restApiId"})
        if operation == "GetResources":
            return {"items": self.resources}
        if operation == "GetAuthorizers":
            return {"items": self.authorizers}
        if operation == "CreateResource":
            return {"id": "id-" + request["pathPart"], "pathPart": request["pathPart"]}
        if operation in ("CreateAuthorizer", "CreateRequestValidator"):
            answer = {"id": f"{operation[6:9].lower()}{self.count}", **request}
            self.answers.setdefault(operation, []).append(answer)
            return answer
        return {}

    def requests(self, operation: str) -> list[dict[str, Any]]:
        return [request for name, request in self.calls if name == operation]

    def mutations(self) -> list[str]:
        return [name for name, _ in self.calls if name.startswith(MUTATING)]


def put(document: dict[str, Any], recorder: Recorder, mode: str = "merge", **kw: Any) -> list[str]:
    return asyncio.run(
        apply_openapi(
            recorder, "api1", document, mode=mode, fail_on_warnings=kw.pop("fail", False), **kw
        )
    )


def oas3(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "pets", "version": "1"}, "paths": paths, **extra}


def proxy_integration() -> dict[str, Any]:
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI}


# --- load_document --------------------------------------------------------------------------


def test_json_and_yaml_documents() -> None:
    doc = oas3({"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}})
    assert load_document(json.dumps(doc).encode()) == doc
    yaml_doc = b"swagger: '2.0'\ninfo: {title: t}\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n"
    loaded = load_document(yaml_doc)
    assert loaded["paths"]["/a"]["get"]["responses"] == {"200": {"description": "ok"}}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"{not json: [",
        b"[1, 2]",
        b'"text"',
        b'{"info": {"title": "x"}, "paths": {}}',
        b'{"swagger": "1.2", "paths": {}}',
        b'{"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}',
        b'{"openapi": 3, "paths": {}}',
        b'{"openapi": "3.0.0", "paths": []}',
        b"\xff\xfe\x00bad",
        b"key: !!python/object:os.system {}",
    ],
)
def test_invalid_documents(body: bytes) -> None:
    # [ERR]
    with pytest.raises(OpenApiError) as caught:
        load_document(body)
    assert caught.value.code == "BadRequestException"
    assert caught.value.message == "Invalid OpenAPI input."


def test_yaml_aliases_stay_shared() -> None:
    # a "billion laughs" document loads without expanding its aliases
    lines = ["openapi: 3.0.0", "info: {title: t}", "paths: {}", "a0: &a0 [x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 8) + "]")
    document = load_document("\n".join(lines).encode())
    assert document["a11"][0] is document["a10"]


def test_oversized_document() -> None:
    body = json.dumps(oas3({}, padding="x" * (6 * 1024 * 1024))).encode()
    with pytest.raises(OpenApiError):
        load_document(body)


# --- resources and methods -------------------------------------------------------------------


def test_seed_wiring_any_on_auth_and_greedy_proxy() -> None:
    # [EXT] x-amazon-apigateway-any-method on /auth and /auth/{proxy+}, aws_proxy
    document = oas3(
        {
            "/auth": {"x-amazon-apigateway-any-method": {
                "responses": {}, "x-amazon-apigateway-integration": proxy_integration()}},
            "/auth/{proxy+}": {"x-amazon-apigateway-any-method": {
                "parameters": [{"name": "proxy", "in": "path", "required": True}],
                "responses": {}, "x-amazon-apigateway-integration": proxy_integration()}},
        }
    )  # fmt: skip
    recorder = Recorder()
    assert put(document, recorder) == []
    created = recorder.requests("CreateResource")
    assert [(c["parentId"], c["pathPart"]) for c in created] == [
        ("root", "auth"), ("id-auth", "{proxy+}")
    ]  # fmt: skip
    methods = recorder.requests("PutMethod")
    assert methods[0] == {
        "restApiId": "api1", "resourceId": "id-auth", "httpMethod": "ANY",
        "authorizationType": "NONE",
    }  # fmt: skip
    assert (methods[1]["resourceId"], methods[1]["httpMethod"]) == ("id-{proxy+}", "ANY")
    assert methods[1]["requestParameters"] == {"method.request.path.proxy": True}
    integrations = recorder.requests("PutIntegration")
    assert integrations[1] == {
        "restApiId": "api1", "resourceId": "id-{proxy+}", "httpMethod": "ANY",
        "type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": LAMBDA_URI,
    }  # fmt: skip


def test_intermediate_resources_and_existing_ones_are_reused() -> None:
    existing = [
        {"id": "root", "path": "/"},
        {"id": "pets", "parentId": "root", "path": "/pets", "pathPart": "pets"},
    ]
    recorder = Recorder(resources=existing)
    put(oas3({"/pets/{petId}/toys": {"get": {"responses": {}}}}), recorder)
    created = recorder.requests("CreateResource")
    assert [(c["parentId"], c["pathPart"]) for c in created] == [
        ("pets", "{petId}"), ("id-{petId}", "toys")
    ]  # fmt: skip
    assert recorder.requests("PutMethod")[0]["resourceId"] == "id-toys"


def test_parameters_operation_id_and_method_responses() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "pets"},
        "parameters": {"limit": {"name": "limit", "in": "query", "type": "integer"}},
        "paths": {
            "/pets/{petId}": {
                "parameters": [{"name": "petId", "in": "path", "required": True}],
                "get": {
                    "operationId": "GetPet",
                    "parameters": [
                        {"$ref": "#/parameters/limit"},
                        {"name": "X-Trace", "in": "header", "required": True},
                        {"name": "body", "in": "body", "schema": {}},
                    ],
                    "responses": {
                        "200": {"description": "ok", "headers": {"Access-Control-Allow-Origin": {"type": "string"}}},
                        "404": {"description": "missing"},
                        "default": {"description": "other"},
                    },
                },
            }
        },
    }  # fmt: skip
    recorder = Recorder()
    put(document, recorder)
    method = recorder.requests("PutMethod")[0]
    assert method["operationName"] == "GetPet"
    assert method["requestParameters"] == {
        "method.request.path.petId": True,
        "method.request.querystring.limit": False,
        "method.request.header.X-Trace": True,
    }
    responses = recorder.requests("PutMethodResponse")
    assert [(r["statusCode"], r.get("responseParameters")) for r in responses] == [
        ("200", {"method.response.header.Access-Control-Allow-Origin": False}),
        ("404", None),
    ]


# --- integrations ------------------------------------------------------------------------------


def test_integration_with_templates_and_responses() -> None:
    # [EXT] the guide's x-amazon-apigateway-integration example, in YAML form
    integration = {
        "type": "aws",
        "uri": "arn:aws:apigateway:us-east-1:sqs:path/000000000000/orders",
        "httpMethod": "post",
        "credentials": "arn:aws:iam::000000000000:role/apigw",
        "passthroughBehavior": "when_no_templates",
        "timeoutInMillis": 5000,
        "contentHandling": "CONVERT_TO_TEXT",
        "requestTemplates": {"application/json": "Action=SendMessage&MessageBody=$input.body"},
        "requestParameters": {
            "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
        },
        "cacheNamespace": "ns",
        "cacheKeyParameters": [],
        "responses": {
            "2\\d{2}": {"statusCode": "200", "responseTemplates": {"application/json": '{"ok": true}'}},
            "302": {"statusCode": 302, "responseParameters": {
                "method.response.header.Location": "integration.response.body.redirect.url"}},
            "default": {"statusCode": "400", "responseParameters": {
                "method.response.header.test-method-response-header": "'static value'"}},
        },
    }  # fmt: skip
    recorder = Recorder()
    put(oas3({"/orders": {"post": {"responses": {"200": {"description": "ok"}},
                                    "x-amazon-apigateway-integration": integration}}}), recorder)  # fmt: skip
    request = recorder.requests("PutIntegration")[0]
    assert {k: v for k, v in request.items() if k not in ("restApiId", "resourceId")} == {
        "httpMethod": "POST",
        "type": "AWS",
        "uri": "arn:aws:apigateway:us-east-1:sqs:path/000000000000/orders",
        "integrationHttpMethod": "POST",
        "credentials": "arn:aws:iam::000000000000:role/apigw",
        "passthroughBehavior": "WHEN_NO_TEMPLATES",
        "timeoutInMillis": 5000,
        "contentHandling": "CONVERT_TO_TEXT",
        "requestTemplates": {"application/json": "Action=SendMessage&MessageBody=$input.body"},
        "requestParameters": {
            "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
        },
        "cacheNamespace": "ns",
        "cacheKeyParameters": [],
    }
    responses = recorder.requests("PutIntegrationResponse")
    assert [(r["statusCode"], r.get("selectionPattern")) for r in responses] == [
        ("200", "2\\d{2}"), ("302", "302"), ("400", None)
    ]  # fmt: skip
    assert responses[0]["responseTemplates"] == {"application/json": '{"ok": true}'}
    # each integration response's status gets its method response (200 was declared)
    assert [r["statusCode"] for r in recorder.requests("PutMethodResponse")] == [
        "200",
        "302",
        "400",
    ]


def test_mock_integration_needs_no_uri() -> None:
    recorder = Recorder()
    mock = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200"}}}  # fmt: skip
    put(
        oas3({"/": {"options": {"responses": {}, "x-amazon-apigateway-integration": mock}}}),
        recorder,
    )
    assert recorder.requests("PutMethod")[0]["resourceId"] == "root"
    assert recorder.requests("PutIntegration")[0]["type"] == "MOCK"
    assert recorder.requests("CreateResource") == []


# --- security ----------------------------------------------------------------------------------


def security_document(security: Any, operation_security: Any = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "responses": {},
        "x-amazon-apigateway-integration": proxy_integration(),
    }
    if operation_security is not None:
        operation["security"] = operation_security
    return oas3(
        {"/p": {"get": operation}},
        security=security,
        components={"securitySchemes": {
            "tokenAuth": {"type": "apiKey", "name": "Authorization", "in": "header",
                          "x-amazon-apigateway-authtype": "oauth2",
                          "x-amazon-apigateway-authorizer": {
                              "type": "token", "authorizerUri": AUTH_URI,
                              "authorizerResultTtlInSeconds": "60",
                              "identityValidationExpression": "^Bearer .+"}},
            "requestAuth": {"type": "apiKey", "name": "Unused", "in": "header",
                            "x-amazon-apigateway-authorizer": {
                                "type": "request", "authorizerUri": AUTH_URI,
                                "identitySource": "method.request.header.auth, method.request.querystring.q",
                                "authorizerResultTtlInSeconds": 0}},
            "pool": {"type": "apiKey", "name": "Authorization", "in": "header",
                     "x-amazon-apigateway-authorizer": {
                         "type": "cognito_user_pools",
                         "providerARNs": ["arn:aws:cognito-idp:us-east-1:000000000000:userpool/p"]}},
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                      "x-amazon-apigateway-authtype": "awsSigv4"},
        }},
    )  # fmt: skip


def test_authorizers_are_created_from_security_schemes() -> None:
    # [EXT] a token authorizer's identity source is its scheme's header
    recorder = Recorder()
    put(security_document([]), recorder)
    created = {a["name"]: a for a in recorder.requests("CreateAuthorizer")}
    assert set(created) == {"tokenAuth", "requestAuth", "pool"}
    assert created["tokenAuth"] == {
        "restApiId": "api1", "name": "tokenAuth", "type": "TOKEN", "authorizerUri": AUTH_URI,
        "identitySource": "method.request.header.Authorization",
        "identityValidationExpression": "^Bearer .+", "authorizerResultTtlInSeconds": 60,
        "authType": "oauth2",
    }  # fmt: skip
    assert created["requestAuth"]["identitySource"] == (
        "method.request.header.auth, method.request.querystring.q"
    )
    assert created["requestAuth"]["authorizerResultTtlInSeconds"] == 0
    assert created["pool"]["type"] == "COGNITO_USER_POOLS"
    assert recorder.requests("PutMethod")[0]["authorizationType"] == "NONE"


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ([{"tokenAuth": []}], {"authorizationType": "CUSTOM", "authorizerName": "tokenAuth"}),
        ([{"requestAuth": []}], {"authorizationType": "CUSTOM", "authorizerName": "requestAuth"}),
        ([{"pool": ["email"]}], {"authorizationType": "COGNITO_USER_POOLS",
                                 "authorizerName": "pool", "authorizationScopes": ["email"]}),
        ([{"api_key": []}], {"authorizationType": "NONE", "apiKeyRequired": True}),
        ([{"sigv4": []}], {"authorizationType": "AWS_IAM"}),
        ([{"tokenAuth": [], "api_key": []}], {"authorizationType": "CUSTOM",
                                               "authorizerName": "tokenAuth", "apiKeyRequired": True}),
    ],
)  # fmt: skip
def test_method_security(security: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    recorder = Recorder()
    put(security_document([], operation_security=security), recorder)
    method = recorder.requests("PutMethod")[0]
    names = {a["id"]: a["name"] for a in recorder.answers["CreateAuthorizer"]}
    seen: dict[str, Any] = {
        k: method[k]
        for k in ("authorizationType", "apiKeyRequired", "authorizationScopes")
        if k in method
    }
    if "authorizerId" in method:
        seen["authorizerName"] = names[method["authorizerId"]]
    assert seen == expected


def test_document_security_applies_unless_the_operation_says_otherwise() -> None:
    recorder = Recorder()
    put(security_document([{"api_key": []}]), recorder)
    assert recorder.requests("PutMethod")[0]["apiKeyRequired"] is True
    recorder = Recorder()
    put(security_document([{"api_key": []}], operation_security=[]), recorder)
    assert "apiKeyRequired" not in recorder.requests("PutMethod")[0]


def test_x_amazon_apigateway_auth() -> None:
    recorder = Recorder()
    put(
        oas3({"/p": {"get": {"responses": {}, "x-amazon-apigateway-auth": {"type": "aws_iam"}}}}),
        recorder,
    )
    assert recorder.requests("PutMethod")[0]["authorizationType"] == "AWS_IAM"


# --- API settings, import and modes ------------------------------------------------------------


SETTINGS = {
    "x-amazon-apigateway-binary-media-types": ["image/png", "application/octet-stream"],
    "x-amazon-apigateway-api-key-source": "AUTHORIZER",
    "x-amazon-apigateway-minimum-compression-size": 1024,
}


def test_import_creates_the_api_with_its_settings() -> None:
    document = oas3({"/pets": {"get": {"responses": {}}}}, **SETTINGS)
    document["info"]["description"] = "Pet store"
    recorder = Recorder()
    api, warnings = asyncio.run(
        import_rest_api(recorder, document, fail_on_warnings=True,
                        parameters={"endpointConfigurationTypes": "REGIONAL"})
    )  # fmt: skip
    assert warnings == []
    assert recorder.requests("CreateRestApi") == [{
        "name": "pets", "description": "Pet store", "version": "1",
        "binaryMediaTypes": ["image/png", "application/octet-stream"],
        "apiKeySource": "AUTHORIZER", "minimumCompressionSize": 1024,
        "endpointConfiguration": {"types": ["REGIONAL"]},
    }]  # fmt: skip
    assert api["id"] == "api1"
    # a new API: nothing to delete or update
    assert [m for m in recorder.mutations() if m.startswith(("Delete", "Update"))] == []


def test_put_updates_the_api_settings() -> None:
    recorder = Recorder(api={"id": "api1", "name": "old", "binaryMediaTypes": ["text/csv"],
                             "apiKeySource": "HEADER"})  # fmt: skip
    put(oas3({}, **SETTINGS), recorder, mode="overwrite")
    patch = recorder.requests("UpdateRestApi")[0]["patchOperations"]
    assert patch == [
        {"op": "replace", "path": "/name", "value": "pets"},
        {"op": "replace", "path": "/version", "value": "1"},
        {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        {"op": "add", "path": "/binaryMediaTypes/image~1png"},
        {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"},
        {"op": "remove", "path": "/binaryMediaTypes/text~1csv"},
    ]
    recorder = Recorder(
        api={"id": "api1", "name": "pets", "version": "1", "binaryMediaTypes": ["text/csv"]}
    )
    put(oas3({}, **{"x-amazon-apigateway-binary-media-types": ["image/png"]}), recorder)
    # merge keeps the media types the document does not list
    assert recorder.requests("UpdateRestApi")[0]["patchOperations"] == [
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}
    ]


EXISTING: list[dict[str, Any]] = [
    {"id": "root", "path": "/", "resourceMethods": {"GET": {}}},
    {"id": "old", "parentId": "root", "path": "/old", "pathPart": "old"},
    {"id": "deep", "parentId": "old", "path": "/old/deep", "pathPart": "deep"},
    {"id": "pets", "parentId": "root", "path": "/pets", "pathPart": "pets",
     "resourceMethods": {"GET": {}, "POST": {}}},
]  # fmt: skip


def test_overwrite_replaces_everything() -> None:
    # [IMP] "items from an existing API that are not specifically defined in the imported
    # definition will be deleted"
    recorder = Recorder(resources=[dict(r) for r in EXISTING],
                        authorizers=[{"id": "au1", "name": "old-auth"}])  # fmt: skip
    put(oas3({"/pets": {"get": {"responses": {}}}}), recorder, mode="overwrite")
    assert recorder.requests("DeleteMethod") == [
        {"restApiId": "api1", "resourceId": "root", "httpMethod": "GET"}
    ]
    assert [r["resourceId"] for r in recorder.requests("DeleteResource")] == ["old", "pets"]
    assert recorder.requests("DeleteAuthorizer") == [{"restApiId": "api1", "authorizerId": "au1"}]
    assert [c["pathPart"] for c in recorder.requests("CreateResource")] == ["pets"]


def test_merge_keeps_what_the_document_does_not_declare() -> None:
    # [IMP] merge: the document's GET /pets replaces the existing one, POST /pets stays
    recorder = Recorder(resources=[dict(r) for r in EXISTING])
    put(oas3({"/pets": {"get": {"responses": {}}}, "/new": {"put": {"responses": {}}}}), recorder)
    assert recorder.requests("DeleteResource") == []
    assert recorder.requests("DeleteMethod") == [
        {"restApiId": "api1", "resourceId": "pets", "httpMethod": "GET"}
    ]
    assert [c["pathPart"] for c in recorder.requests("CreateResource")] == ["new"]
    assert [(m["resourceId"], m["httpMethod"]) for m in recorder.requests("PutMethod")][0] == (
        "pets",
        "GET",
    )


def test_merge_updates_an_authorizer_of_the_same_name() -> None:
    existing = [{"id": "au1", "name": "tokenAuth", "type": "TOKEN", "authorizerUri": "old",
                 "identitySource": "method.request.header.Authorization"}]  # fmt: skip
    recorder = Recorder(authorizers=existing)
    put(security_document([], operation_security=[{"tokenAuth": []}]), recorder)
    update = recorder.requests("UpdateAuthorizer")[0]
    assert update["authorizerId"] == "au1"
    assert {"op": "replace", "path": "/authorizerUri", "value": AUTH_URI} in update[
        "patchOperations"
    ]
    assert recorder.requests("PutMethod")[0]["authorizerId"] == "au1"
    assert "tokenAuth" not in [a["name"] for a in recorder.requests("CreateAuthorizer")]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("ignore", ["e"]), ("prepend", ["a", "b", "c", "e"]), ("split", ["b", "c", "e"])],
)
def test_base_path(mode: str, expected: list[str]) -> None:
    # [IMP] basePath /a/b/c with path /e
    swagger = {"swagger": "2.0", "info": {"title": "t"}, "basePath": "/a/b/c",
               "paths": {"/e": {"get": {"responses": {}}}}}  # fmt: skip
    recorder = Recorder()
    put(swagger, recorder, parameters={"basepath": mode})
    assert [c["pathPart"] for c in recorder.requests("CreateResource")] == expected
    recorder = Recorder()
    servers = [
        {"url": "https://example.com/{basePath}", "variables": {"basePath": {"default": "a/b/c"}}}
    ]
    put(
        oas3({"/e": {"get": {"responses": {}}}}, servers=servers),
        recorder,
        parameters={"basepath": mode},
    )
    assert [c["pathPart"] for c in recorder.requests("CreateResource")] == expected


# --- request validators ------------------------------------------------------------------------


def validators_document() -> dict[str, Any]:
    return oas3(
        {"/p": {"post": {"responses": {}, "x-amazon-apigateway-request-validator": "params"}},
         "/q": {"get": {"responses": {}}}},
        **{"x-amazon-apigateway-request-validators": {
            "basic": {"validateRequestBody": True, "validateRequestParameters": True},
            "params": {"validateRequestBody": False, "validateRequestParameters": True}},
           "x-amazon-apigateway-request-validator": "basic"},
    )  # fmt: skip


def test_request_validators() -> None:
    recorder = Recorder(supported=OPTIONAL)
    assert put(validators_document(), recorder) == []
    assert recorder.requests("CreateRequestValidator")[0] == {
        "restApiId": "api1", "name": "basic", "validateRequestBody": True,
        "validateRequestParameters": True,
    }  # fmt: skip
    ids = {v["name"]: v["id"] for v in recorder.answers["CreateRequestValidator"]}
    methods = {m["httpMethod"]: m for m in recorder.requests("PutMethod")}
    assert methods["POST"]["requestValidatorId"] == ids["params"]
    assert methods["GET"]["requestValidatorId"] == ids["basic"]  # the document's default


def test_request_validators_without_service_support_are_a_warning() -> None:
    recorder = Recorder()
    warnings = put(validators_document(), recorder)
    assert warnings == [
        "Request validators (x-amazon-apigateway-request-validators) are not supported by "
        "cloudlet and were ignored"
    ]
    assert "requestValidatorId" not in recorder.requests("PutMethod")[0]
    recorder = Recorder()
    with pytest.raises(OpenApiError) as caught:
        put(validators_document(), recorder, fail=True)
    assert caught.value.message.startswith("Warnings found during import:\n\tRequest validators")
    assert recorder.mutations() == []


def test_merge_reuses_request_validators_of_the_same_name() -> None:
    existing = [{"id": "v-old", "name": "params", "validateRequestParameters": False}]
    recorder = Recorder(supported=OPTIONAL, validators=existing)
    put(validators_document(), recorder)
    assert [v["name"] for v in recorder.requests("CreateRequestValidator")] == ["basic"]
    assert recorder.requests("UpdateRequestValidator") == [{
        "restApiId": "api1", "requestValidatorId": "v-old",
        "patchOperations": [{"op": "replace", "path": "/validateRequestParameters", "value": "true"}],
    }]  # fmt: skip
    methods = {m["httpMethod"]: m for m in recorder.requests("PutMethod")}
    assert methods["POST"]["requestValidatorId"] == "v-old"


# --- gateway responses ---------------------------------------------------------------------------

GATEWAY_RESPONSES = {
    "DEFAULT_4XX": {
        "responseParameters": {
            "gatewayresponse.header.Access-Control-Allow-Origin": "'domain.com'"
        },
        "responseTemplates": {"application/json": '{"message": test 4xx b }'},
    },
    "INVALID_API_KEY": {"statusCode": 429, "responseTemplates": {"application/json": "{}"}},
}


def test_gateway_responses() -> None:
    # [EXT] the guide's x-amazon-apigateway-gateway-responses example
    recorder = Recorder(supported=OPTIONAL)
    put(oas3({}, **{"x-amazon-apigateway-gateway-responses": GATEWAY_RESPONSES}), recorder)
    assert recorder.requests("PutGatewayResponse") == [
        {"restApiId": "api1", "responseType": "DEFAULT_4XX",
         "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'domain.com'"},
         "responseTemplates": {"application/json": '{"message": test 4xx b }'}},
        {"restApiId": "api1", "responseType": "INVALID_API_KEY", "statusCode": "429",
         "responseTemplates": {"application/json": "{}"}},
    ]  # fmt: skip


def test_gateway_responses_without_service_support_are_a_warning() -> None:
    recorder = Recorder()
    warnings = put(
        oas3({}, **{"x-amazon-apigateway-gateway-responses": GATEWAY_RESPONSES}), recorder
    )
    assert warnings == [
        "Gateway responses (x-amazon-apigateway-gateway-responses) are not supported by "
        "cloudlet and were ignored"
    ]
    assert recorder.requests("PutGatewayResponse") == []


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        (
            {"NO_SUCH_TYPE": {}},
            "Unable to put gateway response NO_SUCH_TYPE: Invalid response type",
        ),
        ({"DEFAULT_5XX": {"statusCode": "999"}}, "Invalid status code: 999"),
        ({"DEFAULT_5XX": []}, "must be an object"),
        ("DEFAULT_5XX", "must be an object"),
    ],
)
def test_bad_gateway_responses(responses: Any, message: str) -> None:
    recorder = Recorder(supported=OPTIONAL)
    with pytest.raises(OpenApiError) as caught:
        put(oas3({}, **{"x-amazon-apigateway-gateway-responses": responses}), recorder)
    assert message in caught.value.message
    assert recorder.calls == []


def test_overwrite_deletes_validators_and_customised_gateway_responses() -> None:
    recorder = Recorder(
        supported=OPTIONAL,
        validators=[{"id": "v1", "name": "old"}],
        gateway_responses=[
            {"responseType": "DEFAULT_4XX", "defaultResponse": False},
            {"responseType": "THROTTLED", "defaultResponse": False},
            {"responseType": "UNAUTHORIZED", "defaultResponse": True},
        ],
    )
    document = oas3({}, **{"x-amazon-apigateway-gateway-responses": {"DEFAULT_4XX": {}}})
    put(document, recorder, mode="overwrite")
    assert recorder.requests("DeleteRequestValidator") == [
        {"restApiId": "api1", "requestValidatorId": "v1"}
    ]
    assert recorder.requests("DeleteGatewayResponse") == [
        {"restApiId": "api1", "responseType": "THROTTLED"}
    ]
    assert [r["responseType"] for r in recorder.requests("PutGatewayResponse")] == ["DEFAULT_4XX"]


# --- errors and warnings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ({"/pets here": {}}, "Unable to create resource at path '/pets here': Resource's path part only allow"),
        ({"pets": {}}, "Unable to create resource at path 'pets': A path must start with '/'"),
        ({"/a/{proxy+}/b": {}}, "Cannot create a child of a resource with a greedy path variable"),
        ({"/a/{id}": {}, "/a/{name}": {}}, "A sibling ({id}) of this resource already has a variable path part"),
        ({"/a": {"get": {"x-amazon-apigateway-integration": {"type": "lambda"}}}},
         "Unable to put method 'GET' for resource at path '/a': Invalid integration type specified: lambda"),
        ({"/a": {"get": {"x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET"}}}},
         "Invalid integration URI specified"),
        ({"/a": {"get": {"x-amazon-apigateway-integration": {
            "type": "mock", "timeoutInMillis": "soon"}}}}, "timeoutInMillis must be an integer"),
        ({"/a": {"get": {"x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": {"nested": 1}}}}}},
         "requestTemplates.application/json must be a string"),
        ({"/a": {"get": {"x-amazon-apigateway-integration": {
            "type": "mock", "responses": {"default": {"statusCode": "abc"}}}}}}, "Invalid status code: abc"),
        ({"/a": {"get": {"security": [{"nowhere": []}]}}}, "No security definition named 'nowhere'"),
        ({"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/none"}]}}},
         "Unable to resolve reference #/components/parameters/none"),
        ({"/a": {"get": {"x-amazon-apigateway-request-validator": "nope"}}}, "Invalid request validator: nope"),
        ({"/a": {"get": "not an operation"}}, "The operation must be an object"),
    ],
)  # fmt: skip
def test_errors_leave_the_api_unchanged(paths: dict[str, Any], message: str) -> None:
    # [IMP] "When an error occurs, the new API definition is discarded and no change is made"
    recorder = Recorder()
    with pytest.raises(OpenApiError) as caught:
        put(oas3(paths), recorder)
    assert caught.value.message.startswith("Errors found during import:\n\t")
    assert message in caught.value.message
    assert recorder.calls == []


def test_bad_api_settings_are_errors() -> None:
    for extra in ({"x-amazon-apigateway-api-key-source": "COOKIE"},
                  {"x-amazon-apigateway-binary-media-types": "image/png"}):  # fmt: skip
        recorder = Recorder()
        with pytest.raises(OpenApiError):
            put(oas3({}, **extra), recorder)
        assert recorder.calls == []


def test_missing_responses_is_a_warning() -> None:
    # [IMP] warnings are returned, or fail the import with failonwarnings
    document = oas3({"/a": {"get": {}}})
    recorder = Recorder()
    assert put(document, recorder) == [
        "Parse issue: attribute paths.'/a'(get).responses is missing"
    ]
    assert recorder.requests("PutMethod")
    recorder = Recorder()
    with pytest.raises(OpenApiError) as caught:
        put(document, recorder, fail=True)
    assert caught.value.message == (
        "Warnings found during import:\n\tParse issue: attribute paths.'/a'(get).responses is missing"
    )
    assert recorder.calls == []


def test_an_operation_failing_part_way_is_reported() -> None:
    failing = {
        "PutIntegration": ServiceError(
            "BadRequestException", "Invalid ARN specified in the request"
        )
    }
    recorder = Recorder(failing=failing)
    document = oas3(
        {"/a": {"get": {"responses": {}, "x-amazon-apigateway-integration": proxy_integration()}}}
    )
    with pytest.raises(OpenApiError) as caught:
        put(document, recorder)
    assert caught.value.message == (
        "Errors found during import:\n\tUnable to put integration on 'GET' for resource at "
        "path '/a': Invalid ARN specified in the request"
    )


def test_a_failed_import_deletes_its_new_api() -> None:
    failing = {"CreateResource": ServiceError("BadRequestException", "no")}
    recorder = Recorder(failing=failing)
    with pytest.raises(OpenApiError):
        asyncio.run(import_rest_api(recorder, oas3({"/a": {}}), fail_on_warnings=False))
    assert recorder.requests("DeleteRestApi") == [{"restApiId": "api1"}]


def test_import_needs_a_title() -> None:
    document = oas3({})
    del document["info"]["title"]
    recorder = Recorder()
    with pytest.raises(OpenApiError) as caught:
        asyncio.run(import_rest_api(recorder, document, fail_on_warnings=False))
    assert caught.value.message == "Invalid OpenAPI input."
    assert recorder.calls == []


def test_put_mode_is_checked() -> None:
    with pytest.raises(OpenApiError):
        put(oas3({}), Recorder(), mode="replace")


# --- models ------------------------------------------------------------------------------------

PET_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "owner": {"$ref": "#/definitions/Owner"}},
}


def test_swagger_definitions_become_models_and_method_models() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "pets"},
        "consumes": ["application/json"],
        "definitions": {"Pet": PET_SCHEMA, "Owner": {"type": "object"}},
        "paths": {
            "/pets": {
                "post": {
                    "consumes": ["application/json", "application/x-pet"],
                    "parameters": [{"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}}],
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}},
                                  "400": {"description": "bad", "schema": {"type": "object"}}},
                }
            }
        },
    }  # fmt: skip
    recorder = Recorder(supported=OPTIONAL)
    assert put(document, recorder) == []
    created = {m["name"]: m for m in recorder.requests("CreateModel")}
    assert set(created) == {"Pet", "Owner"}
    assert created["Pet"]["contentType"] == "application/json"
    pet = json.loads(created["Pet"]["schema"])
    assert pet["properties"]["owner"] == {
        "$ref": "https://apigateway.amazonaws.com/restapis/api1/models/Owner"
    }
    assert pet["required"] == ["name"]
    method = recorder.requests("PutMethod")[0]
    assert method["requestModels"] == {"application/json": "Pet", "application/x-pet": "Pet"}
    responses = {r["statusCode"]: r for r in recorder.requests("PutMethodResponse")}
    assert responses["200"]["responseModels"] == {"application/json": "Pet"}
    assert "responseModels" not in responses["400"]  # an inline schema names no model
    # models exist before the methods that name them
    names = [name for name, _ in recorder.calls]
    assert names.index("CreateModel") < names.index("PutMethod")


def test_openapi3_schemas_request_body_and_response_content() -> None:
    document = oas3(
        {"/pets": {"post": {
            "requestBody": {"$ref": "#/components/requestBodies/PetBody"},
            "responses": {"201": {"description": "made", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
        }}},
        components={
            "schemas": {"Pet": {"type": "object"}},
            "requestBodies": {"PetBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
        },
    )  # fmt: skip
    recorder = Recorder(supported=OPTIONAL)
    put(document, recorder)
    assert [m["name"] for m in recorder.requests("CreateModel")] == ["Pet"]
    assert recorder.requests("PutMethod")[0]["requestModels"] == {"application/json": "Pet"}
    assert recorder.requests("PutMethodResponse")[0]["responseModels"] == {
        "application/json": "Pet"
    }


def test_a_missing_model_reference_is_a_warning() -> None:
    # [IMP] "warnings can be generated for minor issues like a missing model reference"
    document = oas3({"/pets": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}},
        "responses": {}}}})  # fmt: skip
    recorder = Recorder(supported=OPTIONAL)
    assert put(document, recorder) == [
        "Unable to find model 'Nope' for the request of 'POST' at path '/pets': the reference "
        "was ignored"
    ]
    assert "requestModels" not in recorder.requests("PutMethod")[0]


def test_model_names_must_be_alphanumeric() -> None:
    recorder = Recorder(supported=OPTIONAL)
    with pytest.raises(OpenApiError) as caught:
        put(oas3({}, components={"schemas": {"Pet-Input": {"type": "object"}}}), recorder)
    assert "Unable to create model for 'Pet-Input': Model name must be alphanumeric" in (
        caught.value.message
    )
    assert recorder.calls == []


def test_existing_models_are_updated_and_overwrite_deletes_the_others() -> None:
    existing = [{"name": "Empty"}, {"name": "Error"}, {"name": "Old"}, {"name": "Pet"}]
    recorder = Recorder(supported=OPTIONAL, models=existing)
    put(oas3({}, components={"schemas": {"Pet": {"type": "object"}, "Error": {"type": "object"}}}),
        recorder, mode="overwrite")  # fmt: skip
    assert recorder.requests("DeleteModel") == [{"restApiId": "api1", "modelName": "Old"}]
    assert [u["modelName"] for u in recorder.requests("UpdateModel")] == ["Pet", "Error"]
    assert recorder.requests("CreateModel") == []


def test_models_without_service_support_are_a_warning() -> None:
    recorder = Recorder()
    document = oas3({"/p": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/P"}}}},
        "responses": {}}}}, components={"schemas": {"P": {"type": "object"}}})  # fmt: skip
    assert put(document, recorder) == [
        "Models (definitions, components.schemas) are not supported by cloudlet and were ignored"
    ]
    assert "requestModels" not in recorder.requests("PutMethod")[0]
