"""Tags on Lambda functions: TagResource, UntagResource, ListTags, by function ARN.

Only unqualified function ARNs carry tags, as on AWS (versions and aliases share their
function's). Other taggable ARNs the model accepts (code signing configs, event source
mappings) are resources cloudlet does not have, so they are not found.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.models import Function
from cloudlet.services.lambda_.names import function_ref, not_found

TAG_LIMIT = 50  # tags per function


def _function(
    ctx: RequestContext, backend: Backend, resource: str, qualified_ok: bool = True
) -> Function:
    if ":function:" not in resource:
        raise ServiceError(
            "ResourceNotFoundException", "The resource you requested does not exist."
        )
    ref = function_ref(ctx, resource)
    if ref.qualifier is not None and not qualified_ok:
        raise cfg.invalid(
            "Tags on function aliases and versions are not supported. Please specify a function "
            "ARN."
        )
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    return fn


def tag_resource(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    fn = _function(ctx, backend, request["Resource"], qualified_ok=False)
    if not request["Tags"]:
        raise cfg.invalid("An error occurred and the request cannot be processed.")
    tags = {**fn.tags, **request["Tags"]}
    if len(tags) > TAG_LIMIT:
        raise cfg.invalid("Number of tags exceeds resource tag limit.")
    fn.tags = tags
    backend.store.put(fn)
    return {}


def untag_resource(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    fn = _function(ctx, backend, request["Resource"], qualified_ok=False)
    fn.tags = {k: v for k, v in fn.tags.items() if k not in set(request["TagKeys"])}
    backend.store.put(fn)
    return {}


def list_tags(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    # A qualified ARN lists its function's tags.
    fn = _function(ctx, backend, request["Resource"])
    return {"Tags": dict(fn.tags)}
