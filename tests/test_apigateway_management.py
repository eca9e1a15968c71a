"""REST API management through boto3: APIs, resources, methods, integrations,
responses, deployments, stages, tags, patch operations, paging and AWS's errors."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import make_client
from test_apigateway_support import ACCOUNT, REGION, lambda_uri

FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:anything"


@pytest.fixture(scope="module")
def apigw(endpoint: str) -> Any:
    return make_client("apigateway", endpoint)


def _client(endpoint: str, access_key: str = "test", region: str = REGION) -> Any:
    return boto3.client(
        "apigateway",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
    )


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    error = excinfo.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Message"],
    )


def _api(apigw: Any, name: str = "m") -> tuple[str, str]:
    created = apigw.create_rest_api(name=name)
    return created["id"], created["rootResourceId"]


def _with_method(apigw: Any) -> tuple[str, str]:
    api, root = _api(apigw)
    resource = apigw.create_resource(restApiId=api, parentId=root, pathPart="r")["id"]
    apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    return api, resource


def test_create_get_list_and_delete_rest_api(apigw: Any) -> None:
    created = apigw.create_rest_api(
        name="orders", description="d", binaryMediaTypes=["image/png"], tags={"team": "a"}
    )
    assert re.fullmatch(r"[a-z0-9]{10}", created["id"])
    assert created["apiKeySource"] == "HEADER"
    assert created["endpointConfiguration"] == {"types": ["EDGE"]}
    assert created["disableExecuteApiEndpoint"] is False
    got = apigw.get_rest_api(restApiId=created["id"])
    assert got["name"] == "orders"
    assert got["binaryMediaTypes"] == ["image/png"]
    assert got["tags"] == {"team": "a"}
    assert "_account" not in got
    resources = apigw.get_resources(restApiId=created["id"])["items"]
    assert resources == [{"id": created["rootResourceId"], "path": "/"}]
    ids = {item["id"] for item in apigw.get_rest_apis(limit=500)["items"]}
    assert created["id"] in ids
    apigw.delete_rest_api(restApiId=created["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_rest_api(restApiId=created["id"])
    code, status, message = _error(excinfo)
    assert (code, status) == ("NotFoundException", 404)
    assert message == f"Invalid API identifier specified {ACCOUNT}:{created['id']}"


def test_get_rest_apis_pages_with_position(endpoint: str) -> None:
    # Another account, so the listing holds exactly these APIs.
    client = _client(endpoint, access_key="111122223333")
    made = [client.create_rest_api(name=f"p{i}")["id"] for i in range(5)]
    first = client.get_rest_apis(limit=2)
    assert [a["id"] for a in first["items"]] == made[:2]
    second = client.get_rest_apis(limit=2, position=first["position"])
    assert [a["id"] for a in second["items"]] == made[2:4]
    third = client.get_rest_apis(limit=2, position=second["position"])
    assert [a["id"] for a in third["items"]] == made[4:]
    assert "position" not in third
    paginated = [
        a["id"] for page in client.get_paginator("get_rest_apis").paginate() for a in page["items"]
    ]
    assert paginated == made
    with pytest.raises(ClientError) as excinfo:
        client.get_rest_apis(position="bogus")
    assert _error(excinfo)[:2] == ("BadRequestException", 400)


def test_update_rest_api_with_patch_operations(apigw: Any) -> None:
    api, _ = _api(apigw)
    updated = apigw.update_rest_api(
        restApiId=api,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "replace", "path": "/description", "value": "new"},
            {"op": "add", "path": "/binaryMediaTypes/image~1jpeg", "value": ""},
            {"op": "add", "path": "/binaryMediaTypes/*~1*", "value": ""},
            {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        ],
    )
    assert updated["name"] == "renamed"
    assert updated["binaryMediaTypes"] == ["image/jpeg", "*/*"]
    assert updated["apiKeySource"] == "AUTHORIZER"
    updated = apigw.update_rest_api(
        restApiId=api,
        patchOperations=[{"op": "remove", "path": "/binaryMediaTypes/image~1jpeg"}],
    )
    assert updated["binaryMediaTypes"] == ["*/*"]
    with pytest.raises(ClientError) as excinfo:
        apigw.update_rest_api(
            restApiId=api,
            patchOperations=[
                {"op": "replace", "path": "/name", "value": "half"},
                {"op": "replace", "path": "/nonsense", "value": "x"},
            ],
        )
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    assert apigw.get_rest_api(restApiId=api)["name"] == "renamed"  # nothing applied


def test_resources_tree_and_its_errors(apigw: Any) -> None:
    api, root = _api(apigw)
    users = apigw.create_resource(restApiId=api, parentId=root, pathPart="users")
    assert users["path"] == "/users"
    assert users["parentId"] == root
    user = apigw.create_resource(restApiId=api, parentId=users["id"], pathPart="{id}")
    assert user["path"] == "/users/{id}"
    greedy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")
    assert greedy["path"] == "/{proxy+}"

    def fails(parent: str, part: str) -> tuple[str, int, str]:
        with pytest.raises(ClientError) as excinfo:
            apigw.create_resource(restApiId=api, parentId=parent, pathPart=part)
        return _error(excinfo)

    code, status, message = fails(root, "users")
    assert (code, status) == ("ConflictException", 409)
    assert message == "Another resource with the same parent already has this name: users"
    assert fails(users["id"], "{other}")[:2] == ("BadRequestException", 400)  # one variable
    assert fails(root, "bad/part")[:2] == ("BadRequestException", 400)
    assert fails(root, "{unclosed")[:2] == ("BadRequestException", 400)
    assert fails(greedy["id"], "child")[:2] == ("BadRequestException", 400)
    assert fails("nosuchparent", "x")[:2] == ("NotFoundException", 404)

    # Renaming a resource moves its subtree's paths.
    apigw.update_resource(
        restApiId=api,
        resourceId=users["id"],
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "people"}],
    )
    assert apigw.get_resource(restApiId=api, resourceId=user["id"])["path"] == "/people/{id}"
    apigw.delete_resource(restApiId=api, resourceId=users["id"])
    paths = {r["path"] for r in apigw.get_resources(restApiId=api)["items"]}
    assert paths == {"/", "/{proxy+}"}
    with pytest.raises(ClientError) as excinfo:
        apigw.get_resource(restApiId=api, resourceId=user["id"])
    assert _error(excinfo) == ("NotFoundException", 404, "Invalid Resource identifier specified")


def test_methods_and_their_errors(apigw: Any) -> None:
    api, resource = _with_method(apigw)
    method = apigw.get_method(restApiId=api, resourceId=resource, httpMethod="GET")
    assert method["httpMethod"] == "GET"
    assert method["authorizationType"] == "NONE"
    assert method["apiKeyRequired"] is False
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(
            restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE"
        )
    assert _error(excinfo)[:2] == ("ConflictException", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(
            restApiId=api, resourceId=resource, httpMethod="FETCH", authorizationType="NONE"
        )
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(
            restApiId=api, resourceId=resource, httpMethod="POST", authorizationType="CUSTOM"
        )
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(
            restApiId=api, resourceId=resource, httpMethod="POST", authorizationType="SOMETIMES"
        )
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method(restApiId=api, resourceId=resource, httpMethod="POST")
    assert _error(excinfo) == ("NotFoundException", 404, "Invalid Method identifier specified")

    updated = apigw.update_method(
        restApiId=api,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
            {
                "op": "add",
                "path": "/requestParameters/method.request.querystring.q",
                "value": "true",
            },
        ],
    )
    assert updated["apiKeyRequired"] is True
    assert updated["requestParameters"] == {"method.request.querystring.q": True}
    apigw.put_method(
        restApiId=api, resourceId=resource, httpMethod="POST", authorizationType="AWS_IAM"
    )
    methods = apigw.get_resource(restApiId=api, resourceId=resource, embed=["methods"])
    assert set(methods["resourceMethods"]) == {"GET", "POST"}
    apigw.delete_method(restApiId=api, resourceId=resource, httpMethod="POST")
    assert set(apigw.get_resource(restApiId=api, resourceId=resource)["resourceMethods"]) == {"GET"}


def test_integrations_and_responses(apigw: Any) -> None:
    api, resource = _with_method(apigw)
    key = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    with pytest.raises(ClientError) as excinfo:
        apigw.get_integration(**key)
    assert _error(excinfo)[:2] == ("NotFoundException", 404)
    integration = apigw.put_integration(
        **key, type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri(FN)
    )
    assert integration["type"] == "AWS_PROXY"
    assert integration["httpMethod"] == "POST"
    assert integration["timeoutInMillis"] == 29000
    assert integration["passthroughBehavior"] == "WHEN_NO_MATCH"
    assert integration["cacheNamespace"] == resource

    bad_inputs: list[dict[str, Any]] = [
        {"type": "AWS_PROXY", "uri": lambda_uri(FN)},  # no integrationHttpMethod
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": "not-an-arn"},
        {
            "type": "AWS_PROXY",
            "integrationHttpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:sqs:path/000000000000/q",
        },
        {"type": "HTTP", "integrationHttpMethod": "GET", "uri": "ftp://example"},
        {"type": "AWS", "integrationHttpMethod": "POST", "uri": "arn:aws:sqs:us-east-1:1:q"},
        {"type": "MOCK", "timeoutInMillis": 10},
        {"type": "NOPE"},
    ]
    for bad in bad_inputs:
        with pytest.raises(ClientError) as excinfo:
            apigw.put_integration(**key, **bad)
        assert _error(excinfo)[:2] == ("BadRequestException", 400), bad
    assert apigw.get_integration(**key)["type"] == "AWS_PROXY"  # unchanged

    apigw.put_integration(**key, type="MOCK", requestTemplates={"application/json": "{}"})
    with pytest.raises(ClientError) as excinfo:  # the method response must exist first
        apigw.put_integration_response(**key, statusCode="200")
    assert _error(excinfo)[:2] == ("NotFoundException", 404)
    apigw.put_method_response(
        **key, statusCode="200", responseParameters={"method.response.header.X-A": False}
    )
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method_response(**key, statusCode="200")
    assert _error(excinfo)[:2] == ("ConflictException", 409)
    response = apigw.put_integration_response(
        **key,
        statusCode="200",
        selectionPattern="",
        responseParameters={"method.response.header.X-A": "'a'"},
        responseTemplates={"application/json": '{"ok": true}'},
    )
    assert response["statusCode"] == "200"
    updated = apigw.update_integration_response(
        **key,
        statusCode="200",
        patchOperations=[
            {
                "op": "replace",
                "path": "/responseParameters/method.response.header.X-A",
                "value": "'b'",
            }
        ],
    )
    assert updated["responseParameters"] == {"method.response.header.X-A": "'b'"}
    integration = apigw.get_integration(**key)
    assert integration["integrationResponses"]["200"]["responseTemplates"] == {
        "application/json": '{"ok": true}'
    }
    method = apigw.get_method(**key)
    assert method["methodResponses"]["200"]["responseParameters"] == {
        "method.response.header.X-A": False
    }
    apigw.delete_integration_response(**key, statusCode="200")
    apigw.delete_method_response(**key, statusCode="200")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method_response(**key, statusCode="200")
    assert _error(excinfo)[:2] == ("NotFoundException", 404)
    apigw.delete_integration(**key)
    with pytest.raises(ClientError):
        apigw.get_integration(**key)


def test_deployments_and_stages(apigw: Any) -> None:
    api, resource = _with_method(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_deployment(restApiId=api, stageName="s")
    assert _error(excinfo) == ("BadRequestException", 400, "No integration defined for method")
    empty, _ = _api(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_deployment(restApiId=empty)
    assert _error(excinfo) == (
        "BadRequestException",
        400,
        "The REST API doesn't contain any methods",
    )
    apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api, stageName="dev", description="first")
    assert re.fullmatch(r"[a-z0-9]{6}", deployment["id"])
    stage = apigw.get_stage(restApiId=api, stageName="dev")
    assert stage["deploymentId"] == deployment["id"]
    summary = apigw.get_deployment(
        restApiId=api, deploymentId=deployment["id"], embed=["apisummary"]
    )
    assert summary["apiSummary"] == {
        "/r": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}
    }
    assert [d["id"] for d in apigw.get_deployments(restApiId=api)["items"]] == [deployment["id"]]

    with pytest.raises(ClientError) as excinfo:
        apigw.create_stage(restApiId=api, stageName="dev", deploymentId=deployment["id"])
    assert _error(excinfo)[:2] == ("ConflictException", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_stage(restApiId=api, stageName="x", deploymentId="nope00")
    assert _error(excinfo)[:2] == ("NotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_stage(restApiId=api, stageName="bad name", deploymentId=deployment["id"])
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    prod = apigw.create_stage(
        restApiId=api,
        stageName="prod",
        deploymentId=deployment["id"],
        variables={"fn": "one"},
        tags={"env": "prod"},
    )
    assert prod["variables"] == {"fn": "one"}
    updated = apigw.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/variables/fn", "value": "two"},
            {"op": "replace", "path": "/variables/extra", "value": "x"},
            {"op": "replace", "path": "/description", "value": "live"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/~1r/GET/logging/loglevel", "value": "INFO"},
        ],
    )
    assert updated["variables"] == {"fn": "two", "extra": "x"}
    assert updated["description"] == "live"
    assert updated["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert updated["methodSettings"]["~1r/GET"]["loggingLevel"] == "INFO"
    updated = apigw.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[{"op": "remove", "path": "/variables/extra"}],
    )
    assert updated["variables"] == {"fn": "two"}
    with pytest.raises(ClientError) as excinfo:
        apigw.update_stage(
            restApiId=api,
            stageName="prod",
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": "nope00"}],
        )
    assert _error(excinfo)[:2] == ("NotFoundException", 404)
    names = {s["stageName"] for s in apigw.get_stages(restApiId=api)["item"]}
    assert names == {"dev", "prod"}
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_deployment(restApiId=api, deploymentId=deployment["id"])
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    apigw.delete_stage(restApiId=api, stageName="dev")
    apigw.delete_stage(restApiId=api, stageName="prod")
    apigw.delete_deployment(restApiId=api, deploymentId=deployment["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_stage(restApiId=api, stageName="prod")
    assert _error(excinfo) == ("NotFoundException", 404, "Invalid Stage identifier specified")


def test_tags(apigw: Any) -> None:
    api, resource = _with_method(apigw)
    apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="t")
    for arn in (
        f"arn:aws:apigateway:{REGION}::/restapis/{api}",
        f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/t",
    ):
        apigw.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
        apigw.untag_resource(resourceArn=arn, tagKeys=["a"])
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"b": "2"}
    assert apigw.get_stage(restApiId=api, stageName="t")["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as excinfo:
        apigw.get_tags(resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/nope")
    assert _error(excinfo)[:2] == ("NotFoundException", 404)


def test_unknown_ids_are_not_found(apigw: Any) -> None:
    api, root = _api(apigw)
    calls = [
        lambda: apigw.get_resources(restApiId="nope"),
        lambda: apigw.get_method(restApiId=api, resourceId="nope", httpMethod="GET"),
        lambda: apigw.get_deployment(restApiId=api, deploymentId="nope"),
        lambda: apigw.get_authorizer(restApiId=api, authorizerId="nope"),
        lambda: apigw.get_api_key(apiKey="nope"),
        lambda: apigw.get_usage_plan(usagePlanId="nope"),
        lambda: apigw.delete_rest_api(restApiId="nope"),
    ]
    for attempt in calls:
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert _error(excinfo)[:2] == ("NotFoundException", 404)


def test_apis_are_per_account_and_region(endpoint: str, apigw: Any) -> None:
    api, _ = _api(apigw)
    other_region = _client(endpoint, region="eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        other_region.get_rest_api(restApiId=api)
    assert _error(excinfo)[:2] == ("NotFoundException", 404)


def test_account_settings(apigw: Any) -> None:
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    role = f"arn:aws:iam::{ACCOUNT}:role/apigw-logs"
    updated = apigw.update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )
    assert updated["cloudwatchRoleArn"] == role
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    with pytest.raises(ClientError) as excinfo:
        apigw.update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "nope"}]
        )
    assert _error(excinfo)[:2] == ("BadRequestException", 400)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "copy", "path": "/name", "value": "x"},
        {"op": "replace", "path": "/rootResourceId", "value": "x"},
        {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "maybe"},
        {"op": "replace", "path": "/minimumCompressionSize", "value": "big"},
        {"op": "replace", "path": "/apiKeySource", "value": "COOKIE"},
        {"op": "remove", "path": "/name"},
        {"op": "replace", "path": "/name", "value": ""},
    ],
)
def test_bad_patch_operations_change_nothing(apigw: Any, operation: dict[str, str]) -> None:
    api, _ = _api(apigw, "patched")
    with pytest.raises(ClientError) as excinfo:
        apigw.update_rest_api(
            restApiId=api,
            patchOperations=[{"op": "replace", "path": "/description", "value": "d"}, operation],
        )
    assert _error(excinfo)[:2] == ("BadRequestException", 400)
    after = apigw.get_rest_api(restApiId=api)
    assert after["name"] == "patched"
    assert "description" not in after


def test_stage_variable_patch_errors(apigw: Any) -> None:
    api, resource = _with_method(apigw)
    apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="s", variables={"a": "1"})
    for operation in (
        {"op": "remove", "path": "/variables/missing"},
        {"op": "replace", "path": "/variables/bad name", "value": "x"},
        {"op": "replace", "path": "/variables/a", "value": "spaces are not allowed"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "fast"},
        {"op": "replace", "path": "/*/*/nothing/here", "value": "1"},
    ):
        with pytest.raises(ClientError) as excinfo:
            apigw.update_stage(restApiId=api, stageName="s", patchOperations=[operation])
        assert _error(excinfo)[:2] == ("BadRequestException", 400), operation
    assert apigw.get_stage(restApiId=api, stageName="s")["variables"] == {"a": "1"}
