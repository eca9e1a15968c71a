"""The deployer against another implementation of the AWS API: examples/shop deployed to
moto's server (a stand-in for AWS's control plane that validates request shapes; it
runs no function), read back through boto3, redeployed without changes, destroyed.

moto's server is in the `test` extra, so CI runs this test. It is found as
CLOUDLET_MOTO_SERVER (a `moto_server` executable), the benchmark's virtualenv
(bench/.venvs/moto), `moto_server` on PATH, or an importable moto; the test is skipped
only where there is none (a test environment installed without the extra).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_client

from cloudlet.app import load
from cloudlet.deploy import Target, apply, destroy, plan

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "shop"
APP, STAGE = "shop", "moto"
PREFIX = f"{APP}-{STAGE}-"
START_TIMEOUT_S = 60.0


def moto_server_command() -> list[str] | None:
    configured = os.environ.get("CLOUDLET_MOTO_SERVER")
    if configured:
        return [configured]
    bench_venv = REPO / "bench" / ".venvs" / "moto" / "bin" / "moto_server"
    if bench_venv.is_file():
        return [str(bench_venv)]
    on_path = shutil.which("moto_server")
    if on_path:
        return [on_path]
    if importlib.util.find_spec("moto") is not None:
        return [sys.executable, "-m", "moto.server"]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    command = moto_server_command()
    if command is None:
        pytest.skip("moto's server is not installed (see this module's docstring)")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"moto exited:\n{log.read_text()[-2000:]}"
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url + "/moto-api/", timeout=2):
                    break
            assert time.monotonic() < deadline, f"moto did not answer:\n{log.read_text()[-2000:]}"
            time.sleep(0.05)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("example") / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".cloudlet", "__pycache__"))
    return copy


def clients(endpoint: str) -> dict[str, Any]:
    names = ("lambda", "sqs", "dynamodb", "apigateway", "iam")
    return {name: make_client(name, endpoint) for name in names}


def test_shop_deploys_to_moto_and_is_destroyed(moto_endpoint: str, folder: Path) -> None:
    target = Target(moto_endpoint)
    aws = clients(moto_endpoint)

    first = plan(load(folder), STAGE, target)
    assert {c.action for c in first.changes} == {"create"}
    outputs = apply(first)

    # What the deploy made, read back through moto's own API.
    worker = aws["lambda"].get_function_configuration(FunctionName=PREFIX + "email-worker")
    assert worker["Handler"] == "app.handler" and worker["Runtime"] == "python3.12"
    assert worker["Role"].split("/")[-1].startswith(PREFIX)
    assert worker["Environment"]["Variables"]["SENT_EMAILS_TABLE_NAME"] == PREFIX + "sent-emails"
    auth = aws["lambda"].get_function_configuration(FunctionName=PREFIX + "auth-api")
    assert auth["Handler"] == "auth.handler" and auth["MemorySize"] == 256
    queue_url = outputs.resources["queue:emails-queue"]["url"]
    redrive = aws["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    policy = json.loads(redrive["Attributes"]["RedrivePolicy"])
    assert policy["deadLetterTargetArn"].endswith(":" + PREFIX + "emails-dlq")
    assert int(policy["maxReceiveCount"]) == 3
    (mapping,) = aws["lambda"].list_event_source_mappings(FunctionName=PREFIX + "email-worker")[
        "EventSourceMappings"
    ]
    assert mapping["BatchSize"] == 5 and mapping["MaximumBatchingWindowInSeconds"] == 2
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    table = aws["dynamodb"].describe_table(TableName=PREFIX + "products")["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byCategory"]
    api_id = outputs.resources["rest_api:shop-api"]["id"]
    resources = aws["apigateway"].get_resources(restApiId=api_id)["items"]
    assert sorted(r["path"] for r in resources) == [
        "/",
        "/auth",
        "/auth/{proxy+}",
        "/products",
        "/products/{proxy+}",
    ]
    for resource in resources:
        if resource["path"] != "/":
            integration = aws["apigateway"].get_integration(
                restApiId=api_id, resourceId=resource["id"], httpMethod="ANY"
            )
            assert integration["type"] == "AWS_PROXY"
    role = auth["Role"].split("/")[-1]
    (policy_name,) = aws["iam"].list_role_policies(RoleName=role)["PolicyNames"]
    document = aws["iam"].get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.request.unquote(document))
    actions = {a for s in document["Statement"] for a in s["Action"]}
    assert "sqs:SendMessage" in actions and "dynamodb:PutItem" in actions

    # Read back from moto, the same app needs nothing more.
    assert plan(load(folder), STAGE, target).pending == []

    destroyed = destroy(APP, STAGE, target)
    assert len(destroyed) == len(first.changes)
    functions = aws["lambda"].list_functions()["Functions"]
    assert [f for f in functions if f["FunctionName"].startswith(PREFIX)] == []
    assert aws["sqs"].list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []) == []
    tables = aws["dynamodb"].list_tables()["TableNames"]
    assert [t for t in tables if t.startswith(PREFIX)] == []
    apis = aws["apigateway"].get_rest_apis()["items"]
    assert [a for a in apis if a["name"].startswith(PREFIX)] == []
    assert aws["iam"].list_roles(PathPrefix=f"/cloudlet/{APP}/{STAGE}/")["Roles"] == []
