"""`cloudlet apis`: the deployed APIs of a running cloudlet and the URLs that reach them."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from typing import Any

import pytest
from conftest import make_client


def _mock_rest_api(v1: Any, name: str) -> str:
    api_id = str(v1.create_rest_api(name=name)["id"])
    root = v1.get_resources(restApiId=api_id)["items"][0]["id"]
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    v1.put_method(**where, authorizationType="NONE")
    v1.put_integration(
        **where, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    v1.put_method_response(**where, statusCode="200")
    v1.put_integration_response(
        **where, statusCode="200", responseTemplates={"application/json": '{"api": "rest"}'}
    )
    v1.create_deployment(restApiId=api_id, stageName="dev")
    return api_id


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudlet", "apis", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_apis_lists_invoke_urls_that_work(endpoint: str) -> None:
    v1 = make_client("apigateway", endpoint)
    v2 = make_client("apigatewayv2", endpoint)
    rest_id = _mock_rest_api(v1, "cli-shop")
    http_id = v2.create_api(Name="cli-orders", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=http_id, StageName="$default", AutoDeploy=True)

    done = _run("--endpoint", endpoint)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rest = lines.index(f"REST API cli-shop ({rest_id}), stage dev:")
    path_url = lines[rest + 1].strip()
    assert path_url == f"{endpoint}/restapis/{rest_id}/dev/_user_request_/"
    assert lines[rest + 2].strip().startswith(f"http://{rest_id}.execute-api.localhost.")
    with urllib.request.urlopen(path_url, timeout=30) as response:
        assert response.read() == b'{"api": "rest"}'
    http = lines.index(f"HTTP API cli-orders ({http_id}), stage $default:")
    assert lines[http + 2].strip() == f"{endpoint}/_aws/execute-api/{http_id}/$default/"
    # No route yet: the HTTP API itself answers, with its own 404.
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(lines[http + 2].strip(), timeout=30)
    assert missing.value.code == 404
    assert missing.value.read() == b'{"message":"Not Found"}'


def test_apis_reports_an_unreachable_endpoint() -> None:
    done = _run("--endpoint", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert "cannot list the APIs at http://127.0.0.1:9" in done.stderr
