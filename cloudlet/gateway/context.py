"""The request context handed to every operation: who asked, where, and how."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: str
    account_id: str
    region: str
    # Scheme and Host the client used, e.g. "http://127.0.0.1:4566": resource URLs that
    # the service returns (queue URLs) are built on it so the client can use them.
    base_url: str
    host: str
    path: str
    access_key: str | None = None
    """The access key that signed the request (header or presigned URL), if any."""
    service: str = ""
    operation: str = ""
    protocol: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def for_call(self, service: str, operation: str) -> RequestContext:
        """This context for an operation one service calls on another (`Gateway.call`):
        built directly, as `dataclasses.replace` costs several µs per call."""
        return RequestContext(
            self.request_id,
            self.account_id,
            self.region,
            self.base_url,
            self.host,
            self.path,
            self.access_key,
            service,
            operation,
            "internal",
            self.headers,
        )
