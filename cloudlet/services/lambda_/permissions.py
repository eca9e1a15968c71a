"""A function's resource-based policy: AddPermission, RemovePermission, GetPolicy.

Each of $LATEST, a version and an alias has its own policy, so `Function.policy` maps a
qualifier ("$LATEST" for the unqualified function) to the policy document AWS shows.
cloudlet records these policies but does not enforce them: every local caller may invoke.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_ import config as cfg
from cloudlet.services.lambda_._shared import check_revision
from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.models import Function
from cloudlet.services.lambda_.names import function_ref, not_found

POLICY_LIMIT = 20480  # bytes, AWS's limit on a function's resource-based policy
_ACCOUNT = re.compile(r"^\d{12}$")


def _target(backend: Backend, fn: Function, qualifier: str | None) -> tuple[str, str]:
    """(policy key, RevisionId) for the unqualified function, a version or an alias."""
    if qualifier in (None, "$LATEST"):
        return "$LATEST", str(fn.config["RevisionId"])
    if qualifier.isdigit():
        version = backend.store.version(fn.arn, qualifier)
        if version is None:
            raise not_found(fn.arn, qualifier)
        return qualifier, str(version[0]["RevisionId"])
    alias = backend.store.alias(fn.arn, qualifier)
    if alias is None:
        raise ServiceError(
            "ResourceNotFoundException", f"Cannot find alias arn: {fn.arn}:{qualifier}"
        )
    return qualifier, str(alias["RevisionId"])


def _principal(principal: str) -> str | dict[str, str]:
    """The Principal element AWS writes for each form of the Principal parameter."""
    if principal == "*":
        return principal
    if principal.endswith(".amazonaws.com"):
        return {"Service": principal}
    if _ACCOUNT.match(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if re.match(r"^arn:aws[a-zA-Z-]*:iam:", principal):
        return {"AWS": principal}
    raise cfg.invalid(
        "The provided principal was invalid. Please check the principal and try again."
    )


def _statement(resource: str, request: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": request["StatementId"],
        "Effect": "Allow",
        "Principal": _principal(request["Principal"]),
        "Action": request["Action"],
        "Resource": resource,
    }
    equals = {
        key: request[member]
        for member, key in (
            ("FunctionUrlAuthType", "lambda:FunctionUrlAuthType"),
            ("PrincipalOrgID", "aws:PrincipalOrgID"),
            ("SourceAccount", "AWS:SourceAccount"),
            ("EventSourceToken", "lambda:EventSourceToken"),
        )
        if member in request
    }
    condition: dict[str, Any] = {"StringEquals": equals} if equals else {}
    if "SourceArn" in request:
        condition["ArnLike"] = {"AWS:SourceArn": request["SourceArn"]}
    if condition:
        statement["Condition"] = condition
    return statement


def _bump_alias(backend: Backend, fn: Function, key: str) -> None:
    """A policy change gives an alias a new RevisionId, as on AWS. (Functions and
    versions keep theirs: it also names their warm environments.)"""
    alias = backend.store.alias(fn.arn, key)
    if alias is not None:
        backend.store.put_alias(fn.arn, key, {**alias, "RevisionId": str(uuid.uuid4())})


def add_permission(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    if ref.qualifier == "$LATEST":
        raise cfg.invalid("We currently do not support adding policies for $LATEST.")
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    key, revision = _target(backend, fn, ref.qualifier)
    check_revision(request.get("RevisionId"), revision)
    policies = dict(fn.policy or {})
    policy = policies.get(key) or {"Version": "2012-10-17", "Id": "default", "Statement": []}
    sid = request["StatementId"]
    if any(s["Sid"] == sid for s in policy["Statement"]):
        raise ServiceError(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement.",
        )
    resource = fn.arn if key == "$LATEST" else f"{fn.arn}:{key}"
    statement = _statement(resource, request)
    policy = {**policy, "Statement": [*policy["Statement"], statement]}
    size = len(orjson.dumps(policy))
    if size > POLICY_LIMIT:
        raise ServiceError(
            "PolicyLengthExceededException",
            f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT}).",
        )
    policies[key] = policy
    fn.policy = policies
    with backend.store.db.transaction():
        backend.store.put(fn)
        _bump_alias(backend, fn, key)
    return {"Statement": orjson.dumps(statement).decode()}


def remove_permission(
    ctx: RequestContext, backend: Backend, request: dict[str, Any]
) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise ServiceError("ResourceNotFoundException", f"No policy found for: {ref.arn}")
    key, revision = _target(backend, fn, ref.qualifier)
    policies = dict(fn.policy or {})
    policy = policies.get(key)
    if policy is None:
        raise ServiceError(
            "ResourceNotFoundException", "No policy is associated with the given resource."
        )
    sid = request["StatementId"]
    kept = [s for s in policy["Statement"] if s["Sid"] != sid]
    if len(kept) == len(policy["Statement"]):
        raise ServiceError(
            "ResourceNotFoundException", f"Statement {sid} is not found in resource policy."
        )
    check_revision(request.get("RevisionId"), revision)
    if kept:
        policies[key] = {**policy, "Statement": kept}
    else:
        del policies[key]  # the last statement takes the policy with it
    fn.policy = policies or None
    with backend.store.db.transaction():
        backend.store.put(fn)
        _bump_alias(backend, fn, key)
    return {}


def get_policy(ctx: RequestContext, backend: Backend, request: dict[str, Any]) -> dict[str, Any]:
    ref = function_ref(ctx, request["FunctionName"], request.get("Qualifier"))
    fn = backend.store.get(ref.arn)
    if fn is None:
        raise not_found(ref.arn)
    key, revision = _target(backend, fn, ref.qualifier)
    policy = (fn.policy or {}).get(key)
    if policy is None:
        raise ServiceError(
            "ResourceNotFoundException", "The resource you requested does not exist."
        )
    return {"Policy": orjson.dumps(policy).decode(), "RevisionId": revision}
