"""Calling deployed HTTP APIs: routes, payload formats 2.0 and 1.0, responses, stages,
deployments, quick create, HTTP_PROXY, CORS."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import make_client
from test_apigatewayv2_support import ECHO, function, lambda_api, send, url

ORDERS = """
import json, uuid
def handler(event, context):
    order = json.loads(event["body"])
    return {"statusCode": 201, "headers": {"content-type": "application/json"},
            "body": json.dumps({"orderId": str(uuid.uuid4()), "items": order["items"],
                                "status": "PENDING"})}
"""

RESPONSES = """
import base64, json, time
def handler(event, context):
    kind = event["rawPath"].rsplit("/", 1)[-1]
    if kind == "plain":
        return {"hello": "world"}
    if kind == "string":
        return "just text"
    if kind == "cookies":
        return {"statusCode": 200, "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
                "headers": {"x-custom": "yes"}, "body": "ok"}
    if kind == "binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "isBase64Encoded": True,
                "body": base64.b64encode(bytes(range(256))).decode()}
    if kind == "teapot":
        return {"statusCode": 418, "body": "short and stout"}
    if kind == "raise":
        raise RuntimeError("boom")
    if kind == "malformed":
        return {"statusCode": "not a number"}
    if kind == "badheader":
        return {"statusCode": 200, "headers": {"x-a": "1\\r\\nx-evil: 2"}, "body": "no"}
    if kind == "badname":
        return {"statusCode": 200, "headers": {"bad name": "1"}, "body": "no"}
    if kind == "slow":
        time.sleep(3)
        return {"statusCode": 200, "body": "late"}
    return {"statusCode": 200, "body": "?"}
