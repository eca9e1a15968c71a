"""Authorizers declared in an app: a REST API's Lambda TOKEN authorizer, an HTTP API's
Lambda REQUEST authorizer (simple responses) and JWT authorizer; changing a route's
authorizer updates the API in place."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from conftest import make_client
from deploy_support import RecordingTarget, app_name, every, write_app

from cloudlet.app import load
from cloudlet.deploy import apply, destroy, plan

APP = """
from cloudlet.app import App

app = App("{name}")
hello = app.function("hello", code="functions/hello")
gate = app.function("gate", code="functions/gate")

rest = app.rest_api("rest")
token = rest.lambda_authorizer("token", gate, ttl=0)
rest.route("GET", "/me", hello, authorizer=token)
rest.route("GET", "/open", hello)

web = app.http_api("web")
simple = web.lambda_authorizer("simple", gate, ttl=0)
users = web.jwt_authorizer("users", issuer="https://issuer.example.com", audience=["shop"])
web.route("GET", "/me", hello, authorizer=simple)
web.route("GET", "/orders", hello, authorizer=users, scopes=["orders:read"])
app.output("rest_url", rest.url)
app.output("web_url", web.url)
"""
HELLO = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"
GATE = """
def handler(event, context):
    if "authorizationToken" in event:  # REST TOKEN authorizer
        effect = "Allow" if event["authorizationToken"] == "Bearer good" else "Deny"
        statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
        return {"principalId": "user", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
    return {"isAuthorized": event["headers"].get("authorization") == "Bearer good"}
"""


def status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, endpoint: str) -> Any:
    folder = tmp_path_factory.mktemp("authz")
    name = app_name("authz")
    file = write_app(folder, APP.format(name=name), {"hello": HELLO, "gate": GATE})
    outputs = apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    yield {"file": file, "name": name, "outputs": outputs.values, "endpoint": endpoint}
    destroy(name, "dev", RecordingTarget(endpoint))


def test_rest_token_authorizer_guards_its_route(deployed: dict[str, Any]) -> None:
    url = deployed["outputs"]["rest_url"]
    assert status(url + "/me") == 401
    assert status(url + "/me", "Bearer bad") == 403
    assert status(url + "/me", "Bearer good") == 200
    assert status(url + "/open") == 200


def test_http_request_authorizer_guards_its_route(deployed: dict[str, Any]) -> None:
    url = deployed["outputs"]["web_url"]
    assert status(url + "/me") == 401
    assert status(url + "/me", "Bearer bad") == 403
    assert status(url + "/me", "Bearer good") == 200


def test_jwt_authorizer_configuration(deployed: dict[str, Any]) -> None:
    v2 = make_client("apigatewayv2", deployed["endpoint"])
    api = next(
        a for a in every(v2, "get_apis", "Items") if a["Name"] == f"{deployed['name']}-dev-web"
    )
    found = {a["Name"]: a for a in v2.get_authorizers(ApiId=api["ApiId"])["Items"]}
    assert found["users"]["AuthorizerType"] == "JWT"
    assert found["users"]["JwtConfiguration"] == {
        "Issuer": "https://issuer.example.com",
        "Audience": ["shop"],
    }
    route = next(
        r for r in v2.get_routes(ApiId=api["ApiId"])["Items"] if r["RouteKey"] == "GET /orders"
    )
    assert (route["AuthorizationType"], route["AuthorizerId"]) == (
        "JWT",
        found["users"]["AuthorizerId"],
    )
    assert route["AuthorizationScopes"] == ["orders:read"]
    assert status(deployed["outputs"]["web_url"] + "/orders") == 401


def test_redeploy_is_a_no_op_and_dropping_an_authorizer_opens_the_route(
    deployed: dict[str, Any],
) -> None:
    file = deployed["file"]
    assert plan(load(file), "dev", RecordingTarget(deployed["endpoint"])).empty
    file.write_text(
        file.read_text().replace(
            'rest.route("GET", "/me", hello, authorizer=token)', 'rest.route("GET", "/me", hello)'
        )
    )
    changed = plan(load(file), "dev", RecordingTarget(deployed["endpoint"]))
    assert [(c.kind, c.action) for c in changed.pending] == [("rest_api", "update")]
    apply(changed)
    assert status(deployed["outputs"]["rest_url"] + "/me") == 200
    assert plan(load(file), "dev", RecordingTarget(deployed["endpoint"])).empty
    apigw = make_client("apigateway", deployed["endpoint"])
    api = next(
        a
        for a in every(apigw, "get_rest_apis", "items")
        if a["name"] == f"{deployed['name']}-dev-rest"
    )
    assert (
        json.dumps(apigw.get_authorizers(restApiId=api["id"])["items"]).count('"name": "token"')
        == 1
    )
