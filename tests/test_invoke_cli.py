"""`cloudlet invoke` and `cloudlet logs` against a real server, on functions created with
boto3 (tests/lambda_support.py), driven as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import make_client
from lambda_support import create

from cloudlet.cli import main

SOURCE = """
import json, logging
def handler(event, context):
    print("handling " + context.aws_request_id)
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("log_error"):
        logging.getLogger().error("something broke")
    if event.get("structured"):
        print(json.dumps({"level": "INFO", "message": "m", "correlation_id": "corr-42"}))
    return {"got": event, "request": context.aws_request_id}
"""


@pytest.fixture(scope="module")
def function(endpoint: str) -> str:
    return create(make_client("lambda", endpoint), SOURCE)


def run(*args: str, input: bytes | None = None) -> Any:
    try:  # click 8.1 mixes standard error into the output unless told not to
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 keeps them apart and has no such argument
        runner = CliRunner()
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def test_invoke_sends_the_event_from_stdin_and_prints_payload_and_log_tail(
    endpoint: str, function: str
) -> None:
    done = run("invoke", function, "--event", "-", "--endpoint", endpoint, input=b'{"a": 1}')
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert payload["got"] == {"a": 1}
    # The log tail (on standard error) is this invocation's, START to REPORT.
    assert f"START RequestId: {payload['request']}" in done.stderr
    assert f"handling {payload['request']}" in done.stderr
    assert f"REPORT RequestId: {payload['request']}" in done.stderr


def test_invoke_reads_an_event_file_and_defaults_to_an_empty_event(
    endpoint: str, function: str, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"from": "file"}')
    done = run("invoke", function, "--event", str(event), "--endpoint", endpoint)
    assert json.loads(done.stdout)["got"] == {"from": "file"}
    done = run("invoke", function, "--endpoint", endpoint)
    assert json.loads(done.stdout)["got"] == {}


@pytest.mark.parametrize(
    "kind, check",
    [
        ("sqs", lambda e: e["Records"][0]["eventSource"] == "aws:sqs"),
        ("sns", lambda e: e["Records"][0]["Sns"]["Message"] == "Hello from SNS!"),
        ("apigw-rest", lambda e: e["httpMethod"] == "POST" and "version" not in e),
        ("apigw-http", lambda e: e["version"] == "2.0"),
        ("s3", lambda e: e["Records"][0]["eventName"] == "ObjectCreated:Put"),
        (
            "dynamodb",
            lambda e: [r["eventName"] for r in e["Records"]] == ["INSERT", "MODIFY", "REMOVE"],
        ),
        ("eventbridge", lambda e: e["detail-type"] == "Order Placed"),
        ("schedule", lambda e: e["source"] == "aws.events"),
    ],
)
def test_invoke_generates_each_kind_of_event(
    endpoint: str, function: str, kind: str, check: Any
) -> None:
    done = run("invoke", function, "--generate", kind, "--endpoint", endpoint)
    assert done.exit_code == 0, done.output
    assert check(json.loads(done.stdout)["got"])


def test_a_failing_function_prints_its_error_and_exits_1(endpoint: str, function: str) -> None:
    done = run("invoke", function, "--event", "-", "--endpoint", endpoint, input=b'{"fail": true}')
    assert done.exit_code == 1
    error = json.loads(done.stdout)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "asked to fail"
    assert f"{function} failed (Unhandled)" in done.stderr


def test_invoke_bad_input(endpoint: str, function: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = run("invoke", function, "--event", str(bad), "--endpoint", endpoint)
    assert done.exit_code == 1
    assert f"{bad} is not JSON" in done.stderr

    done = run("invoke", function, "--event", "-", "--generate", "sqs", "--endpoint", endpoint)
    assert done.exit_code == 2
    assert "give --event or --generate, not both" in done.stderr

    done = run("invoke", function, "--generate", "kinesis", "--endpoint", endpoint)
    assert done.exit_code == 2
    assert "'kinesis' is not one of" in done.stderr

    done = run("invoke", "no-such-function-here", "--endpoint", endpoint)
    assert done.exit_code == 1
    assert "ResourceNotFoundException: Function not found:" in done.stderr
    assert "no-such-function-here" in done.stderr


def test_invoke_names_an_endpoint_that_does_not_answer(function: str) -> None:
    done = run("invoke", function, "--endpoint", "http://127.0.0.1:9")
    assert done.exit_code == 1
    assert "nothing answers at http://127.0.0.1:9" in done.stderr


def _logs_until(endpoint: str, function: str, wanted: str, *extra: str) -> str:
    """`cloudlet logs` until its output has `wanted` (Lambda flushes logs asynchronously)."""
    deadline = time.monotonic() + 30
    while True:
        done = run("logs", function, "--endpoint", endpoint, *extra)
        assert done.exit_code == 0, done.output
        if wanted in done.stdout or time.monotonic() > deadline:
            return str(done.stdout)
        time.sleep(0.1)


def test_logs_prints_the_functions_lines_with_their_request(endpoint: str, function: str) -> None:
    lam = make_client("lambda", endpoint)
    answer = json.loads(
        lam.invoke(FunctionName=function, Payload=b'{"structured": 1}')["Payload"].read()
    )
    request = answer["request"]
    output = _logs_until(endpoint, function, f"REPORT RequestId: {request}")
    lines = output.splitlines()
    handling = next(line for line in lines if f"handling {request}" in line)
    # Each line: the function's name, the request's id (short), the message.
    assert handling.split()[0] == function
    assert handling.split()[1] == request[:8]
    structured = next(line for line in lines if "corr-42" in line)
    assert structured.endswith("[correlation_id=corr-42]")
    assert structured.split()[1] == request[:8]


def test_logs_filter_uses_cloudwatch_filter_patterns(endpoint: str, function: str) -> None:
    lam = make_client("lambda", endpoint)
    lam.invoke(FunctionName=function, Payload=b'{"log_error": 1}')
    output = _logs_until(endpoint, function, "something broke", "--filter", "broke")
    assert output.strip()
    assert all("broke" in line for line in output.splitlines())

    done = run("logs", function, "--endpoint", endpoint, "--filter", "{ $.level = ")
    assert done.exit_code == 1
    assert "InvalidParameterException" in done.stderr


def test_logs_of_a_function_never_invoked_is_empty(endpoint: str) -> None:
    name = create(make_client("lambda", endpoint), SOURCE)
    done = run("logs", name, "--endpoint", endpoint)
    assert done.exit_code == 0, done.output
    assert done.stdout == ""


def test_logs_bad_input(endpoint: str) -> None:
    done = run("logs", "no-such-function-here", "--endpoint", endpoint)
    assert done.exit_code == 1
    assert "ResourceNotFoundException" in done.stderr
    done = run("logs", "whatever", "--endpoint", endpoint, "--since", "yesterday")
    assert done.exit_code == 2
    assert "30s, 10m, 2h, 1d" in done.stderr


def test_logs_follow_prints_new_lines_until_interrupted(endpoint: str, function: str) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloudlet",
            "logs",
            function,
            "--follow",
            "--since",
            "1s",
            "--endpoint",
            endpoint,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    seen = threading.Event()
    marker: dict[str, str] = {}

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker and f"handling {marker['request']}" in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        lam = make_client("lambda", endpoint)
        deadline = time.monotonic() + 60
        # Invoke until the follower (started in parallel) prints a new invocation's line.
        while not seen.is_set() and time.monotonic() < deadline:
            payload = lam.invoke(FunctionName=function, Payload=b"{}")["Payload"].read()
            marker["request"] = json.loads(payload)["request"]
            seen.wait(5)
        assert seen.is_set(), "".join(lines)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
        reader.join(30)
        assert process.stdout is not None
        process.stdout.close()
    assert code == 0, "".join(lines)


def test_a_logical_name_resolves_through_the_app_file_and_stage(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "functions" / "greeter").mkdir(parents=True)
    (tmp_path / "functions" / "greeter" / "app.py").write_text(SOURCE)
    (tmp_path / "app.py").write_text(
        "from cloudlet.app import App\n"
        "app = App('clitest')\n"
        "app.function('greeter', code='functions/greeter', handler='app.handler')\n"
    )
    create(make_client("lambda", endpoint), SOURCE, name="clitest-dev-greeter")

    done = run("invoke", "greeter", "--app", str(tmp_path), "--endpoint", endpoint)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["got"] == {}
    # ./app.py is the default app file.
    monkeypatch.chdir(tmp_path)
    output = _logs_until(endpoint, "greeter", "handling")
    handling = next(line for line in output.splitlines() if "handling" in line)
    assert handling.split()[0] == "clitest-dev-greeter"
    # Another stage is another function, not deployed here.
    done = run("invoke", "greeter", "--stage", "prod", "--endpoint", endpoint)
    assert done.exit_code == 1
    assert "clitest-prod-greeter" in done.stderr
    # A broken app file is reported with its file and line.
    (tmp_path / "app.py").write_text("from cloudlet.app import App\napp = App('x'\n")
    done = run("invoke", "greeter", "--app", str(tmp_path), "--endpoint", endpoint)
    assert done.exit_code == 1
    assert f"{tmp_path / 'app.py'}:" in done.stderr
    assert "syntax error" in done.stderr
    # An ./app.py that is no cloudlet app (another framework's) is not run, and FUNCTION
    # is a deployed function's own name.
    (tmp_path / "app.py").write_text("print('a web app starting')\n")
    done = run("invoke", "clitest-dev-greeter", "--endpoint", endpoint)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["got"] == {}
    # One that uses cloudlet but does not load is set aside, saying why.
    (tmp_path / "app.py").write_text("import cloudlet\n")
    done = run("invoke", "clitest-dev-greeter", "--endpoint", endpoint)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["got"] == {}
    assert "(./app.py not used:" in done.stderr
