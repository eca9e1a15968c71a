"""Execution environments and the pool that reuses them.

An environment is one process running one function version (one configuration
revision). It pulls invocations through the Runtime API (api.py); the pool hands each
invocation to an idle environment of that version, or starts a new one (a cold start)
when concurrency allows, kills environments that time out, and reclaims idle ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.runtime.channel import Channel
from cloudlet.services.lambda_.runtime.processes import Launch, Launcher, LaunchFailure, kill
from cloudlet.waits import settled

log = logging.getLogger("cloudlet.lambda")
INIT_TIMEOUT = 10.0  # seconds AWS allows an environment's init phase
Key = tuple[str, str, str]  # (function ARN, version, revision)


class EnvironmentGone(Exception):
    """The environment was discarded while its runtime waited for work."""


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    invoked_arn: str
    timeout: float
    client_context: str | None = None
    deadline_ms: int = 0
    fetched: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Future[tuple[bytes, str | None]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def finish(self, payload: bytes, error: str | None) -> None:
        if not self.done.done():
            self.done.set_result((payload, error))
        self.fetched.set()  # an invocation that ends before it was fetched (init error)

    @property
    def trace_id(self) -> str:
        """The X-Ray trace header the runtime is given (`_X_AMZN_TRACE_ID`)."""
        return f"Root=1-{self.request_id[:8]}"


@dataclass
class Outcome:
    """What one invocation produced, for the Invoke response and the log."""

    payload: bytes
    error: str | None  # X-Amz-Function-Error ("Unhandled") or None
    output: bytes  # the function's stdout/stderr during the invocation
    duration_ms: float
    init_ms: float | None
    max_memory_mb: int
    environment: Environment


class Environment:
    def __init__(self, key: Key, function: str, memory_mb: int, log_stream: str) -> None:
        self.id = uuid.uuid4().hex
        self.key = key
        self.function = function
        self.memory_mb = memory_mb
        self.log_stream = log_stream
        self.pid = 0
        self.state = "starting"  # starting | idle | busy | dead
        self.created = time.monotonic()
        self.last_used = self.created
        self.init_ms: float | None = None
        self.init_reported = False
        self.log = bytearray()
        self.log_fd = -1
        self.status_fd = -1
        self.channel: Channel | None = None  # the Python runtime's (channel.py)
        self.peak_kib = 0  # peak RSS as the runtime last reported it over its channel
        self.queued: Invocation | None = None
        self.current: Invocation | None = None
        self.waiter: asyncio.Future[Invocation] | None = None
        self.killed_for_timeout = False
        self.init_error: bytes | None = None  # what the runtime reported failing its init
        self.exit_error: tuple[str, str] | None = None  # (error type, detail) once it died

    # -- the Runtime API side -----------------------------------------------------------

    async def next(self) -> Invocation:
        invocation = self.next_now()
        if invocation is not None:
            return invocation
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            return self._fetched(await self.waiter)
        finally:
            self.waiter = None

    def next_now(self) -> Invocation | None:
        """The runtime asks for work: the invocation already assigned, if there is one."""
        if self.init_ms is None:
            self.init_ms = (time.monotonic() - self.created) * 1000
        invocation, self.queued = self.queued, None
        return None if invocation is None else self._fetched(invocation)

    def _fetched(self, invocation: Invocation) -> Invocation:
        self.current = invocation
        invocation.deadline_ms = int((time.time() + invocation.timeout) * 1000)
        invocation.fetched.set()
        return invocation

    def assign(self, invocation: Invocation) -> None:
        self.state = "busy"
        # The process may have failed its init, or died, before it was given work.
        if self.init_error is not None:
            invocation.finish(self.init_error, "Unhandled")
        elif self.exit_error is not None:
            invocation.finish(self._exit_payload(invocation), "Unhandled")
        elif self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(invocation)
        elif self.channel is not None and self.channel.waiting:
            self.channel.send(self._fetched(invocation))
        else:
            self.queued = invocation

    def respond(self, request_id: str, payload: bytes, error: str | None) -> bool:
        """The runtime's response (or error) for `request_id`; False when that is not the
        invocation this environment is running."""
        current = self.current
        if current is None or current.request_id != request_id:
            return False
        current.finish(payload, error)
        return True

    def init_failed(self, payload: bytes) -> None:
        self.init_error = payload
        for invocation in (self.queued, self.current):
            if invocation is not None:
                invocation.finish(payload, "Unhandled")

    def died(self, status: int) -> None:
        self.state = "dead"
        if self.killed_for_timeout:
            return
        if status in (137, -9) and self.current is not None:
            kind, detail = "Runtime.OutOfMemory", "signal: killed"
        elif status < 0:
            kind, detail = "Runtime.ExitError", f"signal: {_signal_name(-status)}"
        else:
            kind, detail = "Runtime.ExitError", f"exit status {status}"
        self.exit_error = kind, detail
        for invocation in (self.queued, self.current):
            if invocation is not None:
                invocation.finish(self._exit_payload(invocation), "Unhandled")

    def _exit_payload(self, invocation: Invocation) -> bytes:
        kind, detail = self.exit_error or ("Runtime.ExitError", "exit status 1")
        message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: {detail}"
        return orjson.dumps({"errorType": kind, "errorMessage": message})

    # -- logs ---------------------------------------------------------------------------

    def read_log(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.log_fd, 65536):
                self.log += chunk

    def take_log(self) -> bytes:
        self.read_log()
        data = bytes(self.log)
        self.log.clear()
        return data

    def max_memory_mb(self) -> int:
        """The process's peak resident memory (VmHWM): as the runtime reported it with its
        response, or read through a descriptor kept open (a REPORT line needs it after
        every invocation)."""
        if self.peak_kib:
            return max(1, self.peak_kib // 1024)
        try:
            if self.status_fd < 0:
                self.status_fd = os.open(f"/proc/{self.pid}/status", os.O_RDONLY)
            data = os.pread(self.status_fd, 4096, 0)
            at = data.index(b"VmHWM:")
            return max(1, int(data[at + 6 : data.index(b"kB", at)]) // 1024)
        except (OSError, ValueError):
            return self.memory_mb

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.status_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.status_fd)
            self.status_fd = -1


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name.removeprefix("SIG").lower()
    except ValueError:
        return str(number)


class Pool:
    def __init__(
        self,
        launcher: Launcher,
        account_limit: int,
        idle_seconds: float,
    ) -> None:
        self.launcher = launcher
        self.account_limit = account_limit
        self.idle_seconds = idle_seconds
        self.environments: dict[str, Environment] = {}
        self._by_pid: dict[int, Environment] = {}
        self._reaper: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for env in list(self.environments.values()):
            self._discard(env)
        self.launcher.stop()

    def process_exited(self, pid: int, status: int) -> None:
        env = self._by_pid.pop(pid, None)
        if env is not None:
            env.died(status)
            self._discard(env)

    def _discard(self, env: Environment) -> None:
        env.state = "dead"
        if env.pid:
            kill(env.pid)
        if env.log_fd >= 0:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(env.log_fd)
            os.close(env.log_fd)
            env.log_fd = -1
        env.close()
        if env.waiter is not None and not env.waiter.done():
            env.waiter.set_exception(EnvironmentGone())
        self.environments.pop(env.id, None)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, self.idle_seconds))
            now = time.monotonic()
            for env in list(self.environments.values()):
                if env.state == "idle" and now - env.last_used > self.idle_seconds:
                    self._discard(env)

    # -- concurrency --------------------------------------------------------------------

    def in_use(self, function: str | None = None) -> int:
        return sum(
            1
            for env in self.environments.values()
            if env.state in ("starting", "busy") and (function is None or env.function == function)
        )

    def _check_capacity(self, function: str, reserved: int | None) -> None:
        if reserved is not None and self.in_use(function) >= reserved:
            raise ServiceError(
                "TooManyRequestsException",
                "Rate Exceeded.",
                status=429,
            ).with_fields(Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
        if self.in_use() >= self.account_limit:
            raise ServiceError(
                "TooManyRequestsException", "Rate Exceeded.", status=429
            ).with_fields(Reason="ConcurrentInvocationLimitExceeded")

    def has_capacity(self, function: str, reserved: int | None) -> bool:
        try:
            self._check_capacity(function, reserved)
        except ServiceError:
            return False
        return True

    # -- invoking -----------------------------------------------------------------------

    def _idle(self, key: Key) -> Environment | None:
        best = None
        for env in self.environments.values():
            if env.key == key and env.state == "idle":
                if best is None or env.last_used > best.last_used:
                    best = env  # the most recently used one is the warmest
        return best

    async def _create(
        self, key: Key, function: str, launch: Launch, log_stream: str
    ) -> Environment:
        env = Environment(key, function, launch.memory_mb, log_stream)
        read_fd, write_fd = os.pipe()
        flags = fcntl.fcntl(read_fd, fcntl.F_GETFL)
        fcntl.fcntl(read_fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        env.log_fd = read_fd
        self.environments[env.id] = env
        loop = asyncio.get_running_loop()
        loop.add_reader(read_fd, env.read_log)
        address = launch.env["AWS_LAMBDA_RUNTIME_API"] + env.id
        launch.env["AWS_LAMBDA_RUNTIME_API"] = address
        theirs = None
        if launch.kind == "python":
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            channel = Channel(env)
            await loop.connect_accepted_socket(lambda: channel, sock=ours)
            env.channel = channel
        try:
            env.pid = await self.launcher.start(
                launch, write_fd, None if theirs is None else theirs.fileno()
            )
        except BaseException:
            self._discard(env)
            raise
        finally:
            os.close(write_fd)
            if theirs is not None:
                theirs.close()
        self._by_pid[env.pid] = env
        return env

    async def invoke(
        self,
        key: Key,
        function: str,
        reserved: int | None,
        make_launch: Callable[[str], Launch],
        invocation: Invocation,
    ) -> Outcome:
        self._check_capacity(function, reserved)  # a warm environment counts as much as a new one
        env = self._idle(key)
        cold = env is None
        if env is None:
            stream = _log_stream_name(key[1])
            try:
                env = await self._create(key, function, make_launch(stream), stream)
            except LaunchFailure as failure:
                dead = Environment(key, function, 0, stream)
                dead.state = "dead"
                return Outcome(failure.payload, "Unhandled", b"", 0.0, None, 0, dead)
        env.assign(invocation)
        started = time.monotonic()
        try:
            if not invocation.fetched.is_set():  # a cold start, or a runtime not yet asking
                await asyncio.wait_for(invocation.fetched.wait(), INIT_TIMEOUT + invocation.timeout)
                started = time.monotonic()
            remaining = invocation.deadline_ms / 1000 - time.time()
            if not await settled(invocation.done, remaining):
                raise TimeoutError
            payload, error = invocation.done.result()
        except TimeoutError:
            payload, error = self._timed_out(env, invocation, started), "Unhandled"
        duration = (time.monotonic() - started) * 1000
        init_ms = None
        if cold or not env.init_reported:
            init_ms, env.init_reported = env.init_ms, True
        outcome = Outcome(
            payload, error, env.take_log(), duration, init_ms, env.max_memory_mb(), env
        )
        env.current = None
        if env.state != "dead":
            env.state = "idle"
            env.last_used = time.monotonic()
        return outcome

    def _timed_out(self, env: Environment, invocation: Invocation, started: float) -> bytes:
        env.killed_for_timeout = True
        self._by_pid.pop(env.pid, None)
        env.read_log()
        self._discard(env)
        seconds = invocation.timeout
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        message = f"{stamp}.000Z {invocation.request_id} Task timed out after {seconds:.2f} seconds"
        env.log += (message + "\n").encode()
        return orjson.dumps({"errorMessage": message})

    async def prewarm(
        self, key: Key, function: str, make_launch: Callable[[str], Launch], count: int
    ) -> None:
        """Start environments that wait, initialised, for invocations (provisioned)."""
        ready = [e for e in self.environments.values() if e.key == key and e.state != "dead"]
        for _ in range(count - len(ready)):
            stream = _log_stream_name(key[1])
            env = await self._create(key, function, make_launch(stream), stream)
            env.state = "idle"

    def retire(self, function: str, keep: Callable[[Key], bool] | None = None) -> None:
        """Kill a function's idle environments (after its code or configuration changed)."""
        for env in list(self.environments.values()):
            if (
                env.function == function
                and env.state == "idle"
                and (keep is None or not keep(env.key))
            ):
                self._discard(env)


def _log_stream_name(version: str) -> str:
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{uuid.uuid4().hex}"


Runner = Callable[[], Awaitable[Outcome]]
