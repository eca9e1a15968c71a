"""A minimal HTTP/1.1 POST client on asyncio streams, for HTTP/S subscriptions.

Enough for SNS deliveries and no more: one request per connection, the response's
status read and its body drained (bounded). Only loopback hosts are reachable:
cloudlet is a local cloud and never sends notifications off the machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 15.0  # AWS waits about 15 s for an HTTP/S endpoint to answer
_MAX_DRAIN = 1 << 20


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
    """POST `body` to `url`; return the response status. Raises OSError, TimeoutError or
    ValueError (a malformed response) when there is no answer, NotLoopback for a
    remote host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not is_loopback(host):
        raise NotLoopback(host)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = None
    if secure:  # local endpoints use self-signed certificates
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return await asyncio.wait_for(_exchange(host, port, context, request), TIMEOUT_SECONDS)


async def _exchange(host: str, port: int, context: ssl.SSLContext | None, request: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        fields = status_line.split(None, 2)
        if len(fields) < 2 or not fields[0].startswith(b"HTTP/"):
            raise ValueError(f"malformed response: {status_line[:80]!r}")
        status = int(fields[1])
        length = 0
        while True:  # headers; the body is read only when its length is declared
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        if 0 < length <= _MAX_DRAIN:
            await reader.readexactly(length)
        return status
    finally:
        writer.close()
