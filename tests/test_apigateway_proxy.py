"""REST APIs with Lambda proxy integrations (AWS_PROXY), called over plain HTTP: the seed
000 wiring, the payload 1.0 event, response parsing, binary bodies, errors, and
deployments as snapshots."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import make_client
from test_apigateway_support import ACCOUNT, ECHO, Builder, call, wait_for


@pytest.fixture(scope="module")
def seed(endpoint: str) -> Builder:
    """Seed 000's wiring: ANY on /auth and /auth/{proxy+} to one function, stage "local"."""
    api = Builder(endpoint, "seed-000")
    fn = api.function(ECHO)
    for path in ("/auth", "/auth/{proxy+}"):
        resource = api.proxy(path, fn, requestParameters={"method.request.path.proxy": True})
        assert resource
    api.proxy("/items/{id}", fn, "GET")
    api.proxy("/items/special", fn, "GET")
    api.apigw.update_rest_api(
        restApiId=api.api_id,
        patchOperations=[{"op": "add", "path": "/binaryMediaTypes/image~1png"}],
    )
    api.deploy("local", variables={"table": "orders"})
    return api


def _event(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    event: dict[str, Any] = reply.json()
    return event


def test_root_and_proxy_resources_both_reach_the_function(seed: Builder) -> None:
    root = _event(call(seed.url("local", "/auth"), "POST", b'{"a":1}'))
    assert root["resource"] == "/auth"
    assert root["path"] == "/auth"
    assert root["pathParameters"] is None
    assert root["body"] == '{"a":1}'
    assert root["isBase64Encoded"] is False

    deep = _event(call(seed.url("local", "/auth/signup/confirm"), "POST", b"x"))
    assert deep["resource"] == "/auth/{proxy+}"
    assert deep["path"] == "/auth/signup/confirm"
    assert deep["pathParameters"] == {"proxy": "signup/confirm"}
    assert deep["httpMethod"] == "POST"


def test_trailing_slash_reaches_the_prefix_resource_not_the_greedy_one(seed: Builder) -> None:
    # {proxy+} needs at least one segment: /auth/ is /auth, as on AWS, and the event
    # keeps the path as sent.
    event = _event(call(seed.url("local", "/auth/"), "GET"))
    assert event["resource"] == "/auth"
    assert event["path"] == "/auth/"


def test_without_the_prefix_resource_the_bare_prefix_is_missing(endpoint: str) -> None:
    api = Builder(endpoint, "proxy-only")
    fn = api.function(ECHO)
    api.proxy("/auth/{proxy+}", fn)
    api.deploy("local")
    reply = call(api.url("local", "/auth"), "POST", b"{}")
    assert reply.status == 403
    assert reply.json() == {"message": "Missing Authentication Token"}
    assert reply.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    assert _event(call(api.url("local", "/auth/x"), "POST", b"{}"))["path"] == "/auth/x"


def test_literal_beats_parameter(seed: Builder) -> None:
    special = _event(call(seed.url("local", "/items/special")))
    assert special["resource"] == "/items/special"
    other = _event(call(seed.url("local", "/items/42")))
    assert other["resource"] == "/items/{id}"
    assert other["pathParameters"] == {"id": "42"}
    encoded = _event(call(seed.url("local", "/items/a%20b")))
    assert encoded["pathParameters"] == {"id": "a b"}


def test_event_has_payload_1_0_fields(seed: Builder) -> None:
    reply = call(
        seed.url("local", "/auth/me?x=1&tag=a&tag=b&empty="),
        "PUT",
        b"hello",
        headers=[("X-Trace", "one"), ("X-Trace", "two"), ("User-Agent", "tester/1.0")],
    )
    event = _event(reply)
    assert event["queryStringParameters"] == {"x": "1", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {
        "x": ["1"],
        "tag": ["a", "b"],
        "empty": [""],
    }
    assert event["headers"]["X-Trace"] == "two"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-Port"] == seed.endpoint.rsplit(":", 1)[1]
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert event["multiValueHeaders"]["X-Trace"] == ["one", "two"]
    assert event["stageVariables"] == {"table": "orders"}
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT
    assert context["apiId"] == seed.api_id
    assert context["stage"] == "local"
    assert context["resourcePath"] == "/auth/{proxy+}"
    assert context["resourceId"] == seed.paths["/auth/{proxy+}"]
    assert context["httpMethod"] == "PUT"
    assert context["path"] == "/local/auth/me"
    assert context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "tester/1.0"
    assert context["requestId"] == reply.header("x-amzn-RequestId")
    assert context["extendedRequestId"] == reply.header("x-amz-apigw-id")
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestTime"].endswith("+0000")


def test_response_headers_and_multi_value_headers(seed: Builder) -> None:
    reply = call(seed.url("local", "/auth"))
    assert reply.status == 200
    assert reply.header("x-handler") == "echo"
    assert reply.header_values("x-multi") == ["a", "b"]
    assert reply.header("content-type") == "application/json"
    assert reply.header("x-amzn-RequestId")
    assert reply.header("x-amz-apigw-id")


def test_binary_request_body_is_base64_for_binary_media_types(seed: Builder) -> None:
    data = bytes(range(256))
    event = _event(
        call(seed.url("local", "/auth/img"), "POST", data, {"Content-Type": "image/png"})
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    text = _event(
        call(seed.url("local", "/auth/t"), "POST", b"plain", {"Content-Type": "text/plain"})
    )
    assert text["isBase64Encoded"] is False
    assert text["body"] == "plain"


def test_the_other_url_forms(seed: Builder) -> None:
    path_style = call(f"{seed.endpoint}/_aws/execute-api/{seed.api_id}/local/auth/a")
    assert _event(path_style)["path"] == "/auth/a"
    host = f"{seed.api_id}.execute-api.localhost.localstack.cloud"
    host_style = call(f"{seed.endpoint}/local/auth/b", host=host)
    event = _event(host_style)
    assert event["path"] == "/auth/b"
    assert event["requestContext"]["domainName"] == host


def test_unknown_stage_and_method(seed: Builder) -> None:
    reply = call(seed.url("nostage", "/auth"))
    assert reply.status == 403
    assert reply.json() == {"message": "Forbidden"}
    reply = call(seed.url("local", "/items/special"), "DELETE")
    assert reply.status == 403
    assert reply.json() == {"message": "Missing Authentication Token"}
    reply = call(seed.url("local", "/nothing/here"))
    assert reply.json() == {"message": "Missing Authentication Token"}


RESPONSES = """
import base64, json
def handler(event, context):
    kind = event["pathParameters"]["proxy"]
    if kind == "binary":
        return {"statusCode": 201, "isBase64Encoded": True,
                "headers": {"content-type": "image/png"},
                "body": base64.b64encode(bytes([0, 255, 1])).decode()}
    if kind == "status-text":
        return {"statusCode": "404", "body": "nope"}
    if kind == "no-body":
        return {"statusCode": 204}
    if kind == "extra-key":
        return {"statusCode": 200, "body": "x", "unexpected": 1}
    if kind == "dict-body":
        return {"statusCode": 200, "body": {"a": 1}}
    if kind == "framing":
        return {"statusCode": 401, "body": "no",
                "headers": {"Content-Length": "999", "WWW-Authenticate": "Bearer", "X-Ok": "1"}}
    if kind == "bad-header":
        return {"statusCode": 200, "headers": {"X-A": "a\\r\\nInjected: 1"}, "body": "x"}
    if kind == "not-object":
        return "just a string"
    if kind == "raise":
        raise RuntimeError("boom")
    if kind == "slow":
        import time; time.sleep(3)
        return {"statusCode": 200, "body": "late"}
    return {"statusCode": 200, "body": kind}
"""


@pytest.fixture(scope="module")
def responses(endpoint: str) -> Builder:
    api = Builder(endpoint, "responses")
    api.apigw.update_rest_api(
        restApiId=api.api_id,
        patchOperations=[{"op": "add", "path": "/binaryMediaTypes/image~1*"}],
    )
    fn = api.function(RESPONSES, Timeout=10)
    api.proxy("/r/{proxy+}", fn)
    api.deploy("v1")
    return api


def test_framing_headers_are_dropped_or_remapped(responses: Builder) -> None:
    reply = call(responses.url("v1", "/r/framing"))
    assert (reply.status, reply.body) == (401, b"no")
    assert reply.header_values("content-length") == ["2"]
    assert reply.header("WWW-Authenticate") is None
    assert reply.header("x-amzn-Remapped-WWW-Authenticate") == "Bearer"
    assert reply.header("X-Ok") == "1"


def test_response_forms(responses: Builder) -> None:
    binary = call(responses.url("v1", "/r/binary"), headers={"Accept": "image/png"})
    assert (binary.status, binary.body) == (201, bytes([0, 255, 1]))
    assert binary.header("content-type") == "image/png"
    # Without an Accept among the binary media types the client gets the base64 text.
    text = call(responses.url("v1", "/r/binary"), headers={"Accept": "application/json"})
    assert text.body == base64.b64encode(bytes([0, 255, 1]))
    text_status = call(responses.url("v1", "/r/status-text"))
    assert (text_status.status, text_status.body) == (404, b"nope")
    empty = call(responses.url("v1", "/r/no-body"))
    assert (empty.status, empty.body) == (204, b"")


@pytest.mark.parametrize("kind", ["extra-key", "dict-body", "not-object", "raise", "bad-header"])
def test_malformed_response_or_function_error_is_502(responses: Builder, kind: str) -> None:
    reply = call(responses.url("v1", f"/r/{kind}"))
    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}


def test_integration_timeout_is_504(responses: Builder) -> None:
    resource = responses.paths["/r/{proxy+}"]
    responses.apigw.update_integration(
        restApiId=responses.api_id,
        resourceId=resource,
        httpMethod="ANY",
        patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "500"}],
    )
    responses.deploy("short")
    reply = call(responses.url("short", "/r/slow"))
    assert reply.status == 504
    assert reply.json() == {"message": "Endpoint request timed out"}
    assert call(responses.url("short", "/r/fine")).body == b"fine"


