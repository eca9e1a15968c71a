"""The URLs that reach a deployed API Gateway API on a running cloudlet.

REST APIs (v1) answer at `/restapis/{id}/{stage}/_user_request_/` (path style, no DNS
needed) and at `{id}.execute-api.localhost.localstack.cloud:{port}/{stage}/`; HTTP APIs
(v2) at `{id}.execute-api.localhost.localstack.cloud:{port}/` for their `$default`
stage (with `/{stage}/` for others) and at `/_aws/execute-api/{id}/{stage}/`. The
execute-api host names need DNS that resolves `*.localhost.localstack.cloud` to
127.0.0.1 (public DNS does); the path forms work anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]


@dataclass(frozen=True)
class DeployedApi:
    kind: str  # "REST" or "HTTP"
    api_id: str
    name: str
    stage: str
    urls: list[str]


def _client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


def _pages(call: Any, key: str, token_in: str, token_out: str, **args: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = call(**args)
        items += page.get(key, [])
        token = page.get(token_out)
        if not token:
            return items
        args[token_in] = token


def rest_urls(endpoint: str, api_id: str, stage: str) -> list[str]:
    base = endpoint.rstrip("/")
    port = urlsplit(base).port or 4566
    return [
        f"{base}/restapis/{api_id}/{stage}/_user_request_/",
        f"http://{api_id}.execute-api.localhost.localstack.cloud:{port}/{stage}/",
    ]


def http_urls(endpoint: str, api_id: str, stage: str) -> list[str]:
    base = endpoint.rstrip("/")
    port = urlsplit(base).port or 4566
    segment = "" if stage == "$default" else f"{stage}/"
    return [
        f"http://{api_id}.execute-api.localhost.localstack.cloud:{port}/{segment}",
        f"{base}/_aws/execute-api/{api_id}/{stage}/",
    ]


def deployed_apis(endpoint: str, region: str = "us-east-1") -> list[DeployedApi]:
    """Every stage of every REST and HTTP API, with its invoke URLs."""
    found: list[DeployedApi] = []
    v1 = _client("apigateway", endpoint, region)
    for api in _pages(v1.get_rest_apis, "items", "position", "position", limit=500):
        for stage in v1.get_stages(restApiId=api["id"]).get("item", []):
            name = stage["stageName"]
            found.append(
                DeployedApi(
                    "REST", api["id"], api["name"], name, rest_urls(endpoint, api["id"], name)
                )
            )
    v2 = _client("apigatewayv2", endpoint, region)
    for api in _pages(v2.get_apis, "Items", "NextToken", "NextToken"):
        if api.get("ProtocolType") != "HTTP":
            continue
        for stage in _pages(v2.get_stages, "Items", "NextToken", "NextToken", ApiId=api["ApiId"]):
            name = stage["StageName"]
            found.append(
                DeployedApi(
                    "HTTP", api["ApiId"], api["Name"], name, http_urls(endpoint, api["ApiId"], name)
                )
            )
    return found
