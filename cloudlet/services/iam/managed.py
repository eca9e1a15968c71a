"""Managed policy operations: create, read, list, tag and delete customer managed
policies; AWS managed policies as far as cloudlet knows them.

cloudlet has no catalogue of AWS managed policies. Any `arn:aws:iam::aws:policy/...`
ARN is taken to exist: it can be attached and used as a permissions boundary without
being created, and GetPolicy describes it (with an id derived from the ARN). ListPolicies
with Scope AWS lists the ones in use in the account. Versions are in versions.py.
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.iam import documents
from cloudlet.services.iam import validation as v
from cloudlet.services.iam.arns import PolicyArn, parse_policy_arn, policy_arn
from cloudlet.services.iam.errors import (
    already_exists,
    delete_conflict,
    limit_exceeded,
    no_such_entity,
    policy_not_found,
)
from cloudlet.services.iam.listing import page
from cloudlet.services.iam.models import IamStore, Policy, PolicyVersion, new_id

MAX_POLICY_SIZE = 6144
MAX_TAGS = 50
# AWS managed policies are not stored; this stands in for their creation date.
AWS_MANAGED_DATE = 1423180800.0  # 2015-02-06, when AWS managed policies launched


def check_size(document: str) -> None:
    if documents.size(document) > MAX_POLICY_SIZE:
        raise limit_exceeded(f"Cannot exceed quota for PolicySize: {MAX_POLICY_SIZE}")


def resolve(ctx: RequestContext, store: IamStore, arn: str) -> Policy:
    """The caller's customer managed policy at `arn`, or NoSuchEntity."""
    parse_policy_arn(arn)
    policy = store.policy(ctx.account_id, arn)
    if policy is None:
        raise policy_not_found(arn)
    return policy


def resolve_attachable(ctx: RequestContext, store: IamStore, arn: str) -> PolicyArn:
    """A policy a role may attach: any AWS managed ARN, or an existing customer policy."""
    parsed = parse_policy_arn(arn)
    if not parsed.aws_managed and store.policy(ctx.account_id, arn) is None:
        raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
    return parsed


def resolve_boundary(ctx: RequestContext, store: IamStore, arn: str) -> None:
    parsed = parse_policy_arn(arn, invalid="InvalidInput")
    if not parsed.aws_managed and store.policy(ctx.account_id, arn) is None:
        raise no_such_entity(f"Scope ARN: {arn} does not exist or is not attachable.")


def view(store: IamStore, policy: Policy, kind: str = "get") -> dict[str, Any]:
    """A Policy structure as AWS returns it for `kind`: "create", "get" or "list"."""
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": f"v{policy.default_version}",
        "AttachmentCount": store.attachment_count(policy.account, policy.arn),
        "PermissionsBoundaryUsageCount": store.boundary_count(policy.account, policy.arn),
        "IsAttachable": True,
        "CreateDate": policy.created,
        "UpdateDate": policy.updated,
    }
    if kind == "get":
        out["Description"] = policy.description
        out["Tags"] = v.tag_list(policy.tags)  # GetPolicy always sends Tags, even empty
    elif kind == "create" and policy.tags:
        out["Tags"] = v.tag_list(policy.tags, ordered=False)
    return out


def aws_managed_view(store: IamStore, account: str, parsed: PolicyArn) -> dict[str, Any]:
    return {
        "PolicyName": parsed.name,
        "PolicyId": parsed.synthetic_id(),
        "Arn": parsed.arn,
        "Path": parsed.path,
        "DefaultVersionId": "v1",
        "AttachmentCount": store.attachment_count(account, parsed.arn),
        "PermissionsBoundaryUsageCount": store.boundary_count(account, parsed.arn),
        "IsAttachable": True,
        "CreateDate": AWS_MANAGED_DATE,
        "UpdateDate": AWS_MANAGED_DATE,
    }