def test_missing_function_is_500(endpoint: str) -> None:
    api = Builder(endpoint, "no-function")
    api.proxy("/x", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:does-not-exist")
    api.deploy("s")
    reply = call(api.url("s", "/x"))
    assert reply.status == 500
    assert reply.json() == {"message": "Internal server error"}


def test_deployment_is_a_snapshot(endpoint: str) -> None:
    api = Builder(endpoint, "snapshot")
    first = api.function(ECHO)
    api.proxy("/a", first, "GET")
    first_deployment = api.deploy("prod")
    # Later edits: a new resource and a changed integration; prod still serves the old.
    second = api.function("def handler(e, c):\n    return {'statusCode': 200, 'body': 'second'}\n")
    api.proxy("/b", second, "GET")
    api.apigw.update_integration(
        restApiId=api.api_id,
        resourceId=api.paths["/a"],
        httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/uri", "value": _uri(second)}],
    )
    assert json.loads(call(api.url("prod", "/a")).body)["resource"] == "/a"
    assert call(api.url("prod", "/b")).status == 403
    # A new deployment to another stage sees the edits; prod is unchanged until moved.
    second_deployment = api.deploy("next")
    assert call(api.url("next", "/a")).body == b"second"
    assert call(api.url("next", "/b")).body == b"second"
    assert json.loads(call(api.url("prod", "/a")).body)["resource"] == "/a"
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": second_deployment}],
    )
    assert call(api.url("prod", "/b")).body == b"second"
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": first_deployment}],
    )
    assert call(api.url("prod", "/b")).status == 403


