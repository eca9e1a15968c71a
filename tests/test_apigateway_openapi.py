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
