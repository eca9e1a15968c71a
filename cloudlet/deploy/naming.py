"""Physical names, tags and ARNs: `{app}-{stage}-{logical}`, hash-shortened past a
service's length limit, so stages of one app live side by side in one account."""

from __future__ import annotations

import hashlib

TAG_APP = "cloudlet:app"
TAG_STAGE = "cloudlet:stage"

# The longest name each kind of resource may have.
LIMITS = {
    "function": 64,
    "role": 64,
    "queue": 80,
    "table": 255,
    "topic": 256,
    "rest_api": 128,
    "http_api": 128,
}


def prefix(app: str, stage: str) -> str:
    return f"{app}-{stage}-"


def physical(app: str, stage: str, logical: str, kind: str, suffix: str = "") -> str:
    """The name of one resource; `suffix` (".fifo") is kept whole at the end."""
    name = f"{prefix(app, stage)}{logical}"
    limit = LIMITS.get(kind, 64) - len(suffix)
    if len(name) > limit:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: limit - 9]}-{digest}"
    return name + suffix


def tags(app: str, stage: str) -> dict[str, str]:
    return {TAG_APP: app, TAG_STAGE: stage}


def owned(found: dict[str, str] | None, app: str, stage: str) -> bool:
    """Whether a resource's tags say it belongs to this app and stage."""
    return bool(found) and found.get(TAG_APP) == app and found.get(TAG_STAGE) == stage  # type: ignore[union-attr]


def role_path(app: str, stage: str) -> str:
    # IAM paths list exactly one app+stage's roles: ListRoles(PathPrefix=...).
    return f"/cloudlet/{app}/{stage}/"