def test_stage_variables_in_the_integration_uri(endpoint: str) -> None:
    api = Builder(endpoint, "stage-vars")
    blue = api.function("def handler(e, c):\n    return {'statusCode': 200, 'body': 'blue'}\n")
    green = api.function("def handler(e, c):\n    return {'statusCode': 200, 'body': 'green'}\n")
    resource = api.method("/color", "GET")
    base = blue.rsplit(":", 1)[0]
    api.apigw.put_integration(
        restApiId=api.api_id,
        resourceId=resource,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=_uri(base + ":${stageVariables.fn}"),
    )
    api.deploy("blue", variables={"fn": blue.rsplit(":", 1)[1]})
    api.deploy("green", variables={"fn": green.rsplit(":", 1)[1]})
    assert call(api.url("blue", "/color")).body == b"blue"
    assert call(api.url("green", "/color")).body == b"green"


def test_deleted_api_is_not_found(endpoint: str) -> None:
    api = Builder(endpoint, "deleted")
    api.proxy("/x", api.function(ECHO))
    api.deploy("s")
    assert call(api.url("s", "/x")).status == 200
    api.apigw.delete_rest_api(restApiId=api.api_id)
    assert call(api.url("s", "/x")).status == 404


def _uri(function_arn: str) -> str:
    from test_apigateway_support import lambda_uri

    return lambda_uri(function_arn)


def test_test_invoke_method_runs_the_current_api(seed: Builder) -> None:
    result = seed.apigw.test_invoke_method(
        restApiId=seed.api_id,
        resourceId=seed.paths["/items/{id}"],
        httpMethod="GET",
        pathWithQueryString="/items/5?x=1",
        headers={"X-A": "b"},
        stageVariables={"v": "1"},
    )
    assert result["status"] == 200
    assert result["headers"]["x-handler"] == "echo"
    event = json.loads(result["body"])
    assert event["pathParameters"] == {"id": "5"}
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["headers"] == {"X-A": "b"}
    assert event["stageVariables"] == {"v": "1"}
    assert event["requestContext"]["stage"] == "test-invoke-stage"
    assert "Method completed with status: 200" in result["log"]
    assert "Endpoint request URI: arn:aws:apigateway" in result["log"]


