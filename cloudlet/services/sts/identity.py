"""Who is calling, and credentials for them: GetCallerIdentity, GetSessionToken,
GetAccessKeyInfo.

The caller is the account of the request's access key (cloudlet's accounts: a 12-digit
key names the account, anything else is the default account), acting as its root user,
unless the key is one STS issued for that account, in which case it is that session's
identity (an assumed role, say).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.iam import validation as v
from cloudlet.services.sts.errors import access_denied
from cloudlet.services.sts.models import (
    Session,
    StsStore,
    new_access_key,
    new_secret,
    new_session_token,
)

SESSION_DURATION = v.Rule("durationSeconds", 900, 129600)
ACCESS_KEY_ID = v.Rule("accessKeyId", 16, 128, r"[\w]*")
DEFAULT_SESSION_SECONDS = 43200


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str
    user_id: str
    session: Session | None


def caller(ctx: RequestContext, store: StsStore) -> Caller:
    key = ctx.access_key
    session = store.get(key) if key else None
    # A session of another account does not fit: the gateway files this request (and
    # everything else signed with that key) under ctx.account_id.
    if session is not None and session.account == ctx.account_id:
        return Caller(session.account, session.arn, session.user_id, session)
    return Caller(ctx.account_id, f"arn:aws:iam::{ctx.account_id}:root", ctx.account_id, None)


def issue(store: StsStore, account: str, arn: str, user_id: str, seconds: int) -> dict[str, Any]:
    """New temporary credentials for an identity, remembered for GetCallerIdentity."""
    expires = time.time() + seconds
    key = new_access_key()
    store.put(Session(key, account, arn, user_id, expires))
    return {
        "AccessKeyId": key,
        "SecretAccessKey": new_secret(),
        "SessionToken": new_session_token(),
        "Expiration": expires,
    }


def get_caller_identity(
    ctx: RequestContext, store: StsStore, request: dict[str, Any]
) -> dict[str, Any]:
    who = caller(ctx, store)
    return {"UserId": who.user_id, "Account": who.account, "Arn": who.arn}


def get_session_token(
    ctx: RequestContext, store: StsStore, request: dict[str, Any]
) -> dict[str, Any]:
    v.check().integer(request.get("DurationSeconds"), SESSION_DURATION).done()
    who = caller(ctx, store)
    if who.session is not None:
        raise access_denied("Cannot call GetSessionToken with session credentials")
    seconds = request.get("DurationSeconds") or DEFAULT_SESSION_SECONDS
    return {"Credentials": issue(store, who.account, who.arn, who.user_id, seconds)}


def get_access_key_info(
    ctx: RequestContext, store: StsStore, request: dict[str, Any]
) -> dict[str, Any]:
    key = request["AccessKeyId"]
    v.check().string(key, ACCESS_KEY_ID).done()
    session = store.get(key)
    return {"Account": session.account if session is not None else ctx.account_id}
