"""Invoke: synchronous (RequestResponse), asynchronous (Event) and DryRun.

A synchronous call runs in an environment from the pool and answers with the
function's payload, `X-Amz-Function-Error` when it failed, and with `LogType=Tail` the
last 4 KB of its log. Each invocation's output goes to CloudWatch Logs with the
START, END and REPORT lines Lambda writes.
"""

from __future__ import annotations

import base64
import math
import time
import uuid
from typing import Any

import orjson

from cloudlet import ids
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.launch import build_launch
from cloudlet.services.lambda_.models import Function, Resolved
from cloudlet.services.lambda_.names import function_ref, not_found
from cloudlet.services.lambda_.runtime.limits import RESPONSE_LIMIT, RESPONSE_TOO_LARGE
from cloudlet.services.lambda_.runtime.pool import Invocation, Outcome

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 256 * 1024
TAIL_BYTES = 4096


def resolve(backend: Backend, fn: Function, qualifier: str | None) -> Resolved:
    """The configuration and code an invocation of `fn:qualifier` runs."""
    if qualifier in (None, "$LATEST"):
        return Resolved(fn, "$LATEST", fn.config, fn.code)
    alias = backend.store.alias(fn.arn, qualifier)
    version = qualifier
    if alias is not None:
        version = _route(alias)
    found = backend.store.version(fn.arn, version)
    if found is None:
        raise not_found(fn.arn, qualifier)
    config, code = found
    return Resolved(fn, version, config, code, alias=qualifier if alias is not None else None)


def _route(alias: dict[str, Any]) -> str:
    """An alias with weighted routing sends a share of invocations to a second version."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    draw = uuid.uuid4().int % 10_000 / 10_000
    for version, weight in weights.items():
        if draw < weight:
            return str(version)
        draw -= weight
    return str(alias["FunctionVersion"])


def _check_state(fn: Function) -> None:
    state = fn.config.get("State")
    if state != "Active":
        raise ServiceError(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. The function is currently in the "
            f"following state: {state}",
        )


def _payload(request: dict[str, Any], limit: int, operation: str, trusted: bool = False) -> bytes:
    """The payload, checked as Lambda checks a client's; `trusted`: made as JSON by
    another service in-process (API Gateway's events), so only its size is checked."""
    payload: bytes = request.get("Payload") or b""
    if len(payload) > limit:
        raise ServiceError(
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the {operation} operation",
            status=413,
        )
    if trusted and payload:
        return payload
    if not payload.strip():
        return b"{}"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise ServiceError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {error}",
        ) from None
    return payload


async def run(
    backend: Backend,
    resolved: Resolved,
    payload: bytes,
    request_id: str,
    client_context: str | None = None,
) -> Outcome:
    """One invocation in an environment, logged to CloudWatch Logs."""
    config = resolved.config
    key = (resolved.function.arn, resolved.version, config["RevisionId"])
    invocation = Invocation(
        request_id=request_id,
        payload=payload,
        invoked_arn=resolved.arn
        if resolved.alias or resolved.version != "$LATEST"
        else resolved.function.arn,
        timeout=float(config["Timeout"]),
        client_context=client_context,
    )
    outcome = await backend.pool.invoke(
        key,
        resolved.function.arn,
        resolved.function.concurrency,
        lambda stream: build_launch(backend, resolved, stream),
        invocation,
    )
    backend.logs.add(resolved, request_id, outcome)
    return outcome


def report_lines(resolved: Resolved, request_id: str, outcome: Outcome) -> tuple[str, str, str]:
    start = f"START RequestId: {request_id} Version: {resolved.version}"
    end = f"END RequestId: {request_id}"
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, math.ceil(outcome.duration_ms))} ms\t"
        f"Memory Size: {resolved.config['MemorySize']} MB\t"
        f"Max Memory Used: {min(outcome.max_memory_mb, int(resolved.config['MemorySize']))} MB\t"
    )
    if outcome.init_ms is not None:
        report += f"Init Duration: {outcome.init_ms:.2f} ms\t"
    return start, end, report


def _tail(resolved: Resolved, request_id: str, outcome: Outcome) -> str:
    start, end, report = report_lines(resolved, request_id, outcome)
    text = f"{start}\n{outcome.output.decode('utf-8', 'replace')}{end}\n{report}\n".encode()
    return base64.b64encode(text[-TAIL_BYTES:]).decode()


def _client_context(request: dict[str, Any]) -> str | None:
    """X-Amz-Client-Context is base64 JSON; the runtime receives the JSON itself."""
    encoded = request.get("ClientContext")
    if not encoded:
        return None
    try:
        text = base64.b64decode(encoded, validate=True).decode()
        orjson.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        ) from None
    return text


async def invoke(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    kind = request.get("InvocationType", "RequestResponse")
    resolved = resolve(backend, fn, ref.qualifier)
    if kind == "DryRun":
        _check_state(fn)
        return {"StatusCode": 204}
    if kind == "Event":
        payload = _payload(request, ASYNC_PAYLOAD_LIMIT, "Invoke")
        _check_state(fn)
        request_id = str(uuid.uuid4())
        backend.store.enqueue(
            fn.arn,
            ref.qualifier or "$LATEST",
            ctx.account_id,
            ctx.region,
            request_id,
            payload,
            time.time(),
        )
        backend.wake_async()
        return {"StatusCode": 202}
    payload = _payload(request, SYNC_PAYLOAD_LIMIT, "Invoke", ctx.protocol == "internal")
    _check_state(fn)
    request_id = ids.uuid4()
    outcome = await run(backend, resolved, payload, request_id, _client_context(request))
    answer, error = outcome.payload, outcome.error
    if len(answer) > RESPONSE_LIMIT:  # an asynchronous invocation may answer more
        answer, error = RESPONSE_TOO_LARGE, "Unhandled"
    result: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": answer,
        "ExecutedVersion": resolved.version,
    }
    if error is not None:
        result["FunctionError"] = error
    if request.get("LogType") == "Tail":
        result["LogResult"] = _tail(resolved, request_id, outcome)
    return result
