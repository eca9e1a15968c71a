"""ImportRestApi and PutRestApi with OpenAPI documents carrying
x-amazon-apigateway-integration, then the imported API deployed and called."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_apigateway_support import ECHO, Builder, call, lambda_uri


def _document(function_arn: str, title: str = "imported") -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": title, "version": "1"},
        "paths": {
            "/pets/{petId}": {
                "get": {
                    "parameters": [
                        {
                            "name": "petId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": lambda_uri(function_arn),
                    },
                }
            },
            "/health": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {"application/json": '{"healthy": true}'},
                            }
                        },
                    },
                }
            },
        },
    }


def test_import_deploy_and_call(endpoint: str) -> None:
    builder = Builder(endpoint, "unused")
    fn = builder.function(ECHO)
    apigw = builder.apigw
    api = apigw.import_rest_api(body=json.dumps(_document(fn)).encode())
    assert api["name"] == "imported"
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/pets", "/pets/{petId}", "/health"}
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    base = f"{endpoint}/restapis/{api['id']}/v1/_user_request_"
    event = call(f"{base}/pets/7").json()
    assert event["pathParameters"] == {"petId": "7"}
    assert call(f"{base}/health").json() == {"healthy": True}


def test_put_rest_api_overwrites(endpoint: str) -> None:
    builder = Builder(endpoint, "target")
    fn = builder.function(ECHO)
    document = _document(fn)
    del document["paths"]["/health"]
    updated = builder.apigw.put_rest_api(
        restApiId=builder.api_id, mode="overwrite", body=json.dumps(document).encode()
    )
    assert updated["id"] == builder.api_id
    paths = {r["path"] for r in builder.apigw.get_resources(restApiId=builder.api_id)["items"]}
    assert paths == {"/", "/pets", "/pets/{petId}"}


@pytest.mark.parametrize(
    "body",
    [b"not json or yaml: [", b'{"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}', b"[]"],
)
def test_malformed_documents_are_bad_requests(endpoint: str, body: bytes) -> None:
    apigw = Builder(endpoint, "x").apigw
    with pytest.raises(ClientError) as excinfo:
        apigw.import_rest_api(body=body)
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"


def test_put_rest_api_to_an_unknown_api(endpoint: str) -> None:
    apigw = Builder(endpoint, "x").apigw
    with pytest.raises(ClientError) as excinfo:
        apigw.put_rest_api(restApiId="nope", body=b'{"swagger": "2.0", "paths": {}}')
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"


# --- a whole API from one YAML (Swagger 2.0) document ---------------------------------------

AUTHORIZER = """
def handler(event, context):
    effect = "Allow" if event["authorizationToken"] == "Bearer allow" else "Deny"
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
        "context": {"role": "reader"},
    }
"""

PETSTORE_YAML = """
swagger: "2.0"
info:
  title: {title}
  version: "2"
x-amazon-apigateway-binary-media-types: [image/png]
securityDefinitions:
  tokenAuth:
    type: apiKey
    name: Authorization
    in: header
    x-amazon-apigateway-authtype: custom
    x-amazon-apigateway-authorizer:
      type: token
      authorizerUri: {authorizer_uri}
      authorizerResultTtlInSeconds: 0
  api_key:
    type: apiKey
    name: x-api-key
    in: header
