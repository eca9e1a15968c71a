"""Lambda function operations: create, read, list, update code and configuration, delete."""

from __future__ import annotations

import asyncio
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.models import Function
from cloudlet.services.lambda_.names import function_ref, not_found
from cloudlet.services.lambda_.runtime.processes import runtime_kind


def get_function_or_404(backend: Backend, ctx: RequestContext, name: str) -> Function:
    ref = function_ref(ctx, name)
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    return fn


def layer_refs(backend: Backend, arns: list[str]) -> list[dict[str, Any]]:
    """Resolve `arn:...:layer:name:version` ARNs to the Layers member of a configuration."""
    if len(arns) > 5:
        raise cfg.invalid("Cannot reference more than 5 layers.")
    found = []
    for arn in arns:
        base, _, version = arn.rpartition(":")
        layer = backend.store.layer(base, int(version)) if version.isdigit() else None
        if layer is None or layer[0].get("Deleted"):  # see layers.py: deletion marks it
            raise cfg.invalid(f"Layer version {arn} does not exist.")
        found.append({"Arn": arn, "CodeSize": layer[0].get("Content", {}).get("CodeSize", 0)})
    return found


def _code_bytes(request_code: dict[str, Any]) -> bytes:
    if "ImageUri" in request_code:
        raise cfg.invalid("cloudlet does not run container images: package the function as a zip.")
    if "ZipFile" in request_code:
        data: bytes = request_code["ZipFile"]
        return data
    if "S3Bucket" in request_code or "S3Key" in request_code:
        raise cfg.invalid(
            "cloudlet cannot read function code from S3 yet: upload it inline with ZipFile."
        )
    raise cfg.invalid("Please provide a source for function code.")


def _settle_soon(backend: Backend, arn: str) -> None:
    """Become Active / Successful right after answering, as AWS does within moments."""

    def settle() -> None:
        fn = backend.store.get(arn)
        if fn is not None:
            cfg.settled(fn.config)
            backend.store.put(fn)

    asyncio.get_running_loop().call_soon(settle)


