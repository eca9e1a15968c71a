"""A role's permissions: inline policies (Put/Get/Delete/ListRolePolicies) and managed
policies attached to it (Attach/Detach/ListAttachedRolePolicies)."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.iam import documents
from cloudlet.services.iam import validation as v
from cloudlet.services.iam.arns import parse_policy_arn
from cloudlet.services.iam.errors import limit_exceeded, no_such_entity, policy_not_found
from cloudlet.services.iam.listing import page
from cloudlet.services.iam.managed import resolve_attachable
from cloudlet.services.iam.models import IamStore
from cloudlet.services.iam.roles import resolve

# IAM quotas: the default for managed policies per role, and the aggregate size of a
# role's inline policies (characters, whitespace not counted).
MAX_ATTACHED = 10
MAX_INLINE_SIZE = 10240


def _no_such_inline(name: str) -> ServiceError:
    return no_such_entity(f"The role policy with name {name} cannot be found.")


def put_role_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    name, document = request["PolicyName"], request["PolicyDocument"]
    v.check().string(request["RoleName"], v.ROLE_NAME).string(name, v.POLICY_NAME).string(
        document, v.document("policyDocument")
    ).done()
    role = resolve(ctx, store, request["RoleName"])
    documents.check_identity_policy(document, managed=False)
    others = sum(
        documents.size(doc)
        for other, doc in store.inline_policies(ctx.account_id, role.name)
        if other.lower() != name.lower()
    )
    if others + documents.size(document) > MAX_INLINE_SIZE:
        raise limit_exceeded(
            f"Maximum policy size of {MAX_INLINE_SIZE} bytes exceeded for role {role.name}"
        )
    store.put_inline_policy(ctx.account_id, role.name, name, document)
    return {}


def get_role_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    name = request["PolicyName"]
    v.check().string(name, v.POLICY_NAME).done()
    found = store.inline_policy(ctx.account_id, role.name, name)
    if found is None:
        raise _no_such_inline(name)
    return {
        "RoleName": role.name,
        "PolicyName": found[0],
        "PolicyDocument": documents.encode(found[1]),
    }


def delete_role_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    name = request["PolicyName"]
    v.check().string(name, v.POLICY_NAME).done()
    if store.inline_policy(ctx.account_id, role.name, name) is None:
        raise _no_such_inline(name)
    store.delete_inline_policy(ctx.account_id, role.name, name)
    return {}


def list_role_policies(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    names = [name for name, _ in store.inline_policies(ctx.account_id, role.name)]
    chunk, more = page(names, request, str.lower)
    return {"PolicyNames": chunk, **more}


def attach_role_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    arn = request["PolicyArn"]
    resolve_attachable(ctx, store, arn)
    attached = store.attached(ctx.account_id, role.name)
    if arn not in attached and len(attached) >= MAX_ATTACHED:
        raise limit_exceeded(f"Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED}")
    store.attach(ctx.account_id, role.name, arn)
    return {}


def detach_role_policy(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    arn = request["PolicyArn"]
    parse_policy_arn(arn)
    if not store.detach(ctx.account_id, role.name, arn):
        raise policy_not_found(arn)
    return {}


def list_attached_role_policies(
    ctx: RequestContext, store: IamStore, request: dict[str, Any]
) -> dict[str, Any]:
    role = resolve(ctx, store, request["RoleName"])
    prefix = request.get("PathPrefix", "/")
    v.check().string(prefix, v.POLICY_PATH_PREFIX).done()
    attached = [parse_policy_arn(arn) for arn in store.attached(ctx.account_id, role.name)]
    listed = [
        {"PolicyName": p.name, "PolicyArn": p.arn}
        for p in sorted(attached, key=lambda p: (p.name.lower(), p.arn))
        if p.path.startswith(prefix)
    ]
    chunk, more = page(listed, request, lambda p: f"{p['PolicyName'].lower()} {p['PolicyArn']}")
    return {"AttachedPolicies": chunk, **more}
