"""Assuming IAM roles: AssumeRole and AssumeRoleWithWebIdentity.

The role must exist in IAM (asked through IAM's public GetRole, in the role's own
account); a missing role gets AWS's answer, AccessDenied. Beyond that nothing is
enforced: trust policies are not evaluated, web identity tokens are read but their
signatures are not checked, session policies and tags are accepted and not applied.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import replace
from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.iam import validation as v
from cloudlet.services.sts.errors import (
    access_denied,
    expired_identity_token,
    invalid_identity_token,
    invalid_parameter,
    validation_error,
)
from cloudlet.services.sts.identity import caller, issue
from cloudlet.services.sts.models import StsStore

ROLE_ARN = v.Rule("roleArn", 20, 2048)
SESSION_NAME = v.Rule("roleSessionName", 2, 64, r"[\w+=,.@-]*")
SOURCE_IDENTITY = v.Rule("sourceIdentity", 2, 64, r"[\w+=,.@-]*")
ROLE_DURATION = v.Rule("durationSeconds", 900, 43200)
WEB_IDENTITY_TOKEN = v.Rule("webIdentityToken", 4, 20000)
DEFAULT_ROLE_SECONDS = 3600


def _check(request: dict[str, Any], *extra: tuple[str, v.Rule]) -> None:
    checker = v.check().string(request["RoleArn"], ROLE_ARN)
    checker.string(request["RoleSessionName"], SESSION_NAME)
    checker.integer(request.get("DurationSeconds"), ROLE_DURATION)
    for member, rule in extra:
        checker.string(request.get(member), rule)
    checker.tags(request.get("Tags")).done()
    tags = {t["Key"].lower() for t in request.get("Tags", ())}
    if len(tags) != len(request.get("Tags", ())):
        raise invalid_parameter(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    if any(k.lower() not in tags for k in request.get("TransitiveTagKeys", ())):
        raise invalid_parameter(
            "The specified transitive tag key must be included in the requested tags."
        )


async def _role(
    ctx: RequestContext, store: StsStore, arn: str, denied: ServiceError
) -> dict[str, Any]:
    """The IAM role an ARN names, as GetRole describes it; `denied` if there is none."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not all(parts[1:3]) or not parts[5]:
        raise validation_error(f"{arn} is invalid")
    if parts[2] != "iam" or not parts[5].startswith("role/"):
        raise denied
    name = parts[5].rpartition("/")[2]
    in_account = replace(ctx, account_id=parts[4])
    try:
        found = await store.cloud().call(in_account, "iam", "GetRole", {"RoleName": name})
    except ServiceError:
        raise denied from None
    role: dict[str, Any] = found["Role"]
    if role["Arn"] != arn:  # same name, another path: not the role asked for
        raise denied
    return role


def _assumed(store: StsStore, role: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    seconds = request.get("DurationSeconds") or DEFAULT_ROLE_SECONDS
    if seconds > role["MaxSessionDuration"]:
        raise validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    account = role["Arn"].split(":")[4]
    session = request["RoleSessionName"]
    arn = f"arn:aws:sts::{account}:assumed-role/{role['RoleName']}/{session}"
    user_id = f"{role['RoleId']}:{session}"
    out: dict[str, Any] = {
        "Credentials": issue(store, account, arn, user_id, seconds),
        "AssumedRoleUser": {"AssumedRoleId": user_id, "Arn": arn},
    }
    if request.get("SourceIdentity"):
        out["SourceIdentity"] = request["SourceIdentity"]
    return out


async def assume_role(
    ctx: RequestContext, store: StsStore, request: dict[str, Any]
) -> dict[str, Any]:
    _check(request, ("SourceIdentity", SOURCE_IDENTITY))
    arn = request["RoleArn"]
    denied = access_denied(
        f"User: {caller(ctx, store).arn} is not authorized to perform: sts:AssumeRole "
        f"on resource: {arn}"
    )
    role = await _role(ctx, store, arn, denied)
    return _assumed(store, role, request)


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (header.payload.signature), unverified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise invalid_identity_token()
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = orjson.loads(payload)
    except (binascii.Error, ValueError):
        raise invalid_identity_token() from None
    if not isinstance(claims, dict):
        raise invalid_identity_token()
    return claims


async def assume_role_with_web_identity(
    ctx: RequestContext, store: StsStore, request: dict[str, Any]
) -> dict[str, Any]:
    _check(request, ("WebIdentityToken", WEB_IDENTITY_TOKEN))
    claims = _claims(request["WebIdentityToken"])
    expires = claims.get("exp")
    if isinstance(expires, (int, float)) and expires < time.time():
        raise expired_identity_token()
    denied = access_denied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
    role = await _role(ctx, store, request["RoleArn"], denied)
    out = _assumed(store, role, request)
    audience = claims.get("aud")
    if isinstance(audience, list):
        audience = audience[0] if audience else None
    out["SubjectFromWebIdentityToken"] = _text(claims.get("sub"))
    out["Provider"] = request.get("ProviderId") or _text(claims.get("iss"))
    out["Audience"] = _text(audience)
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
