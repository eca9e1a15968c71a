"""Shared fixtures: one ephemeral cloudlet server for the session, real boto3 clients."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cloudlet.testing import CloudletServer

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture(scope="session")
def server() -> Iterator[CloudletServer]:
    with CloudletServer(ephemeral=True) as running:
        yield running


@pytest.fixture(scope="session")
def endpoint(server: CloudletServer) -> str:
    return server.endpoint_url


def make_client(service: str, endpoint_url: str, **kwargs: Any) -> Any:
    config = Config(retries={"max_attempts": 1}, read_timeout=60)
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=config,
        **CREDENTIALS,
        **kwargs,
    )


@pytest.fixture(scope="session")
def sqs(endpoint: str) -> Any:
    return make_client("sqs", endpoint)


@dataclass
class RawResponse:
    status_code: int
    text: str
    headers: dict[str, str]


def raw_request(
    url: str, body: bytes, headers: dict[str, str], method: str = "POST"
) -> RawResponse:
    """One HTTP request, returning the status and body even for 4xx/5xx."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return RawResponse(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return RawResponse(error.code, error.read().decode(), dict(error.headers))


AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=host, Signature=0000"
)


@pytest.fixture(scope="session")
def sqs_query(endpoint: str) -> Callable[[dict[str, str]], RawResponse]:
    """POST form-encoded query-protocol parameters to the endpoint."""

    def send(params: dict[str, str]) -> RawResponse:
        body = urllib.parse.urlencode({"Version": "2012-11-05", **params}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTH}
        return raw_request(endpoint + "/", body, headers)

    return send


@pytest.fixture
def queue_name() -> str:
    return f"q-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def aws_cli(endpoint: str, tmp_path: Path) -> Callable[..., Any]:
    """Run `aws <args> --endpoint-url <endpoint> --output json` (the AWS CLI, as a user
    would) and return its parsed output; skip when `aws` is not on PATH."""
    executable = shutil.which("aws")
    if executable is None:
        pytest.skip("the AWS CLI (`aws`) is not on PATH")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Keep the user's own profiles and settings out of the run.
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)

    def run(*args: str) -> Any:
        completed = subprocess.run(
            [executable, *args, "--endpoint-url", endpoint, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout) if completed.stdout.strip() else None

    return run
