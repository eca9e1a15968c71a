"""A function's deployment package: a deterministic zip of its code folder (sorted
entries, fixed timestamps and modes), with requirements.txt vendored by pip, cached
under .cloudlet/build/ by a hash of the sources."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from cloudlet.app.constructs import Function
from cloudlet.app.errors import AppError

_SKIP_DIRS = {"__pycache__", ".git", ".cloudlet", ".venv", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache"}  # fmt: skip
_SKIP_SUFFIXES = (".pyc", ".pyo")
_EPOCH = (1980, 1, 1, 0, 0, 0)
# CPython 3.11 before 3.11.8 can fail ast.parse in concurrent threads with "AST constructor
# recursion depth mismatch" (gh-106905); packages are built in parallel, so parse one at a time.
_PARSING = threading.Lock()


def _files(root: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in names:
            if name.endswith(_SKIP_SUFFIXES) or name == ".DS_Store":
                continue
            path = Path(folder) / name
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def source_hash(function: Function) -> str:
    digest = hashlib.sha256(function.runtime.encode())
    for relative, path in _files(function.code):
        digest.update(relative.encode() + b"\0")
        digest.update(b"x" if os.access(path, os.X_OK) else b"-")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def check_handler(function: Function) -> None:
    """The handler's module must exist in the code folder and define the function."""
    module, _, attribute = function.handler.rpartition(".")
    base = function.code / Path(*module.split("."))
    candidates = [base.with_suffix(".py"), base / "__init__.py"]
    file = next((c for c in candidates if c.is_file()), None)
    if not function.runtime.startswith("python"):
        return  # other runtimes: the file layout is theirs
    if file is None:
        raise AppError(
            f"handler {function.handler!r} of function {function.name!r}: no "
            f"{module.replace('.', '/')}.py in {function.code}",
            function.declared_at,
        )
    try:
        with _PARSING:
            tree = ast.parse(file.read_bytes(), str(file))
    except SyntaxError as error:
        raise AppError(
            f"function {function.name!r}: syntax error in {file}:{error.lineno}: {error.msg}",
            function.declared_at,
        ) from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return  # cannot tell statically
                names.add((alias.asname or alias.name).split(".")[0])
    if attribute not in names and not any(
        isinstance(n, ast.If | ast.Try | ast.With) for n in tree.body
    ):
        raise AppError(
            f"handler {function.handler!r} of function {function.name!r}: {file.name} "
            f"defines no {attribute!r}",
            function.declared_at,
        )


def build(
    function: Function, cache_dir: Path | None = None, *, checked: bool = False
) -> tuple[bytes, str]:
    """The function's zip and its CodeSha256 (base64 SHA-256, as Lambda reports it);
    `checked`: the caller has run check_handler already (a plan does, before any
    network call), so the handler's module is not parsed again."""
    if not checked:
        check_handler(function)
    key = source_hash(function)
    cache = cache_dir or (function.app.base_dir or function.code) / ".cloudlet" / "build"
    cached = cache / f"{function.name}-{key[:16]}.zip"
    if cached.is_file():
        data = cached.read_bytes()
    else:
        data = _zip(function)
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob(f"{function.name}-*.zip"):
            stale.unlink(missing_ok=True)
        temp = cached.with_suffix(".tmp")
        temp.write_bytes(data)
        temp.replace(cached)
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode()


def _zip(function: Function) -> bytes:
    entries = _files(function.code)
    requirements = function.code / "requirements.txt"
    with tempfile.TemporaryDirectory(prefix="cloudlet-build-") as vendor:
        if requirements.is_file() and requirements.read_text().strip():
            _vendor(function, requirements, Path(vendor))
            own = {relative for relative, _ in entries}
            entries += [e for e in _files(Path(vendor)) if e[0] not in own]
            entries.sort()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for relative, path in entries:
                info = zipfile.ZipInfo(relative, _EPOCH)
                mode = 0o755 if os.access(path, os.X_OK) else 0o644
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        return buffer.getvalue()


def _vendor(function: Function, requirements: Path, target: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", "-r", str(requirements), "--target", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise AppError(
            f"function {function.name!r}: pip could not install {requirements}:\n"
            + completed.stderr.strip()[-2000:],
            function.declared_at,
        )
