"""What the deployer needs of every kind of resource: read it, say what it should be,
compare, create, update, delete, and find the ones an app+stage owns."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from cloudlet.deploy.model import Actual, Context, Node


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def missing(error: Exception, *codes: str) -> bool:
    return error_code(error) in codes


def as_json(value: Any) -> Any:
    """A policy document as a dict whether the SDK gave a string (maybe URL-encoded) or not."""
    if isinstance(value, str):
        from urllib.parse import unquote

        text = value if value.lstrip().startswith("{") else unquote(value)
        return json.loads(text)
    return value


def wait_for(check: Callable[[], bool], what: str, timeout: float = 300.0) -> None:
    """Poll fast at first (local clouds answer at once), backing off to 2 s for AWS."""
    delay = 0.02
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def retry_while(
    call: Callable[[], Any], retryable: Callable[[Exception], bool], timeout: float = 90.0
) -> Any:
    """Repeat a call AWS refuses while something it needs propagates (new IAM roles)."""
    delay = 0.25
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except Exception as error:
            if not retryable(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)


class Kind:
    kind = ""
    # Attributes whose change needs delete + create.
    replace_keys: tuple[str, ...] = ()

    def identity(self, ctx: Context, node: Node) -> str:
        return node.physical

    def read(self, ctx: Context, node: Node) -> Actual | None:
        raise NotImplementedError

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        raise NotImplementedError

    def diff(self, desired: dict[str, Any], actual: Actual) -> tuple[str, str]:
        changed = [key for key, value in desired.items() if actual.attrs.get(key) != value]
        if not changed:
            return "none", "up to date"
        replace = [key for key in changed if key in self.replace_keys]
        if replace:
            return "replace", f"{', '.join(replace)} changed (cannot be updated in place)"
        return "update", f"{', '.join(changed)} changed"

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        raise NotImplementedError

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        raise NotImplementedError

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        raise NotImplementedError

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        """(identity, node) for each resource of this kind the app+stage owns."""
        return []
