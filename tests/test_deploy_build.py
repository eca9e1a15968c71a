"""Function packages: deterministic zips, requirements.txt vendored, the build cache,
and physical names within AWS's limits."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zipfile
from pathlib import Path

from deploy_support import HANDLER, write_app

from cloudlet.app import load
from cloudlet.deploy import build
from cloudlet.deploy.naming import physical


def _function(tmp_path: Path, extra: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    file = write_app(
        tmp_path, 'from cloudlet.app import App\napp = App("b")\napp.function("f", code="functions/f")\n',
        {"f": HANDLER},
    )  # fmt: skip
    for name, content in (extra or {}).items():
        path = tmp_path / "functions/f" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return load(file).resources[("function", "f")]


def test_zip_is_deterministic_and_sha_matches_lambdas(tmp_path: Path) -> None:
    fn = _function(tmp_path, {"lib/util.py": "X = 1\n", "__pycache__/app.cpython-311.pyc": "junk"})
    data, sha = build(fn)
    assert sha == base64.b64encode(hashlib.sha256(data).digest()).decode()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["app.py", "lib/util.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    # Touching a file (new mtime, same bytes) and dropping the cache change nothing.
    os.utime(tmp_path / "functions/f/app.py", (1, 1))
    for cached in (tmp_path / ".cloudlet/build").iterdir():
        cached.unlink()
    assert build(fn) == (data, sha)


def test_changed_source_changes_the_package_and_replaces_the_cache_entry(tmp_path: Path) -> None:
    fn = _function(tmp_path)
    _, first = build(fn)
    (tmp_path / "functions/f/app.py").write_text(HANDLER.replace("v1", "v2"))
    _, second = build(fn)
    assert first != second
    assert len(list((tmp_path / ".cloudlet/build").glob("f-*.zip"))) == 1


def _wheel(folder: Path) -> Path:
    """A tiny pure-Python wheel, so pip installs it without an index."""
    path = folder / "tinylib-1.0-py3-none-any.whl"
    files = {
        "tinylib/__init__.py": "VALUE = 42\n",
        "tinylib-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinylib\nVersion: 1.0\n",
        "tinylib-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + "tinylib-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr("tinylib-1.0.dist-info/RECORD", record)
    return path


def test_requirements_are_vendored_into_the_package(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    fn = _function(tmp_path, {"requirements.txt": f"{wheel}\n"})
    data, _ = build(fn)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert archive.read("tinylib/__init__.py") == b"VALUE = 42\n"
    assert "app.py" in names and "requirements.txt" in names
    assert names == sorted(names)


def test_physical_names_respect_limits() -> None:
    assert physical("shop", "dev", "auth-api", "function") == "shop-dev-auth-api"
    long = physical("shop", "dev", "a" * 80, "function")
    assert len(long) == 64 and long.startswith("shop-dev-aaa")
    assert long != physical("shop", "dev", "a" * 81, "function")
    fifo = physical("shop", "dev", "q" * 90, "queue", ".fifo")
    assert len(fifo) == 80 and fifo.endswith(".fifo")
