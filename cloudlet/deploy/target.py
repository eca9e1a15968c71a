"""Where a deploy goes: an endpoint (the local cloud, LocalStack, moto ...) or AWS, and
the SDK (botocore) clients that reach it. A local cloud is started when nothing answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


class Target:
    """SDK clients for one endpoint (None: AWS through the standard credential chain).

    Clients come from a botocore session (cloudlet.deploy._botocore: its data files
    cached) or from the session given, botocore's or boto3's. boto3 adds nothing the
    deployer uses and ~20 ms of imports to every `cloudlet deploy`."""

    def __init__(
        self,
        endpoint: str | None = DEFAULT_ENDPOINT,
        region: str = "us-east-1",
        session: Any = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.region = region
        if session is None:
            # Imported here: `cloudlet up` never needs botocore's session machinery.
            from cloudlet.deploy._botocore import session as new_session

            session = new_session()
            session.set_config_variable("region", region)
            if self.endpoint and not os.environ.get("AWS_ACCESS_KEY_ID"):
                # Local clouds take any key; the user's real keys are not needed there.
                session.set_credentials("test", "test")
        self.session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None
        self._account_lock = threading.Lock()  # one GetCallerIdentity for all threads

    def client(self, service: str) -> Any:
        """The shared client for a service, made on first use."""
        # Sessions are not thread-safe; clients are, once made.
        with self._lock:
            found = self._clients.get(service)
            if found is None:
                from botocore.config import Config  # type: ignore[import-untyped]

                config = Config(
                    retries={"max_attempts": 8 if self.endpoint is None else 2, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=120,
                    max_pool_connections=32,
                )
                found = self._new_client(service, config)
                self._clients[service] = found
            return found

    def new_client(self, service: str, config: Any) -> Any:
        """A client of its own with `config` (botocore.config.Config)."""
        with self._lock:
            return self._new_client(service, config)

    def _new_client(self, service: str, config: Any) -> Any:
        create = getattr(self.session, "create_client", None) or self.session.client
        return create(service, endpoint_url=self.endpoint, region_name=self.region, config=config)

    @property
    def account(self) -> str:
        with self._account_lock:
            if self._account is None:
                self._account = str(self.client("sts").get_caller_identity()["Account"])
            return self._account

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region.startswith("cn-") else "aws"

    def describe(self) -> str:
        return self.endpoint or f"AWS ({self.region})"


def answers(endpoint: str, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at the endpoint's host and port."""
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout):
            return True
    except OSError:
        return False


def start_local_cloud(endpoint: str, data_dir: Path, log_file: Path, timeout: float = 30.0) -> int:
    """Start `cloudlet up` in the background at the endpoint's port with `data_dir`; it
    keeps running after this process exits. Returns its pid once it answers."""
    parts = urlsplit(endpoint)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "cloudlet", "up",
        "--host", parts.hostname or "127.0.0.1",
        "--port", str(parts.port or 4566),
        "--data-dir", str(data_dir),
    ]  # fmt: skip
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local cloud exited at start; see {log_file}")
        if _healthy(endpoint):
            return process.pid
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the local cloud did not answer within {timeout:.0f} s; see {log_file}")


def _healthy(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/", timeout=0.5):
            return True
    except urllib.error.HTTPError:
        return True  # it answers HTTP: good enough
    except OSError:
        return False
