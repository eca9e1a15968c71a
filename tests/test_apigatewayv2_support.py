"""Helpers for the HTTP API tests: Lambda functions and plain HTTP calls to deployed APIs."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lambda_support import create

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event)}
"""


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    endpoint: str,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    host: str | None = None,
) -> Reply:
    """One HTTP request to `endpoint` + `path` (repeated headers allowed as a list)."""
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        items = headers.items() if isinstance(headers, dict) else (headers or [])
        for name, value in items:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def url(api_id: str, stage: str, path: str) -> str:
    """The path-style address of a deployed API."""
    return f"/_aws/execute-api/{api_id}/{stage}{path}"


def function(lam: Any, source: str, **extra: Any) -> str:
    """A Python function's ARN."""
    name = create(lam, source, **extra)
    arn: str = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return arn


def lambda_api(apigw: Any, arn: str, routes: list[str], version: str = "2.0", **api: Any) -> str:
    """An HTTP API whose routes all go to one function, auto-deployed on `$default`."""
    api_id: str = apigw.create_api(Name="test", ProtocolType="HTTP", **api)["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=arn,
        PayloadFormatVersion=version,
    )["IntegrationId"]
    for key in routes:
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id
