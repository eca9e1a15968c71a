"""Run cloudlet from tests: a server class and a pytest plugin.

`CloudletServer` starts `python -m cloudlet up` on a free port in a subprocess and
waits for its ready line. The plugin (registered as the `cloudlet` pytest11 entry
point) gives every test session the fixtures:

- `cloudlet_server`: one ephemeral server for the session;
- `cloudlet_endpoint`: its URL, for `boto3.client(..., endpoint_url=...)`.

    def test_queue(cloudlet_endpoint):
        sqs = boto3.client("sqs", endpoint_url=cloudlet_endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        sqs.create_queue(QueueName="jobs")
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

_READY = re.compile(r"ready on (http://\S+)")


class CloudletServer:
    """A cloudlet server in a child process."""

    def __init__(
        self,
        data_dir: str | Path | None = None,
        ephemeral: bool | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 30.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.ephemeral = ephemeral if ephemeral is not None else data_dir is None
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.env = env or {}
        self.process: subprocess.Popen[str] | None = None
        self.endpoint_url = ""
        self.output: list[str] = []

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "cloudlet",
            "up",
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        if self.ephemeral:
            cmd.append("--ephemeral")
        if self.data_dir is not None:
            cmd += ["--data-dir", str(self.data_dir)]
        return cmd

    def start(self) -> CloudletServer:
        """Start the server; return once it accepts requests."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        ready = threading.Event()
        threading.Thread(target=self._read_output, args=(ready,), daemon=True).start()
        if not ready.wait(self.startup_timeout) or not self.endpoint_url:
            self.kill()
            raise RuntimeError("cloudlet did not start:\n" + "".join(self.output))
        return self

    def _read_output(self, ready: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        with self.process.stdout as stream:
            for line in stream:
                self.output.append(line)
                match = _READY.search(line)
                if match and not ready.is_set():
                    self.endpoint_url = match.group(1)
                    ready.set()
        ready.set()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then wait for a clean shutdown."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to clean up."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        self.process = None

    def __enter__(self) -> CloudletServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def cloudlet_server() -> Iterator[CloudletServer]:
    """One ephemeral cloudlet for the test session."""
    with CloudletServer(ephemeral=True) as server:
        yield server


@pytest.fixture(scope="session")
def cloudlet_endpoint(cloudlet_server: CloudletServer) -> str:
    return cloudlet_server.endpoint_url
