"""REST and HTTP APIs deployed from an app: proxy() wires `prefix` and
`prefix/{proxy+}`, routes reach their functions over HTTP, redeploys are no-ops,
route changes update the API in place and redeploy the stage."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import make_client
from deploy_support import RecordingTarget, app_name, every, write_app

from cloudlet.app import load
from cloudlet.deploy import apply, destroy, plan

APP = """
from cloudlet.app import App

app = App("{name}")
users = app.table("users", key=("userId", "S"))
auth = app.function("auth", code="functions/auth")
auth.link(users)
other = app.function("other", code="functions/other")
api = app.rest_api("shop")
api.proxy("/auth", auth)
api.route("GET", "/health", other)
web = app.http_api("web")
web.proxy("/auth", auth)
web.route("POST", "/orders", other)
app.output("api_url", api.url)
app.output("web_url", web.url)
"""
ECHO = """
import json, os

def handler(event, context):
    path = event.get("path") or event.get("rawPath")
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    body = {"fn": "%s", "path": path, "method": method, "table": os.environ.get("USERS_TABLE_NAME")}
    return {"statusCode": 200, "body": json.dumps(body)}
"""


def get(url: str, method: str = "GET") -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, endpoint: str) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("apis")
    name = app_name("api")
    file = write_app(
        folder, APP.format(name=name), {"auth": ECHO % "auth", "other": ECHO % "other"}
    )
    outputs = apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    return {"file": file, "name": name, "outputs": outputs.values, "endpoint": endpoint}


def test_rest_api_proxy_reaches_the_function_at_prefix_and_below(deployed: dict[str, Any]) -> None:
    url = deployed["outputs"]["api_url"]
    table = f"{deployed['name']}-dev-users"
    assert get(url + "/auth") == (
        200,
        {"fn": "auth", "path": "/auth", "method": "GET", "table": table},
    )
    status, body = get(url + "/auth/signup/now", "POST")
    assert (status, body["fn"], body["path"], body["method"]) == (
        200,
        "auth",
        "/auth/signup/now",
        "POST",
    )
    status, body = get(url + "/health")
    assert (status, body["fn"]) == (200, "other")
    assert get(url + "/health", "POST")[0] in (403, 404, 405)  # only GET was routed


def test_rest_api_resources_and_permissions_are_as_aws_would_have_them(
    deployed: dict[str, Any],
) -> None:
    endpoint, prefix = deployed["endpoint"], f"{deployed['name']}-dev-"
    apigw = make_client("apigateway", endpoint)
    api = next(a for a in every(apigw, "get_rest_apis", "items") if a["name"] == prefix + "shop")
    assert api["tags"] == {"cloudlet:app": deployed["name"], "cloudlet:stage": "dev"}
    resources = apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]
    methods = {(r["path"], m) for r in resources for m in r.get("resourceMethods", {})}
    assert methods == {("/auth", "ANY"), ("/auth/{proxy+}", "ANY"), ("/health", "GET")}
    integration = apigw.get_integration(restApiId=api["id"], resourceId=next(r["id"] for r in resources if r["path"] == "/auth"), httpMethod="ANY")  # fmt: skip
    assert integration["type"] == "AWS_PROXY"
    assert integration["uri"].endswith(f"function:{prefix}auth/invocations")
    lam = make_client("lambda", endpoint)
    policy = json.loads(lam.get_policy(FunctionName=prefix + "auth")["Policy"])
    sources = {
        s["Condition"]["ArnLike"]["AWS:SourceArn"].rsplit(":", 1)[1]
        for s in policy["Statement"]
        if s["Principal"] == {"Service": "apigateway.amazonaws.com"}
    }
    assert f"{api['id']}/*" in sources and len(sources) == 2  # the REST and the HTTP API


def test_http_api_routes(deployed: dict[str, Any]) -> None:
    url = deployed["outputs"]["web_url"]
    status, body = get(url + "/auth/a/b")
    assert (status, body["fn"], body["path"]) == (200, "auth", "/auth/a/b")
    status, body = get(url + "/orders", "POST")
    assert (status, body["fn"], body["method"]) == (200, "other", "POST")
    assert get(url + "/orders")[0] == 404


def test_redeploy_without_changes_writes_nothing(deployed: dict[str, Any]) -> None:
    target = RecordingTarget(deployed["endpoint"])
    again = plan(load(deployed["file"]), "dev", target)
    assert again.empty, again.pending
    assert target.writes() == []


def test_route_changes_update_the_apis_in_place(deployed: dict[str, Any]) -> None:
    file: Path = deployed["file"]
    source = file.read_text()
    file.write_text(
        source.replace(
            'api.route("GET", "/health", other)', 'api.route("GET", "/status/{id}", other)'
        ).replace('web.route("POST", "/orders", other)', 'web.route("GET", "/orders", auth)')
    )
    target = RecordingTarget(deployed["endpoint"])
    changed = plan(load(file), "dev", target)
    assert sorted((c.kind, c.action) for c in changed.pending) == [
        ("http_api", "update"),
        ("rest_api", "update"),
    ]
    outputs = apply(changed)
    assert outputs.values == deployed["outputs"]  # same APIs, same URLs
    assert not {op for _, op in target.writes()} & {
        "CreateRestApi",
        "DeleteRestApi",
        "CreateApi",
        "DeleteApi",
    }
    assert ("apigateway", "CreateDeployment") in target.writes()
    api_url, web_url = outputs.values["api_url"], outputs.values["web_url"]
    status, body = get(api_url + "/status/7")
    assert (status, body["fn"], body["path"]) == (200, "other", "/status/7")
    assert get(api_url + "/health")[0] in (403, 404)
    status, body = get(web_url + "/orders")
    assert (status, body["fn"]) == (200, "auth")
    assert plan(load(file), "dev", RecordingTarget(deployed["endpoint"])).empty
    # The HTTP API no longer invokes `other`: its grant is taken back; the REST API's stays.
    lam = make_client("lambda", deployed["endpoint"])
    policy = json.loads(lam.get_policy(FunctionName=f"{deployed['name']}-dev-other")["Policy"])
    web_id = web_url.split("/execute-api/")[1].split("/")[0]
    api_id = api_url.split("/restapis/")[1].split("/")[0]
    sources = [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]]
    assert [src.rsplit(":", 1)[1] for src in sources] == [f"{api_id}/*"]
    assert web_id not in json.dumps(policy)


def test_an_api_without_routes_has_no_stage(deployed: dict[str, Any]) -> None:
    file: Path = deployed["file"]
    source = file.read_text()
    lines = [line for line in source.splitlines() if not line.startswith("api.")]
    file.write_text("\n".join(lines) + "\n")
    changed = plan(load(file), "dev", RecordingTarget(deployed["endpoint"]))
    assert [(c.kind, c.action) for c in changed.pending] == [("rest_api", "update")]
    apply(changed)
    assert get(deployed["outputs"]["api_url"] + "/auth")[0] in (403, 404)
    assert plan(load(file), "dev", RecordingTarget(deployed["endpoint"])).empty
    file.write_text(source)
    apply(plan(load(file), "dev", RecordingTarget(deployed["endpoint"])))
    assert get(deployed["outputs"]["api_url"] + "/auth")[0] == 200


def test_destroy_removes_the_apis(deployed: dict[str, Any]) -> None:
    deleted = destroy(deployed["name"], "dev", RecordingTarget(deployed["endpoint"]))
    assert {"rest_api", "http_api", "function", "role", "table"} == {c.kind for c in deleted}
    apigw = make_client("apigateway", deployed["endpoint"])
    assert not [
        a for a in every(apigw, "get_rest_apis", "items") if a["name"].startswith(deployed["name"])
    ]
    v2 = make_client("apigatewayv2", deployed["endpoint"])
    assert not [a for a in every(v2, "get_apis", "Items") if a["Name"].startswith(deployed["name"])]


CORS = """
from cloudlet.app import App

