"""Event source mappings from DynamoDB streams: their settings and validation.

AWS's "Lambda parameters for Amazon DynamoDB event source mappings": StartingPosition
TRIM_HORIZON or LATEST (required), BatchSize 1-10,000 (default 100),
MaximumBatchingWindowInSeconds 0-300 (default 0), ParallelizationFactor 1-10,
BisectBatchOnFunctionError, MaximumRetryAttempts -1 (until the record expires) to
10,000, MaximumRecordAgeInSeconds -1 or 60-604,800, DestinationConfig.OnFailure (an SQS
queue or SNS topic), FunctionResponseTypes ReportBatchItemFailures, FilterCriteria.
The model checks the ranges; what it cannot express is checked here.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError

DEFAULT_BATCH = 100
REASON = "User action"  # what AWS shows for stream mappings (SQS ones: USER_INITIATED)
MIN_RECORD_AGE = 60


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message).with_fields(Type="User")


def is_stream(source: str) -> bool:
    """Whether `source` is a DynamoDB stream ARN (arn:aws:dynamodb:...:table/T/stream/L)."""
    parts = source.split(":", 5)
    return len(parts) == 6 and parts[2] == "dynamodb" and "/stream/" in parts[5]


def stream_context(endpoint_url: str, arn: str) -> RequestContext:
    """The context (the stream's account and region) to read a stream by ARN."""
    _, _, _, region, account, _ = arn.split(":", 5)
    return RequestContext(
        request_id="", account_id=account, region=region, base_url=endpoint_url, host="", path=""
    )


def check_starting_position(request: dict[str, Any]) -> str:
    position = request.get("StartingPosition")
    if position is None:
        raise invalid("StartingPosition is required for DynamoDB Streams event sources.")
    if position not in ("TRIM_HORIZON", "LATEST") or "StartingPositionTimestamp" in request:
        raise invalid(f"Unsupported starting position for DynamoDB Streams: {position}")
    return str(position)


def _destination(config: dict[str, Any] | None) -> dict[str, Any]:
    """DestinationConfig as shown: {"OnFailure": {...}} (empty without a destination)."""
    config = config or {}
    if (config.get("OnSuccess") or {}).get("Destination"):
        raise invalid(
            "Unsupported DestinationConfig parameter for given event source mapping type."
        )
    target = (config.get("OnFailure") or {}).get("Destination")
    if not target:
        return {"OnFailure": {}}
    parts = target.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ("sqs", "sns"):
        raise invalid(
            f"The provided destination config DestinationConfig(onSuccess=null, "
            f"onFailure=OnFailure(destination={target})) is invalid."
        )
    return {"OnFailure": {"Destination": target}}


def settings(
    request: dict[str, Any], current: dict[str, Any], filters: dict[str, Any] | None
) -> dict[str, Any]:
    """The stream settings of a mapping: the request over the current values over AWS's
    defaults, in the order AWS shows them. `filters` is the checked FilterCriteria
    (None: none, or unchanged when the request has none)."""

    def pick(name: str, default: Any) -> Any:
        return request.get(name, current.get(name, default))

    age = pick("MaximumRecordAgeInSeconds", -1)
    if age != -1 and age < MIN_RECORD_AGE:
        raise invalid(
            f"MaximumRecordAgeInSeconds must be -1 or between 60 and 604800 seconds, got {age}."
        )
    if pick("TumblingWindowInSeconds", 0):
        raise ServiceError(
            "NotImplemented", "cloudlet does not implement tumbling windows for streams yet", 501
        )
    out: dict[str, Any] = {
        "BatchSize": pick("BatchSize", DEFAULT_BATCH),
        "MaximumBatchingWindowInSeconds": pick("MaximumBatchingWindowInSeconds", 0),
        "ParallelizationFactor": pick("ParallelizationFactor", 1),
    }
    criteria = filters if "FilterCriteria" in request else current.get("FilterCriteria")
    if criteria:
        out["FilterCriteria"] = criteria
    destination = (
        _destination(request["DestinationConfig"])
        if "DestinationConfig" in request
        else current.get("DestinationConfig", {"OnFailure": {}})
    )
    out["DestinationConfig"] = destination
    out["MaximumRecordAgeInSeconds"] = age
    out["BisectBatchOnFunctionError"] = pick("BisectBatchOnFunctionError", False)
    out["MaximumRetryAttempts"] = pick("MaximumRetryAttempts", -1)
    out["TumblingWindowInSeconds"] = 0
    out["FunctionResponseTypes"] = list(pick("FunctionResponseTypes", []))
    return out


def conflict(source: str, name: str, uuid: str) -> ServiceError:
    return ServiceError(
        "ResourceConflictException",
        f'The event source arn (" {source} ") and function (" {name} ") provided mapping '
        f"already exists. Please update or delete the existing mapping with UUID {uuid}",
    ).with_fields(Type="User")
