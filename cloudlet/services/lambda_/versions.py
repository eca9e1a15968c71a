"""Lambda versions and aliases: PublishVersion, ListVersionsByFunction and the alias API.

A version is a frozen copy of $LATEST (see `functions.publish`); an alias is a named
pointer to a version, optionally sending a weighted share of invocations to a second
version (`invoke.resolve` does the routing). Deleting a version is DeleteFunction's job.
"""

from __future__ import annotations

import uuid
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_._shared import check_ready, check_revision, paged
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.functions import get_function_or_404, publish
from cloudlet.services.lambda_.models import Function
from cloudlet.services.lambda_.names import not_found

# What may differ between $LATEST and a version published from it without the code or
# configuration having changed.
_IDENTITY = {
    "FunctionArn",
    "Version",
    "RevisionId",
    "LastModified",
    "Description",
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
}
# Status members ListVersionsByFunction leaves out, as AWS does.
_STATUS = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
)


def _unchanged(fn: Function, version: dict[str, Any], code: str) -> bool:
    """Whether $LATEST is what `version` froze. A version shares $LATEST's RevisionId when
    published; after that only a Description that differs tells a change apart from a
    description given to PublishVersion."""
    if code != fn.code:
        return False
    if {k: v for k, v in version.items() if k not in _IDENTITY} != {
        k: v for k, v in fn.config.items() if k not in _IDENTITY
    }:
        return False
    return bool(
        version["RevisionId"] == fn.config["RevisionId"]
        or version.get("Description") == fn.config.get("Description")
    )


def publish_version(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    check_revision(request.get("RevisionId"), fn.config["RevisionId"])
    sha = request.get("CodeSha256")
    if sha is not None and sha != fn.config["CodeSha256"]:
        raise cfg.invalid(
            f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
            f"({fn.config['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
        )
    check_ready(fn)
    published = backend.store.versions(fn.arn)
    # Lambda does not publish a version when nothing changed since the last one: it
    # answers with that version instead.
    if published and _unchanged(fn, *published[-1]):
        return published[-1][0]
    with backend.store.db.transaction():
        return publish(backend, fn, request.get("Description"))


def list_versions_by_function(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    configs = [{**fn.config, "FunctionArn": f"{fn.arn}:$LATEST"}]
    configs += [config for config, _ in backend.store.versions(fn.arn)]
    listed = [{k: v for k, v in c.items() if k not in _STATUS} for c in configs]
    return paged("Versions", listed, request)


# -- aliases ----------------------------------------------------------------------------


def _alias_or_404(backend: Backend, fn: Function, name: str) -> dict[str, Any]:
    alias = backend.store.alias(fn.arn, name)
    if alias is None:
        raise ServiceError("ResourceNotFoundException", f"Cannot find alias arn: {fn.arn}:{name}")
    return alias


def _check_version(backend: Backend, fn: Function, version: str) -> None:
    if version != "$LATEST" and backend.store.version(fn.arn, version) is None:
        raise not_found(fn.arn, version)


def _routing(
    backend: Backend, fn: Function, version: str, routing: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Validate RoutingConfig as AWS does: one additional published version, a weight
    below 1, and never the alias's own version or $LATEST."""
    weights: dict[str, float] = (routing or {}).get("AdditionalVersionWeights") or {}
    if not weights:
        return None
    if len(weights) > 1:
        raise cfg.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
    for extra, weight in weights.items():
        if weight >= 1.0:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{{{extra}={weight}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map "
                "value must satisfy constraint: [Member must have value less than or equal to "
                "1.0, Member must have value greater than or equal to 0.0, Member must not be "
                "null]",
            )
        if extra == version:
            raise cfg.invalid(
                f"Invalid function version {version}. Function version {version} is already "
                "included in routing configuration."
            )
        if version == "$LATEST":
            raise cfg.invalid(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        _check_version(backend, fn, extra)
    return {"AdditionalVersionWeights": dict(weights)}


def _alias_config(
    fn: Function, name: str, version: str, description: str, routing: dict[str, Any] | None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "AliasArn": f"{fn.arn}:{name}",
        "Name": name,
        "FunctionVersion": version,
        "Description": description,
        "RevisionId": str(uuid.uuid4()),
    }
    if routing is not None:
        config["RoutingConfig"] = routing
    return config


def create_alias(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    name, version = request["Name"], request["FunctionVersion"]
    _check_version(backend, fn, version)
    if backend.store.alias(fn.arn, name) is not None:
        raise ServiceError("ResourceConflictException", f"Alias already exists: {fn.arn}:{name}")
    routing = _routing(backend, fn, version, request.get("RoutingConfig"))
    config = _alias_config(fn, name, version, request.get("Description", ""), routing)
    backend.store.put_alias(fn.arn, name, config)
    return config


def get_alias(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    return _alias_or_404(backend, fn, request["Name"])


def update_alias(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    name = request["Name"]
    alias = backend.store.alias(fn.arn, name)
    if alias is None:
        raise ServiceError("ResourceNotFoundException", f"Alias not found: {fn.arn}:{name}")
    check_revision(request.get("RevisionId"), alias["RevisionId"])
    version = request.get("FunctionVersion", alias["FunctionVersion"])
    _check_version(backend, fn, version)
    routing = alias.get("RoutingConfig")
    if "RoutingConfig" in request:
        routing = request["RoutingConfig"]  # an empty one removes weighted routing
    config = _alias_config(
        fn,
        name,
        version,
        request.get("Description", alias["Description"]),
        _routing(backend, fn, version, routing),
    )
    backend.store.put_alias(fn.arn, name, config)
    return config


def delete_alias(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    name = request["Name"]
    # AWS answers 204 for an alias that does not exist. What was set up for the alias
    # (settings, its resource-based policy) goes with it: a new alias of the same name
    # starts afresh.
    with backend.store.db.transaction():
        backend.store.delete_alias(fn.arn, name)
        for kind in ("event-invoke", "provisioned"):
            backend.store.delete_setting(fn.arn, kind, name)
        if fn.policy and name in fn.policy:
            fn.policy = {k: v for k, v in fn.policy.items() if k != name} or None
            backend.store.put(fn)
    return {}


def list_aliases(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    fn = get_function_or_404(backend, ctx, request["FunctionName"])
    wanted = request.get("FunctionVersion")
    aliases = [
        a for a in backend.store.aliases(fn.arn) if wanted is None or a["FunctionVersion"] == wanted
    ]
    return paged("Aliases", aliases, request)
