"""The request and response as the protocol layer sees them (no ASGI, no sockets)."""

from __future__ import annotations

from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]


@dataclass
class RawRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    request_id: str
    # Flat parameters of a query-protocol request (query string + form body).
    params: dict[str, str] = field(default_factory=dict)
    # URI labels of a REST request, set when its route is matched.
    labels: dict[str, str] = field(default_factory=dict)
