"""Helpers for the deployer tests: app folders in tmp_path and a target that records
every SDK call it makes."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import Any

import boto3

from cloudlet.deploy import Target

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'v1'}\n"
READ_PREFIXES = ("Get", "List", "Describe")


def app_name(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def write_app(folder: Path, source: str, functions: dict[str, str] | None = None) -> Path:
    """An app.py in `folder` and a code folder per function (`functions/<name>/app.py`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, code in (functions or {}).items():
        code_dir = folder / "functions" / name
        code_dir.mkdir(parents=True, exist_ok=True)
        (code_dir / "app.py").write_text(code)
    file = folder / "app.py"
    file.write_text(textwrap.dedent(source).lstrip())
    return file


class RecordingTarget(Target):
    """A Target whose SDK calls are recorded as (service, operation)."""

    def __init__(self, endpoint: str) -> None:
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        self.calls: list[tuple[str, str]] = []
        session.events.register("before-call.*.*", self._record)
        super().__init__(endpoint, "us-east-1", session=session)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if not c[1].startswith(READ_PREFIXES)]


def every(client: Any, operation: str, key: str, **args: Any) -> list[Any]:
    """All items of a listing, every page (the shared server holds other tests' too)."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**args):
        items += page.get(key, [])
    return items
