"""A small HTTP/1.1 client on asyncio streams: API Gateway's HTTP integrations, JWKS
fetches, SNS deliveries to HTTP/S endpoints.

One request per connection (`Connection: close`); the response body is read by
Content-Length, chunked encoding or to the end of the stream, bounded in size. It never
blocks the event loop.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
    }
)


class HttpError(Exception):
    """No valid answer: the connection failed or the response is malformed."""


async def request(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    timeout: float = 30.0,
    verify: bool = True,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers without hop-by-hop ones, body). Raises HttpError or TimeoutError.
    `verify=False` accepts any certificate (local endpoints with self-signed ones)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"not an http(s) URL: {url}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = ssl.create_default_context() if secure else None
    if context is not None and not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{n}: {v}" for n, v in headers if n.lower() not in _HOP and n.lower() != "host"
              and n.lower() != "content-length"]  # fmt: skip
    if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
    try:
        return await asyncio.wait_for(
            _exchange(parts.hostname, port, context, raw, method == "HEAD"), timeout
        )
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as err:
        raise HttpError(str(err)) from None


async def _exchange(
    host: str, port: int, context: ssl.SSLContext | None, raw: bytes, head: bool
) -> tuple[int, list[tuple[str, str]], bytes]:
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        writer.write(raw)
        await writer.drain()
        status_line = await reader.readline()
        pieces = status_line.decode("latin-1").split(" ", 2)
        if len(pieces) < 2 or not pieces[0].startswith("HTTP/") or not pieces[1].isdigit():
            raise HttpError("malformed status line")
        status = int(pieces[1])
        headers: list[tuple[str, str]] = []
        length: int | None = None
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip(), value.strip()
            lowered = name.lower()
            if lowered == "content-length":
                length = int(value)
            elif lowered == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            if lowered not in _HOP and lowered != "content-length":
                headers.append((name, value))
        if head or status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if chunked:
            body = await _chunks(reader)
        elif length is not None:
            if length > MAX_BODY:
                raise HttpError("response too large")
            body = await reader.readexactly(length)
        else:
            body = await reader.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise HttpError("response too large")
        return status, headers, body
    finally:
        writer.close()


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return bytes(out)
        out += await reader.readexactly(size)
        if len(out) > MAX_BODY:
            raise HttpError("response too large")
        await reader.readline()
