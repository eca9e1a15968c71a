"""Asynchronous invocation settings: Put/Update/Get/Delete/ListFunctionEventInvokeConfigs.

A config belongs to $LATEST, a version or an alias, and is kept in the `event-invoke`
settings under that qualifier ("$LATEST" for the unqualified function) as the document
AWS returns. The async worker (asyncjobs.py) reads MaximumRetryAttempts,
MaximumEventAgeInSeconds and DestinationConfig from it; the model's bounds on the first
two (0-2 retries, 60-21600 seconds) are enforced by the gateway.
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_._shared import paged
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.models import Function
from cloudlet.services.lambda_.names import function_ref

KIND = "event-invoke"
_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
_DESTINATION_SERVICES = ("sqs", "sns", "lambda", "events")


def _no_function() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The function doesn't exist.")


def _no_config(fn_arn: str, qualifier: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException",
        f"The function {fn_arn}:{qualifier} doesn't have an EventInvokeConfig",
    )


def _target(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> tuple[Function | None, str, str]:
    """(function or None, qualifier, unqualified function ARN)."""
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    return backend.store.get(ref.arn), ref.qualifier or "$LATEST", ref.arn


def _existing_target(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> tuple[Function, str]:
    """The function and qualifier a config may be written for: $LATEST, a published
    version or an alias."""
    if not any(key in request for key in _SETTINGS):
        raise cfg.invalid("You must specify at least one of error handling or destination setting.")
    fn, qualifier, _ = _target(ctx, backend, request)
    if fn is None:
        raise _no_function()
    if qualifier != "$LATEST" and (
        backend.store.version(fn.arn, qualifier) is None
        and backend.store.alias(fn.arn, qualifier) is None
    ):
        raise _no_function()
    return fn, qualifier


def _destinations(backend: Backend, fn: Function, given: dict[str, Any]) -> dict[str, Any]:
    """DestinationConfig as AWS shows it, both members present, each target checked."""
    shown: dict[str, Any] = {}
    for which in ("OnSuccess", "OnFailure"):
        target = (given.get(which) or {}).get("Destination")
        shown[which] = {"Destination": target} if target else {}
    for which in ("OnSuccess", "OnFailure"):
        target = shown[which].get("Destination")
        if not target:
            continue
        parts = target.split(":")
        if len(parts) < 6 or parts[2] not in _DESTINATION_SERVICES:
            raise cfg.invalid(f"The provided destination config {_describe(shown)} is invalid.")
        if parts[2] == "lambda":
            _check_function_destination(backend, fn, target)
    return shown


def _describe(shown: dict[str, Any]) -> str:
    """How AWS spells a DestinationConfig in its error message."""
    parts = []
    for which, name in (("OnSuccess", "onSuccess"), ("OnFailure", "onFailure")):
        target = shown[which].get("Destination")
        parts.append(f"{name}={which}(destination={target})" if target else f"{name}=null")
    return f"DestinationConfig({', '.join(parts)})"


def _check_function_destination(backend: Backend, fn: Function, target: str) -> None:
    # Versions and aliases share the function's resource: compare unqualified ARNs.
    unqualified = ":".join(target.split(":")[:7])
    if backend.store.get(unqualified) is None:
        raise cfg.invalid(f"The destination ARN {target} is invalid.")
    if unqualified == fn.arn:
        raise cfg.invalid("You can't specify the function as a destination for itself.")


def _write(
    backend: Backend, fn: Function, qualifier: str, settings: dict[str, Any]
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "LastModified": time.time(),
        "FunctionArn": f"{fn.arn}:{qualifier}",
        **{k: settings[k] for k in _SETTINGS if settings.get(k) is not None},
    }
    config["DestinationConfig"] = _destinations(
        backend, fn, settings.get("DestinationConfig") or {}
    )
    backend.store.put_setting(fn.arn, KIND, qualifier, config)
    return config


def put_function_event_invoke_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier = _existing_target(ctx, backend, request)
    return _write(backend, fn, qualifier, request)  # replaces every setting


def update_function_event_invoke_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier = _existing_target(ctx, backend, request)
    current = backend.store.setting(fn.arn, KIND, qualifier)
    if current is None:
        raise _no_config(fn.arn, qualifier)
    merged = {**current, **{k: request[k] for k in _SETTINGS if k in request}}
    if "DestinationConfig" in request:  # members not given keep their destination
        merged["DestinationConfig"] = {
            **current.get("DestinationConfig", {}),
            **request["DestinationConfig"],
        }
    return _write(backend, fn, qualifier, merged)


def get_function_event_invoke_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier, arn = _target(ctx, backend, request)
    config = None if fn is None else backend.store.setting(fn.arn, KIND, qualifier)
    if config is None:
        raise _no_config(arn, qualifier)
    return config


def delete_function_event_invoke_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier, arn = _target(ctx, backend, request)
    if fn is None or backend.store.setting(fn.arn, KIND, qualifier) is None:
        raise _no_config(arn, qualifier)
    backend.store.delete_setting(fn.arn, KIND, qualifier)
    return {}


def list_function_event_invoke_configs(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, _, _ = _target(ctx, backend, {"FunctionName": request["FunctionName"]})
    if fn is None:
        raise _no_function()
    return paged("FunctionEventInvokeConfigs", backend.store.settings(fn.arn, KIND), request)
