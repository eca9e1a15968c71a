"""The FunctionConfiguration document: built on create, amended on update.

Checks here are the service-level ones AWS makes beyond the model's constraints
(which the gateway already enforced): supported runtimes, limits, reserved variables.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError

DEPRECATED = {
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs4.3-edge",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "java8",
    "provided",
}
RESERVED_VARIABLES = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
}
MAX_TIMEOUT = 900
MAX_MEMORY = 10240
MAX_ENVIRONMENT_BYTES = 4096


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def timestamp() -> str:
    """LastModified as Lambda writes it: 2024-01-01T12:00:00.000+0000."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}+0000"


def check_runtime(runtime: str | None) -> None:
    if runtime in DEPRECATED:
        raise invalid(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use a supported runtime while creating or "
            "updating functions."
        )


def check_settings(request: dict[str, Any]) -> None:
    timeout = request.get("Timeout")
    if timeout is not None and timeout > MAX_TIMEOUT:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_TIMEOUT}",
        )
    memory = request.get("MemorySize")
    if memory is not None and memory > MAX_MEMORY:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_MEMORY}",
        )
    variables = (request.get("Environment") or {}).get("Variables") or {}
    reserved = sorted(k for k in variables if k in RESERVED_VARIABLES)
    if reserved:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    if len(orjson.dumps(variables)) > MAX_ENVIRONMENT_BYTES:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided exceeded the {MAX_ENVIRONMENT_BYTES} bytes limit."
        )


# Members of CreateFunction/UpdateFunctionConfiguration copied as they are.
_COPIED = (
    "Runtime",
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "DeadLetterConfig",
    "KMSKeyArn",
    "EphemeralStorage",
    "Architectures",
)


def new_configuration(
    arn: str,
    name: str,
    request: dict[str, Any],
    code_sha: str,
    code_size: int,
    layers: list[dict[str, Any]],
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": arn,
        "Description": "",
        "Timeout": 3,
        "MemorySize": 128,
        "CodeSha256": code_sha,
        "CodeSize": code_size,
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
    }
    config.update({k: request[k] for k in _COPIED if k in request})
    apply_optional(config, request, layers)
    config["LastModified"] = timestamp()
    config["RevisionId"] = str(uuid.uuid4())
    config["State"] = "Pending"
    config["StateReason"] = "The function is being created."
    config["StateReasonCode"] = "Creating"
    return config


def apply_optional(
    config: dict[str, Any], request: dict[str, Any], layers: list[dict[str, Any]] | None
) -> None:
    if "Environment" in request:
        variables = (request["Environment"] or {}).get("Variables") or {}
        if variables:
            config["Environment"] = {"Variables": dict(variables)}
        else:
            config.pop("Environment", None)
    if "TracingConfig" in request:
        config["TracingConfig"] = {"Mode": request["TracingConfig"].get("Mode", "PassThrough")}
    if "LoggingConfig" in request:
        config["LoggingConfig"] = {**config.get("LoggingConfig", {}), **request["LoggingConfig"]}
    if layers is not None:
        if layers:
            config["Layers"] = layers
        else:
            config.pop("Layers", None)


def update_configuration(
    config: dict[str, Any], request: dict[str, Any], layers: list[dict[str, Any]] | None
) -> None:
    config.update({k: request[k] for k in _COPIED if k in request})
    apply_optional(config, request, layers)
    touched(config)


def touched(config: dict[str, Any]) -> None:
    """A change was accepted: new revision, update in progress (done right after)."""
    config["LastModified"] = timestamp()
    config["RevisionId"] = str(uuid.uuid4())
    config["LastUpdateStatus"] = "InProgress"
    config["LastUpdateStatusReason"] = "The function is being created."
    config["LastUpdateStatusReasonCode"] = "Creating"


def settled(config: dict[str, Any]) -> None:
    """The function is ready: Active, last update Successful."""
    config["State"] = "Active"
    config["LastUpdateStatus"] = "Successful"
    for key in (
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
    ):
        config.pop(key, None)
