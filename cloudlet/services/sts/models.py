"""STS state: the temporary credentials it has issued, so that a later call signed with
them (GetCallerIdentity, GetAccessKeyInfo) can say whose they are.

Credentials are stored, never checked: cloudlet does not verify signatures, so they
work (and keep working after `Expiration`) like any other access key.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from cloudlet.services.base import Cloud
from cloudlet.store import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sts_sessions (
        access_key TEXT PRIMARY KEY, account TEXT NOT NULL, arn TEXT NOT NULL,
        user_id TEXT NOT NULL, expires REAL NOT NULL)""",
)

_KEY_CHARS = string.ascii_uppercase + string.digits
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Session:
    """Temporary credentials and the identity they stand for."""

    access_key: str
    account: str
    arn: str
    user_id: str
    expires: float


def new_access_key() -> str:
    """Temporary keys start with ASIA (long-term ones with AKIA)."""
    return "ASIA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))


def new_secret() -> str:
    return "".join(secrets.choice(_SECRET_CHARS) for _ in range(40))


def new_session_token() -> str:
    return "FQoGZXIvYXdzE" + secrets.token_urlsafe(256)


class StsStore:
    def __init__(self, db: Database, cloud: Callable[[], Cloud]) -> None:
        self.db = db
        # STS asks IAM about roles through its public operations (see Cloud.call); the
        # gateway wires the cloud in after the services are built, hence a getter.
        self.cloud = cloud
        db.ensure_schema(SCHEMA)

    def put(self, session: Session) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sts_sessions (access_key, account, arn, user_id, expires) "
            "VALUES (?,?,?,?,?)",
            (session.access_key, session.account, session.arn, session.user_id, session.expires),
        )

    def get(self, access_key: str) -> Session | None:
        row = self.db.one(
            "SELECT access_key, account, arn, user_id, expires FROM sts_sessions "
            "WHERE access_key = ?",
            (access_key,),
        )
        return None if row is None else Session(*row)
