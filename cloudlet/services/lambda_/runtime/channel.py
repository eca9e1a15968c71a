"""cloudlet's end of a Python environment's channel: the Runtime API's exchanges as
frames on a socket pair (formats in python_runtime.py), for the runtime cloudlet ships.

A warm invocation over HTTP costs the server two requests to parse, route and answer
(`next`, then `response`); over the channel it is one frame in (the response, which also
asks for the next invocation) and one frame out. Functions still see
AWS_LAMBDA_RUNTIME_API, and custom runtimes and Node.js use the HTTP API (api.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cloudlet.services.lambda_.runtime.limits import RESPONSE_TOO_LARGE
from cloudlet.services.lambda_.runtime.python_runtime import DOWN, UP

if TYPE_CHECKING:
    from cloudlet.services.lambda_.runtime.pool import Environment, Invocation

# A frame's payload beyond this is not kept (the HTTP Runtime API refuses bodies over
# the server's 16 MiB limit too): the invocation ends with Lambda's too-large error.
KEEP_LIMIT = 16 * 1024 * 1024


class Channel(asyncio.Protocol):
    def __init__(self, env: Environment) -> None:
        self.env = env
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting = False  # the runtime asked for an invocation and has none yet
        self.skipping = 0  # bytes of an oversized payload still to drop
        self.skipped: tuple[bytes, str, int] | None = None  # its frame: kind, id, peak

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None  # the process's exit is reported by its launcher

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.skipping:
            data = self._skip(data)
        buffer = self.buffer
        buffer += data
        while len(buffer) >= UP.size:
            kind, id_size, size, peak_kib = UP.unpack_from(buffer)
            start = UP.size + id_size
            if size > KEEP_LIMIT and len(buffer) >= start:
                self.skipped = kind, buffer[UP.size : start].decode(), peak_kib
                self.skipping = size
                rest = bytes(buffer[start:])
                buffer.clear()
                buffer += self._skip(rest)
                continue
            end = start + size
            if len(buffer) < end:
                return
            request_id = buffer[UP.size : start].decode()
            payload = bytes(buffer[start:end])
            del buffer[:end]
            self._frame(kind, request_id, payload, peak_kib)

    def _skip(self, data: bytes) -> bytes:
        """Drop what is left of an oversized payload; the bytes after it."""
        dropped = min(self.skipping, len(data))
        self.skipping -= dropped
        if not self.skipping and self.skipped is not None:
            kind, request_id, peak_kib = self.skipped
            self.skipped = None
            self._frame(b"E" if kind == b"R" else kind, request_id, RESPONSE_TOO_LARGE, peak_kib)
        return data[dropped:]

    def _frame(self, kind: bytes, request_id: str, payload: bytes, peak_kib: int) -> None:
        env = self.env
        env.peak_kib = peak_kib
        if kind == b"I":
            env.init_failed(payload)
            if self.transport is not None:
                self.transport.write(b"\0")  # the runtime exits once it reads this
            return
        if kind in (b"R", b"E"):
            env.respond(request_id, payload, None if kind == b"R" else "Unhandled")
        invocation = env.next_now()
        if invocation is None:
            self.waiting = True
        else:
            self.send(invocation)

    def send(self, invocation: Invocation) -> None:
        self.waiting = False
        if self.transport is None:
            return
        meta = "\n".join(
            (
                invocation.request_id,
                invocation.invoked_arn,
                invocation.trace_id,
                invocation.client_context or "",
            )
        ).encode()
        head = DOWN.pack(len(meta), len(invocation.payload), invocation.deadline_ms)
        self.transport.write(head + meta + invocation.payload)