def create_function(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"])
    if request.get("PackageType") == "Image":
        raise cfg.invalid(
            "cloudlet does not run container images (PackageType Image): package the function "
            "as a zip."
        )
    runtime, handler = request.get("Runtime"), request.get("Handler")
    if not runtime or not handler:
        raise cfg.invalid(
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages."
        )
    cfg.check_runtime(runtime)
    runtime_kind(runtime)
    cfg.check_settings(request)
    if backend.store.get(ref.arn) is not None:
        raise ServiceError("ResourceConflictException", f"Function already exist: {ref.name}")
    layers = layer_refs(backend, request.get("Layers", []))
    code_hex, code_sha, size = backend.code.put(_code_bytes(request["Code"]))
    config = cfg.new_configuration(ref.arn, ref.name, request, code_sha, size, layers)
    fn = Function(
        ref.arn, ref.account, ref.region, ref.name, config, code_hex, request.get("Tags", {})
    )
    with backend.store.db.transaction():
        backend.store.put(fn)
        if request.get("Publish"):
            publish(backend, fn, request.get("Description", ""))
    _settle_soon(backend, fn.arn)
    if runtime_kind(runtime) == "python":
        backend.spawn(backend.pool.launcher.warm())  # the first cold start finds it ready
    return dict(config)


def publish(backend: Backend, fn: Function, description: str | None) -> dict[str, Any]:
    """Freeze $LATEST as the next numbered version."""
    fn.last_version += 1
    version = str(fn.last_version)
    frozen = dict(fn.config)
    frozen.update(
        Version=version,
        FunctionArn=f"{fn.arn}:{version}",
        State="Active",
        LastUpdateStatus="Successful",
        RevisionId=fn.config["RevisionId"],
    )
    if description is not None:
        frozen["Description"] = description
    for key in (
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
    ):
        frozen.pop(key, None)
    backend.store.put_version(fn.arn, version, frozen, fn.code)
    backend.store.put(fn)
    return frozen


def _configuration(backend: Backend, fn: Function, qualifier: str | None) -> dict[str, Any]:
    if qualifier in (None, "$LATEST"):
        return dict(fn.config)
    alias = backend.store.alias(fn.arn, qualifier)
    version = alias["FunctionVersion"] if alias is not None else qualifier
    found = backend.store.version(fn.arn, version)
    if found is None:
        raise not_found(fn.arn, qualifier)
    return found[0]


def get_function_configuration(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    return _configuration(backend, fn, ref.qualifier)


def get_function(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    config = _configuration(backend, fn, ref.qualifier)
    code = fn.code
    if ref.qualifier not in (None, "$LATEST"):
        alias = backend.store.alias(fn.arn, ref.qualifier)
        version = backend.store.version(
            fn.arn, alias["FunctionVersion"] if alias else ref.qualifier
        )
        code = version[1] if version else code
    out: dict[str, Any] = {
        "Configuration": config,
        "Code": {
            "RepositoryType": "S3",
            "Location": f"{backend.cloud.endpoint_url}/_lambda/code/{code}.zip",
        },
    }
    if fn.tags:
        out["Tags"] = dict(fn.tags)
    if fn.concurrency is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": fn.concurrency}
    return out


def list_functions(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    configs: list[dict[str, Any]] = []
    for fn in backend.store.functions(ctx.account_id, ctx.region):
        configs.append(dict(fn.config))
        if request.get("FunctionVersion") == "ALL":
            configs += [c for c, _ in backend.store.versions(fn.arn)]
    start = int(request["Marker"]) if str(request.get("Marker", "")).isdigit() else 0
    limit = request.get("MaxItems") or 50
    page = configs[start : start + limit]
    out: dict[str, Any] = {"Functions": page}
    if start + limit < len(configs):
        out["NextMarker"] = str(start + limit)
    return out


def _check_revision(fn: Function, request: dict[str, Any]) -> None:
    revision = request.get("RevisionId")
    if revision is not None and revision != fn.config["RevisionId"]:
        raise ServiceError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the "
            "GetFunction/GetAlias API to retrieve the latest Revision Id",
        )


def _check_ready(fn: Function) -> None:
    if fn.config.get("LastUpdateStatus") == "InProgress" or fn.config.get("State") == "Pending":
        raise ServiceError(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. An update is in progress for "
            f"resource: {fn.arn}",
        )


def update_function_code(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    _check_revision(fn, request)
    _check_ready(fn)
    code_hex, code_sha, size = backend.code.put(_code_bytes(request))
    if request.get("DryRun"):
        return {**fn.config, "CodeSha256": code_sha, "CodeSize": size}
    fn.code = code_hex
    fn.config.update(CodeSha256=code_sha, CodeSize=size)
    cfg.touched(fn.config)
    with backend.store.db.transaction():
        backend.store.put(fn)
        if request.get("Publish"):
            publish(backend, fn, None)
    backend.pool.retire(fn.arn)
    _settle_soon(backend, fn.arn)
    return dict(fn.config)


def update_function_configuration(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    _check_revision(fn, request)
    _check_ready(fn)
    if "Runtime" in request:
        cfg.check_runtime(request["Runtime"])
        runtime_kind(request["Runtime"])
    cfg.check_settings(request)
    layers = layer_refs(backend, request["Layers"]) if "Layers" in request else None
    cfg.update_configuration(fn.config, request, layers)
    backend.store.put(fn)
    backend.pool.retire(fn.arn)
    _settle_soon(backend, fn.arn)
    return dict(fn.config)


def delete_function(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    if ref.qualifier not in (None, "$LATEST"):
        if not ref.qualifier.isdigit():
            raise cfg.invalid(
                "Deletion of aliases is not supported through DeleteFunction; use DeleteAlias."
            )
        if backend.store.version(fn.arn, ref.qualifier) is None:
            raise not_found(fn.arn, ref.qualifier)
        backend.store.delete_version(fn.arn, ref.qualifier)
        return {}
    backend.store.delete(fn.arn)
    backend.pool.retire(fn.arn)
    return {}
