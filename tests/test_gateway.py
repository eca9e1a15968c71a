"""The gateway as a user meets it: health and reset routes, accounts and regions taken
from credentials, routing clues, size limits and malformed requests."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import AUTH, make_client, raw_request

from cloudlet.testing import CloudletServer


def test_health_routes_report_services(endpoint: str) -> None:
    make_client("sqs", endpoint).list_queues()  # services start on first use
    for path in ("/_cloudlet/health", "/_localstack/health"):
        response = raw_request(endpoint + path, b"", {}, method="GET")
        assert response.status_code == 200
        health = json.loads(response.text)
        assert health["services"]["sqs"] == "running"
        assert set(health["services"]) >= {"sqs", "lambda", "logs", "iam", "sts"}
        assert set(health["services"].values()) <= {"running", "available"}
        assert health["version"]


def test_unknown_internal_route_is_404(endpoint: str) -> None:
    assert raw_request(endpoint + "/_cloudlet/nothing", b"", {}, "GET").status_code == 404


@pytest.mark.parametrize("path", ["/_cloudlet/reset", "/moto-api/reset"])
def test_reset_deletes_all_state(path: str) -> None:
    with CloudletServer(ephemeral=True) as server:
        sqs = make_client("sqs", server.endpoint_url)
        url = sqs.create_queue(QueueName="before-reset")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        assert raw_request(server.endpoint_url + path, b"", {}).status_code == 200
        assert "QueueUrls" not in sqs.list_queues()
        sqs.create_queue(QueueName="after-reset")
        assert len(sqs.list_queues()["QueueUrls"]) == 1


def test_twelve_digit_access_key_is_the_account(endpoint: str, queue_name: str) -> None:
    other = make_client_with_key(endpoint, "111122223333")
    url = other.create_queue(QueueName=queue_name)["QueueUrl"]
    assert "/111122223333/" in url
    arn = other.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert arn["QueueArn"] == f"arn:aws:sqs:us-east-1:111122223333:{queue_name}"
    default = make_client("sqs", endpoint)
    listed = default.list_queues(QueueNamePrefix=queue_name).get("QueueUrls", [])
    assert listed == []


def make_client_with_key(endpoint: str, key: str, region: str = "us-east-1") -> Any:
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="test",
    )


def test_regions_are_separate(endpoint: str, queue_name: str) -> None:
    east = make_client("sqs", endpoint)
    west = make_client_with_key(endpoint, "test", region="eu-west-1")
    west_url = west.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = west.get_queue_attributes(QueueUrl=west_url, AttributeNames=["QueueArn"])
    assert arn["Attributes"]["QueueArn"].startswith("arn:aws:sqs:eu-west-1:")
    with pytest.raises(ClientError) as info:
        east.get_queue_url(QueueName=queue_name)
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_presigned_style_credential_in_query_string_selects_region(
    endpoint: str, queue_name: str
) -> None:
    west = make_client_with_key(endpoint, "test", region="ap-southeast-2")
    west.create_queue(QueueName=queue_name)
    params = {
        "Action": "GetQueueUrl",
        "QueueName": queue_name,
        "Version": "2012-11-05",
        "X-Amz-Credential": "test/20240101/ap-southeast-2/sqs/aws4_request",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    }
    response = raw_request(f"{endpoint}/?{urllib.parse.urlencode(params)}", b"", {}, "GET")
    assert response.status_code == 200, response.text
    assert f"/000000000000/{queue_name}</QueueUrl>" in response.text


def test_body_over_the_limit_gets_413(endpoint: str) -> None:
    body = b"{" + b" " * (16 * 1024 * 1024 + 10) + b"}"
    headers = {
        "X-Amz-Target": "AmazonSQS.ListQueues",
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": AUTH,
    }
    response = raw_request(endpoint + "/", body, headers)
    assert response.status_code == 413
    # and the server is still there
    assert make_client("sqs", endpoint).list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unknown_target_prefix_gets_a_4xx(endpoint: str) -> None:
    headers = {
        "X-Amz-Target": "NoSuchService_20990101.DoThing",
        "Content-Type": "application/x-amz-json-1.1",
    }
    response = raw_request(endpoint + "/", b"{}", headers)
    assert 400 <= response.status_code < 500
    assert json.loads(response.text)["__type"] == "UnknownOperationException"


def test_query_request_without_action_gets_a_4xx(endpoint: str) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = raw_request(endpoint + "/", b"Version=2012-11-05", headers)
    assert 400 <= response.status_code < 500
    assert "<Code>MissingAction</Code>" in response.text


def test_query_request_routed_by_action_alone(endpoint: str, queue_name: str) -> None:
    # No Authorization header at all: the Action names the service.
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": queue_name}).encode()
    response = raw_request(endpoint + "/", body, headers)
    assert response.status_code == 200
    assert f"/000000000000/{queue_name}</QueueUrl>" in response.text


def test_pytest_plugin_fixture_gives_a_working_endpoint(cloudlet_endpoint: str) -> None:
    sqs = make_client("sqs", cloudlet_endpoint)
    url = sqs.create_queue(QueueName="from-plugin")["QueueUrl"]
    assert url.startswith(cloudlet_endpoint)


def test_cli_help_lists_up_and_its_options() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "cloudlet", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "up" in out
    up = subprocess.run(
        [sys.executable, "-m", "cloudlet", "up", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--host", "--port", "--data-dir", "--ephemeral"):
        assert option in up


def test_sigterm_shuts_down_cleanly(tmp_path: Any) -> None:
    server = CloudletServer(data_dir=tmp_path).start()
    process = server.process
    assert process is not None
    server.stop()
    assert process.returncode in (0, -15)
    # a clean shutdown checkpoints the WAL into the database file
    assert (tmp_path / "state.db").exists()
    assert (
        not (tmp_path / "state.db-wal").exists() or (tmp_path / "state.db-wal").stat().st_size == 0
    )
