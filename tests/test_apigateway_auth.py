"""Lambda authorizers (TOKEN and REQUEST, with result caching) and API keys in front of
deployed REST APIs."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_apigateway_support import ECHO, Builder, call, lambda_uri, wait_for

# The authorizer answers by token: "allow-*" allows every method of the API, "deny"
# denies, "narrow" allows only GET /other, "boom" raises, "unauthorized" raises the
# documented "Unauthorized". Its context carries this environment's id and a counter,
# so two answers are equal only when the second came from the cache.
AUTHORIZER = """
import uuid
RUN = uuid.uuid4().hex
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    token = event.get("authorizationToken") or event["headers"].get("X-User", "")
    if token == "boom":
        raise RuntimeError("broken authorizer")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    arn = event["methodArn"]
    base = arn.split("/")[0]
    effect, resource = "Allow", base + "/*"
    if token == "deny":
        effect = "Deny"
    if token == "narrow":
        resource = base + "/*/GET/other"
    return {
        "principalId": "user-" + token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}]},
        "context": {"run": f"{RUN}:{COUNT}", "type": event["type"], "number": 7, "flag": True,
                    "team": (event.get("queryStringParameters") or {}).get("team", "")},
        "usageIdentifierKey": "key-from-authorizer-0123456789",
    }
