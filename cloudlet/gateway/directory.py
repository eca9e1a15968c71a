"""The services of this cloudlet, loaded when first needed.

Importing every service at start-up would cost start-up time and memory for services
a user may never call. The directory knows each service by its botocore name and
module path (`cloudlet.services.SERVICES`), routes requests with botocore's model
metadata alone (signing name, JSON target prefix, query actions), and imports and
starts a service on its first request. Services that have state in the database are
started with the server, so their background work (redelivery, retries) resumes.
"""

from __future__ import annotations

import asyncio
import importlib
from functools import cache

from cloudlet.config import Config
from cloudlet.gateway.protocol.model import ServiceModel, load_service_model
from cloudlet.services import SERVICES
from cloudlet.services.base import Cloud, Service
from cloudlet.store import Database


@cache
def _index_model(name: str) -> ServiceModel:
    return load_service_model(name)


@cache
def _first_segments(name: str) -> frozenset[str]:
    """The first literal path segments of a REST service's operations."""
    model = _index_model(name)
    return frozenset(
        op.http.get("requestUri", "/").split("?")[0].split("/", 2)[1]
        for op in model.operations.values()
    )


class Directory:
    def __init__(self, db: Database, config: Config, cloud: Cloud) -> None:
        self.db = db
        self.config = config
        self.cloud = cloud
        self.loaded: dict[str, Service] = {}
        self._started = False
        self._lock = asyncio.Lock()
        self._signing: dict[str, list[str]] | None = None
        self._targets: dict[str, str] | None = None

    async def get(self, name: str) -> Service:
        service = self.loaded.get(name)
        if service is not None:
            return service
        async with self._lock:
            if name not in self.loaded:
                module, _, attr = SERVICES[name].partition(":")
                cls: type[Service] = getattr(importlib.import_module(module), attr)
                service = cls(self.db, self.config)
                service.cloud = self.cloud
                if self._started:
                    await service.start()
                self.loaded[name] = service
            return self.loaded[name]

    async def start(self) -> None:
        """Start the services that have state, then let the others start on demand."""
        prefixes = self.db.tables_with_rows()
        for name in SERVICES:
            if any(table.startswith(name + "_") for table in prefixes):
                await self.get(name)
        for service in list(self.loaded.values()):
            await service.start()
        self._started = True

    async def stop(self) -> None:
        for service in list(self.loaded.values()):
            await service.stop()

    # -- routing by model metadata, without importing services --------------------------

    def by_signing_name(self, hint: str | None, path: str = "/") -> str | None:
        """The service signing as `hint`; where several share it (API Gateway's v1 and
        v2 both sign as "apigateway"), the one with an operation under the path's first
        segment (`/v2/apis` is v2's, `/restapis` v1's)."""
        if not hint:
            return None
        if self._signing is None:
            self._signing = {}
            for name in SERVICES:
                meta = _index_model(name).metadata
                key = meta.get("signingName") or meta["endpointPrefix"]
                self._signing.setdefault(key, []).append(name)
        names = self._signing.get(hint) or ([hint] if hint in SERVICES else [])
        if len(names) > 1:
            first = path.split("/", 2)[1] if path.startswith("/") else ""
            for name in names:
                if first in _first_segments(name):
                    return name
        return names[0] if names else None

    def by_target(self, prefix: str) -> str | None:
        if self._targets is None:
            self._targets = {}
            for name in SERVICES:
                target = _index_model(name).target_prefix
                if target:
                    self._targets[target] = name
        return self._targets.get(prefix)

    def by_action(self, action: str) -> str | None:
        for name in SERVICES:
            model = _index_model(name)
            if action in model.operations and (
                "query" in model.protocols or model.query_compatible
            ):
                return name
        return None

    def health(self) -> dict[str, str]:
        return {
            name: self.loaded[name].status() if name in self.loaded else "available"
            for name in SERVICES
        }
