"""The botocore session behind a Target, made cheap to start: each `cloudlet deploy` is
a new process that makes eight clients, and botocore spends most of that time reading
its JSON data files (service models, endpoint rules, endpoints.json) and listing its
~400 service folders to check one service name.

Here the parsed data files are kept as marshal files (the format of CPython's own .pyc
cache: plain data, nothing runs on load) under the user's cache folder, keyed by the
file's path, size and mtime, so a botocore upgrade or a user's own model under
~/.aws/models is picked up; and a client's service name is checked in that service's
folder only. The clients themselves are botocore's, unchanged: this is not a model
loader of our own. Without a writable cache folder it works as plain botocore does.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import threading
from pathlib import Path
from typing import Any

import botocore  # type: ignore[import-untyped]
import botocore.loaders  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]


def session(cache_dir: Path | None = None) -> Any:
    """A botocore Session whose data loader caches parsed data files in `cache_dir`
    (default: $XDG_CACHE_HOME/cloudlet, else ~/.cache/cloudlet; botocore's version
    names a folder inside)."""
    made = botocore.session.Session()
    paths = made.get_config_variable("data_path")
    extra = [os.path.expanduser(os.path.expandvars(p)) for p in paths.split(os.pathsep)] if paths else None  # fmt: skip
    folder = (cache_dir or _default_cache()) / f"botocore-{botocore.__version__}"
    made.register_component(
        "data_loader", _Loader(extra_search_paths=extra, file_loader=_CachedFiles(folder))
    )
    return made


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cloudlet"


class _CachedFiles(botocore.loaders.JSONFileLoader):  # type: ignore[misc]
    """botocore's JSON file loader, with each parsed file kept as a marshal file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_file(self, file_path: str) -> Any:
        for suffix in (".json", ".json.gz"):  # botocore's order
            full = file_path + suffix
            try:
                found = os.stat(full)
            except OSError:
                continue
            key = f"{full}\0{found.st_size}\0{found.st_mtime_ns}".encode()
            cached = self.folder / (hashlib.sha256(key).hexdigest()[:32] + ".marshal")
            try:
                return marshal.loads(cached.read_bytes())
            except (OSError, EOFError, ValueError, TypeError):
                pass  # not cached yet (or a torn file): parse the JSON
            data = super().load_file(file_path)
            if data is not None:
                self._keep(cached, data)
            return data
        return None

    def _keep(self, cached: Path, data: Any) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = cached.with_name(f"{cached.name}.{os.getpid()}.{threading.get_ident()}")
            temp.write_bytes(marshal.dumps(_plain(data)))
            temp.replace(cached)  # atomic: a reader sees the whole file or none
        except (OSError, ValueError):
            pass  # no cache (read-only home, say): botocore's speed, same result


def _plain(value: Any) -> Any:
    """botocore parses into OrderedDicts, which marshal refuses; dicts keep order too."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _Loader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's Loader, checking a service name against its own folder: botocore
    lists every service folder to check one name (~10 ms per data type)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._loading = threading.local()

    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        self._loading.service = service_name
        try:
            return super().load_service_model(service_name, type_name, api_version)
        finally:
            self._loading.service = None

    def list_available_services(self, type_name: str) -> list[str]:
        service = getattr(self._loading, "service", None)
        if service is None:  # a caller that wants the whole list
            return list(super().list_available_services(type_name))
        # The answer to "is `service` among them?", as the full listing would give it.
        for base in self.search_paths:
            folder = os.path.join(base, service)
            if os.path.isdir(folder) and any(
                self.file_loader.exists(os.path.join(folder, version, type_name))
                for version in os.listdir(folder)
            ):
                return [service]
        return list(super().list_available_services(type_name))  # botocore's own error