def test_access_logs_reach_cloudwatch_logs(endpoint: str) -> None:
    logs = make_client("logs", endpoint)
    group = f"apigw-access-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}"
    api = Builder(endpoint, "access-logged")
    api.proxy("/hello", api.function(ECHO), "GET")
    api.deploy("prod")
    fmt = (
        '{"id": "$context.requestId", "method": "$context.httpMethod", '
        '"path": "$context.path", "status": "$context.status", '
        '"error": "$context.error.message", "ip": "$context.identity.sourceIp"}'
    )
    with pytest.raises(ClientError):  # the format must name the request id
        api.apigw.update_stage(
            restApiId=api.api_id,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
                {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.status"},
            ],
        )
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
            {"op": "replace", "path": "/accessLogSettings/format", "value": fmt},
        ],
    )
    ok = call(api.url("prod", "/hello"))
    missing = call(api.url("prod", "/nowhere"))
    assert (ok.status, missing.status) == (200, 403)

    def lines() -> list[dict[str, Any]] | None:
        events = logs.filter_log_events(logGroupName=group)["events"]
        found = [json.loads(e["message"]) for e in events]
        return found if len(found) >= 2 else None

    by_id = {line["id"]: line for line in wait_for(lines, what="access log lines")}
    assert by_id[ok.header("x-amzn-RequestId")] == {
        "id": ok.header("x-amzn-RequestId"),
        "method": "GET",
        "path": "/prod/hello",
        "status": "200",
        "error": "-",
        "ip": "127.0.0.1",
    }
    assert by_id[missing.header("x-amzn-RequestId")]["status"] == "403"
    assert by_id[missing.header("x-amzn-RequestId")]["error"] == "Missing Authentication Token"


def test_bodies_over_10_mb_are_refused(seed: Builder) -> None:
    reply = call(seed.url("local", "/auth/big"), "POST", b"x" * (10 * 1024 * 1024 + 1))
    assert (reply.status, reply.json()) == (413, {"message": "Request Too Long"})


def test_execution_logs_follow_the_logging_level(endpoint: str) -> None:
    logs = make_client("logs", endpoint)
    api = Builder(endpoint, "execution-logged")
    api.proxy("/hello", api.function(ECHO), "POST")
    api.proxy("/broken", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:does-not-exist", "GET")
    api.deploy("prod")
    api.deploy("quiet")

    def set_level(stage: str, level: str, data: str) -> None:
        api.apigw.update_stage(
            restApiId=api.api_id,
            stageName=stage,
            patchOperations=[
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": level},
                {"op": "replace", "path": "/*/*/logging/dataTrace", "value": data},
            ],
        )

    set_level("prod", "INFO", "true")
    set_level("quiet", "ERROR", "false")
    ok = call(api.url("prod", "/hello"), "POST", b"marker-body")
    assert ok.status == 200
    quiet_ok = call(api.url("quiet", "/hello"), "POST", b"quiet-body")
    quiet_missing = call(api.url("quiet", "/hello"), "GET")
    assert (quiet_ok.status, quiet_missing.status) == (200, 403)

    def messages(stage: str, needle: str) -> list[str] | None:
        group = f"API-Gateway-Execution-Logs_{api.api_id}/{stage}"
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except ClientError:
            return None
        found = [e["message"] for e in events]
        return found if any(needle in m for m in found) else None

    prod = wait_for(lambda: messages("prod", "Method completed with status: 200"))
    request_id = ok.header("x-amzn-RequestId")
    assert all(line.startswith(f"({request_id}) ") for line in prod)
    assert any("Method request body before transformations: marker-body" in m for m in prod)
    assert any(
        m.startswith(f"({request_id}) Endpoint request URI: arn:aws:apigateway") for m in prod
    )
    assert any("Received response. Status: 200" in m for m in prod)
    # ERROR level: only calls that failed are written.
    broken = call(api.url("quiet", "/broken"))
    assert broken.status == 500
    quiet = wait_for(lambda: messages("quiet", "Method completed with status: 500"))
    assert any(line.startswith(f"({broken.header('x-amzn-RequestId')}) ") for line in quiet)
    assert not any(line.startswith(f"({quiet_ok.header('x-amzn-RequestId')}) ") for line in quiet)
    assert not any("quiet-body" in line for line in quiet)  # no data trace
