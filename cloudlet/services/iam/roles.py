"""IAM role operations: create, read, list, update, tag and delete roles.

Policies attached to roles (inline and managed) are in role_policies.py.
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.iam import documents
from cloudlet.services.iam import validation as v
from cloudlet.services.iam.arns import role_arn
from cloudlet.services.iam.errors import (
    already_exists,
    delete_conflict,
    limit_exceeded,
    no_such_role,
)
from cloudlet.services.iam.listing import page
from cloudlet.services.iam.managed import resolve_boundary
from cloudlet.services.iam.models import IamStore, Role, new_id

DEFAULT_MAX_SESSION = 3600
MAX_TAGS = 50


def resolve(ctx: RequestContext, store: IamStore, name: str) -> Role:
    """The caller's role called `name`, or NoSuchEntity."""
    v.check().string(name, v.ROLE_NAME).done()
    role = store.role(ctx.account_id, name)
    if role is None:
        raise no_such_role(name)
    return role


def view(role: Role, kind: str = "get") -> dict[str, Any]:
    """A Role structure with the members AWS includes for `kind` of response:
    "create" (CreateRole, UpdateRoleDescription), "get" (GetRole), "list" (ListRoles)."""
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created,
        "AssumeRolePolicyDocument": documents.encode(role.trust),
    }
    if kind != "create":
        out["Description"] = role.description
        out["MaxSessionDuration"] = role.max_session
    if role.boundary and kind != "list":
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": role.boundary,
        }
    if role.tags and kind != "list":
        # CreateRole echoes the request's order; reads return keys sorted.
        out["Tags"] = v.tag_list(role.tags, ordered=kind != "create")
    if kind == "get":
        out["RoleLastUsed"] = {}
    return out


def create_role(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    name, path = request["RoleName"], request.get("Path", "/")
    trust = request["AssumeRolePolicyDocument"]
    v.check().string(name, v.ROLE_NAME).string(path, v.ROLE_PATH).string(
        trust, v.document("assumeRolePolicyDocument")
    ).string(request.get("Description"), v.ROLE_DESCRIPTION).integer(
        request.get("MaxSessionDuration"), v.MAX_SESSION_DURATION
    ).tags(request.get("Tags")).done()
    tags = v.tag_dict(request.get("Tags"), case_insensitive=True)
    documents.check_trust_policy(trust)
    boundary = request.get("PermissionsBoundary")
    if boundary:
        resolve_boundary(ctx, store, boundary)
    if store.role(ctx.account_id, name) is not None:
        raise already_exists(f"Role with name {name} already exists.")
    role = Role(
        account=ctx.account_id,
        name=name,
        path=path,
        role_id=new_id("AROA"),
        arn=role_arn(ctx.account_id, path, name),
        created=time.time(),
        trust=trust,
        description=request.get("Description"),
        max_session=request.get("MaxSessionDuration") or DEFAULT_MAX_SESSION,
        boundary=boundary or None,
        tags=tags,
    )
    store.put_role(role)
    return {"Role": view(role, "create")}


def get_role(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    return {"Role": view(resolve(ctx, store, request["RoleName"]))}


def list_roles(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    prefix = request.get("PathPrefix", "/")
    v.check().string(prefix, v.PATH_PREFIX).done()
    roles, more = page(store.roles(ctx.account_id, prefix), request, lambda r: r.name.lower())
    return {"Roles": [view(r, "list") for r in roles], **more}


def delete_role(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    if store.attached(ctx.account_id, role.name):
        raise delete_conflict("Cannot delete entity, must detach all policies first.")
    if store.inline_policies(ctx.account_id, role.name):
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    store.delete_role(ctx.account_id, role.name)
    return {}


def update_role(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    v.check().string(request.get("Description"), v.ROLE_DESCRIPTION).integer(
        request.get("MaxSessionDuration"), v.MAX_SESSION_DURATION
    ).done()
    if "Description" in request:
        role.description = request["Description"]
    if "MaxSessionDuration" in request:
        role.max_session = request["MaxSessionDuration"]
    store.put_role(role)
    return {}


def update_role_description(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    v.check().string(request["Description"], v.ROLE_DESCRIPTION).done()
    role.description = request["Description"]
    store.put_role(role)
    return {"Role": {**view(role, "create"), "Description": role.description}}


def update_assume_role_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    document = request["PolicyDocument"]
    v.check().string(document, v.document("policyDocument")).done()
    documents.check_trust_policy(document)
    role.trust = document
    store.put_role(role)
    return {}


def put_role_permissions_boundary(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    resolve_boundary(ctx, store, request["PermissionsBoundary"])
    role.boundary = request["PermissionsBoundary"]
    store.put_role(role)
    return {}


def delete_role_permissions_boundary(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    role.boundary = None
    store.put_role(role)
    return {}


# -- tags ------------------------------------------------------------------------------


def tag_role(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    v.check().tags(request["Tags"]).done()
    new = v.tag_dict(request["Tags"], case_insensitive=True)
    # Role tag keys ignore case: `Env` replaces an existing `env`.
    folded = {k.lower() for k in new}
    merged = {k: val for k, val in role.tags.items() if k.lower() not in folded}
    merged.update(new)
    if len(merged) > MAX_TAGS:
        raise limit_exceeded(f"Cannot exceed quota for TagsPerRole: {MAX_TAGS}.")
    role.tags = merged
    store.put_role(role)
    return {}


def untag_role(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    v.check().tag_keys(request["TagKeys"]).done()
    gone = {k.lower() for k in request["TagKeys"]}
    role.tags = {k: val for k, val in role.tags.items() if k.lower() not in gone}
    store.put_role(role)
    return {}


def list_role_tags(ctx: RequestContext, store: IamStore, request: dict[str, Any]) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    tags, more = page(v.tag_list(role.tags), request, lambda t: t["Key"])
    return {"Tags": tags, **more}


def list_instance_profiles_for_role(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    # cloudlet has no instance profiles; deploy tools (Terraform among them) ask before
    # deleting a role, so the question gets its true answer: none.
    resolve(ctx, store, request["RoleName"])
    return {"InstanceProfiles": [], "IsTruncated": False}
