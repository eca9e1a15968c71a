"""Function and layer code: zip archives stored once by content, extracted once, safely.

A zip is kept as `<root>/zips/<sha256>.zip` and unpacked into `<root>/unpacked/<sha256>/`
the first time an environment needs it. Extraction refuses any entry that would land
outside its folder (absolute paths, `..`) and any symbolic link, and keeps the Unix
execute bits (a custom runtime's `bootstrap` must stay executable).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import zipfile
from pathlib import Path

from cloudlet.gateway.errors import ServiceError

MAX_ZIP_BYTES = 50 * 1024 * 1024  # direct upload limit, as AWS
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024


def invalid_zip(reason: str) -> ServiceError:
    return ServiceError(
        "InvalidParameterValueException", f"Could not unzip uploaded file. {reason}".strip()
    )


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "zips").mkdir(parents=True, exist_ok=True)
        (root / "unpacked").mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> tuple[str, str, int]:
        """Validate and keep a zip; return (hex digest, CodeSha256 as AWS shows it, size)."""
        if len(data) > MAX_ZIP_BYTES:
            raise ServiceError(
                "RequestEntityTooLargeException",
                f"Zipped file size exceeds the maximum of {MAX_ZIP_BYTES} bytes.",
                status=413,
            )
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                _check_entries(archive)
        except zipfile.BadZipFile:
            raise invalid_zip("Please check your file, then try to upload again.") from None
        digest = hashlib.sha256(data)
        hex_digest = digest.hexdigest()
        path = self.root / "zips" / f"{hex_digest}.zip"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return hex_digest, base64.b64encode(digest.digest()).decode(), len(data)

    def zip_path(self, hex_digest: str) -> Path:
        return self.root / "zips" / f"{hex_digest}.zip"

    def read(self, hex_digest: str) -> bytes:
        return self.zip_path(hex_digest).read_bytes()

    def unpacked(self, hex_digest: str) -> Path:
        """The folder holding the zip's files, extracting it on first use."""
        target = self.root / "unpacked" / hex_digest
        if target.exists():
            return target
        staging = target.with_name(hex_digest + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        with zipfile.ZipFile(self.zip_path(hex_digest)) as archive:
            for info in _check_entries(archive):
                _extract(archive, info, staging)
        os.replace(staging, target)
        return target


def _check_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    total = 0
    entries = archive.infolist()
    for info in entries:
        name = info.filename
        parts = Path(name).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise invalid_zip(f"Entry {name!r} points outside the archive's folder.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise invalid_zip(f"Entry {name!r} is a symbolic link, which is not allowed.")
        total += info.file_size
    if total > MAX_UNZIPPED_BYTES:
        raise invalid_zip(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes.")
    return entries


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path) -> None:
    destination = (root / info.filename).resolve()
    if not destination.is_relative_to(root.resolve()):
        raise invalid_zip(f"Entry {info.filename!r} points outside the archive's folder.")
    if info.is_dir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as source, open(destination, "wb") as sink:
        shutil.copyfileobj(source, sink)
    mode = (info.external_attr >> 16) & 0o777
    # Keep execute bits; zips made on Windows carry none, and AWS reads files as 0644/0755.
    os.chmod(destination, 0o755 if mode & 0o111 else 0o644)
