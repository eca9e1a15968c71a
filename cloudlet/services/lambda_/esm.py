"""Event source mappings for Amazon SQS: Create, Get, Update, Delete and
ListEventSourceMappings.

The operations validate and store the mapping (esm_store.py) in a transitional state —
Creating, Enabling, Updating, Disabling, Deleting — as AWS answers; the poller
(esm_poller.py) moves it on to Enabled or Disabled (or removes it) and does the
polling. Limits and messages follow AWS's "Lambda parameters for Amazon SQS event
source mappings" and the CreateEventSourceMapping reference.
"""

from __future__ import annotations

import time
import uuid as uuids
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.patterns import PatternError, compile_event_pattern
from cloudlet.services.lambda_ import esm_streams as streams
from cloudlet.services.lambda_._shared import paged
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.esm_records import queue_target
from cloudlet.services.lambda_.esm_store import EsmStore
from cloudlet.services.lambda_.esm_stream_runner import start_position
from cloudlet.services.lambda_.invoke import resolve
from cloudlet.services.lambda_.models import Function, Resolved
from cloudlet.services.lambda_.names import function_ref, not_found

DEFAULT_BATCH = 10
MAX_BATCH_WITHOUT_WINDOW = 10
MAX_FILTERS = 5  # AWS's default quota of filters per mapping
LIST_LIMIT = 100  # ListEventSourceMappings returns at most 100 per page
REASON = "USER_INITIATED"
BUSY = ("Creating", "Enabling", "Updating", "Disabling", "Deleting")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message).with_fields(Type="User")


def _missing() -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", "The resource you requested does not exist."
    ).with_fields(Type="User")


def _store(backend: Backend) -> EsmStore:
    return EsmStore(backend.store.db)


# -- validation -------------------------------------------------------------------------


def _function(ctx: RequestContext, backend: Backend, name: str) -> tuple[Function, Resolved, str]:
    """The function (and qualifier) a mapping invokes, and the FunctionArn it shows."""
    ref = function_ref(ctx, name)
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    resolved = resolve(backend, fn, ref.qualifier)
    return fn, resolved, ref.arn if not ref.qualifier else f"{ref.arn}:{ref.qualifier}"


async def _queue_timeout(backend: Backend, source: str) -> int:
    """The visibility timeout of the SQS queue `source` names; AWS's error if it is not a
    queue (Lambda checks with the queue, and reports SQS's answer)."""
    parts = source.split(":")
    service = parts[2] if len(parts) > 5 else ""
    if service in ("kinesis", "dynamodb"):
        raise _invalid(f"Stream not found: {source}")
    if service != "sqs":
        raise _invalid(
            "Unrecognized event source, must be kinesis, dynamodb stream or sqs. "
            f"Unsupported source arn : {source}"
        )
    ctx, url = queue_target(backend.cloud.endpoint_url, source)
    try:
        found = await backend.cloud.call(
            ctx,
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": url, "AttributeNames": ["VisibilityTimeout"]},
        )
    except ServiceError as error:
        code = error.code
        if code == "QueueDoesNotExist":
            code = "AWS.SimpleQueueService.NonExistentQueue"
        raise _invalid(
            f"Error occurred while ReceiveMessage. SQS Error Code: {code}. "
            f"SQS Error Message: {error.message}"
        ) from None
    return int(found["Attributes"]["VisibilityTimeout"])


def _check_timeout(visibility: int, resolved: Resolved) -> None:
    timeout = int(resolved.config["Timeout"])
    if visibility < timeout:
        raise _invalid(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
            f"{timeout} seconds"
        )


def _check_sqs_only(request: dict[str, Any]) -> None:
    if "StartingPosition" in request or "StartingPositionTimestamp" in request:
        raise _invalid("StartingPosition is not valid for SQS event sources.")
    destinations = request.get("DestinationConfig") or {}
    if any((destinations.get(k) or {}).get("Destination") for k in ("OnSuccess", "OnFailure")):
        raise _invalid(
            "Unsupported DestinationConfig parameter for given event source mapping type."
        )


