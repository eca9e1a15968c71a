"""Concurrency: a function's reserved concurrency, provisioned concurrency per version or
alias, and GetAccountSettings.

Reserved concurrency is `Function.concurrency`; the pool throttles on it. Provisioned
concurrency lives in the `provisioned` settings of a version or alias: Put answers
IN_PROGRESS at once and starts that many environments in the background
(`Pool.prewarm`, with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), then
the config reads READY. Like AWS, at least 100 of the account's concurrency always
stays unreserved.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_._shared import paged
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.code import MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES
from cloudlet.services.lambda_.invoke import resolve
from cloudlet.services.lambda_.launch import build_launch
from cloudlet.services.lambda_.models import Function, Resolved
from cloudlet.services.lambda_.names import function_ref, not_found

log = logging.getLogger("cloudlet.lambda")
MIN_UNRESERVED = 100
TOTAL_CODE_SIZE = 75 * 1024**3  # 75 GiB of code per account and region, as AWS
PROVISIONED = "provisioned"


def _reserved(backend: Backend, account: str, region: str, skip: str | None = None) -> int:
    """Concurrency taken out of the unreserved pool: each function's reservation, or, for
    a function without one, its provisioned concurrency (which AWS takes from the pool)."""
    total = 0
    for fn in backend.store.functions(account, region):
        if fn.arn == skip:
            continue
        if fn.concurrency is not None:
            total += fn.concurrency
        else:
            total += _provisioned_total(backend, fn)
    return total


def _provisioned_total(backend: Backend, fn: Function, skip: str | None = None) -> int:
    return sum(
        int(c["RequestedProvisionedConcurrentExecutions"])
        for c in backend.store.settings(fn.arn, PROVISIONED)
        if c["Qualifier"] != skip
    )


def _minimum_error(what: str) -> ServiceError:
    return cfg.invalid(
        f"Specified {what} for function decreases account's UnreservedConcurrentExecution "
        f"below its minimum value of [{MIN_UNRESERVED}]."
    )


# -- reserved concurrency ---------------------------------------------------------------


def _unqualified(ctx: RequestContext, backend: Backend, name: str) -> Function:
    ref = function_ref(ctx, name)
    if ref.qualifier is not None:
        raise cfg.invalid(
            "This operation is permitted on Lambda functions only. Aliases and versions do not "
            "support this operation. Please specify either a function name or an unqualified "
            "function ARN."
        )
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    return fn


def put_function_concurrency(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = _unqualified(ctx, backend, request["FunctionName"])
    wanted: int = request["ReservedConcurrentExecutions"]
    others = _reserved(backend, fn.account, fn.region, skip=fn.arn)
    if backend.settings.account_limit - others - wanted < MIN_UNRESERVED:
        raise _minimum_error("ReservedConcurrentExecutions")
    provisioned = _provisioned_total(backend, fn)
    if provisioned > wanted:
        raise cfg.invalid(
            f" ReservedConcurrentExecutions  {wanted} should not be lower than function's total "
            f"provisioned concurrency [{provisioned}]."
        )
    fn.concurrency = wanted
    backend.store.put(fn)
    return {"ReservedConcurrentExecutions": wanted}


def get_function_concurrency(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = _unqualified(ctx, backend, request["FunctionName"])
    return {} if fn.concurrency is None else {"ReservedConcurrentExecutions": fn.concurrency}


def delete_function_concurrency(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = _unqualified(ctx, backend, request["FunctionName"])
    fn.concurrency = None
    backend.store.put(fn)
    return {}


def get_account_settings(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    functions = backend.store.functions(ctx.account_id, ctx.region)
    code_size = 0
    for fn in functions:
        code_size += int(fn.config.get("CodeSize", 0))
        code_size += sum(int(c.get("CodeSize", 0)) for c, _ in backend.store.versions(fn.arn))
    for arn, _ in backend.store.layers(ctx.account_id, ctx.region):
        code_size += sum(
            int(c["Content"]["CodeSize"])
            for c in backend.store.layer_versions(arn)
            if not c.get("Deleted")
        )
    limit = backend.settings.account_limit
    return {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": MAX_UNZIPPED_BYTES,
            "CodeSizeZipped": MAX_ZIP_BYTES,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit
            - _reserved(backend, ctx.account_id, ctx.region),
        },
        "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(functions)},
    }


# -- provisioned concurrency ------------------------------------------------------------


def _provisioned_target(
    ctx: RequestContext, backend: Backend, request: dict[str, Any], latest_message: str
) -> tuple[Function, str, str]:
    """(function, qualifier, the version it runs) for a published version or an alias."""
    ref = function_ref(ctx, request["FunctionName"], request["Qualifier"])
    qualifier = ref.qualifier or "$LATEST"
    if qualifier == "$LATEST":
        raise cfg.invalid(latest_message)
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    if qualifier.isdigit():
        if backend.store.version(fn.arn, qualifier) is None:
            raise not_found(fn.arn, qualifier)
        return fn, qualifier, qualifier
    alias = backend.store.alias(fn.arn, qualifier)
    if alias is None:
        raise ServiceError(
            "ResourceNotFoundException", f"Cannot find alias arn: {fn.arn}:{qualifier}"
        )
    return fn, qualifier, str(alias["FunctionVersion"])


def _check_overlap(backend: Backend, fn: Function, qualifier: str, version: str) -> None:
    """A version is provisioned directly or through one alias, never both (AWS)."""
    if qualifier.isdigit():
        for alias in backend.store.aliases(fn.arn):
            if alias["FunctionVersion"] == qualifier and backend.store.setting(
                fn.arn, PROVISIONED, alias["Name"]
            ):
                raise ServiceError(
                    "ResourceConflictException",
                    "Version is pointed by a Provisioned Concurrency alias",
                )
    elif backend.store.setting(fn.arn, PROVISIONED, version) is not None:
        raise ServiceError(
            "ResourceConflictException",
            "Alias can't be used for Provisioned Concurrency configuration on an already "
            "Provisioned version",
        )


_UNPUBLISHED = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
_NOT_PUBLISHED = "The function resource provided must be an alias or a published version."


def put_provisioned_concurrency_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier, version = _provisioned_target(ctx, backend, request, _UNPUBLISHED)
    if version == "$LATEST":  # an alias that points at $LATEST
        raise cfg.invalid(_UNPUBLISHED)
    wanted: int = request["ProvisionedConcurrentExecutions"]
    others = _provisioned_total(backend, fn, skip=qualifier)
    if fn.concurrency is not None and fn.concurrency < others + wanted:
        raise cfg.invalid(
            "Requested Provisioned Concurrency should not be greater than the "
            "reservedConcurrentExecution for function"
        )
    if fn.concurrency is None:
        taken = _reserved(backend, fn.account, fn.region) - _provisioned_total(backend, fn)
        if backend.settings.account_limit - taken - others - wanted < MIN_UNRESERVED:
            raise _minimum_error("ConcurrentExecutions")
    _check_overlap(backend, fn, qualifier, version)
    config: dict[str, Any] = {
        "Qualifier": qualifier,
        "RequestedProvisionedConcurrentExecutions": wanted,
        "AvailableProvisionedConcurrentExecutions": 0,
        "AllocatedProvisionedConcurrentExecutions": 0,
        "Status": "IN_PROGRESS",
        "LastModified": cfg.timestamp(),
        "Token": uuid.uuid4().hex,  # which Put a background allocation belongs to
    }
    backend.store.put_setting(fn.arn, PROVISIONED, qualifier, config)
    resolved = resolve(backend, fn, version)
    backend.spawn(_allocate(backend, resolved, qualifier, config["Token"], wanted))
    return _shown(config)


async def _allocate(
    backend: Backend, resolved: Resolved, qualifier: str, token: str, count: int
) -> None:
    """Start the environments, then mark the config READY (or FAILED) unless it was
    replaced or deleted meanwhile."""
    fn_arn = resolved.function.arn
    # The same key invoke.run uses, so invocations of this version find these environments.
    key = (fn_arn, resolved.version, str(resolved.config["RevisionId"]))
    status, reason = "READY", None
    try:
        await backend.pool.prewarm(
            key,
            fn_arn,
            lambda stream: build_launch(backend, resolved, stream, provisioned=True),
            count,
        )
    except Exception as error:  # a background task has no caller to raise to
        log.warning("provisioned concurrency for %s:%s failed: %s", fn_arn, qualifier, error)
        status, reason = "FAILED", f"Could not start the execution environments: {error}"
    current = backend.store.setting(fn_arn, PROVISIONED, qualifier)
    if current is None or current.get("Token") != token:
        return
    allocated = count if status == "READY" else 0
    current.update(
        Status=status,
        AvailableProvisionedConcurrentExecutions=allocated,
        AllocatedProvisionedConcurrentExecutions=allocated,
    )
    if reason is not None:
        current["StatusReason"] = reason
    backend.store.put_setting(fn_arn, PROVISIONED, qualifier, current)


def _shown(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in ("Qualifier", "Token")}


def get_provisioned_concurrency_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier, _ = _provisioned_target(ctx, backend, request, _NOT_PUBLISHED)
    config = backend.store.setting(fn.arn, PROVISIONED, qualifier)
    if config is None:
        raise ServiceError(
            "ProvisionedConcurrencyConfigNotFoundException",
            "No Provisioned Concurrency Config found for this function",
        )
    return _shown(config)


def delete_provisioned_concurrency_config(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn, qualifier, _ = _provisioned_target(ctx, backend, request, _NOT_PUBLISHED)
    # Idempotent, as on AWS. Started environments stay warm until reclaimed when idle.
    backend.store.delete_setting(fn.arn, PROVISIONED, qualifier)
    return {}


def list_provisioned_concurrency_configs(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"])
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    items = [
        {"FunctionArn": f"{fn.arn}:{c['Qualifier']}", **_shown(c)}
        for c in backend.store.settings(fn.arn, PROVISIONED)
    ]
    return paged("ProvisionedConcurrencyConfigs", items, request)
