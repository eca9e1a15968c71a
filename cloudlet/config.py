"""Server configuration, read once: command-line values over CLOUDLET_* environment variables.

Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = field(default_factory=lambda: Path(".cloudlet"))
    ephemeral: bool = False
    # "normal": survives a crash of the server process (kill -9); "full": also an OS crash.
    durability: str = "normal"
    default_region: str = DEFAULT_REGION
    # Largest request body the gateway reads for the json and query protocols.
    max_body_bytes: int = 16 * 1024 * 1024
    log_level: str = "warning"
    # Lambda: account-wide concurrency, how long an idle environment is kept warm, the
    # delays before the retries of a failed asynchronous invocation (AWS: about 1 and 2
    # minutes), and the Python that runs python3.x functions.
    lambda_concurrency: int = 1000
    lambda_idle_seconds: float = 300.0
    lambda_retry_delays: tuple[float, ...] = (60.0, 120.0)
    lambda_python: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        env = os.environ
        values: dict[str, object] = {}
        if "CLOUDLET_HOST" in env:
            values["host"] = env["CLOUDLET_HOST"]
        if "CLOUDLET_PORT" in env:
            values["port"] = int(env["CLOUDLET_PORT"])
        if "CLOUDLET_DATA_DIR" in env:
            values["data_dir"] = Path(env["CLOUDLET_DATA_DIR"])
        if env.get("CLOUDLET_EPHEMERAL", "").lower() in ("1", "true", "yes"):
            values["ephemeral"] = True
        if "CLOUDLET_DURABILITY" in env:
            values["durability"] = env["CLOUDLET_DURABILITY"]
        if "CLOUDLET_REGION" in env:
            values["default_region"] = env["CLOUDLET_REGION"]
        if "CLOUDLET_LOG_LEVEL" in env:
            values["log_level"] = env["CLOUDLET_LOG_LEVEL"]
        if "CLOUDLET_LAMBDA_CONCURRENCY" in env:
            values["lambda_concurrency"] = int(env["CLOUDLET_LAMBDA_CONCURRENCY"])
        if "CLOUDLET_LAMBDA_IDLE_SECONDS" in env:
            values["lambda_idle_seconds"] = float(env["CLOUDLET_LAMBDA_IDLE_SECONDS"])
        if "CLOUDLET_LAMBDA_RETRY_DELAYS" in env:
            delays = env["CLOUDLET_LAMBDA_RETRY_DELAYS"].split(",")
            values["lambda_retry_delays"] = tuple(float(d) for d in delays if d.strip())
        if "CLOUDLET_LAMBDA_PYTHON" in env:
            values["lambda_python"] = env["CLOUDLET_LAMBDA_PYTHON"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(str(values["data_dir"]))
        return cls(**values)  # type: ignore[arg-type]
