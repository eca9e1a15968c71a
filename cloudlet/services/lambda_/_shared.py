"""What the Lambda control-plane modules share: list pages, RevisionId preconditions,
and the check that a function is not mid-update. No operations live here."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.models import Function

PAGE_SIZE = 50  # Lambda's list operations return 50 items unless MaxItems says otherwise


def paged(member: str, items: list[Any], request: dict[str, Any]) -> dict[str, Any]:
    """One page of `items` as `{member: [...], "NextMarker": ...}`; the marker is the offset
    of the next page (AWS's markers are opaque, so any string round-trips)."""
    marker = str(request.get("Marker") or "")
    start = int(marker) if marker.isdigit() else 0
    limit = request.get("MaxItems") or PAGE_SIZE
    out: dict[str, Any] = {member: items[start : start + limit]}
    if start + limit < len(items):
        out["NextMarker"] = str(start + limit)
    return out


def check_revision(given: str | None, current: str, reader: str = "GetFunction/GetAlias") -> None:
    """RevisionId preconditions: AWS answers 412 when the caller's revision is stale."""
    if given is not None and given != current:
        raise ServiceError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the "
            f"{reader} API to retrieve the latest Revision Id",
        )


def check_ready(fn: Function) -> None:
    """Publishing while $LATEST is still being created or updated is a conflict on AWS."""
    if fn.config.get("LastUpdateStatus") == "InProgress" or fn.config.get("State") == "Pending":
        raise ServiceError(
            "ResourceConflictException",
            "The operation cannot be performed at this time. An update is in progress for "
            f"resource: {fn.arn}",
        )
