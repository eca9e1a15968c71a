"""cloudlet's HTTP/1.1 server: httptools parsing on a uvloop event loop, calling the
gateway directly.

A general ASGI server (uvicorn) costs a fifth of a second more to import and about a
hundred microseconds per request in ASGI messages and tasks; cloudlet needs none of
what it offers beyond HTTP/1.1 with keep-alive. The gateway stays an ASGI app too, so
it can be mounted elsewhere.

Requests on one connection are answered in order (pipelining is allowed); a connection
with too many queued requests stops being read until it catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections import deque
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import httptools

from cloudlet import __version__
from cloudlet.config import Config
from cloudlet.gateway.app import Gateway

_MAX_QUEUED = 16
_KEEP_ALIVE_SECONDS = 30.0
_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}


class _Request:
    __slots__ = ("method", "url", "headers", "header_list", "body", "size", "keep_alive")

    def __init__(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}
        # Every header line in order (API Gateway's multiValueHeaders need repeats).
        self.header_list: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.method = ""
        self.keep_alive = True


class HttpProtocol(asyncio.Protocol):
    def __init__(self, server: Server) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.queue: deque[_Request] = deque()
        self.request: _Request | None = None
        self.worker: asyncio.Task[None] | None = None
        self.paused = False
        self.idle: asyncio.TimerHandle | None = None
        self.last_active = 0.0  # loop time the last request was answered
        self.peer: tuple[str, int] = ("127.0.0.1", 0)

    # -- connection ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self.server.connections.add(self)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer = (str(peer[0]), int(peer[1]))
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.transport = None
        if self.idle is not None:
            self.idle.cancel()
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()

    def _arm_idle(self, delay: float = _KEEP_ALIVE_SECONDS) -> None:
        # One timer per connection, pushed back when it fires if the connection was used
        # meanwhile: cheaper than cancelling and re-arming a timer around every request.
        self.idle = asyncio.get_running_loop().call_later(delay, self._idle_due)

    def _idle_due(self) -> None:
        if self.transport is None:
            return
        if self.worker is not None and not self.worker.done():
            self._arm_idle()  # a request is being answered (a long poll, say)
            return
        left = self.last_active + _KEEP_ALIVE_SECONDS - asyncio.get_running_loop().time()
        if left > 0:
            self._arm_idle(left)
        else:
            self.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(400)
        except httptools.HttpParserError:
            self._reject(400)

    def _reject(self, status: int) -> None:
        if self.transport is not None:
            self.transport.write(_head(status, [], 0, False))
            self.close()

    # -- parser callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.request = _Request()

    def on_url(self, url: bytes) -> None:
        assert self.request is not None
        self.request.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.request is not None
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self.request.headers.get(key)
        self.request.headers[key] = text if previous is None else f"{previous},{text}"
        self.request.header_list.append((name.decode("latin-1"), text))

    def on_headers_complete(self) -> None:
        request = self.request
        assert request is not None
        request.method = self.parser.get_method().decode()
        request.keep_alive = self.parser.should_keep_alive()
        if request.headers.get("expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        request = self.request
        assert request is not None
        request.size += len(body)
        if request.size <= self.server.max_body:
            request.body.append(body)

    def on_message_complete(self) -> None:
        request, self.request = self.request, None
        assert request is not None
        self.queue.append(request)
        if len(self.queue) > _MAX_QUEUED and self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        if self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._serve())

    # -- answering ----------------------------------------------------------------------

    async def _serve(self) -> None:
        while self.queue and self.transport is not None:
            request = self.queue.popleft()
            if self.paused and len(self.queue) <= _MAX_QUEUED // 2:
                self.paused = False
                self.transport.resume_reading()
            await self._answer(request)
            if not request.keep_alive:
                self.close()
                return
        self.last_active = asyncio.get_running_loop().time()

    async def _answer(self, request: _Request) -> None:
        url = httptools.parse_url(request.url)
        path = unquote((url.path or b"/").decode("latin-1"))
        scope = {
            "method": request.method,
            "path": path,
            "query_string": url.query or b"",
            "scheme": "http",
            "raw_path": url.path or b"/",
            "header_list": request.header_list,
            "client": self.peer,
        }
        body = b"".join(request.body) if request.size <= self.server.max_body else None
        try:
            status, headers, payload = await self.server.gateway.handle(
                scope, request.headers, body
            )
        except Exception:  # the gateway answers errors itself; this is a last resort
            self.server.log_exception()
            status, headers, payload = 500, [], b""
        if self.transport is None:
            return
        if request.method == "HEAD":
            self.transport.write(_head(status, headers, len(payload), request.keep_alive))
        else:
            self.transport.write(_head(status, headers, len(payload), request.keep_alive) + payload)


def _head(status: int, headers: list[tuple[bytes, bytes]], length: int, keep_alive: bool) -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"Unknown"))]
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"content-length: %d" % length)
    if not keep_alive:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


class Server:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.gateway = Gateway(config)
        self.max_body = config.max_body_bytes
        self.connections: set[HttpProtocol] = set()
        self._stop = asyncio.Event()

    def log_exception(self) -> None:
        import logging

        logging.getLogger("cloudlet.server").exception("unhandled error answering a request")

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop.set)
        sock = socket.socket(socket.AF_INET6 if ":" in self.config.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError as error:
            print(
                f"cloudlet: cannot listen on {self.config.host}:{self.config.port}: {error}",
                file=sys.stderr,
            )
            return 1
        sock.listen(1024)
        sock.setblocking(False)
        port = sock.getsockname()[1]
        self.gateway.endpoint_url = f"http://{self.config.host}:{port}"
        await self.gateway.startup()
        server = await loop.create_server(lambda: HttpProtocol(self), sock=sock, backlog=1024)
        state = "memory (ephemeral)" if self.config.ephemeral else str(self.config.data_dir)
        # The one line scripts and cloudlet.testing wait for; --port 0 shows the real port.
        print(
            f"cloudlet {__version__} ready on {self.gateway.endpoint_url} (state: {state})",
            flush=True,
        )
        await self._stop.wait()
        server.close()
        # Requests that wait by design (Runtime API `next`, long polls) end first.
        await self.gateway.quiesce()
        await self._drain(5.0)
        for connection in list(self.connections):
            connection.close()
        await self.gateway.shutdown()
        return 0

    async def _drain(self, timeout: float) -> None:
        workers = [
            c.worker for c in self.connections if c.worker is not None and not c.worker.done()
        ]
        if workers:
            await asyncio.wait(workers, timeout=timeout)
        for worker in workers:
            worker.cancel()


def run(config: Config) -> int:
    import logging

    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if sys.platform != "win32":
        import uvloop

        runner: Any = uvloop.run
    else:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        return int(runner(Server(config).serve()))
    return 0
