"""REST APIs survive kill -9: management state, deployments (snapshots) and stages are
in SQLite, and a restarted server serves the same deployed API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_apigateway_support import Builder, call

from cloudlet.testing import CloudletServer


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _server(data_dir: Path) -> CloudletServer:
    return CloudletServer(data_dir=data_dir, ephemeral=False).start()


@pytest.fixture
def first(data_dir: Path) -> Iterator[CloudletServer]:
    server = _server(data_dir)
    try:
        yield server
    finally:
        server.stop()


def test_deployed_api_survives_kill_9(first: CloudletServer, data_dir: Path) -> None:
    api = Builder(first.endpoint_url, "durable")
    resource = api.method("/ping", "GET")
    key = {"restApiId": api.api_id, "resourceId": resource, "httpMethod": "GET"}
    api.apigw.put_integration(
        **key, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    api.apigw.put_method_response(**key, statusCode="200")
    api.apigw.put_integration_response(
        **key,
        statusCode="200",
        responseTemplates={"application/json": '{"pong": "$stageVariables.who"}'},
    )
    api.deploy("prod", variables={"who": "first"})
    # An edit after the deployment: stored, but not deployed.
    api.apigw.update_integration_response(
        **key,
        statusCode="200",
        patchOperations=[
            {"op": "replace", "path": "/responseTemplates/application~1json", "value": "{}"}
        ],
    )
    key_value = api.apigw.create_api_key(name="k", enabled=True)["value"]
    assert call(api.url("prod", "/ping")).json() == {"pong": "first"}
    first.kill()

    second = _server(data_dir)
    try:
        url = f"{second.endpoint_url}/restapis/{api.api_id}/prod/_user_request_/ping"
        assert call(url).json() == {"pong": "first"}
        apigw = Builder(second.endpoint_url, "another").apigw
        template = apigw.get_integration_response(**key, statusCode="200")["responseTemplates"]
        assert template == {"application/json": "{}"}
        assert [k["value"] for k in apigw.get_api_keys(includeValues=True)["items"]] == [key_value]
        assert apigw.get_stage(restApiId=api.api_id, stageName="prod")["variables"] == {
            "who": "first"
        }
    finally:
        second.stop()