def _filters(criteria: dict[str, Any] | None) -> dict[str, Any] | None:
    """FilterCriteria as stored (None without filters), each pattern checked."""
    filters = (criteria or {}).get("Filters") or []
    if not filters:
        return None
    if len(filters) > MAX_FILTERS:
        raise _invalid(
            f"The number of filters ({len(filters)}) exceeds the limit of {MAX_FILTERS} "
            "filters per event source mapping."
        )
    for item in filters:
        pattern = item.get("Pattern")
        if not pattern:
            raise _invalid("Invalid filter pattern definition.")
        try:
            compile_event_pattern(pattern)
        except PatternError:
            raise _invalid("Invalid filter pattern definition.") from None
    return {"Filters": [{"Pattern": item["Pattern"]} for item in filters]}


def _settings(request: dict[str, Any], current: dict[str, Any], fifo: bool) -> dict[str, Any]:
    """The SQS settings of a mapping: the request over the current values over defaults."""
    batch = request.get("BatchSize", current.get("BatchSize", DEFAULT_BATCH))
    window = request.get(
        "MaximumBatchingWindowInSeconds", current.get("MaximumBatchingWindowInSeconds", 0)
    )
    if batch > MAX_BATCH_WITHOUT_WINDOW and window == 0:
        raise _invalid(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10"
        )
    if fifo and window > 0:
        raise _invalid("Batching window is not supported for FIFO queues")
    settings: dict[str, Any] = {
        "BatchSize": batch,
        "MaximumBatchingWindowInSeconds": window,
        "FunctionResponseTypes": list(
            request.get("FunctionResponseTypes", current.get("FunctionResponseTypes", []))
        ),
    }
    if "FilterCriteria" in request:
        criteria = _filters(request["FilterCriteria"])
    else:
        criteria = current.get("FilterCriteria")
    if criteria:
        settings["FilterCriteria"] = criteria
    scaling = (
        request["ScalingConfig"] if "ScalingConfig" in request else current.get("ScalingConfig")
    )
    if scaling and scaling.get("MaximumConcurrency"):
        settings["ScalingConfig"] = {"MaximumConcurrency": scaling["MaximumConcurrency"]}
    return settings


def _check_unique(store: EsmStore, function_arn: str, name: str, source: str, own: str) -> None:
    for other in store.duplicates(function_arn, source):
        if other["UUID"] != own and other["State"] != "Deleting":
            if streams.is_stream(source):
                raise streams.conflict(source, name, other["UUID"])
            raise ServiceError(
                "ResourceConflictException",
                f'An event source mapping with SQS arn (" {source} ") and function (" {name} ") '
                "already exists. Please update or delete the existing mapping with UUID "
                f"{other['UUID']}",
            ).with_fields(Type="User")


async def _check_stream(backend: Backend, source: str) -> dict[str, Any]:
    """The stream's description; AWS's error unless `source` is a DynamoDB stream."""
    ctx = streams.stream_context(backend.cloud.endpoint_url, source)
    try:
        found = await backend.cloud.call(
            ctx, "dynamodbstreams", "DescribeStream", {"StreamArn": source}
        )
    except ServiceError:
        raise _invalid(f"Stream not found: {source}") from None
    description: dict[str, Any] = found["StreamDescription"]
    return description


# -- operations -------------------------------------------------------------------------


async def _create_stream_mapping(
    ctx: RequestContext, backend: Backend, request: dict[str, Any], source: str
) -> dict[str, Any]:
    position = streams.check_starting_position(request)
    settings = streams.settings(request, {}, _filters(request.get("FilterCriteria")))
    fn, _, function_arn = _function(ctx, backend, request["FunctionName"])
    description = await _check_stream(backend, source)
    shard = description["Shards"][0]["ShardId"]
    # LATEST is where the stream ends now, not when the poller first looks
    latest = await start_position(backend, source, shard, "LATEST")
    store = _store(backend)
    uuid = str(uuids.uuid4())
    _check_unique(store, function_arn, fn.name, source, uuid)
    enabled = request.get("Enabled", True)
    head = {k: settings.pop(k) for k in ("BatchSize", "MaximumBatchingWindowInSeconds")}
    config = {
        "UUID": uuid,
        "StartingPosition": position,
        **head,
        "ParallelizationFactor": settings.pop("ParallelizationFactor"),
        "EventSourceArn": source,
        **(
            {"FilterCriteria": settings.pop("FilterCriteria")}
            if "FilterCriteria" in settings
            else {}
        ),
        "FunctionArn": function_arn,
        "LastModified": time.time(),
        "LastProcessingResult": "No records processed",
        "State": "Creating" if enabled else "Disabled",
        "StateTransitionReason": streams.REASON,
        **settings,
        "EventSourceMappingArn": (
            f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:event-source-mapping:{uuid}"
        ),
    }
    with backend.store.db.transaction():
        store.put(ctx.account_id, ctx.region, config, enabled)
        if position == "LATEST":
            store.set_checkpoint(uuid, shard, latest)
    return config


