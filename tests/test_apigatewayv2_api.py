"""HTTP API management: APIs, routes, integrations, authorizers, stages, tags, and the
errors AWS answers for bad input (which leaves state untouched)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import make_client, raw_request

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:some-function"


@pytest.fixture(scope="module")
def apigw(endpoint: str) -> Any:
    return make_client("apigatewayv2", endpoint)


def _error(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.fixture
def api_id(apigw: Any) -> str:
    value: str = apigw.create_api(Name="mgmt", ProtocolType="HTTP")["ApiId"]
    return value


@pytest.fixture
def integration(apigw: Any, api_id: str) -> str:
    value: str = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    return value


def test_api_lifecycle(apigw: Any, endpoint: str) -> None:
    created = apigw.create_api(
        Name="orders", ProtocolType="HTTP", Description="d", Tags={"team": "a"}
    )
    api_id = created["ApiId"]
    assert re.fullmatch(r"[a-z0-9]{10}", api_id)
    assert created["ProtocolType"] == "HTTP"
    assert created["RouteSelectionExpression"] == "$request.method $request.path"
    assert created["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert created["DisableExecuteApiEndpoint"] is False
    assert created["ApiEndpoint"].startswith(f"http://{api_id}.execute-api.")
    assert created["Tags"] == {"team": "a"}
    assert created["CreatedDate"].year >= 2024
    got = apigw.get_api(ApiId=api_id)
    assert got["Name"] == "orders" and got["Description"] == "d"
    updated = apigw.update_api(ApiId=api_id, Name="orders-v2", Description="new")
    assert updated["Name"] == "orders-v2" and updated["Description"] == "new"
    assert any(a["ApiId"] == api_id for a in apigw.get_apis()["Items"])
    apigw.delete_api(ApiId=api_id)
    code, message, status = _error(apigw.get_api, ApiId=api_id)
    assert (code, status) == ("NotFoundException", 404)
    assert message == f"Invalid API identifier specified 000000000000:{api_id}"
    assert _error(apigw.delete_api, ApiId=api_id)[0] == "NotFoundException"


def test_get_apis_pages(apigw: Any) -> None:
    for i in range(3):
        apigw.create_api(Name=f"paged-{i}", ProtocolType="HTTP")
    first = apigw.get_apis(MaxResults="2")
    assert len(first["Items"]) == 2 and "NextToken" in first
    seen = [a["ApiId"] for a in first["Items"]]
    token = first.get("NextToken")
    while token:
        page = apigw.get_apis(MaxResults="2", NextToken=token)
        seen += [a["ApiId"] for a in page["Items"]]
        token = page.get("NextToken")
    assert len(seen) == len(set(seen)) == len(apigw.get_apis()["Items"])


def test_websocket_is_refused(apigw: Any) -> None:
    code, message, status = _error(
        apigw.create_api,
        Name="ws",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression="$request.body.action",
    )
    assert (code, status) == ("BadRequestException", 400) and "WEBSOCKET" in message


def test_route_lifecycle(apigw: Any, api_id: str, integration: str) -> None:
    route = apigw.create_route(
        ApiId=api_id, RouteKey="GET /pets/{id}", Target=f"integrations/{integration}"
    )
    assert re.fullmatch(r"[a-z0-9]{7}", route["RouteId"])
    assert route["AuthorizationType"] == "NONE" and route["ApiKeyRequired"] is False
    assert apigw.get_route(ApiId=api_id, RouteId=route["RouteId"])["RouteKey"] == "GET /pets/{id}"
    updated = apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="PUT /pets/{id}")
    assert updated["RouteKey"] == "PUT /pets/{id}"
    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]] == ["PUT /pets/{id}"]
    apigw.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    code, message, _ = _error(apigw.get_route, ApiId=api_id, RouteId=route["RouteId"])
    assert code == "NotFoundException" and route["RouteId"] in message


@pytest.mark.parametrize(
    "key",
    [
        "GET",
        "FETCH /x",
        "GET x",
        "GET /a/",
        "GET /{proxy+}/x",
        "GET /{a}/{a}",
        "GET /a//b",
        "get /x",
        "GET /{}",
        "GET /a b",
        "default",
    ],  # fmt: skip
)
def test_invalid_route_keys(apigw: Any, api_id: str, key: str) -> None:
    code, message, status = _error(apigw.create_route, ApiId=api_id, RouteKey=key)
    assert (code, status) == ("BadRequestException", 400)
    assert key in message
    assert apigw.get_routes(ApiId=api_id)["Items"] == []


@pytest.mark.parametrize("key", ["$default", "ANY /", "GET /", "POST /a/{b}/c", "ANY /{proxy+}",
                                 "DELETE /x/{y+}", "OPTIONS /o", "HEAD /h"])  # fmt: skip
def test_valid_route_keys(apigw: Any, api_id: str, key: str) -> None:
    assert apigw.create_route(ApiId=api_id, RouteKey=key)["RouteKey"] == key


def test_route_conflicts_and_references(apigw: Any, api_id: str, integration: str) -> None:
    apigw.create_route(ApiId=api_id, RouteKey="GET /dup")
    code, _, status = _error(apigw.create_route, ApiId=api_id, RouteKey="GET /dup")
    assert (code, status) == ("ConflictException", 409)
    other = apigw.create_route(ApiId=api_id, RouteKey="POST /dup")
    code, _, _ = _error(
        apigw.update_route, ApiId=api_id, RouteId=other["RouteId"], RouteKey="GET /dup"
    )
    assert code == "ConflictException"
    code, _, _ = _error(
        apigw.create_route, ApiId=api_id, RouteKey="GET /t", Target="integrations/nope123"
    )
    assert code == "BadRequestException"
    code, _, _ = _error(
        apigw.create_route, ApiId=api_id, RouteKey="GET /j", AuthorizationType="JWT"
    )
    assert code == "BadRequestException"
    code, _, _ = _error(
        apigw.create_route,
        ApiId=api_id,
        RouteKey="GET /j",
        AuthorizationType="JWT",
        AuthorizerId="nope12",
    )
    assert code == "BadRequestException"
    assert sorted(r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]) == [
        "GET /dup",
        "POST /dup",
    ]
    # An integration a route targets cannot be deleted.
    apigw.create_route(ApiId=api_id, RouteKey="GET /used", Target=f"integrations/{integration}")
    code, _, _ = _error(apigw.delete_integration, ApiId=api_id, IntegrationId=integration)
    assert code == "ConflictException"
    assert (
        apigw.get_integration(ApiId=api_id, IntegrationId=integration)["IntegrationUri"] == FUNCTION
    )


def test_unknown_ids(apigw: Any, api_id: str) -> None:
    for call, kwargs in [
        (apigw.get_route, {"RouteId": "abc1234"}),
        (apigw.get_integration, {"IntegrationId": "abc1234"}),
        (apigw.get_authorizer, {"AuthorizerId": "abc123"}),
        (apigw.get_stage, {"StageName": "nope"}),
        (apigw.get_deployment, {"DeploymentId": "abc123"}),
        (apigw.delete_route, {"RouteId": "abc1234"}),
        (apigw.update_integration, {"IntegrationId": "abc1234", "TimeoutInMillis": 100}),
    ]:
        code, message, status = _error(call, ApiId=api_id, **kwargs)
        assert (code, status) == ("NotFoundException", 404), call
        assert message.startswith("Invalid ") and "identifier specified" in message
    assert _error(apigw.get_routes, ApiId="nosuchapi0")[0] == "NotFoundException"
    assert (
        _error(apigw.create_route, ApiId="nosuchapi0", RouteKey="GET /x")[0] == "NotFoundException"
    )


def test_integrations(apigw: Any, api_id: str) -> None:
    invocation = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + FUNCTION + "/invocations"
    )
    created = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=invocation,
        PayloadFormatVersion="1.0",
    )
    assert created["PayloadFormatVersion"] == "1.0"
    assert created["TimeoutInMillis"] == 30000 and created["IntegrationMethod"] == "POST"
    assert created["ConnectionType"] == "INTERNET"
    updated = apigw.update_integration(
        ApiId=api_id, IntegrationId=created["IntegrationId"], PayloadFormatVersion="2.0"
    )
    assert updated["PayloadFormatVersion"] == "2.0" and updated["IntegrationUri"] == invocation
    proxy = apigw.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri="https://example.com/{proxy}",
        IntegrationMethod="GET", PayloadFormatVersion="1.0",
    )  # fmt: skip
    assert proxy["IntegrationMethod"] == "GET"
    bad = [
        {"IntegrationType": "AWS_PROXY", "IntegrationUri": "not-an-arn"},
        {"IntegrationType": "AWS_PROXY"},
        {"IntegrationType": "AWS_PROXY", "IntegrationUri": FUNCTION},  # no payload format
        {"IntegrationType": "AWS_PROXY", "IntegrationUri": FUNCTION, "PayloadFormatVersion": "3.0"},
        {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "https://example.com"},
        {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "ftp://x", "IntegrationMethod": "GET"},
        {"IntegrationType": "MOCK"},
        {"IntegrationType": "AWS_PROXY", "IntegrationUri": FUNCTION, "TimeoutInMillis": 30001},
    ]
    for kwargs in bad:
        code, _, status = _error(apigw.create_integration, ApiId=api_id, **kwargs)
        assert (code, status) == ("BadRequestException", 400), kwargs
    assert len(apigw.get_integrations(ApiId=api_id)["Items"]) == 2
    apigw.delete_integration(ApiId=api_id, IntegrationId=proxy["IntegrationId"])
    assert len(apigw.get_integrations(ApiId=api_id)["Items"]) == 1


def test_authorizers(apigw: Any, api_id: str) -> None:
    jwt = apigw.create_authorizer(
        ApiId=api_id, AuthorizerType="JWT", Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )  # fmt: skip
    assert jwt["AuthorizerType"] == "JWT" and jwt["Name"] == "jwt"
    request = apigw.create_authorizer(
        ApiId=api_id, AuthorizerType="REQUEST", Name="lam", AuthorizerUri=FUNCTION,
        AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True,
        AuthorizerResultTtlInSeconds=300, IdentitySource=["$request.header.X-Token"],
    )  # fmt: skip
    assert (
        request["AuthorizerResultTtlInSeconds"] == 300 and request["EnableSimpleResponses"] is True
    )
    renamed = apigw.update_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"], Name="jwt2")
    assert (
        renamed["Name"] == "jwt2"
        and renamed["JwtConfiguration"]["Issuer"] == "https://issuer.example"
    )
    assert len(apigw.get_authorizers(ApiId=api_id)["Items"]) == 2
    bad = [
        {"AuthorizerType": "JWT", "IdentitySource": ["$request.header.Authorization"]},
        {"AuthorizerType": "REQUEST", "IdentitySource": ["$request.header.A"], "AuthorizerUri": FUNCTION},
        {"AuthorizerType": "REQUEST", "IdentitySource": [], "AuthorizerUri": FUNCTION,
         "AuthorizerPayloadFormatVersion": "2.0", "AuthorizerResultTtlInSeconds": 60},
        {"AuthorizerType": "REQUEST", "IdentitySource": ["$request.header.A"], "AuthorizerUri": FUNCTION,
         "AuthorizerPayloadFormatVersion": "1.0", "EnableSimpleResponses": True},
        {"AuthorizerType": "REQUEST", "IdentitySource": ["header.A"], "AuthorizerUri": FUNCTION,
         "AuthorizerPayloadFormatVersion": "2.0"},
        {"AuthorizerType": "TOKEN", "IdentitySource": ["$request.header.A"]},
    ]  # fmt: skip
    for kwargs in bad:
        code, _, _ = _error(apigw.create_authorizer, ApiId=api_id, Name="bad", **kwargs)
        assert code == "BadRequestException", kwargs
    # A route's authorizer must be of the authorization type's kind, and stays while used.
    code, _, _ = _error(
        apigw.create_route, ApiId=api_id, RouteKey="GET /x", AuthorizationType="JWT",
        AuthorizerId=request["AuthorizerId"],
    )  # fmt: skip
    assert code == "BadRequestException"
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /x",
        AuthorizationType="CUSTOM",
        AuthorizerId=request["AuthorizerId"],
    )
    code, _, _ = _error(apigw.delete_authorizer, ApiId=api_id, AuthorizerId=request["AuthorizerId"])
    assert code == "ConflictException"
    apigw.delete_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])
    assert len(apigw.get_authorizers(ApiId=api_id)["Items"]) == 1


def test_stages_and_deployments(apigw: Any, api_id: str, integration: str) -> None:
    apigw.create_route(ApiId=api_id, RouteKey="GET /s", Target=f"integrations/{integration}")
    deployment = apigw.create_deployment(ApiId=api_id, Description="v1")
    assert deployment["DeploymentStatus"] == "DEPLOYED" and deployment["Description"] == "v1"
    stage = apigw.create_stage(
        ApiId=api_id, StageName="dev", DeploymentId=deployment["DeploymentId"],
        StageVariables={"fn": "x"}, Tags={"env": "dev"},
    )  # fmt: skip
    assert stage["DeploymentId"] == deployment["DeploymentId"]
    assert stage["AutoDeploy"] is False and stage["StageVariables"] == {"fn": "x"}
    assert stage["DefaultRouteSettings"]["DetailedMetricsEnabled"] is False
    assert _error(apigw.create_stage, ApiId=api_id, StageName="dev")[0] == "ConflictException"
    code, _, _ = _error(apigw.create_stage, ApiId=api_id, StageName="x", DeploymentId="nope12")
    assert code == "BadRequestException"
    code, _, _ = _error(apigw.create_stage, ApiId=api_id, StageName="bad name!")
    assert code == "BadRequestException"
    code, _, _ = _error(apigw.create_deployment, ApiId=api_id, StageName="missing")
    assert code == "NotFoundException"
    auto = apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    assert auto["AutoDeploy"] is True and auto["DeploymentId"]
    assert (
        apigw.get_deployment(ApiId=api_id, DeploymentId=auto["DeploymentId"])["AutoDeployed"]
        is True
    )
    updated = apigw.update_stage(ApiId=api_id, StageName="dev", StageVariables={"fn": "y"})
    assert updated["StageVariables"] == {"fn": "y"}
    assert {s["StageName"] for s in apigw.get_stages(ApiId=api_id)["Items"]} == {"dev", "$default"}
    apigw.delete_stage(ApiId=api_id, StageName="dev")
    assert _error(apigw.get_stage, ApiId=api_id, StageName="dev")[0] == "NotFoundException"
    apigw.delete_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])


def test_tags(apigw: Any, api_id: str) -> None:
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    apigw.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"a": "1", "b": "2"}
    apigw.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert apigw.get_api(ApiId=api_id)["Tags"] == {"b": "2"}
    apigw.create_stage(ApiId=api_id, StageName="prod", Tags={"s": "1"})
    stage_arn = f"{arn}/stages/prod"
    apigw.tag_resource(ResourceArn=stage_arn, Tags={"t": "2"})
    assert apigw.get_tags(ResourceArn=stage_arn)["Tags"] == {"s": "1", "t": "2"}
    missing = "arn:aws:apigateway:us-east-1::/apis/nosuchapi0"
    assert _error(apigw.get_tags, ResourceArn=missing)[0] == "NotFoundException"
    assert (
        _error(apigw.tag_resource, ResourceArn="garbage", Tags={"a": "b"})[0]
        == "BadRequestException"
    )


def test_cors_configuration_checks(apigw: Any) -> None:
    code, _, _ = _error(
        apigw.create_api, Name="c", ProtocolType="HTTP",
        CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True},
    )  # fmt: skip
    assert code == "BadRequestException"


AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/apigateway/aws4_request, "
    "SignedHeaders=host, Signature=0000"
)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"name": 5, "protocolType": "HTTP"}', b'{"protocolType": "HTTP"}',
     b'{"name": "x", "protocolType": "FOO"}', b'{"name": "x", "protocolType": "HTTP", "target": 7}'],
)  # fmt: skip
def test_malformed_requests(endpoint: str, apigw: Any, body: bytes) -> None:
    before = len(apigw.get_apis()["Items"])
    headers = {"Authorization": AUTH, "Content-Type": "application/json"}
    reply = raw_request(endpoint + "/v2/apis", body, headers)
    assert reply.status_code == 400, reply.text
    assert reply.headers["x-amzn-errortype"] == "BadRequestException"
    assert len(apigw.get_apis()["Items"]) == before
