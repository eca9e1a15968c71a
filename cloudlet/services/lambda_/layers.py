"""Lambda layers: publishing, reading, listing and deleting layer versions, and their
resource-based policies (AddLayerVersionPermission and friends).

A layer version's zip goes to the code store like function code; `launch.opt_dir` merges
the layers of a function into its /opt. Each version's row keeps the document AWS
returns, minus `Content.Location`, which is built on the way out from the endpoint the
server listens on. Deleting a version only marks it `Deleted`: AWS keeps a deleted
version's content for the functions that already use it, and never reuses its number.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_._shared import check_revision, paged
from cloudlet.services.lambda_.backend import Backend

_LAYER_ARN = re.compile(
    r"^arn:[a-zA-Z0-9-]+:lambda:(?P<region>[a-zA-Z0-9-]+):(?P<account>\d{12}):"
    r"layer:(?P<name>[a-zA-Z0-9-_]+)(?::(?P<version>[0-9]+))?$"
)
# The members of a layer version that ListLayerVersions and ListLayers show.
_LISTED = (
    "LayerVersionArn",
    "Version",
    "Description",
    "CreatedDate",
    "CompatibleRuntimes",
    "LicenseInfo",
    "CompatibleArchitectures",
)
_NOT_FOUND = "The resource you requested does not exist."


def _layer_arn(ctx: RequestContext, name_or_arn: str) -> tuple[str, str, str, str]:
    """(layer ARN, name, account, region) for a layer name or ARN."""
    match = _LAYER_ARN.match(name_or_arn)
    if match is None:
        arn = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:layer:{name_or_arn}"
        return arn, name_or_arn, ctx.account_id, ctx.region
    arn = name_or_arn.rsplit(":", 1)[0] if match["version"] else name_or_arn
    return arn, match["name"], match["account"], match["region"]


def _own_layer_arn(ctx: RequestContext, name_or_arn: str) -> tuple[str, str]:
    """(layer ARN, name) for a change, which only the layer's own account may make here:
    cloudlet records layer policies but has no cross-account grants to check them by."""
    arn, name, account, region = _layer_arn(ctx, name_or_arn)
    if (account, region) != (ctx.account_id, ctx.region):
        raise ServiceError(
            "AccessDeniedException",
            f"User: arn:aws:iam::{ctx.account_id}:root is not authorized to perform: "
            f"lambda:{ctx.operation} on resource: {arn}",
            status=403,
        )
    return arn, name


def _content_bytes(content: dict[str, Any]) -> bytes:
    if "ZipFile" in content:
        data: bytes = content["ZipFile"]
        return data
    if "S3Bucket" in content or "S3Key" in content:
        raise cfg.invalid(
            "cloudlet cannot read layer content from S3 yet: upload it inline with ZipFile."
        )
    raise cfg.invalid("Please provide a source for the layer content.")


def _with_location(backend: Backend, config: dict[str, Any], code: str) -> dict[str, Any]:
    content = {**config["Content"], "Location": _location(backend, code)}
    return {**config, "Content": content}


def _location(backend: Backend, code: str) -> str:
    return f"{backend.cloud.endpoint_url}/_lambda/code/{code}.zip"


def _version(
    backend: Backend, arn: str, version: int
) -> tuple[dict[str, Any], str, dict[str, Any] | None] | None:
    """A layer version that exists (not deleted): (config, code, policy)."""
    found = backend.store.layer(arn, version)
    if found is None or found[0].get("Deleted"):
        return None
    return found


def publish_layer_version(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    arn, name = _own_layer_arn(ctx, request["LayerName"])
    code, sha, size = backend.code.put(_content_bytes(request["Content"]))
    with backend.store.db.transaction():
        version = backend.store.last_layer_version(arn) + 1
        config: dict[str, Any] = {
            "Content": {"CodeSha256": sha, "CodeSize": size},
            "LayerArn": arn,
            "LayerVersionArn": f"{arn}:{version}",
            "Description": request.get("Description", ""),
            "CreatedDate": cfg.timestamp(),
            "Version": version,
        }
        for key in ("CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"):
            if key in request:
                config[key] = request[key]
        backend.store.put_layer(arn, version, ctx.account_id, ctx.region, name, config, code)
    return _with_location(backend, config, code)


def _get(backend: Backend, arn: str, version: int) -> dict[str, Any]:
    if version < 1:
        raise cfg.invalid("Layer Version Cannot be less than 1")
    found = _version(backend, arn, version)
    if found is None:
        raise ServiceError("ResourceNotFoundException", _NOT_FOUND)
    return _with_location(backend, found[0], found[1])


def get_layer_version(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    arn = _layer_arn(ctx, request["LayerName"])[0]
    return _get(backend, arn, request["VersionNumber"])


def get_layer_version_by_arn(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    # The model's pattern has already required `...:layer:name:version`.
    arn, _, version = request["Arn"].rpartition(":")
    return _get(backend, arn, int(version))


def _matching(configs: list[dict[str, Any]], request: dict[str, Any]) -> list[dict[str, Any]]:
    """Live versions compatible with the CompatibleRuntime/CompatibleArchitecture filters
    (a version that declares none matches no filter), newest first."""
    runtime, arch = request.get("CompatibleRuntime"), request.get("CompatibleArchitecture")
    return [
        c
        for c in configs
        if not c.get("Deleted")
        and (runtime is None or runtime in c.get("CompatibleRuntimes", []))
        and (arch is None or arch in c.get("CompatibleArchitectures", []))
    ]


def _listed(config: dict[str, Any]) -> dict[str, Any]:
    return {k: config[k] for k in _LISTED if k in config}


def list_layers(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    items = []
    for arn, _ in backend.store.layers(ctx.account_id, ctx.region):
        matching = _matching(backend.store.layer_versions(arn), request)
        if matching:
            items.append(
                {
                    "LayerName": arn.rsplit(":", 1)[1],
                    "LayerArn": arn,
                    "LatestMatchingVersion": _listed(matching[0]),
                }
            )
    return paged("Layers", items, request)


def list_layer_versions(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    arn = _layer_arn(ctx, request["LayerName"])[0]
    versions = _matching(backend.store.layer_versions(arn), request)
    return paged("LayerVersions", [_listed(c) for c in versions], request)


def delete_layer_version(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    arn = _own_layer_arn(ctx, request["LayerName"])[0]
    version = request["VersionNumber"]
    if version < 1:
        raise cfg.invalid("Layer Version Cannot be less than 1")
    found = _version(backend, arn, version)
    if found is not None:  # deleting what does not exist succeeds, as on AWS
        backend.store.set_layer_config(arn, version, {**found[0], "Deleted": True})
    return {}


# -- layer version policies -------------------------------------------------------------


def _policy_target(
    ctx: RequestContext, backend: Backend, request: dict[str, Any], change: bool = True
) -> tuple[str, int, str, dict[str, Any] | None]:
    """(layer ARN, version, layer version ARN, policy) or ResourceNotFoundException."""
    name = request["LayerName"]
    arn = _own_layer_arn(ctx, name)[0] if change else _layer_arn(ctx, name)[0]
    version: int = request["VersionNumber"]
    found = _version(backend, arn, version)
    if found is None:
        raise ServiceError(
            "ResourceNotFoundException", f"Layer version {arn}:{version} does not exist."
        )
    return arn, version, f"{arn}:{version}", found[2]


def add_layer_version_permission(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    arn, version, version_arn, policy = _policy_target(ctx, backend, request)
    policy = policy or {"Version": "2012-10-17", "Id": "default", "Statement": []}
    sid = request["StatementId"]
    if any(s["Sid"] == sid for s in policy["Statement"]):
        raise ServiceError(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement.",
        )
    if "RevisionId" in policy:
        check_revision(request.get("RevisionId"), policy["RevisionId"], "GetLayerPolicy")
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": request["Principal"],
        "Action": request["Action"],
        "Resource": version_arn,
    }
    if "OrganizationId" in request:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": request["OrganizationId"]}}
    policy["Statement"].append(statement)
    policy["RevisionId"] = str(uuid.uuid4())
    backend.store.set_layer_policy(arn, version, policy)
    return {"Statement": orjson.dumps(statement).decode(), "RevisionId": policy["RevisionId"]}


def remove_layer_version_permission(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    arn, version, _, policy = _policy_target(ctx, backend, request)
    sid = request["StatementId"]
    if policy is not None:
        check_revision(request.get("RevisionId"), policy["RevisionId"], "GetLayerPolicy")
    statements = [s for s in (policy or {}).get("Statement", []) if s["Sid"] != sid]
    if policy is None or len(statements) == len(policy["Statement"]):
        raise ServiceError(
            "ResourceNotFoundException", f"Statement {sid} is not found in resource policy."
        )
    remaining = {**policy, "Statement": statements, "RevisionId": str(uuid.uuid4())}
    backend.store.set_layer_policy(arn, version, remaining if statements else None)
    return {}


def get_layer_version_policy(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    _, _, _, policy = _policy_target(ctx, backend, request, change=False)
    if policy is None:
        raise ServiceError(
            "ResourceNotFoundException", "No policy is associated with the given resource."
        )
    document = {k: v for k, v in policy.items() if k != "RevisionId"}
    return {"Policy": orjson.dumps(document).decode(), "RevisionId": policy["RevisionId"]}
