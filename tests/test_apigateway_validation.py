"""Models and request validators: management, and requests checked against them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from test_apigateway_support import ECHO, Builder, call

ORDER = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["item", "quantity"],
    "properties": {
        "item": {"type": "string", "minLength": 1},
        "quantity": {"type": "integer", "minimum": 1},
        "address": {"$ref": "https://apigateway.amazonaws.com/restapis/{api}/models/Address"},
    },
}
ADDRESS = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}


@pytest.fixture(scope="module")
def validated(endpoint: str) -> Builder:
    api = Builder(endpoint, "validated")
    apigw = api.apigw
    apigw.create_model(
        restApiId=api.api_id,
        name="Address",
        contentType="application/json",
        schema=json.dumps(ADDRESS),
    )
    order = json.dumps(ORDER).replace("{api}", api.api_id)
    apigw.create_model(
        restApiId=api.api_id, name="Order", contentType="application/json", schema=order
    )
    both = apigw.create_request_validator(
        restApiId=api.api_id,
        name="all",
        validateRequestBody=True,
        validateRequestParameters=True,
    )
    fn = api.function(ECHO)
    api.proxy(
        "/orders",
        fn,
        "POST",
        requestValidatorId=both["id"],
        requestModels={"application/json": "Order"},
        requestParameters={
            "method.request.querystring.store": True,
            "method.request.header.X-Client": True,
            "method.request.querystring.optional": False,
        },
    )
    api.deploy("prod")
    return api


def test_valid_request_passes(validated: Builder) -> None:
    body = json.dumps({"item": "pen", "quantity": 2, "address": {"city": "Oslo"}}).encode()
    reply = call(
        validated.url("prod", "/orders?store=1"),
        "POST",
        body,
        {"Content-Type": "application/json", "X-Client": "c"},
    )
    assert reply.status == 200, reply.body


def test_missing_parameters_are_400(validated: Builder) -> None:
    reply = call(
        validated.url("prod", "/orders"), "POST", b"{}", {"Content-Type": "application/json"}
    )
    assert reply.status == 400
    message = reply.json()["message"]
    assert message.startswith("Missing required request parameters: [")
    assert "store" in message and "X-Client" in message and "optional" not in message


@pytest.mark.parametrize(
    "body",
    [
        b'{"item": "pen"}',
        b'{"item": "", "quantity": 1}',
        b'{"item": "pen", "quantity": 0}',
        b'{"item": "pen", "quantity": 1, "address": {"street": "x"}}',
        b"not json",
    ],
)
def test_invalid_bodies_are_400(validated: Builder, body: bytes) -> None:
    reply = call(
        validated.url("prod", "/orders?store=1"),
        "POST",
        body,
        {"Content-Type": "application/json", "X-Client": "c"},
    )
    assert (reply.status, reply.json()) == (400, {"message": "Invalid request body"})


def test_model_and_validator_management(validated: Builder) -> None:
    apigw = validated.apigw
    names = {m["name"] for m in apigw.get_models(restApiId=validated.api_id)["items"]}
    assert names == {"Empty", "Error", "Address", "Order"}  # AWS's two defaults included
    with pytest.raises(ClientError) as excinfo:
        apigw.create_model(
            restApiId=validated.api_id, name="Order", contentType="application/json", schema="{}"
        )
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    for name, schema in (("bad-name", "{}"), ("Broken", "{not json"), ("Wrong", '{"type": 5}')):
        with pytest.raises(ClientError) as excinfo:
            apigw.create_model(
                restApiId=validated.api_id, name=name, contentType="application/json", schema=schema
            )
        assert excinfo.value.response["Error"]["Code"] == "BadRequestException", name
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_model(restApiId=validated.api_id, modelName="Order")
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    updated = apigw.update_model(
        restApiId=validated.api_id,
        modelName="Address",
        patchOperations=[{"op": "replace", "path": "/description", "value": "where"}],
    )
    assert updated["description"] == "where"

    validator = apigw.create_request_validator(restApiId=validated.api_id, name="params")
    assert validator["validateRequestBody"] is False
    assert validator["validateRequestParameters"] is False
    changed = apigw.update_request_validator(
        restApiId=validated.api_id,
        requestValidatorId=validator["id"],
        patchOperations=[{"op": "replace", "path": "/validateRequestParameters", "value": "true"}],
    )
    assert changed["validateRequestParameters"] is True
    listed = apigw.get_request_validators(restApiId=validated.api_id)["items"]
    assert {v["name"] for v in listed} == {"all", "params"}
    resource = validated.resource("/other")
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(
            restApiId=validated.api_id,
            resourceId=resource,
            httpMethod="GET",
            authorizationType="NONE",
            requestModels={"application/json": "Missing"},
        )
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(
            restApiId=validated.api_id,
            resourceId=resource,
            httpMethod="GET",
            authorizationType="NONE",
            requestValidatorId="nope00",
        )
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    apigw.delete_request_validator(restApiId=validated.api_id, requestValidatorId=validator["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_request_validator(restApiId=validated.api_id, requestValidatorId=validator["id"])
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"
