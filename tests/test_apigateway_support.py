"""Helpers shared by the API Gateway REST API tests (the test_apigateway_*.py modules
import them): building APIs with boto3 and calling deployed ones over plain HTTP, as a
user's program would. The module holds no tests itself."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from conftest import make_client
from lambda_support import create

REGION = "us-east-1"
ACCOUNT = "000000000000"
T = TypeVar("T")


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: list[tuple[str, str]] | dict[str, str] | None = None,
    host: str | None = None,
) -> Reply:
    """One HTTP request with http.client (repeated headers allowed)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.putrequest(method, target, skip_host=host is not None)
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


def wait_for(check: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def lambda_uri(function_arn: str) -> str:
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


class Builder:
    """A REST API under construction, with the clients that build it."""

    def __init__(self, endpoint: str, name: str = "api") -> None:
        self.endpoint = endpoint
        self.apigw = make_client("apigateway", endpoint)
        self.lam = make_client("lambda", endpoint)
        created = self.apigw.create_rest_api(name=name)
        self.api_id: str = created["id"]
        self.root: str = created["rootResourceId"]
        self.paths: dict[str, str] = {"/": self.root}

    def resource(self, path: str) -> str:
        """The id of `path`, creating it and its parents."""
        if path in self.paths:
            return self.paths[path]
        parent_path, _, part = path.rpartition("/")
        parent = self.resource(parent_path or "/")
        created = self.apigw.create_resource(restApiId=self.api_id, parentId=parent, pathPart=part)
        self.paths[path] = created["id"]
        return str(created["id"])

    def method(self, path: str, http_method: str = "ANY", **method: Any) -> str:
        resource_id = self.resource(path)
        method.setdefault("authorizationType", "NONE")
        self.apigw.put_method(
            restApiId=self.api_id, resourceId=resource_id, httpMethod=http_method, **method
        )
        return resource_id

    def proxy(self, path: str, function_arn: str, http_method: str = "ANY", **method: Any) -> str:
        resource_id = self.method(path, http_method, **method)
        self.apigw.put_integration(
            restApiId=self.api_id,
            resourceId=resource_id,
            httpMethod=http_method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(function_arn),
        )
        return resource_id

    def function(self, source: str, **extra: Any) -> str:
        name = create(self.lam, source, **extra)
        arn: str = self.lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        return arn

    def deploy(self, stage: str = "test", **extra: Any) -> str:
        deployment: str = self.apigw.create_deployment(
            restApiId=self.api_id, stageName=stage, **extra
        )["id"]
        return deployment

    def url(self, stage: str, path: str) -> str:
        return f"{self.endpoint}/restapis/{self.api_id}/{stage}/_user_request_{path}"


ECHO = """
import base64, json
def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-handler": "echo"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": json.dumps(event),
    }
"""
