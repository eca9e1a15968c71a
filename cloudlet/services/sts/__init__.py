"""AWS STS: caller identity and temporary credentials for IAM roles.

Credentials STS issues are real-looking (ASIA... keys, secrets, session tokens) and are
remembered so GetCallerIdentity can tell who uses them, but nothing checks them: cloudlet
verifies no signature and enforces no policy. See docs/iam.md for how accounts work.
"""

from __future__ import annotations

from typing import ClassVar

from cloudlet.config import Config
from cloudlet.services.base import Cloud, Operation, Service
from cloudlet.services.sts import identity, roles
from cloudlet.services.sts.models import StsStore
from cloudlet.store import Database

__all__ = ["StsService"]


class StsService(Service):
    name = "sts"
    signing_name = "sts"
    protocols = ("query",)
    validation_error = "ValidationError"
    model_constraints = False  # validation.py checks them, with IAM's query-style paths
    operations: ClassVar[dict[str, Operation]] = {
        "GetCallerIdentity": identity.get_caller_identity,
        "GetSessionToken": identity.get_session_token,
        "GetAccessKeyInfo": identity.get_access_key_info,
        "AssumeRole": roles.assume_role,
        "AssumeRoleWithWebIdentity": roles.assume_role_with_web_identity,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = StsStore(db, self._cloud)

    def _cloud(self) -> Cloud:
        return self.cloud