def create_policy(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    name, path = request["PolicyName"], request.get("Path", "/")
    document = request["PolicyDocument"]
    v.check().string(name, v.POLICY_NAME).string(path, v.POLICY_PATH).string(
        document, v.document("policyDocument")
    ).string(request.get("Description"), v.POLICY_DESCRIPTION).tags(request.get("Tags")).done()
    tags = v.tag_dict(request.get("Tags"), case_insensitive=False)
    check_size(document)
    documents.check_identity_policy(document, managed=True)
    if store.policy_named(ctx.account_id, name) is not None:
        raise already_exists(
            f"A policy called {name} already exists. Duplicate names are not allowed."
        )
    now = time.time()
    policy = Policy(
        account=ctx.account_id,
        arn=policy_arn(ctx.account_id, path, name),
        name=name,
        path=path,
        policy_id=new_id("ANPA"),
        description=request.get("Description"),
        created=now,
        updated=now,
        default_version=1,
        next_version=2,
        tags=tags,
    )
    with store.db.transaction():
        store.put_policy(policy)
        store.put_version(ctx.account_id, policy.arn, PolicyVersion(1, document, now))
    return {"Policy": view(store, policy, "create")}


def get_policy(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_policy_arn(request["PolicyArn"])
    if parsed.aws_managed:
        return {"Policy": aws_managed_view(store, ctx.account_id, parsed)}
    return {"Policy": view(store, resolve(ctx, store, request["PolicyArn"]))}


def delete_policy(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    policy = resolve(ctx, store, request["PolicyArn"])
    if store.attachment_count(ctx.account_id, policy.arn):
        raise delete_conflict("Cannot delete a policy attached to entities.")
    if store.boundary_count(ctx.account_id, policy.arn):
        raise delete_conflict("Cannot delete a policy used as a permissions boundary.")
    if len(store.versions(ctx.account_id, policy.arn)) > 1:
        raise delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must "
            "delete the policy's versions. The default version is deleted with the policy."
        )
    store.delete_policy(ctx.account_id, policy.arn)
    return {}


def list_policies(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    scope = request.get("Scope", "All")
    prefix = request.get("PathPrefix", "/")
    v.check().string(prefix, v.POLICY_PATH_PREFIX).done()
    account = ctx.account_id
    found: list[dict[str, Any]] = []
    if scope in ("All", "Local"):
        found += [view(store, p, "list") for p in store.policies(account)]
    if scope in ("All", "AWS"):
        in_use = sorted(
            a for a in store.attached_arns(account) if a.startswith("arn:aws:iam::aws:")
        )
        found += [aws_managed_view(store, account, parse_policy_arn(a)) for a in in_use]
    found = [p for p in found if p["Path"].startswith(prefix)]
    if request.get("OnlyAttached"):
        found = [p for p in found if p["AttachmentCount"] or p["PermissionsBoundaryUsageCount"]]
    if request.get("PolicyUsageFilter") == "PermissionsBoundary":
        found = [p for p in found if p["PermissionsBoundaryUsageCount"]]
    elif request.get("PolicyUsageFilter") == "PermissionsPolicy" and request.get("OnlyAttached"):
        found = [p for p in found if p["AttachmentCount"]]
    found.sort(key=_policy_key)
    policies, more = page(found, request, _policy_key)
    return {"Policies": policies, **more}


def _policy_key(policy: dict[str, Any]) -> str:
    return f"{policy['PolicyName'].lower()} {policy['Arn']}"


def list_entities_for_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    arn = request["PolicyArn"]
    parsed = parse_policy_arn(arn)
    if not parsed.aws_managed:
        resolve(ctx, store, arn)
    roles = []
    if request.get("EntityFilter") not in ("User", "Group"):
        usage = request.get("PolicyUsageFilter")
        if usage != "PermissionsBoundary":
            roles += store.roles_attached_to(ctx.account_id, arn)
        if usage != "PermissionsPolicy":
            roles += [r for r in store.roles(ctx.account_id) if r.boundary == arn]
    prefix = request.get("PathPrefix", "/")
    unique = {r.name.lower(): r for r in roles if r.path.startswith(prefix)}
    listed = [{"RoleName": r.name, "RoleId": r.role_id} for _, r in sorted(unique.items())]
    chunk, more = page(listed, request, lambda r: r["RoleName"].lower())
    return {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": chunk, **more}


# -- tags ------------------------------------------------------------------------------


def tag_policy(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    v.check().tags(request["Tags"]).done()
    new = v.tag_dict(request["Tags"], case_insensitive=False)
    policy = resolve(ctx, store, request["PolicyArn"])
    merged = {**policy.tags, **new}
    if len(merged) > MAX_TAGS:
        raise limit_exceeded(f"Cannot exceed quota for TagsPerPolicy: {MAX_TAGS}.")
    policy.tags = merged
    store.put_policy(policy)
    return {}


def untag_policy(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    v.check().tag_keys(request["TagKeys"]).done()
    policy = resolve(ctx, store, request["PolicyArn"])
    gone = set(request["TagKeys"])
    policy.tags = {k: val for k, val in policy.tags.items() if k not in gone}
    store.put_policy(policy)
    return {}


def list_policy_tags(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    policy = resolve(ctx, store, request["PolicyArn"])
    tags, more = page(v.tag_list(policy.tags), request, lambda t: t["Key"])
    return {"Tags": tags, **more}
