"""IAM list pagination: `MaxItems` (1–1000, default 100) and an opaque `Marker`.

The marker names the first item of the next page by its sort key rather than by
position, so a caller that deletes what it lists page by page (a common cleanup loop)
skips nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cloudlet.services.iam import validation as v
from cloudlet.services.iam.errors import invalid_input

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100


def page(
    items: Sequence[T], request: dict[str, Any], key: Callable[[T], str]
) -> tuple[list[T], dict[str, Any]]:
    """One page of `items` (sorted by `key`), and the IsTruncated/Marker members."""
    v.check().integer(request.get("MaxItems"), v.MAX_ITEMS).string(
        request.get("Marker"), v.MARKER
    ).done()
    limit = request.get("MaxItems") or DEFAULT_MAX_ITEMS
    start = 0
    marker = request.get("Marker")
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid_input("Invalid Marker.") from None
        start = next((i for i, item in enumerate(items) if key(item) >= after), len(items))
    chunk = list(items[start : start + limit])
    if start + limit < len(items):
        following = key(items[start + limit]).encode()
        return chunk, {"IsTruncated": True, "Marker": base64.urlsafe_b64encode(following).decode()}
    return chunk, {"IsTruncated": False}