app = App("{name}")
fn = app.function("fn", code="functions/fn")
web = app.http_api("web", cors={cors})
web.route("GET", "/x", fn)
app.output("url", web.url)
"""


def test_http_api_cors(tmp_path: Path, endpoint: str) -> None:
    name = app_name("cors")
    file = write_app(tmp_path, CORS.format(name=name, cors=True), {"fn": ECHO % "fn"})
    outputs = apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    v2 = make_client("apigatewayv2", endpoint)
    api = next(a for a in every(v2, "get_apis", "Items") if a["Name"] == f"{name}-dev-web")
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    preflight = urllib.request.Request(
        outputs.values["url"] + "/x", method="OPTIONS",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"},
    )  # fmt: skip
    with urllib.request.urlopen(preflight, timeout=30) as response:
        assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty

    narrow = '{"allow_origins": ["https://shop.example"], "allow_methods": ["GET", "POST"], "max_age": 60}'
    file.write_text(CORS.format(name=name, cors=narrow))
    changed = plan(load(file), "dev", RecordingTarget(endpoint))
    assert [(c.kind, c.reason) for c in changed.pending] == [("http_api", "Cors changed")]
    apply(changed)
    api = v2.get_api(ApiId=api["ApiId"])
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://shop.example"]
    assert api["CorsConfiguration"]["MaxAge"] == 60
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty

    file.write_text(CORS.format(name=name, cors=False))
    apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    assert "CorsConfiguration" not in v2.get_api(ApiId=api["ApiId"])
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty
    destroy(name, "dev", RecordingTarget(endpoint))