paths:
  /pets:
    get:
      operationId: ListPets
      security: [{{api_key: []}}]
      parameters:
        - {{name: limit, in: query, type: integer}}
      responses:
        200:
          description: ok
          headers: {{X-Count: {{type: string}}}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: 200
            responseParameters:
              method.response.header.X-Count: "'2'"
            responseTemplates:
              application/json: |
                #set($pets = ["cat", "dog"])
                {{"stage": "$context.stage", "pets": [#foreach($p in $pets)"$p"#if($foreach.hasNext), #end#end]}}
  /pets/{{petId}}:
    get:
      security: [{{tokenAuth: []}}]
      parameters:
        - {{name: petId, in: path, required: true, type: string}}
      responses: {{}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {function_uri}
  /{{proxy+}}:
    x-amazon-apigateway-any-method:
      parameters:
        - {{name: proxy, in: path, required: true, type: string}}
      responses: {{}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {function_uri}
"""


@pytest.fixture(scope="module")
def functions(endpoint: str) -> dict[str, str]:
    builder = Builder(endpoint, "functions")
    return {"echo": builder.function(ECHO), "authorizer": builder.function(AUTHORIZER)}


def _petstore(functions: dict[str, str], title: str) -> bytes:
    return PETSTORE_YAML.format(
        title=title,
        authorizer_uri=lambda_uri(functions["authorizer"]),
        function_uri=lambda_uri(functions["echo"]),
    ).encode()


def test_yaml_import_builds_methods_integrations_and_authorizers(
    endpoint: str, functions: dict[str, str]
) -> None:
    apigw = Builder(endpoint, "unused").apigw
    api = apigw.import_rest_api(body=_petstore(functions, "petstore"), failOnWarnings=True)
    api_id = api["id"]
    assert api["name"] == "petstore"
    assert api["binaryMediaTypes"] == ["image/png"]
    assert "warnings" not in api
    ids = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert set(ids) == {"/", "/pets", "/pets/{petId}", "/{proxy+}"}

    authorizers = apigw.get_authorizers(restApiId=api_id)["items"]
    assert [(a["name"], a["type"], a["identitySource"], a["authorizerResultTtlInSeconds"])
            for a in authorizers] == [
        ("tokenAuth", "TOKEN", "method.request.header.Authorization", 0)
    ]  # fmt: skip
    assert authorizers[0]["authorizerUri"] == lambda_uri(functions["authorizer"])

    listing = apigw.get_method(restApiId=api_id, resourceId=ids["/pets"], httpMethod="GET")
    assert listing["apiKeyRequired"] is True
    assert listing["authorizationType"] == "NONE"
    assert listing["operationName"] == "ListPets"
    assert listing["requestParameters"] == {"method.request.querystring.limit": False}
    assert listing["methodResponses"]["200"]["responseParameters"] == {
        "method.response.header.X-Count": False
    }
    mock = apigw.get_integration(restApiId=api_id, resourceId=ids["/pets"], httpMethod="GET")
    assert mock["type"] == "MOCK"
    assert mock["requestTemplates"] == {"application/json": '{"statusCode": 200}'}
    response = apigw.get_integration_response(
        restApiId=api_id, resourceId=ids["/pets"], httpMethod="GET", statusCode="200"
    )
    assert "selectionPattern" not in response  # the "default" response
    assert response["responseParameters"] == {"method.response.header.X-Count": "'2'"}

    pet = apigw.get_method(restApiId=api_id, resourceId=ids["/pets/{petId}"], httpMethod="GET")
    assert pet["authorizationType"] == "CUSTOM"
    assert pet["authorizerId"] == authorizers[0]["id"]
    assert pet["requestParameters"] == {"method.request.path.petId": True}
    proxy = apigw.get_integration(
        restApiId=api_id, resourceId=ids["/pets/{petId}"], httpMethod="GET"
    )
    assert (proxy["type"], proxy["httpMethod"], proxy["uri"]) == (
        "AWS_PROXY", "POST", lambda_uri(functions["echo"])
    )  # fmt: skip
    any_method = apigw.get_method(restApiId=api_id, resourceId=ids["/{proxy+}"], httpMethod="ANY")
    assert any_method["requestParameters"] == {"method.request.path.proxy": True}


def test_imported_api_serves_requests(endpoint: str, functions: dict[str, str]) -> None:
    builder = Builder(endpoint, "unused")
    apigw = builder.apigw
    api_id = apigw.import_rest_api(body=_petstore(functions, "petstore-live"))["id"]
    apigw.create_deployment(restApiId=api_id, stageName="live")
    base = f"{endpoint}/restapis/{api_id}/live/_user_request_"

    # the token authorizer guards GET /pets/{petId}
    assert call(f"{base}/pets/7").status == 401
    assert call(f"{base}/pets/7", headers={"Authorization": "Bearer deny"}).status == 403
    allowed = call(f"{base}/pets/7", headers={"Authorization": "Bearer allow"})
    assert allowed.status == 200
    event = allowed.json()
    assert event["resource"] == "/pets/{petId}"
    assert event["pathParameters"] == {"petId": "7"}
    assert event["requestContext"]["authorizer"]["role"] == "reader"

    # the greedy resource reaches the function for any other path and method
    other = call(f"{base}/a/b/c", method="POST", body=b"hi")
    assert other.status == 200
    assert other.json()["pathParameters"] == {"proxy": "a/b/c"}

    # GET /pets needs an API key of a usage plan for this stage; its MOCK answers with
    # the VTL response template
    assert call(f"{base}/pets").status == 403
    key = apigw.create_api_key(name=f"key-{api_id}", enabled=True)
    plan = apigw.create_usage_plan(
        name=f"plan-{api_id}", apiStages=[{"apiId": api_id, "stage": "live"}]
    )
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    listed = call(f"{base}/pets", headers={"x-api-key": key["value"]})
    assert listed.status == 200
    assert listed.json() == {"stage": "live", "pets": ["cat", "dog"]}
    assert listed.header("X-Count") == "2"


# --- PutRestApi modes ----------------------------------------------------------------------


def _mock(value: int) -> dict[str, Any]:
    return {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {
                "default": {
                    "statusCode": "200",
                    "responseTemplates": {"application/json": json.dumps({"v": value})},
                }
            },
        },
    }


def _oas3(title: str, paths: dict[str, Any], **extra: Any) -> bytes:
    document = {"openapi": "3.0.1", "info": {"title": title, "version": "1"}, "paths": paths}
    return json.dumps(dict(document, **extra)).encode()


def _methods(apigw: Any, api_id: str) -> dict[str, set[str]]:
    items = apigw.get_resources(restApiId=api_id)["items"]
    return {r["path"]: set(r.get("resourceMethods") or {}) for r in items}


def _template(apigw: Any, api_id: str, path: str, method: str) -> str:
    ids = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    response = apigw.get_integration_response(
        restApiId=api_id, resourceId=ids[path], httpMethod=method, statusCode="200"
    )
    return str(response["responseTemplates"]["application/json"])


def test_put_merge_then_overwrite(endpoint: str) -> None:
    apigw = Builder(endpoint, "unused").apigw
    api_id = apigw.import_rest_api(
        body=_oas3("modes", {"/a": {"get": _mock(1), "post": _mock(1)}})
    )["id"]

    # merge: the document's GET /a wins, POST /a stays, /b is added
    merged = apigw.put_rest_api(
        restApiId=api_id,
        mode="merge",
        body=_oas3("modes", {"/a": {"get": _mock(2)}, "/b": {"get": _mock(3)}}),
    )
    assert merged["id"] == api_id
    assert _methods(apigw, api_id) == {"/": set(), "/a": {"GET", "POST"}, "/b": {"GET"}}
    assert _template(apigw, api_id, "/a", "GET") == '{"v": 2}'
    assert _template(apigw, api_id, "/a", "POST") == '{"v": 1}'

    # merge is the default mode
    apigw.put_rest_api(restApiId=api_id, body=_oas3("modes", {"/c": {"get": _mock(4)}}))
    assert set(_methods(apigw, api_id)) == {"/", "/a", "/b", "/c"}

    # overwrite: the API becomes the document
    apigw.put_rest_api(
        restApiId=api_id, mode="overwrite",
        body=_oas3("renamed", {"/": {"get": _mock(5)}, "/d/{id}": {"get": _mock(6)}}),
    )  # fmt: skip
    assert _methods(apigw, api_id) == {"/": {"GET"}, "/d": set(), "/d/{id}": {"GET"}}
    assert apigw.get_rest_api(restApiId=api_id)["name"] == "renamed"
    apigw.create_deployment(restApiId=api_id, stageName="s")
    assert call(f"{endpoint}/restapis/{api_id}/s/_user_request_/d/9").json() == {"v": 6}
    assert call(f"{endpoint}/restapis/{api_id}/s/_user_request_/a").status == 403


def test_basepath_parameter(endpoint: str) -> None:
    apigw = Builder(endpoint, "unused").apigw
    body = json.dumps({
        "swagger": "2.0", "info": {"title": "based"}, "basePath": "/v1/pets",
        "paths": {"/list": {"get": _mock(1)}},
    }).encode()  # fmt: skip
    prepended = apigw.import_rest_api(body=body, parameters={"basepath": "prepend"})["id"]
    assert set(_methods(apigw, prepended)) == {"/", "/v1", "/v1/pets", "/v1/pets/list"}
    split = apigw.import_rest_api(body=body, parameters={"basepath": "split"})["id"]
    assert set(_methods(apigw, split)) == {"/", "/pets", "/pets/list"}
    ignored = apigw.import_rest_api(body=body)["id"]
    assert set(_methods(apigw, ignored)) == {"/", "/list"}


# --- warnings and errors -------------------------------------------------------------------


def _api_names(apigw: Any) -> list[str]:
    pages = apigw.get_paginator("get_rest_apis").paginate()
    return [api["name"] for page in pages for api in page["items"]]


def test_warnings_are_returned_or_fail_the_import(endpoint: str) -> None:
    apigw = Builder(endpoint, "unused").apigw
    body = _oas3("warned", {"/a": {"get": {}}})
    imported = apigw.import_rest_api(body=body)
    assert imported["warnings"] == ["Parse issue: attribute paths.'/a'(get).responses is missing"]
    assert _methods(apigw, imported["id"]) == {"/": set(), "/a": {"GET"}}

    strict = _oas3("strict-warned", {"/a": {"get": {}}})
    with pytest.raises(ClientError) as excinfo:
        apigw.import_rest_api(body=strict, failOnWarnings=True)
    error = excinfo.value.response["Error"]
    assert error["Code"] == "BadRequestException"
    assert error["Message"].startswith("Warnings found during import:")
    assert "strict-warned" not in _api_names(apigw)

    # failOnWarnings on a PUT changes nothing
    before = _methods(apigw, imported["id"])
    with pytest.raises(ClientError):
        apigw.put_rest_api(
            restApiId=imported["id"], mode="overwrite", body=strict, failOnWarnings=True
        )
    assert _methods(apigw, imported["id"]) == before


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ({"/bad path": {"get": _mock(1)}}, "Resource's path part only allow a-zA-Z0-9._-"),
        ({"/x/{a}": {"get": _mock(1)}, "/x/{b}": {"get": _mock(1)}},
         "A sibling ({a}) of this resource already has a variable path part -- only one is allowed"),
        ({"/x": {"get": {"responses": {}, "x-amazon-apigateway-integration": {"type": "lambda"}}}},
         "Invalid integration type specified: lambda"),
        ({"/x": {"get": {"responses": {}, "security": [{"missing": []}]}}},
         "No security definition named 'missing'"),
    ],
)  # fmt: skip
def test_errors_change_nothing(endpoint: str, paths: dict[str, Any], message: str) -> None:
    apigw = Builder(endpoint, "unused").apigw
    api_id = apigw.import_rest_api(body=_oas3("kept", {"/keep": {"get": _mock(1)}}))["id"]
    title = f"refused-{api_id}"
    with pytest.raises(ClientError) as excinfo:
        apigw.import_rest_api(body=_oas3(title, paths))
    error = excinfo.value.response["Error"]
    assert error["Code"] == "BadRequestException"
    assert error["Message"].startswith("Errors found during import:\n\t")
    assert message in error["Message"]
    assert title not in _api_names(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=_oas3(title, paths))
    assert message in excinfo.value.response["Error"]["Message"]
    assert _methods(apigw, api_id) == {"/": set(), "/keep": {"GET"}}
    assert apigw.get_rest_api(restApiId=api_id)["name"] == "kept"


def test_a_failing_operation_part_way_deletes_the_new_api(endpoint: str) -> None:
    # PutIntegration refuses an AWS_PROXY integration that is not a Lambda function; the
    # import reports it and leaves no API behind
    apigw = Builder(endpoint, "unused").apigw
    integration = {"type": "aws_proxy", "httpMethod": "POST",
                   "uri": "arn:aws:apigateway:us-east-1:sqs:path/000000000000/queue"}  # fmt: skip
    title = "half-built"
    with pytest.raises(ClientError) as excinfo:
        apigw.import_rest_api(body=_oas3(title, {"/x": {"get": {
            "responses": {}, "x-amazon-apigateway-integration": integration}}}))  # fmt: skip
    error = excinfo.value.response["Error"]
    assert error["Code"] == "BadRequestException"
    assert error["Message"].startswith(
        "Errors found during import:\n\tUnable to put integration on 'GET' for resource at path '/x': "
    )
    assert title not in _api_names(apigw)


# --- models, request validators, gateway responses -------------------------------------------

VALIDATED = {
    "swagger": "2.0",
    "info": {"title": "validated"},
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
    },
    "x-amazon-apigateway-gateway-responses": {
        "BAD_REQUEST_BODY": {
            "statusCode": "422",
            "responseTemplates": {"application/json": '{"problem": "$context.error.validationErrorString"}'},
        },
    },
    "definitions": {
        "Pet": {"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "owner": {"$ref": "#/definitions/Owner"}}},
        "Owner": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
    },
    "paths": {
        "/pets": {
            "post": {
                "x-amazon-apigateway-request-validator": "all",
                "parameters": [
                    {"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}},
                    {"name": "tag", "in": "query", "required": True, "type": "string"},
                ],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200",
                                              "responseTemplates": {"application/json": '{"saved": true}'}}},
                },
            }
        }
    },
}  # fmt: skip


def test_models_validators_and_gateway_responses(endpoint: str) -> None:
    apigw = Builder(endpoint, "unused").apigw
    api = apigw.import_rest_api(body=json.dumps(VALIDATED).encode(), failOnWarnings=True)
    api_id = api["id"]
    assert "warnings" not in api
    models = {m["name"]: m for m in apigw.get_models(restApiId=api_id)["items"]}
    assert {"Pet", "Owner"} <= set(models)
    assert json.loads(models["Pet"]["schema"])["properties"]["owner"] == {
        "$ref": f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Owner"
    }
    validators = apigw.get_request_validators(restApiId=api_id)["items"]
    assert [(v["name"], v["validateRequestBody"], v["validateRequestParameters"])
            for v in validators] == [("all", True, True)]  # fmt: skip
    ids = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    method = apigw.get_method(restApiId=api_id, resourceId=ids["/pets"], httpMethod="POST")
    assert method["requestModels"] == {"application/json": "Pet"}
    assert method["requestValidatorId"] == validators[0]["id"]
    assert method["methodResponses"]["200"]["responseModels"] == {"application/json": "Pet"}
    gateway = apigw.get_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY")
    assert gateway["statusCode"] == "422"

    apigw.create_deployment(restApiId=api_id, stageName="v")
    url = f"{endpoint}/restapis/{api_id}/v/_user_request_/pets"
    json_type = {"Content-Type": "application/json"}
    good = json.dumps({"name": "Rex", "owner": {"id": 7}}).encode()
    assert call(f"{url}?tag=a", "POST", good, json_type).json() == {"saved": True}
    missing_tag = call(url, "POST", good, json_type)
    assert missing_tag.status == 400
    assert missing_tag.json() == {"message": "Missing required request parameters: [tag]"}
    # the body fails the Pet model (through the Owner reference): the imported gateway
    # response answers
    bad = call(f"{url}?tag=a", "POST", json.dumps({"name": "Rex", "owner": {}}).encode(), json_type)
    assert bad.status == 422
    assert "problem" in bad.json()


def test_export_and_import_round_trip(endpoint: str) -> None:
    builder = Builder(endpoint, "exported")
    fn = builder.function(ECHO)
    builder.proxy(
        "/pets/{petId}",
        fn,
        "GET",
        requestParameters={
            "method.request.path.petId": True,
            "method.request.querystring.q": False,
        },
    )
    builder.proxy("/pets", fn, "POST", apiKeyRequired=True)
    builder.deploy("v1")
    apigw = builder.apigw
    plain = apigw.get_export(restApiId=builder.api_id, stageName="v1", exportType="oas30")
    document = json.loads(plain["body"].read())
    assert document["openapi"] == "3.0.1"
    assert document["info"]["title"] == "exported"
    assert document["servers"][0]["variables"]["basePath"]["default"] == "v1"
    get = document["paths"]["/pets/{petId}"]["get"]
    assert {p["name"]: p["in"] for p in get["parameters"]} == {"petId": "path", "q": "query"}
    assert "x-amazon-apigateway-integration" not in get
    assert document["paths"]["/pets"]["post"]["security"] == [{"api_key": []}]
    swagger = apigw.get_export(
        restApiId=builder.api_id,
        stageName="v1",
        exportType="swagger",
        parameters={"extensions": "integrations"},
        accepts="application/yaml",
    )
    text = swagger["body"].read().decode()
    assert text.startswith("swagger: '2.0'")
    assert "x-amazon-apigateway-integration" in text
    full = apigw.get_export(
        restApiId=builder.api_id,
        stageName="v1",
        exportType="oas30",
        parameters={"extensions": "apigateway"},
    )["body"].read()
    imported = apigw.import_rest_api(body=full)
    paths = {r["path"] for r in apigw.get_resources(restApiId=imported["id"])["items"]}
    assert paths == {"/", "/pets", "/pets/{petId}"}
    apigw.create_deployment(restApiId=imported["id"], stageName="copy")
    url = f"{endpoint}/restapis/{imported['id']}/copy/_user_request_/pets/3"
    assert call(url).json()["pathParameters"] == {"petId": "3"}
    with pytest.raises(ClientError) as excinfo:
        apigw.get_export(restApiId=builder.api_id, stageName="v1", exportType="postman")
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