"""


@pytest.fixture(scope="module")
def apigw(endpoint: str) -> Any:
    return make_client("apigatewayv2", endpoint)


@pytest.fixture(scope="module")
def lam(endpoint: str) -> Any:
    return make_client("lambda", endpoint)


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    return function(lam, ECHO)


@pytest.fixture(scope="module")
def routed(apigw: Any, echo: str) -> str:
    return lambda_api(
        apigw,
        echo,
        [
            "GET /items",
            "POST /items",
            "GET /items/{id}",
            "GET /items/special",
            "ANY /files/{path+}",
            "GET /users/{user}/orders/{order}",
            "$default",
        ],
    )


def test_seed_003_post_orders(endpoint: str, apigw: Any, lam: Any) -> None:
    arn = function(lam, ORDERS)
    api_id = lambda_api(apigw, arn, ["POST /orders"])
    body = json.dumps({"items": [{"sku": "A1", "qty": 2}]}).encode()
    reply = send(endpoint, url(api_id, "$default", "/orders"), "POST", body,
                 {"content-type": "application/json"})  # fmt: skip
    assert reply.status == 201
    order = reply.json()
    assert order["status"] == "PENDING" and order["items"] == [{"sku": "A1", "qty": 2}]
    assert len(order["orderId"]) == 36
    # GET on the same path has no route and there is no $default: 404 as HTTP APIs answer.
    missing = send(endpoint, url(api_id, "$default", "/orders"))
    assert missing.status == 404 and missing.json() == {"message": "Not Found"}


def test_routing_by_method_and_path(endpoint: str, routed: str) -> None:
    def route_of(method: str, path: str) -> tuple[str, Any]:
        reply = send(
            endpoint, url(routed, "$default", path), method, b"x" if method == "POST" else None
        )
        assert reply.status == 200, reply.body
        event = reply.json()
        return event["routeKey"], event.get("pathParameters")

    assert route_of("GET", "/items") == ("GET /items", None)
    assert route_of("POST", "/items") == ("POST /items", None)
    assert route_of("GET", "/items/42") == ("GET /items/{id}", {"id": "42"})
    # A literal segment is more specific than a parameter.
    assert route_of("GET", "/items/special") == ("GET /items/special", None)
    assert route_of("GET", "/users/u1/orders/o9") == (
        "GET /users/{user}/orders/{order}",
        {"user": "u1", "order": "o9"},
    )
    assert route_of("DELETE", "/files/a/b/c.txt") == ("ANY /files/{path+}", {"path": "a/b/c.txt"})
    # Segments are decoded one by one: an encoded "/" stays inside its parameter.
    assert route_of("GET", "/items/a%2Fb") == ("GET /items/{id}", {"id": "a/b"})
    assert route_of("GET", "/items/x%20y") == ("GET /items/{id}", {"id": "x y"})
    assert route_of("GET", "/item%73") == ("GET /items", None)
    # A greedy variable needs at least one segment; the rest falls to $default.
    assert route_of("GET", "/files") == ("$default", None)
    assert route_of("PUT", "/items") == ("$default", None)
    assert route_of("GET", "/nowhere/at/all") == ("$default", None)


def test_payload_2_event(endpoint: str, routed: str) -> None:
    headers = [
        ("X-Multi", "one"),
        ("X-Multi", "two"),
        ("Cookie", "c1=v1; c2=v2"),
        ("User-Agent", "tests/1.0"),
        ("Content-Type", "application/json"),
    ]
    path = url(routed, "$default", "/items/7?a=1&a=2&b=x%20y")
    reply = send(endpoint, path, "GET", b'{"k": 1}', headers)
    event = reply.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"id": "7"}
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    assert "stageVariables" not in event
    ctx = event["requestContext"]
    assert ctx["apiId"] == routed and ctx["accountId"] == "000000000000"
    assert ctx["stage"] == "$default" and ctx["routeKey"] == "GET /items/{id}"
    assert ctx["domainPrefix"] == routed
    assert ctx["http"] == {
        "method": "GET",
        "path": "/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests/1.0",
    }
    assert isinstance(ctx["timeEpoch"], int) and ctx["requestId"]
    assert reply.header("apigw-requestid") == ctx["requestId"]
    assert "authorizer" not in ctx


def test_binary_request_body_is_base64(endpoint: str, routed: str) -> None:
    data = bytes(range(256))
    reply = send(endpoint, url(routed, "$default", "/items"), "POST", data,
                 {"content-type": "application/octet-stream"})  # fmt: skip
    event = reply.json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


def test_host_form_and_stage_prefix(endpoint: str, routed: str) -> None:
    port = urlsplit(endpoint).port
    host = f"{routed}.execute-api.localhost.localstack.cloud:{port}"
    reply = send(endpoint, "/items/5", host=host)
    assert reply.status == 200 and reply.json()["pathParameters"] == {"id": "5"}
    # A first segment that is no stage is part of the path on `$default`.
    reply = send(endpoint, url(routed, "items", "/9"))
    assert reply.status == 200 and reply.json()["routeKey"] == "GET /items/{id}"


def test_payload_1_event(endpoint: str, apigw: Any, echo: str) -> None:
    api_id = lambda_api(apigw, echo, ["GET /things/{id}"], version="1.0")
    headers = [("X-Multi", "one"), ("X-Multi", "two")]
    reply = send(endpoint, url(api_id, "$default", "/things/3?q=1&q=2"), headers=headers)
    assert reply.status == 200
    event = reply.json()
    assert event["version"] == "1.0"
    assert event["resource"] == "/things/{id}"
    assert event["path"] == "/things/3"
    assert event["httpMethod"] == "GET"
    assert event["multiValueHeaders"]["x-multi"] == ["one", "two"]
    assert event["headers"]["x-multi"] == "two"
    assert event["queryStringParameters"] == {"q": "2"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    assert event["pathParameters"] == {"id": "3"}
    assert event["stageVariables"] is None and event["body"] is None
    ctx = event["requestContext"]
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["stage"] == "$default" and ctx["httpMethod"] == "GET"
    assert ctx["resourcePath"] == "/things/{id}"


@pytest.fixture(scope="module")
def responses_api(apigw: Any, lam: Any) -> str:
    arn = function(lam, RESPONSES, Timeout=10)
    api_id = lambda_api(apigw, arn, ["GET /r/{kind}"])
    integration = apigw.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    # A short integration timeout for the "slow" case.
    apigw.update_integration(ApiId=api_id, IntegrationId=integration, TimeoutInMillis=1000)
    return api_id


def test_response_without_status_code_is_json_body(endpoint: str, responses_api: str) -> None:
    reply = send(endpoint, url(responses_api, "$default", "/r/plain"))
    assert reply.status == 200 and reply.header("content-type") == "application/json"
    assert reply.json() == {"hello": "world"}
    reply = send(endpoint, url(responses_api, "$default", "/r/string"))
    assert reply.status == 200 and reply.json() == "just text"


def test_cookies_and_headers(endpoint: str, responses_api: str) -> None:
    reply = send(endpoint, url(responses_api, "$default", "/r/cookies"))
    assert reply.status == 200 and reply.body == b"ok"
    assert reply.all("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert reply.header("x-custom") == "yes"


def test_binary_response(endpoint: str, responses_api: str) -> None:
    reply = send(endpoint, url(responses_api, "$default", "/r/binary"))
    assert reply.status == 200 and reply.body == bytes(range(256))
    assert reply.header("content-type") == "image/png"
    assert send(endpoint, url(responses_api, "$default", "/r/teapot")).status == 418


def test_function_errors(endpoint: str, responses_api: str) -> None:
    for kind in ("raise", "malformed", "badheader", "badname"):
        reply = send(endpoint, url(responses_api, "$default", f"/r/{kind}"))
        assert reply.status == 500, kind
        assert reply.json() == {"message": "Internal Server Error"}


def test_integration_timeout(endpoint: str, responses_api: str) -> None:
    reply = send(endpoint, url(responses_api, "$default", "/r/slow"))
    assert reply.status == 503 and reply.json() == {"message": "Service Unavailable"}


def test_quick_create(endpoint: str, apigw: Any, echo: str) -> None:
    api = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=echo)
    api_id = api["ApiId"]
    routes = apigw.get_routes(ApiId=api_id)["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    assert routes[0]["ApiGatewayManaged"] is True
    integration = apigw.get_integrations(ApiId=api_id)["Items"][0]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert routes[0]["Target"] == f"integrations/{integration['IntegrationId']}"
    stage = apigw.get_stage(ApiId=api_id, StageName="$default")
    assert stage["AutoDeploy"] is True and stage["DeploymentId"]
    reply = send(endpoint, url(api_id, "$default", "/any/path?x=1"), "PATCH")
    assert reply.status == 200 and reply.json()["routeKey"] == "$default"


def test_qualified_function_and_invocation_uri(endpoint: str, apigw: Any, echo: str) -> None:
    invocation = (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{echo}:$LATEST/invocations"
    )
    api_id = lambda_api(apigw, invocation, ["GET /q"])
    reply = send(endpoint, url(api_id, "$default", "/q"))
    assert reply.status == 200 and reply.json()["routeKey"] == "GET /q"
    # A function that does not exist: the invocation fails, 500 as on AWS.
    missing = echo.rsplit(":", 1)[0] + ":no-such-function"
    api_id = lambda_api(apigw, missing, ["GET /q"])
    reply = send(endpoint, url(api_id, "$default", "/q"))
    assert reply.status == 500 and reply.json() == {"message": "Internal Server Error"}


def test_auto_deploy_picks_up_new_routes(endpoint: str, apigw: Any, echo: str) -> None:
    api_id = lambda_api(apigw, echo, ["GET /one"])
    assert send(endpoint, url(api_id, "$default", "/two")).status == 404
    integration = apigw.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    route = apigw.create_route(
        ApiId=api_id, RouteKey="GET /two", Target=f"integrations/{integration}"
    )
    assert send(endpoint, url(api_id, "$default", "/two")).status == 200
    apigw.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    assert send(endpoint, url(api_id, "$default", "/two")).status == 404


def test_explicit_deployments_and_stage_variables(endpoint: str, apigw: Any, echo: str) -> None:
    api_id = apigw.create_api(Name="manual", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /v", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "blue"})
    # A stage without a deployment serves nothing.
    assert send(endpoint, url(api_id, "prod", "/v")).status == 404
    first = apigw.create_deployment(ApiId=api_id, StageName="prod", Description="first")
    assert first["DeploymentStatus"] == "DEPLOYED" and first["AutoDeployed"] is False
    reply = send(endpoint, url(api_id, "prod", "/v"))
    assert reply.status == 200
    event = reply.json()
    assert event["stageVariables"] == {"color": "blue"}
    assert event["requestContext"]["stage"] == "prod"
    assert event["rawPath"] == "/prod/v"
    # A route added later is served only once deployed.
    apigw.create_route(ApiId=api_id, RouteKey="GET /w", Target=f"integrations/{integration}")
    assert send(endpoint, url(api_id, "prod", "/w")).status == 404
    second = apigw.create_deployment(ApiId=api_id, StageName="prod")
    assert send(endpoint, url(api_id, "prod", "/w")).status == 200
    # Back to the first deployment: the snapshot without /w.
    apigw.update_stage(ApiId=api_id, StageName="prod", DeploymentId=first["DeploymentId"])
    assert send(endpoint, url(api_id, "prod", "/w")).status == 404
    ids = {d["DeploymentId"] for d in apigw.get_deployments(ApiId=api_id)["Items"]}
    assert ids == {first["DeploymentId"], second["DeploymentId"]}
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.delete_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])
    apigw.delete_deployment(ApiId=api_id, DeploymentId=second["DeploymentId"])
    # The host form: the first segment names the stage.
    port = urlsplit(endpoint).port
    reply = send(
        endpoint, "/prod/v", host=f"{api_id}.execute-api.localhost.localstack.cloud:{port}"
    )
    assert reply.status == 200 and reply.json()["requestContext"]["stage"] == "prod"


def test_disabled_execute_api_endpoint(endpoint: str, apigw: Any, echo: str) -> None:
    api_id = apigw.create_api(Name="off", ProtocolType="HTTP", Target=echo)["ApiId"]
    assert send(endpoint, url(api_id, "$default", "/x")).status == 200
    apigw.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
    reply = send(endpoint, url(api_id, "$default", "/x"))
    assert reply.status == 403 and reply.json() == {"message": "Forbidden"}


def test_stage_variable_in_lambda_uri(endpoint: str, apigw: Any, echo: str) -> None:
    api_id = apigw.create_api(Name="vars", ProtocolType="HTTP")["ApiId"]
    base, name = echo.rsplit(":", 1)
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=base + ":${stageVariables.fn}",
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /v", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="good", AutoDeploy=True, StageVariables={"fn": name})
    apigw.create_stage(
        ApiId=api_id, StageName="bad", AutoDeploy=True, StageVariables={"fn": "none"}
    )
    reply = send(endpoint, url(api_id, "good", "/v"))
    assert reply.status == 200 and reply.json()["stageVariables"] == {"fn": name}
    assert send(endpoint, url(api_id, "bad", "/v")).status == 500


def test_unknown_api_is_not_found(endpoint: str) -> None:
    reply = send(endpoint, url("nosuchapi0", "$default", "/x"))
    assert reply.status == 404 and reply.json() == {"message": "Not Found"}


# -- HTTP_PROXY ---------------------------------------------------------------------------


class _Backend(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "body": body.decode(),
                "x-test": self.headers.get("x-test"),
            }  # fmt: skip
        ).encode()
        self.send_response(207)
        self.send_header("content-type", "application/json")
        self.send_header("x-backend", "1")
        self.send_header("access-control-allow-origin", "https://backend.example")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_proxy(endpoint: str, apigw: Any, backend: str) -> None:
    api_id = apigw.create_api(Name="proxy", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri=backend + "/base/{proxy}",
        IntegrationMethod="ANY",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api_id, RouteKey="ANY /api/{proxy+}", Target=f"integrations/{integration}"
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    reply = send(
        endpoint, url(api_id, "$default", "/api/a/b?z=1"), "PUT", b"payload", {"x-test": "t"}
    )
    assert reply.status == 207 and reply.header("x-backend") == "1"
    assert reply.json() == {
        "method": "PUT",
        "path": "/base/a/b?z=1",
        "body": "payload",
        "x-test": "t",
    }


def test_http_proxy_unreachable(endpoint: str, apigw: Any) -> None:
    api = apigw.create_api(Name="dead", ProtocolType="HTTP", Target="http://127.0.0.1:9/nothing")
    reply = send(endpoint, url(api["ApiId"], "$default", "/x"))
    assert reply.status == 500 and reply.json() == {"message": "Internal Server Error"}


# -- CORS ---------------------------------------------------------------------------------


def test_cors(endpoint: str, apigw: Any, backend: str, echo: str) -> None:
    cors = {
        "AllowOrigins": ["https://app.example", "https://*.trusted.example"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization", "content-type"],
        "ExposeHeaders": ["x-request-id"],
        "MaxAge": 300,
        "AllowCredentials": True,
    }
    api = apigw.create_api(Name="cors", ProtocolType="HTTP", Target=backend, CorsConfiguration=cors)
    api_id = api["ApiId"]
    assert api["CorsConfiguration"]["AllowOrigins"] == cors["AllowOrigins"]
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    reply = send(endpoint, url(api_id, "$default", "/anything"), "OPTIONS", headers=preflight)
    assert reply.status == 204 and reply.body == b""
    assert reply.header("access-control-allow-origin") == "https://app.example"
    assert reply.header("access-control-allow-methods") == "GET,POST"
    assert reply.header("access-control-allow-headers") == "authorization,content-type"
    assert reply.header("access-control-max-age") == "300"
    assert reply.header("access-control-allow-credentials") == "true"
    assert reply.header("x-backend") is None  # answered by the gateway
    # A wildcard origin, and a disallowed one (no CORS headers).
    wild = dict(preflight, Origin="https://a.trusted.example")
    reply = send(endpoint, url(api_id, "$default", "/x"), "OPTIONS", headers=wild)
    assert reply.header("access-control-allow-origin") == "https://a.trusted.example"
    evil = dict(preflight, Origin="https://evil.example")
    reply = send(endpoint, url(api_id, "$default", "/x"), "OPTIONS", headers=evil)
    assert reply.status == 204 and reply.header("access-control-allow-origin") is None
    # An actual request: the gateway's CORS headers replace the backend's.
    reply = send(endpoint, url(api_id, "$default", "/x"), headers={"Origin": "https://app.example"})
    assert reply.status == 207 and reply.header("x-backend") == "1"
    assert reply.all("access-control-allow-origin") == ["https://app.example"]
    assert reply.header("access-control-expose-headers") == "x-request-id"
    # Without an Origin no CORS headers at all.
    reply = send(endpoint, url(api_id, "$default", "/x"))
    assert reply.header("access-control-allow-origin") is None
    # Removing the configuration (auto-deployed) stops the gateway answering preflights.
    apigw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in apigw.get_api(ApiId=api_id)
    reply = send(endpoint, url(api_id, "$default", "/x"), "OPTIONS", headers=preflight)
    assert reply.header("x-backend") == "1"
