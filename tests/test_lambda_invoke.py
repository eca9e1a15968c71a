"""Running functions: the Python runtime, errors, logs, warm reuse, timeouts, memory,
throttling, asynchronous invocation, and the function's own SDK calls."""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import make_client
from lambda_support import ROLE, create, unique, zipped

from cloudlet.testing import CloudletServer


@pytest.fixture(scope="module")
def lam(endpoint: str) -> Any:
    return make_client("lambda", endpoint)


def _invoke(lam: Any, name: str, event: Any = None, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kwargs)
    return json.loads(response["Payload"].read() or b"null"), response


def _wait(fn: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


CONTEXT_SOURCE = """
import os
def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION",
            "AWS_DEFAULT_REGION", "_HANDLER", "AWS_EXECUTION_ENV", "TZ", "STAGE",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME")},
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "cwd": os.getcwd(),
    }
"""


def test_python_handler_gets_event_context_and_environment(lam: Any) -> None:
    name = create(lam, CONTEXT_SOURCE, MemorySize=256, Environment={"Variables": {"STAGE": "dev"}})
    result, response = _invoke(lam, name, {"hello": "world"})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert result["event"] == {"hello": "world"}
    assert result["function_name"] == name
    assert result["function_version"] == "$LATEST"
    assert result["arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert result["memory"] == "256"
    assert result["group"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in result["stream"]
    assert 0 < result["remaining"] <= 3000
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["STAGE"] == "dev"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert result["cwd"] == result["task_root"]


def test_warm_environment_is_reused_and_cold_start_reports_init(lam: Any) -> None:
    source = "count = 0\ndef handler(event, context):\n    global count\n    count += 1\n    return count\n"
    name = create(lam, source)
    first, response = _invoke(lam, name, LogType="Tail")
    assert first == 1
    assert "Init Duration" in base64.b64decode(response["LogResult"]).decode()
    second, response = _invoke(lam, name, LogType="Tail")
    assert second == 2
    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()


def test_log_tail_has_start_end_report_and_output(lam: Any) -> None:
    name = create(lam, "def handler(event, context):\n    print('visible line')\n    return 1\n")
    _, response = _invoke(lam, name, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    assert log.startswith("START RequestId: ")
    assert "visible line" in log
    assert "END RequestId: " in log
    report = [line for line in log.splitlines() if line.startswith("REPORT RequestId: ")]
    assert report and "Duration: " in report[0] and "Memory Size: 128 MB" in report[0]
    assert "Max Memory Used: " in report[0]


def _max_memory_used(response: dict[str, Any]) -> int:
    log = base64.b64decode(response["LogResult"]).decode()
    found = re.search(r"Max Memory Used: (\d+) MB", log)
    assert found is not None, log
    return int(found.group(1))


def test_max_memory_used_is_the_peak_of_the_environment(lam: Any) -> None:
    # The REPORT line's figure is the process's peak resident memory: it grows when a
    # handler touches more memory, stays at its peak after that memory is freed, and
    # never exceeds the function's MemorySize.
    source = (
        "def handler(event, context):\n"
        "    block = bytearray(event['mb'] * 1024 * 1024)\n"
        "    for i in range(0, len(block), 4096):\n"
        "        block[i] = 1\n"
        "    return len(block)\n"
    )
    name = create(lam, source, MemorySize=512)
    _, small = _invoke(lam, name, {"mb": 1}, LogType="Tail")
    baseline = _max_memory_used(small)
    _, big = _invoke(lam, name, {"mb": 120}, LogType="Tail")
    peak = _max_memory_used(big)
    assert peak >= baseline + 100
    _, after = _invoke(lam, name, {"mb": 1}, LogType="Tail")
    assert _max_memory_used(after) >= peak
    assert peak <= 512


def test_response_over_six_megabytes_is_a_function_error(lam: Any) -> None:
    # A synchronous invocation may answer at most 6,291,556 bytes; above it Lambda
    # answers 200 with FunctionError and Function.ResponseSizeTooLarge, and the
    # environment stays usable.
    source = "def handler(event, context):\n    return 'x' * event['size']\n"
    name = create(lam, source, MemorySize=512)
    fits, response = _invoke(lam, name, {"size": 6_000_000})
    assert "FunctionError" not in response
    assert fits == "x" * 6_000_000
    for size in (7_000_000, 20_000_000):
        result, response = _invoke(lam, name, {"size": size})
        assert response["StatusCode"] == 200
        assert response["FunctionError"] == "Unhandled"
        assert result == {
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
            "(6291556 bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    small, response = _invoke(lam, name, {"size": 3})
    assert small == "xxx" and "FunctionError" not in response


def test_logging_module_lines_carry_level_time_and_request_id(lam: Any) -> None:
    # As AWS's Python runtime: the root logger has a handler; its level stays WARNING
    # until the function lowers it.
    source = (
        "import logging\n"
        "def handler(event, context):\n"
        "    root = logging.getLogger()\n"
        "    root.info('not shown yet')\n"
        "    root.setLevel(logging.INFO)\n"
        "    logging.getLogger('shop').info('order %s placed', 42)\n"
        "    return context.aws_request_id\n"
    )
    name = create(lam, source)
    request_id, response = _invoke(lam, name, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "not shown yet" not in log
    lines = [line for line in log.splitlines() if line.startswith("[INFO]")]
    assert len(lines) == 1
    level, stamp, logged_id, message = lines[0].split("\t")
    assert (level, logged_id, message) == ("[INFO]", request_id, "order 42 placed")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)


def test_unhandled_error_is_reported_as_lambda_does(lam: Any) -> None:
    source = "def handler(event, context):\n    raise ValueError('bad input')\n"
    name = create(lam, source)
    result, response = _invoke(lam, name, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert result["errorMessage"] == "bad input"
    assert result["errorType"] == "ValueError"
    assert isinstance(result["stackTrace"], list) and result["stackTrace"]
    assert "[ERROR] ValueError: bad input" in base64.b64decode(response["LogResult"]).decode()


@pytest.mark.parametrize(
    ("files", "handler", "error_type"),
    [
        (
            {"app.py": "def handler(e, c): return 1\n"},
            "missing.handler",
            "Runtime.ImportModuleError",
        ),
        ({"app.py": "def handler(e, c): return 1\n"}, "app.nothere", "Runtime.HandlerNotFound"),
        ({"app.py": "def handler(e, c) return 1\n"}, "app.handler", "Runtime.UserCodeSyntaxError"),
    ],
)
def test_init_errors(lam: Any, files: dict[str, str], handler: str, error_type: str) -> None:
    name = unique()
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zipped(files)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    result, response = _invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == error_type


def test_handler_in_a_package_subfolder(lam: Any) -> None:
    name = unique()
    code = zipped({"pkg/__init__.py": "", "pkg/mod.py": "def run(e, c):\n    return 'deep'\n"})
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="pkg.mod.run",
        Code={"ZipFile": code},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    assert _invoke(lam, name)[0] == "deep"


def test_function_sees_boto3_but_not_cloudlets_packages(lam: Any) -> None:
    source = (
        "import importlib.util\n"
        "def handler(e, c):\n"
        "    return {m: importlib.util.find_spec(m) is not None for m in "
        "('boto3', 'botocore', 'uvicorn', 'orjson', 'click', 'cloudlet')}\n"
    )
    result, _ = _invoke(lam, create(lam, source))
    assert result == {
        "boto3": True,
        "botocore": True,
        "uvicorn": False,
        "orjson": False,
        "click": False,
        "cloudlet": False,
    }


def test_function_reaches_cloudlet_sqs_with_its_own_client(lam: Any, endpoint: str) -> None:
    sqs = make_client("sqs", endpoint)
    queue = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    source = (
        "import boto3\n"
        "sqs = boto3.client('sqs')\n"
        "def handler(event, context):\n"
        "    return sqs.send_message(QueueUrl=event['queue'], MessageBody='from lambda')['MessageId']\n"
    )
    message_id, response = _invoke(lam, create(lam, source), {"queue": queue})
    assert "FunctionError" not in response, message_id
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    assert received[0]["MessageId"] == message_id
    assert received[0]["Body"] == "from lambda"


def test_timeout_kills_the_environment(lam: Any) -> None:
    source = "import time\ncount = 0\ndef handler(e, c):\n    global count\n    count += 1\n    if e.get('sleep'):\n        time.sleep(30)\n    return count\n"
    name = create(lam, source, Timeout=1)
    assert _invoke(lam, name)[0] == 1
    result, response = _invoke(lam, name, {"sleep": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in result["errorMessage"]
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()
    assert _invoke(lam, name)[0] == 1  # a fresh environment


def test_memory_limit_is_enforced(lam: Any) -> None:
    source = "def handler(e, c):\n    blob = bytearray(400 * 1024 * 1024)\n    return len(blob)\n"
    name = create(lam, source, MemorySize=128)
    result, response = _invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.OutOfMemory"


def test_marshal_error_for_unserialisable_result(lam: Any) -> None:
    result, response = _invoke(lam, create(lam, "def handler(e, c):\n    return object()\n"))
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.MarshalError"


def test_dry_run(lam: Any) -> None:
    response = lam.invoke(
        FunctionName=create(lam, "def handler(e, c): return 1\n"), InvocationType="DryRun"
    )
    assert response["StatusCode"] == 204


def test_update_function_code_takes_effect(lam: Any) -> None:
    name = create(lam, "def handler(e, c): return 'v1'\n")
    assert _invoke(lam, name)[0] == "v1"
    lam.update_function_code(
        FunctionName=name, ZipFile=zipped({"app.py": "def handler(e, c): return 'v2'\n"})
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    assert _invoke(lam, name)[0] == "v2"


def test_code_location_downloads_the_zip(lam: Any) -> None:
    code = zipped({"app.py": "def handler(e, c): return 1\n"})
    name = unique()
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": code},
    )
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=10) as response:
        assert response.read() == code


@pytest.mark.parametrize(
    ("payload", "code", "status"),
    [
        (b"{not json", "InvalidRequestContentException", 400),
        (b'"' + b"x" * (6 * 1024 * 1024) + b'"', "RequestTooLargeException", 413),
    ],
)
def test_bad_payloads(lam: Any, payload: bytes, code: str, status: int) -> None:
    name = create(lam, "def handler(e, c): return 1\n")
    with pytest.raises(ClientError) as info:
        lam.invoke(FunctionName=name, Payload=payload)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_invoke_unknown_function(lam: Any) -> None:
    with pytest.raises(ClientError) as info:
        lam.invoke(FunctionName="does-not-exist")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize(
    ("code", "message_part"),
    [
        (b"this is not a zip", "Could not unzip"),
        (zipped({"../escape.py": "x = 1\n"}), "outside"),
    ],
)
def test_bad_zips_are_rejected(lam: Any, code: bytes, message_part: str) -> None:
    with pytest.raises(ClientError) as info:
        lam.create_function(
            FunctionName=unique(),
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": code},
        )
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert message_part in info.value.response["Error"]["Message"]


def test_symlinks_in_zips_are_rejected(lam: Any) -> None:
    code = zipped({"link": "/etc/passwd"}, modes={"link": 0o120777})
    with pytest.raises(ClientError) as info:
        lam.create_function(
            FunctionName=unique(),
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": code},
        )
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_throttled_at_the_account_concurrency_limit() -> None:
    with CloudletServer(ephemeral=True, env={"CLOUDLET_LAMBDA_CONCURRENCY": "1"}) as server:
        lam = make_client("lambda", server.endpoint_url)
        sqs = make_client("sqs", server.endpoint_url)
        started = sqs.create_queue(QueueName="started")["QueueUrl"]
        source = (
            "import time, boto3\nsqs = boto3.client('sqs')\n"
            "def handler(e, c):\n"
            "    if e.get('sleep'):\n"
            "        sqs.send_message(QueueUrl=e['started'], MessageBody='busy')\n"
            "        time.sleep(e['sleep'])\n"
            "    return 1\n"
        )
        name = create(lam, source, Timeout=30)
        outcome: list[Any] = []
        busy = threading.Thread(
            target=lambda: outcome.append(_invoke(lam, name, {"sleep": 3, "started": started})[0])
        )
        busy.start()
        try:
            # Once the only slot is taken, another invocation is throttled.
            _wait(lambda: sqs.receive_message(QueueUrl=started, WaitTimeSeconds=1).get("Messages"))
            with pytest.raises(ClientError) as info:
                _invoke(lam, name)
            assert info.value.response["Error"]["Code"] == "TooManyRequestsException"
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        finally:
            busy.join()
        assert outcome == [1]
        assert _invoke(lam, name)[0] == 1


def test_async_invoke_retries_then_goes_to_the_dead_letter_queue() -> None:
    env = {"CLOUDLET_LAMBDA_RETRY_DELAYS": "0.2,0.2"}
    with CloudletServer(ephemeral=True, env=env) as server:
        lam = make_client("lambda", server.endpoint_url)
        sqs = make_client("sqs", server.endpoint_url)
        counter = sqs.create_queue(QueueName="attempts")["QueueUrl"]
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        source = (
            "import boto3\nsqs = boto3.client('sqs')\n"
            "def handler(event, context):\n"
            "    sqs.send_message(QueueUrl=event['counter'], MessageBody='attempt')\n"
            "    raise RuntimeError('always fails')\n"
        )
        name = create(lam, source, DeadLetterConfig={"TargetArn": dlq_arn})
        response = lam.invoke(
            FunctionName=name,
            InvocationType="Event",
            Payload=json.dumps({"counter": counter}).encode(),
        )
        assert response["StatusCode"] == 202
        dead = _wait(
            lambda: sqs.receive_message(
                QueueUrl=dlq, MessageAttributeNames=["All"], WaitTimeSeconds=1
            ).get("Messages")
        )
        assert json.loads(dead[0]["Body"]) == {"counter": counter}
        assert "RequestID" in dead[0]["MessageAttributes"]
        attempts = sqs.get_queue_attributes(
            QueueUrl=counter, AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert attempts["Attributes"]["ApproximateNumberOfMessages"] == "3"  # 1 try + 2 retries


NODE = shutil.which("node") is not None


@pytest.mark.skipif(not NODE, reason="node is not on PATH")
@pytest.mark.parametrize(
    ("filename", "source", "extra"),
    [
        (
            "index.js",
            "exports.handler = async (event) => ({ got: event.x, kind: 'cjs-async' });\n",
            {},
        ),
        (
            "index.mjs",
            "export const handler = async (event) => ({ got: event.x, kind: 'esm' });\n",
            {},
        ),
        (
            "index.js",
            "exports.handler = (event, context, callback) => callback(null, { got: event.x, kind: 'callback' });\n",
            {},
        ),
    ],
)
def test_nodejs_handlers(lam: Any, filename: str, source: str, extra: dict[str, Any]) -> None:
    name = create(lam, source, runtime="nodejs20.x", handler="index.handler", filename=filename)
    result, response = _invoke(lam, name, {"x": 7})
    assert "FunctionError" not in response, result
    assert result["got"] == 7


@pytest.mark.skipif(not NODE, reason="node is not on PATH")
def test_nodejs_error(lam: Any) -> None:
    name = create(
        lam,
        "exports.handler = async () => { throw new TypeError('nope'); };\n",
        runtime="nodejs20.x",
        handler="index.handler",
        filename="index.js",
    )
    result, response = _invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "TypeError"
    assert result["errorMessage"] == "nope"


BOOTSTRAP = """#!/bin/sh
set -eu
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  REQUEST_ID=$(grep -i lambda-runtime-aws-request-id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  echo "handling $REQUEST_ID"
  curl -sS -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "{\\"echo\\": $EVENT}" > /dev/null
done
"""


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not on PATH")
def test_custom_runtime_bootstrap(lam: Any) -> None:
    name = unique()
    code = zipped({"bootstrap": BOOTSTRAP}, modes={"bootstrap": 0o755})
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="unused",
        Code={"ZipFile": code},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    result, response = _invoke(lam, name, {"k": "v"}, LogType="Tail")
    assert "FunctionError" not in response, result
    assert result == {"echo": {"k": "v"}}
    assert "handling " in base64.b64decode(response["LogResult"]).decode()


def test_custom_runtime_without_bootstrap(lam: Any) -> None:
    name = unique()
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="x",
        Code={"ZipFile": zipped({"readme.txt": "no bootstrap"})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    result, response = _invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.InvalidEntrypoint"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (
            {
                "PackageType": "Image",
                "Code": {"ImageUri": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"},
            },
            "InvalidParameterValueException",
        ),
        ({"Code": {"S3Bucket": "code-bucket", "S3Key": "k.zip"}}, "InvalidParameterValueException"),
        ({"Runtime": "python2.7"}, "InvalidParameterValueException"),
        ({"Timeout": 901}, "ValidationException"),
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException"),
    ],
)
def test_create_function_rejects(lam: Any, extra: dict[str, Any], code: str) -> None:
    params: dict[str, Any] = {
        "FunctionName": unique(),
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": zipped({"app.py": "def handler(e, c): return 1\n"})},
    }
    params.update(extra)
    with pytest.raises(ClientError) as info:
        lam.create_function(**params)
    assert info.value.response["Error"]["Code"] == code


def test_create_duplicate_function_conflicts(lam: Any) -> None:
    name = create(lam, "def handler(e, c): return 1\n")
    with pytest.raises(ClientError) as info:
        create(lam, "def handler(e, c): return 1\n", name=name, wait=False)
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_client_context_reaches_the_handler(lam: Any) -> None:
    source = (
        "def handler(e, c):\n"
        "    return {'custom': c.client_context.custom, 'identity': c.identity.cognito_identity_id}\n"
    )
    context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    result, _ = _invoke(lam, create(lam, source), ClientContext=context)
    assert result == {"custom": {"tenant": "t1"}, "identity": None}


def test_invocation_logs_reach_cloudwatch_logs(lam: Any, endpoint: str) -> None:
    logs = make_client("logs", endpoint)
    source = (
        "import json\n"
        "def handler(e, c):\n"
        "    print(json.dumps({'level': 'ERROR', 'msg': 'disk full'}))\n"
        "    print('plain info line')\n"
        "    return 1\n"
    )
    name = create(lam, source)
    _invoke(lam, name)
    group = f"/aws/lambda/{name}"

    def found(pattern: str) -> list[str]:
        try:
            events = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
        except ClientError:
            return []
        return [event["message"] for event in events]

    errors = _wait(lambda: found('{ $.level = "ERROR" }'))
    assert errors == ['{"level": "ERROR", "msg": "disk full"}']
    assert any(m.startswith("REPORT RequestId: ") for m in _wait(lambda: found("REPORT")))
    # Deleting the group does not lose later invocations' logs: it is made again.
    logs.delete_log_group(logGroupName=group)
    _invoke(lam, name)
    assert _wait(lambda: found("plain"))