"""


@pytest.fixture(scope="module")
def secured(endpoint: str) -> Builder:
    api = Builder(endpoint, "secured")
    echo = api.function(ECHO)
    authorizer_fn = api.function(AUTHORIZER)

    def authorizer(name: str, kind: str, source: str, ttl: int) -> str:
        created = api.apigw.create_authorizer(
            restApiId=api.api_id,
            name=name,
            type=kind,
            authorizerUri=lambda_uri(authorizer_fn),
            identitySource=source,
            authorizerResultTtlInSeconds=ttl,
        )
        return str(created["id"])

    cached = authorizer("cached", "TOKEN", "method.request.header.Authorization", 300)
    uncached = authorizer("uncached", "TOKEN", "method.request.header.Authorization", 0)
    short = authorizer("short", "TOKEN", "method.request.header.Authorization", 1)
    request = authorizer(
        "request", "REQUEST", "method.request.header.X-User, method.request.querystring.team", 300
    )
    for path, authorizer_id in (
        ("/cached", cached),
        ("/uncached", uncached),
        ("/short", short),
        ("/request", request),
        ("/other", cached),
    ):
        api.proxy(path, echo, "GET", authorizationType="CUSTOM", authorizerId=authorizer_id)
    # A MOCK behind the authorizer: $context.authorizer reaches templates.
    mocked = api.method("/mocked", "GET", authorizationType="CUSTOM", authorizerId=cached)
    key = {"restApiId": api.api_id, "resourceId": mocked, "httpMethod": "GET"}
    api.apigw.put_integration(
        **key, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    api.apigw.put_method_response(**key, statusCode="200")
    template = '{"who": "$context.authorizer.principalId", "run": "$context.authorizer.run"}'
    api.apigw.put_integration_response(
        **key, statusCode="200", responseTemplates={"application/json": template}
    )
    pool = api.apigw.create_authorizer(
        restApiId=api.api_id,
        name="pool",
        type="COGNITO_USER_POOLS",
        providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc"],
        identitySource="method.request.header.Authorization",
    )["id"]
    api.proxy("/cognito", echo, "GET", authorizationType="COGNITO_USER_POOLS", authorizerId=pool)
    api.proxy("/iam", echo, "GET", authorizationType="AWS_IAM")
    api.deploy("prod")
    return api


def _context(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, (reply.status, reply.body)
    authorizer: dict[str, Any] = reply.json()["requestContext"]["authorizer"]
    return authorizer


def test_token_authorizer_result_is_cached_per_token(secured: Builder) -> None:
    url = secured.url("prod", "/cached")
    first = _context(call(url, headers={"Authorization": "allow-a"}))
    assert first["principalId"] == "user-allow-a"
    assert first["type"] == "TOKEN"
    assert (first["number"], first["flag"]) == ("7", "true")  # stringified, as AWS does
    for _ in range(3):
        assert _context(call(url, headers={"Authorization": "allow-a"}))["run"] == first["run"]
    other = _context(call(url, headers={"Authorization": "allow-b"}))
    assert other["run"] != first["run"]  # another token runs the authorizer again
    assert other["principalId"] == "user-allow-b"


def test_ttl_zero_runs_the_authorizer_every_time(secured: Builder) -> None:
    url = secured.url("prod", "/uncached")
    runs = {_context(call(url, headers={"Authorization": "allow-z"}))["run"] for _ in range(3)}
    assert len(runs) == 3


def test_cached_result_expires_after_its_ttl(secured: Builder) -> None:
    url = secured.url("prod", "/short")
    first = _context(call(url, headers={"Authorization": "allow-t"}))["run"]
    wait_for(
        lambda: _context(call(url, headers={"Authorization": "allow-t"}))["run"] != first,
        what="the 1 s TTL to expire",
    )


def test_missing_token_is_401_and_deny_is_403(secured: Builder) -> None:
    url = secured.url("prod", "/cached")
    missing = call(url)
    assert missing.status == 401
    assert missing.json() == {"message": "Unauthorized"}
    denied = call(url, headers={"Authorization": "deny"})
    assert denied.status == 403
    assert denied.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }
    unauthorized = call(url, headers={"Authorization": "unauthorized"})
    assert (unauthorized.status, unauthorized.json()) == (401, {"message": "Unauthorized"})
    broken = call(url, headers={"Authorization": "boom"})
    assert broken.status == 500


def test_cached_policy_is_evaluated_per_method(secured: Builder) -> None:
    # The policy allows only GET /other; cached, it still denies /cached (as on AWS).
    headers = {"Authorization": "narrow"}
    assert call(secured.url("prod", "/other"), headers=headers).status == 200
    refused = call(secured.url("prod", "/cached"), headers=headers)
    assert refused.status == 403
    assert refused.json() == {"Message": "User is not authorized to access this resource"}


def test_request_authorizer_uses_its_identity_sources(secured: Builder) -> None:
    url = secured.url("prod", "/request")
    context = _context(call(url + "?team=red", headers={"X-User": "allow-r"}))
    assert context["type"] == "REQUEST"
    assert context["team"] == "red"
    again = _context(call(url + "?team=red", headers={"X-User": "allow-r"}))
    assert again["run"] == context["run"]
    assert _context(call(url + "?team=blue", headers={"X-User": "allow-r"}))["team"] == "blue"
    assert call(url, headers={"X-User": "allow-r"}).status == 401  # no ?team
    assert call(url + "?team=red").status == 401  # no header


def test_authorizer_management_errors(secured: Builder) -> None:
    apigw = secured.apigw
    bad: list[dict[str, Any]] = [
        {"name": "x", "type": "TOKEN", "identitySource": "method.request.header.A"},  # no uri
        {
            "name": "x",
            "type": "TOKEN",
            "authorizerUri": lambda_uri("arn:aws:lambda:us-east-1:000000000000:function:f"),
            "identitySource": "method.request.querystring.a",
        },
        {
            "name": "x",
            "type": "TOKEN",
            "authorizerUri": lambda_uri("arn:aws:lambda:us-east-1:000000000000:function:f"),
            "identitySource": "method.request.header.A",
            "authorizerResultTtlInSeconds": 4000,
        },
        {"name": "x", "type": "COGNITO_USER_POOLS"},  # no providerARNs
    ]
    for request in bad:
        with pytest.raises(ClientError) as excinfo:
            apigw.create_authorizer(restApiId=secured.api_id, **request)
        assert excinfo.value.response["Error"]["Code"] == "BadRequestException", request
    cognito = apigw.create_authorizer(
        restApiId=secured.api_id,
        name="pool",
        type="COGNITO_USER_POOLS",
        providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"],
        identitySource="method.request.header.Authorization",
    )
    assert cognito["authorizerResultTtlInSeconds"] == 300
    updated = apigw.update_authorizer(
        restApiId=secured.api_id,
        authorizerId=cognito["id"],
        patchOperations=[{"op": "replace", "path": "/name", "value": "renamed"}],
    )
    assert updated["name"] == "renamed"
    names = {a["name"] for a in apigw.get_authorizers(restApiId=secured.api_id)["items"]}
    assert {"cached", "uncached", "short", "request", "renamed"} <= names
    in_use = secured.apigw.get_method(
        restApiId=secured.api_id, resourceId=secured.paths["/cached"], httpMethod="GET"
    )["authorizerId"]
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_authorizer(restApiId=secured.api_id, authorizerId=in_use)
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    apigw.delete_authorizer(restApiId=secured.api_id, authorizerId=cognito["id"])


# -- API keys -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed(endpoint: str) -> Builder:
    api = Builder(endpoint, "keyed")
    api.proxy("/paid", api.function(ECHO), "GET", apiKeyRequired=True)
    api.deploy("prod")
    api.deploy("beta")
    return api


def test_api_keys_are_enforced(keyed: Builder) -> None:
    apigw = keyed.apigw
    plan = apigw.create_usage_plan(
        name="basic",
        apiStages=[{"apiId": keyed.api_id, "stage": "prod"}],
        throttle={"burstLimit": 10, "rateLimit": 5.0},
        quota={"limit": 1000, "period": "DAY"},
    )
    key = apigw.create_api_key(name="customer", enabled=True)
    assert len(key["value"]) >= 20
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    url = keyed.url("prod", "/paid")

    missing = call(url)
    assert (missing.status, missing.json()) == (403, {"message": "Forbidden"})
    assert call(url, headers={"x-api-key": "wrong-key-wrong-key-wrong"}).status == 403
    good = call(url, headers={"x-api-key": key["value"]})
    assert good.status == 200
    identity = good.json()["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (key["value"], key["id"])
    # The plan covers prod only.
    assert call(keyed.url("beta", "/paid"), headers={"x-api-key": key["value"]}).status == 403
    # A disabled key is refused; enabled again it works.
    apigw.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    assert call(url, headers={"x-api-key": key["value"]}).status == 403
    apigw.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}]
    )
    assert call(url, headers={"x-api-key": key["value"]}).status == 200
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert call(url, headers={"x-api-key": key["value"]}).status == 403


def test_api_key_and_usage_plan_management(keyed: Builder) -> None:
    apigw = keyed.apigw
    key = apigw.create_api_key(name="mine", value="a" * 30, tags={"t": "1"})
    assert key["enabled"] is False  # AWS's default
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == "a" * 30
    listed = apigw.get_api_keys(nameQuery="mine", includeValues=True)["items"]
    assert [k["value"] for k in listed] == ["a" * 30]
    with pytest.raises(ClientError) as excinfo:
        apigw.create_api_key(name="dup", value="a" * 30)
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as excinfo:
        apigw.create_api_key(name="short", value="tooshort")
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"

    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": keyed.api_id, "stage": "beta"}])
    with pytest.raises(ClientError) as excinfo:
        apigw.create_usage_plan(name="bad", apiStages=[{"apiId": keyed.api_id, "stage": "nope"}])
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    with pytest.raises(ClientError) as excinfo:
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    keys = apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert keys == [{"id": key["id"], "type": "API_KEY", "value": "a" * 30, "name": "mine"}]
    updated = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/throttle/rateLimit", "value": "42"},
            {"op": "replace", "path": "/quota/limit", "value": "100"},
            {"op": "replace", "path": "/quota/period", "value": "WEEK"},
            {"op": "add", "path": "/apiStages", "value": f"{keyed.api_id}:prod"},
        ],
    )
    assert updated["throttle"]["rateLimit"] == 42.0
    assert updated["quota"] == {"limit": 100, "period": "WEEK"}
    assert {s["stage"] for s in updated["apiStages"]} == {"beta", "prod"}
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    apigw.delete_api_key(apiKey=key["id"])
    assert apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_usage_plan(usagePlanId=plan["id"])
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"


def test_authorizer_context_reaches_mapping_templates(secured: Builder) -> None:
    url = secured.url("prod", "/mocked")
    reply = call(url, headers={"Authorization": "allow-m"})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["who"] == "user-allow-m"
    assert body["run"]  # the authorizer's context value
    assert call(url, headers={"Authorization": "deny"}).status == 403


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_cognito_authorizer_needs_a_token_and_passes_its_claims(secured: Builder) -> None:
    url = secured.url("prod", "/cognito")
    assert call(url).status == 401
    assert call(url, headers={"Authorization": "not-a-jwt"}).status == 401
    expired = _jwt({"sub": "u1", "exp": int(time.time()) - 60})
    assert call(url, headers={"Authorization": expired}).status == 401
    token = _jwt({"sub": "u1", "email": "a@b.c", "exp": int(time.time()) + 600})
    claims = _context(call(url, headers={"Authorization": token}))["claims"]
    assert (claims["sub"], claims["email"]) == ("u1", "a@b.c")


def test_aws_iam_methods_need_a_signature(secured: Builder) -> None:
    url = secured.url("prod", "/iam")
    reply = call(url)
    assert (reply.status, reply.json()) == (403, {"message": "Missing Authentication Token"})
    signed = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/"
        "aws4_request, SignedHeaders=host, Signature=abc"
    }
    assert call(url, headers=signed).status == 200


def test_api_key_from_the_authorizer(endpoint: str) -> None:
    api = Builder(endpoint, "key-source")
    fn = api.function(AUTHORIZER)
    authorizer = api.apigw.create_authorizer(
        restApiId=api.api_id,
        name="keys",
        type="TOKEN",
        authorizerUri=lambda_uri(fn),
        identitySource="method.request.header.Authorization",
    )["id"]
    api.proxy(
        "/x",
        api.function(ECHO),
        "GET",
        authorizationType="CUSTOM",
        authorizerId=authorizer,
        apiKeyRequired=True,
    )
    api.apigw.update_rest_api(
        restApiId=api.api_id,
        patchOperations=[{"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"}],
    )
    api.deploy("prod")
    url = api.url("prod", "/x")
    assert call(url, headers={"Authorization": "allow-k"}).status == 403  # no such key yet
    key = api.apigw.create_api_key(
        name="from-authorizer", value="key-from-authorizer-0123456789", enabled=True
    )
    plan = api.apigw.create_usage_plan(name="k", apiStages=[{"apiId": api.api_id, "stage": "prod"}])
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert call(url, headers={"Authorization": "allow-k"}).status == 200


def test_flush_stage_authorizers_cache(secured: Builder) -> None:
    url = secured.url("prod", "/cached")
    first = _context(call(url, headers={"Authorization": "allow-f"}))["run"]
    assert _context(call(url, headers={"Authorization": "allow-f"}))["run"] == first
    secured.apigw.flush_stage_authorizers_cache(restApiId=secured.api_id, stageName="prod")
    assert _context(call(url, headers={"Authorization": "allow-f"}))["run"] != first


def test_gateway_responses_customise_refusals(endpoint: str) -> None:
    api = Builder(endpoint, "gateway-responses")
    fn = api.function(AUTHORIZER)
    authorizer = api.apigw.create_authorizer(
        restApiId=api.api_id,
        name="a",
        type="TOKEN",
        authorizerUri=lambda_uri(fn),
        identitySource="method.request.header.Authorization",
    )["id"]
    api.proxy("/x", api.function(ECHO), "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    apigw = api.apigw
    defaults = apigw.get_gateway_responses(restApiId=api.api_id, limit=500)["items"]
    assert len(defaults) == 21
    assert all(item["defaultResponse"] for item in defaults)
    missing = apigw.get_gateway_response(
        restApiId=api.api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )
    assert missing["statusCode"] == "403"
    assert missing["responseTemplates"] == {
        "application/json": '{"message":$context.error.messageString}'
    }
    apigw.put_gateway_response(
        restApiId=api.api_id,
        responseType="DEFAULT_4XX",
        responseParameters={
            "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
            "gatewayresponse.header.X-Seen": "method.request.header.X-Probe",
        },
    )
    apigw.put_gateway_response(
        restApiId=api.api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseTemplates={
            "application/json": '{"error": $context.error.messageString, '
            '"type": "$context.error.responseType"}'
        },
    )
    with pytest.raises(ClientError) as excinfo:
        apigw.put_gateway_response(restApiId=api.api_id, responseType="NOT_A_TYPE")
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    api.deploy("prod")

    lost = call(api.url("prod", "/nowhere"))
    assert lost.status == 404
    assert lost.json() == {
        "error": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
    }
    refused = call(api.url("prod", "/x"), headers={"X-Probe": "p"})
    assert (refused.status, refused.json()) == (401, {"message": "Unauthorized"})
    assert refused.header("Access-Control-Allow-Origin") == "*"
    assert refused.header("X-Seen") == "p"
    denied = call(api.url("prod", "/x"), headers={"Authorization": "deny"})
    assert denied.status == 403
    assert denied.header("Access-Control-Allow-Origin") == "*"

    apigw.delete_gateway_response(restApiId=api.api_id, responseType="DEFAULT_4XX")
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_gateway_response(restApiId=api.api_id, responseType="DEFAULT_4XX")
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"
    # Deployed responses change with the next deployment only.
    assert call(api.url("prod", "/x")).header("Access-Control-Allow-Origin") == "*"
    api.deploy("prod")
    assert call(api.url("prod", "/x")).header("Access-Control-Allow-Origin") is None


def test_test_invoke_authorizer(secured: Builder) -> None:
    cached = secured.apigw.get_method(
        restApiId=secured.api_id, resourceId=secured.paths["/cached"], httpMethod="GET"
    )["authorizerId"]

    def run(**extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = secured.apigw.test_invoke_authorizer(
            restApiId=secured.api_id, authorizerId=cached, pathWithQueryString="/cached", **extra
        )
        return result

    allowed = run(headers={"Authorization": "allow-ti"})
    assert allowed["clientStatus"] == 200
    assert allowed["principalId"] == "user-allow-ti"
    assert json.loads(allowed["policy"])["Statement"][0]["Effect"] == "Allow"
    assert allowed["authorization"]["principalId"] == ["user-allow-ti"]
    denied = run(headers={"Authorization": "deny"})
    assert (denied["clientStatus"], denied["principalId"]) == (403, "user-deny")
    assert run()["clientStatus"] == 401


def test_import_api_keys_from_csv(keyed: Builder) -> None:
    apigw = keyed.apigw
    plan = apigw.create_usage_plan(
        name="imported", apiStages=[{"apiId": keyed.api_id, "stage": "prod"}]
    )["id"]
    csv_text = (
        "Name,key,description,Enabled,usageplanIds\n"
        f"first,importedkey0123456789abcd,An imported key,TRUE,{plan}\n"
        f'second,importedkey9876543210wxyz,,false,"{plan},nope00"\n'
    )
    with pytest.raises(ClientError) as excinfo:  # nope00 is a warning
        apigw.import_api_keys(body=csv_text.encode(), format="csv", failOnWarnings=True)
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    assert not apigw.get_api_keys(nameQuery="first")["items"]  # nothing changed
    result = apigw.import_api_keys(body=csv_text.encode(), format="csv")
    assert len(result["ids"]) == 2
    assert result["warnings"] and "nope00" in result["warnings"][0]
    first = apigw.get_api_key(apiKey=result["ids"][0], includeValue=True)
    assert (first["name"], first["enabled"], first["description"]) == (
        "first",
        True,
        "An imported key",
    )
    assert apigw.get_api_key(apiKey=result["ids"][1])["enabled"] is False
    keys = {k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan)["items"]}
    assert keys == set(result["ids"])
    url = keyed.url("prod", "/paid")
    assert call(url, headers={"x-api-key": "importedkey0123456789abcd"}).status == 200
    # The same key again overwrites it (here: disables it).
    again = apigw.import_api_keys(
        body=b"key,name,enabled\nimportedkey0123456789abcd,first,false\n", format="csv"
    )
    assert again["ids"] == [result["ids"][0]]
    assert call(url, headers={"x-api-key": "importedkey0123456789abcd"}).status == 403
    with pytest.raises(ClientError) as excinfo:
        apigw.import_api_keys(body=b"name\nonly-a-name\n", format="csv")
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
