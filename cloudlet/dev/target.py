"""Which deployed function a name on the command line means, and the client that
invokes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.config import Config  # type: ignore[import-untyped]

from cloudlet.deploy.target import Target


def function_name(function: str, app_file: str | Path | None, stage: str) -> str:
    """The physical name of FUNCTION: a function declared in the app file (by default
    ./app.py, when there is one) is deployed as `{app}-{stage}-{logical}`; any other
    name is taken as a deployed function's own name (or ARN)."""
    from cloudlet.app import Function, load
    from cloudlet.deploy.naming import physical

    candidate = Path(app_file) if app_file is not None else Path("app.py")
    if app_file is None and not _cloudlet_app(candidate):
        return function
    app = load(candidate)
    for declared in app.of_kind(Function):
        if declared.name == function:
            return physical(app.name, stage, declared.name, "function")
    return function


def invoke_client(target: Target) -> Any:
    """A Lambda client for Invoke: one attempt (an invocation is not repeated behind
    the user's back) and a read timeout past Lambda's longest run (900 s)."""
    config = Config(retries={"max_attempts": 1}, read_timeout=960, connect_timeout=5)
    return target.new_client("lambda", config)


def _cloudlet_app(path: Path) -> bool:
    """Whether ./app.py is worth importing: loading runs it, and an app.py of another
    framework (one that starts a server, say) must not run for `cloudlet invoke`."""
    try:
        return "cloudlet" in path.read_text(errors="replace")
    except OSError:
        return False
