"""Helpers for the Lambda tests: in-memory zips and function creation."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zipped(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644) & 0xFFFF) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(
    lam: Any,
    source: str,
    *,
    runtime: str = "python3.12",
    handler: str = "app.handler",
    name: str | None = None,
    filename: str = "app.py",
    wait: bool = True,
    **extra: Any,
) -> str:
    name = name or unique()
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zipped({filename: source})},
        **extra,
    )
    if wait:
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    return name
