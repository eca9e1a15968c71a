"""Managed policy versions: create (up to 5 kept), read, list, set default, delete.

Version ids count up and are never reused: after v1..v5 and a deletion the next is v6.
"""

from __future__ import annotations

import re
import time
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.iam import documents
from cloudlet.services.iam import validation as v
from cloudlet.services.iam.arns import parse_policy_arn
from cloudlet.services.iam.errors import delete_conflict, limit_exceeded, version_not_found
from cloudlet.services.iam.listing import page
from cloudlet.services.iam.managed import check_size, resolve
from cloudlet.services.iam.models import IamStore, Policy, PolicyVersion

MAX_VERSIONS = 5
_VERSION = re.compile(r"v([1-9][0-9]*)")


def _view(version: PolicyVersion, policy: Policy, document: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.number == policy.default_version,
        "CreateDate": version.created,
    }
    if document:
        out["Document"] = documents.encode(version.document)
    return out


def _resolve(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> tuple[Policy, PolicyVersion]:
    arn, version_id = request["PolicyArn"], request["VersionId"]
    v.check().string(version_id, v.VERSION_ID).done()
    parse_policy_arn(arn)
    policy = store.policy(ctx.account_id, arn)
    match = _VERSION.fullmatch(version_id)
    found = None
    if policy is not None and match is not None:
        found = store.version(ctx.account_id, arn, int(match.group(1)))
    if policy is None or found is None:
        raise version_not_found(arn, version_id)
    return policy, found


def create_policy_version(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    document = request["PolicyDocument"]
    v.check().string(document, v.document("policyDocument")).done()
    policy = resolve(ctx, store, request["PolicyArn"])
    check_size(document)
    documents.check_identity_policy(document, managed=True)
    if len(store.versions(ctx.account_id, policy.arn)) >= MAX_VERSIONS:
        raise limit_exceeded(
            f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new "
            "version, you must delete an existing version."
        )
    now = time.time()
    version = PolicyVersion(policy.next_version, document, now)
    policy.next_version += 1
    if request.get("SetAsDefault"):
        policy.default_version = version.number
        policy.updated = now
    with store.db.transaction():
        store.put_version(ctx.account_id, policy.arn, version)
        store.put_policy(policy)
    return {"PolicyVersion": _view(version, policy, document=False)}


def get_policy_version(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    policy, version = _resolve(ctx, store, request)
    return {"PolicyVersion": _view(version, policy, document=True)}


def list_policy_versions(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    policy = resolve(ctx, store, request["PolicyArn"])
    versions, more = page(
        store.versions(ctx.account_id, policy.arn),
        request,
        # Newest first: the key sorts descending version numbers ascending.
        lambda ver: f"{10**9 - ver.number:010d}",
    )
    return {"Versions": [_view(ver, policy, document=False) for ver in versions], **more}


def set_default_policy_version(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    policy, version = _resolve(ctx, store, request)
    policy.default_version = version.number
    policy.updated = time.time()
    store.put_policy(policy)
    return {}


def delete_policy_version(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    policy, version = _resolve(ctx, store, request)
    if version.number == policy.default_version:
        raise delete_conflict("Cannot delete the default version of a policy.")
    store.delete_version(ctx.account_id, policy.arn, version.number)
    return {}
