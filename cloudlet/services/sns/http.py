"""SNS deliveries to HTTP/S subscriptions, through cloudlet's HTTP client. Only loopback
hosts are reachable: cloudlet is a local cloud and never sends notifications off the
machine.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from cloudlet import httpclient

TIMEOUT_SECONDS = 15.0  # AWS waits about 15 s for an HTTP/S endpoint to answer


class NotLoopback(Exception):
    """The URL's host is not this machine."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST `body` to `url`; return the response status. Raises HttpError or TimeoutError
    when there is no answer, NotLoopback for a remote host."""
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        raise NotLoopback(host)
    # Local endpoints use self-signed certificates.
    status, _, _ = await httpclient.request(
        "POST", url, list(headers.items()), body, TIMEOUT_SECONDS, verify=False
    )
    return status
