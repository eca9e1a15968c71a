"""Stage caching: with the stage's cache cluster enabled and `caching/enabled` in the
method's settings (or `*/*`), successful integration answers are kept for
`cacheTtlInSeconds` under the method, the resource path and the values of the
integration's `cacheKeyParameters` — and nothing else, so a `{proxy+}` resource whose
path is not a cache key answers every path alike, exactly the trap AWS users meet.

The cache lives in memory (per server, emptied by a restart or FlushStageCache).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from cloudlet.gateway.protocol.wire import Response

Doc = dict[str, Any]
_LIMIT = 10_000


@dataclass(frozen=True)
class Policy:
    ttl: float
    honour_max_age_0: bool
    """A client's `Cache-Control: max-age=0` refreshes the entry (only when
    requireAuthorizationForCacheControl is off: cloudlet does not check IAM)."""


def policies(stage: Doc) -> dict[str, Policy]:
    """The caching methodSettings of a stage whose cache cluster is on."""
    if not stage.get("cacheClusterEnabled"):
        return {}
    out = {}
    for key, setting in (stage.get("methodSettings") or {}).items():
        ttl = float(setting.get("cacheTtlInSeconds", 300))
        if setting.get("cachingEnabled") and ttl > 0:
            out[key] = Policy(ttl, not setting.get("requireAuthorizationForCacheControl", True))
    return out


class ResponseCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[float, Response]] = {}

    def get(self, key: tuple[Any, ...]) -> Response | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, response = found
        if expires <= time.monotonic():
            del self._entries[key]
            return None
        return response

    def put(self, key: tuple[Any, ...], ttl: float, response: Response) -> None:
        if len(self._entries) >= _LIMIT:
            moment = time.monotonic()
            for old in [k for k, (e, _) in self._entries.items() if e <= moment]:
                del self._entries[old]
            while len(self._entries) >= _LIMIT:
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (time.monotonic() + ttl, response)

    def flush(self, api_id: str, stage: str) -> None:
        """FlushStageCache (keys start with the API id and stage)."""
        for key in [k for k in self._entries if k[0] == api_id and k[1] == stage]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
