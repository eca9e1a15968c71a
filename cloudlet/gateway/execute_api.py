"""Requests to deployed APIs (API Gateway's execute-api endpoint), recognised by URL.

A call to a deployed API carries no SigV4 signature of the management API, so it is
told apart by its address alone, in the forms LocalStack users already have:

    /restapis/{api_id}/{stage}/_user_request_/{path}      (REST APIs, path style)
    /_aws/execute-api/{api_id}/{stage}/{path}              (either kind, path style)
    Host: {api_id}.execute-api.localhost.localstack.cloud  (either kind; the stage is
          the first path segment, or absent for an HTTP API's `$default` stage)

The gateway hands an `ApiRequest` to the API Gateway services in turn; the one that
owns the API answers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_USER_REQUEST = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
_AWS_PATH = re.compile(r"^/_aws/execute-api/([^/]+)/([^/]+)(/.*)?$")
_HOST = re.compile(r"^([a-z0-9]{1,64})\.execute-api\.", re.IGNORECASE)

# The services that own deployed APIs, asked in this order.
OWNERS = ("apigateway", "apigatewayv2")


@dataclass
class ApiRequest:
    api_id: str
    stage: str | None
    """The stage named by a path-style URL; None for the host form, where the owning
    service decides (the first path segment, or an HTTP API's `$default` stage)."""
    path: str
    """The resource path, decoded, starting with "/" (the stage segment removed when
    `stage` is set)."""
    method: str
    query_string: str
    """The raw query string, undecoded, without "?"."""
    headers: dict[str, str]
    """Lower-case names; repeated headers joined with ","."""
    header_list: list[tuple[str, str]]
    """Every header line as sent (original case, repeats kept)."""
    body: bytes
    source_ip: str
    host: str
    request_id: str
    raw_path: str = ""
    """The path as sent, still percent-encoded (after the stage for path-style URLs)."""
    extra: dict[str, str] = field(default_factory=dict)


def match(path: str, host: str) -> tuple[str, str | None, str] | None:
    """(api_id, stage or None, path) when the request is for a deployed API."""
    for pattern in (_USER_REQUEST, _AWS_PATH):
        found = pattern.match(path)
        if found is not None:
            return found.group(1), found.group(2), found.group(3) or "/"
    found = _HOST.match(host)
    if found is not None:
        return found.group(1).lower(), None, path or "/"
    return None


def strip_prefix(raw_path: str, api_id: str, stage: str | None) -> str:
    """The encoded path after the same prefix `match` removed from the decoded one."""
    for prefix in (
        f"/restapis/{api_id}/{stage}/_user_request_",
        f"/_aws/execute-api/{api_id}/{stage}",
    ):
        if stage is not None and raw_path.startswith(prefix):
            return raw_path[len(prefix) :] or "/"
    return raw_path or "/"