async def create_event_source_mapping(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    source = request.get("EventSourceArn")
    if not source:
        raise _invalid("Unrecognized event source.")
    if streams.is_stream(source):
        return await _create_stream_mapping(ctx, backend, request, source)
    _check_sqs_only(request)
    settings = _settings(request, {}, source.endswith(".fifo"))
    fn, resolved, function_arn = _function(ctx, backend, request["FunctionName"])
    _check_timeout(await _queue_timeout(backend, source), resolved)
    store = _store(backend)
    uuid = str(uuids.uuid4())
    _check_unique(store, function_arn, fn.name, source, uuid)
    enabled = request.get("Enabled", True)
    config = {
        "UUID": uuid,
        **settings,
        "EventSourceArn": source,
        "FunctionArn": function_arn,
        "LastModified": time.time(),
        "State": "Creating" if enabled else "Disabled",
        "StateTransitionReason": REASON,
        "EventSourceMappingArn": (
            f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:event-source-mapping:{uuid}"
        ),
    }
    store.put(ctx.account_id, ctx.region, config, enabled)
    return config


def get_event_source_mapping(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    config = _store(backend).get(request["UUID"], ctx.account_id, ctx.region)
    if config is None:
        raise _missing()
    return config


def _in_use(action: str) -> ServiceError:
    return ServiceError(
        "ResourceInUseException",
        f"Cannot {action} the event source mapping because it is in use.",
    ).with_fields(Type="User")


def _next_state(current: str, enabled: bool | None) -> str:
    if enabled is True and current == "Disabled":
        return "Enabling"
    if enabled is False and current == "Enabled":
        return "Disabling"
    return "Updating"


async def update_event_source_mapping(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    store = _store(backend)
    config = store.get(request["UUID"], ctx.account_id, ctx.region)
    if config is None:
        raise _missing()
    if config["State"] in BUSY:
        raise _in_use("update")
    source = config["EventSourceArn"]
    name = request.get("FunctionName") or config["FunctionArn"]
    if streams.is_stream(source):
        filters = _filters(request.get("FilterCriteria"))
        settings = streams.settings(request, config, filters)
        fn, resolved, function_arn = _function(ctx, backend, name)
    else:
        _check_sqs_only(request)
        settings = _settings(request, config, source.endswith(".fifo"))
        fn, resolved, function_arn = _function(ctx, backend, name)
        _check_timeout(await _queue_timeout(backend, source), resolved)
    _check_unique(store, function_arn, fn.name, source, config["UUID"])
    enabled = request.get("Enabled")
    for key in ("FilterCriteria", "ScalingConfig"):
        config.pop(key, None)
    config.update(settings)
    config["FunctionArn"] = function_arn
    config["State"] = _next_state(config["State"], enabled)
    config["LastModified"] = time.time()
    desired = store.enabled(config["UUID"]) if enabled is None else enabled
    store.put(ctx.account_id, ctx.region, config, desired)
    return config


def delete_event_source_mapping(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    store = _store(backend)
    config = store.get(request["UUID"], ctx.account_id, ctx.region)
    if config is None:
        raise _missing()
    if config["State"] in BUSY:
        raise _in_use("delete")
    config["State"] = "Deleting"
    config["LastModified"] = time.time()
    store.put(ctx.account_id, ctx.region, config, False)
    return config


def list_event_source_mappings(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    function_arn = None
    if request.get("FunctionName"):
        ref = function_ref(ctx, request["FunctionName"])
        function_arn = ref.arn if not ref.qualifier else f"{ref.arn}:{ref.qualifier}"
    items = _store(backend).listing(
        ctx.account_id, ctx.region, function_arn, request.get("EventSourceArn")
    )
    page = {**request, "MaxItems": min(request.get("MaxItems") or LIST_LIMIT, LIST_LIMIT)}
    return paged("EventSourceMappings", items, page)
