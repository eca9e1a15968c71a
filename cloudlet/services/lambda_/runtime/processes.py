"""Starting the process behind an execution environment, for each kind of runtime.

- Python: forked from a zygote that has already imported boto3 (see zygote.py); one
  zygote per interpreter, started on first use.
- Node.js: `node node_runtime.js`, when `node` is on PATH.
- Custom (provided.al2, provided.al2023): the function's own `bootstrap` executable.

Each process gets its environment variables, its task root as working directory, and
one pipe for both stdout and stderr, which the environment reads as its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import orjson

from cloudlet.gateway.errors import ServiceError

log = logging.getLogger("cloudlet.lambda")
HERE = Path(__file__).parent
# What the AWS Python runtime provides to every function, besides the standard library.
AWS_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


class LaunchFailure(Exception):
    """The environment cannot start; `payload` is the function error to answer with."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.payload = orjson.dumps({"errorType": error_type, "errorMessage": message})


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one environment's process."""

    kind: str  # python | node | custom
    runtime: str
    env: dict[str, str]
    cwd: Path
    paths: list[str]  # extra import paths (Python: task root, layers)
    memory_mb: int
    bootstrap: Path | None = None


def runtime_kind(runtime: str) -> str:
    if runtime.startswith("python3"):
        return "python"
    if runtime.startswith("nodejs"):
        return "node"
    if runtime.startswith("provided"):
        return "custom"
    raise ServiceError(
        "InvalidRuntimeException",
        f"cloudlet cannot run the {runtime} runtime: only python3.x, nodejs*.x and "
        "provided.al2/provided.al2023 (custom runtimes) are supported.",
        status=502,
    )


def runtime_lib(root: Path) -> Path:
    """A folder with just the AWS-provided packages, linked from cloudlet's environment,
    so a function imports boto3 without seeing cloudlet's other dependencies."""
    folder = root / "python-runtime-lib"
    folder.mkdir(parents=True, exist_ok=True)
    for name in AWS_PROVIDED:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin)
        if source.name == "__init__.py":
            source = source.parent
        link = folder / source.name
        if not link.exists():
            with contextlib.suppress(FileExistsError):
                link.symlink_to(source)
    return folder


class Zygote:
    """A pre-loaded Python interpreter that forks environments on request."""

    def __init__(self, python: str, lib: Path, on_exit: Callable[[int, int], None]) -> None:
        self.python = python
        self.lib = lib
        self.on_exit = on_exit
        self.process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[int]] = {}
        self._ready: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [
            self.python,
            "-I",
            "-S",
            str(HERE / "zygote.py"),
            str(theirs.fileno()),
            str(self.lib),
            str(HERE / "python_runtime.py"),
        ]
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()], close_fds=True)
        theirs.close()
        ours.setblocking(False)
        self._sock = ours
        self._ready = loop.create_future()
        self._reader = loop.create_task(self._read())
        await asyncio.wait_for(asyncio.shield(self._ready), 60)

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            data = await loop.sock_recv(self._sock, 65536)
            if not data:
                break
            message = orjson.loads(data)
            if "ready" in message and self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
            elif "exit" in message:
                self.on_exit(message["exit"], message["status"])
            elif "id" in message:
                future = self._waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message["pid"])
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("the Python zygote exited"))
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(RuntimeError("the Python zygote failed to start"))

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def spawn(self, launch: Launch, log_fd: int, channel_fd: int | None) -> int:
        assert self._sock is not None
        request_id = next(self._ids)
        request = {
            "id": request_id,
            "env": launch.env,
            "cwd": str(launch.cwd),
            "paths": launch.paths,
            "memory_bytes": launch.memory_mb * 1024 * 1024,
        }
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        fds = [log_fd] if channel_fd is None else [log_fd, channel_fd]
        socket.send_fds(self._sock, [orjson.dumps(request)], fds)
        return await asyncio.wait_for(future, 30)

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._sock is not None:
            self._sock.close()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Launcher:
    """Starts processes for every runtime kind; owns the zygotes."""

    def __init__(self, root: Path, python: str | None, on_exit: Callable[[int, int], None]) -> None:
        self.root = root
        self.python = python or sys.executable
        self.on_exit = on_exit
        self._zygote: Zygote | None = None
        self._zygote_lock = asyncio.Lock()
        self._warned: set[str] = set()
        self._children: dict[int, asyncio.subprocess.Process] = {}

    def note_version(self, runtime: str) -> None:
        wanted = runtime.removeprefix("python")
        have = f"{sys.version_info.major}.{sys.version_info.minor}"
        if wanted != have and runtime not in self._warned:
            self._warned.add(runtime)
            log.warning("%s functions run on Python %s (%s)", runtime, have, self.python)

    async def _zygote_ready(self) -> Zygote:
        async with self._zygote_lock:
            if self._zygote is None or not self._zygote.alive:
                if self._zygote is not None:
                    self._zygote.stop()
                self._zygote = Zygote(self.python, runtime_lib(self.root), self.on_exit)
                await self._zygote.start()
            return self._zygote

    async def warm(self) -> None:
        """Start the Python zygote ahead of the first cold start."""
        await self._zygote_ready()

    async def start(self, launch: Launch, log_fd: int, channel_fd: int | None = None) -> int:
        """Start the process; a Python one also gets `channel_fd`, its channel's end."""
        if launch.kind == "python":
            self.note_version(launch.runtime)
            zygote = await self._zygote_ready()
            return await zygote.spawn(launch, log_fd, channel_fd)
        if launch.kind == "node":
            node = shutil.which("node")
            if node is None:
                raise ServiceError(
                    "InvalidRuntimeException",
                    f"cloudlet cannot run {launch.runtime}: `node` is not on PATH. "
                    "Install Node.js (https://nodejs.org) and restart cloudlet.",
                    status=502,
                )
            heap = max(launch.memory_mb - 32, 32)
            command = [node, f"--max-old-space-size={heap}", str(HERE / "node_runtime.js")]
        else:
            if launch.bootstrap is None:
                task_root = launch.env.get("LAMBDA_TASK_ROOT", "")
                opt = launch.env.get("CLOUDLET_OPT", "")
                raise LaunchFailure(
                    "Runtime.InvalidEntrypoint",
                    f"Couldn't find valid bootstrap(s): [{task_root}/bootstrap {opt}/bootstrap]",
                )
            command = [str(launch.bootstrap)]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=log_fd,
            cwd=launch.cwd,
            env=launch.env,
            start_new_session=True,
        )
        self._children[process.pid] = process
        asyncio.get_running_loop().create_task(self._watch(process))
        return process.pid

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        self._children.pop(process.pid, None)
        self.on_exit(process.pid, code)

    def stop(self) -> None:
        if self._zygote is not None:
            self._zygote.stop()
        for process in list(self._children.values()):
            with contextlib.suppress(ProcessLookupError):
                process.kill()


def kill(pid: int) -> None:
    """Kill an environment's whole process group (each runs in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, 9)
