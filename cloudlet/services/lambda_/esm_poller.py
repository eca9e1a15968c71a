"""The event source mapping worker: keeps one Runner (esm_runner.py) per enabled
mapping and moves mappings through the states AWS reports.

The database is the truth: operations (esm.py) write a mapping in a transitional state
and the worker, looking at the table every TICK seconds (a lookup of each row's
version), finishes the transition — Creating, Enabling or Updating to Enabled (or
Disabled), Disabling to Disabled once its lanes have stopped, Deleting to gone. The
same look picks up mappings after a restart, and drops runners whose rows vanished (a
reset).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.esm_runner import Runner
from cloudlet.services.lambda_.esm_store import EsmStore
from cloudlet.services.lambda_.esm_stream_runner import StreamRunner
from cloudlet.services.lambda_.esm_streams import is_stream

log = logging.getLogger("cloudlet.lambda")
TICK = 0.1  # seconds between looks at the table; transitions take about this long
RUNNING = ("Creating", "Enabling", "Updating", "Enabled")


class EsmWorker:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.store = EsmStore(backend.store.db)
        self.runners: dict[str, Runner | StreamRunner] = {}
        self._retired: set[Runner | StreamRunner] = set()  # closed, lanes still finishing a batch
        self._versions: dict[str, int] = {}
        self._waiting: set[str] = set()  # Disabling/Deleting until their lanes stop
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop looking and end every lane now (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        runners = [*self.runners.values(), *self._retired]
        await asyncio.gather(*(r.abort() for r in runners))
        self.runners.clear()
        self._retired.clear()
        self._versions.clear()
        self._waiting.clear()

    async def _loop(self) -> None:
        while True:
            try:
                self.reconcile()
            except Exception:
                log.exception("event source mappings")
            await asyncio.sleep(TICK)

    def reconcile(self) -> None:
        """Bring runners and states in line with the table."""
        self._retired = {r for r in self._retired if not r.done}
        versions = self.store.versions()
        for uuid in [u for u in self.runners if u not in versions]:
            self._retire(uuid)
        for uuid in [u for u in self._versions if u not in versions]:
            del self._versions[uuid]
            self._waiting.discard(uuid)
        for uuid, version in versions.items():
            if self._versions.get(uuid) == version and uuid not in self._waiting:
                continue
            self._versions[uuid] = version
            config = self.store.get(uuid)
            if config is not None:
                self._advance(config)

    def _advance(self, config: dict[str, Any]) -> None:
        uuid, state = config["UUID"], config["State"]
        if state in RUNNING and (state != "Updating" or self.store.enabled(uuid)):
            runner = self.runners.get(uuid)
            if runner is None:
                source = config["EventSourceArn"]
                make = StreamRunner if is_stream(source) else Runner
                self.runners[uuid] = make(self.backend, config)
            else:
                runner.configure(config)
            if state != "Enabled":
                self._set_state(config, "Enabled")
            return
        runner = self.runners.get(uuid)
        if runner is not None:
            runner.close()
            if not runner.done:
                self._waiting.add(uuid)  # look again next tick
                return
            del self.runners[uuid]
        self._waiting.discard(uuid)
        if state == "Deleting":
            self.store.delete(uuid)
        elif state != "Disabled":
            self._set_state(config, "Disabled")

    def _set_state(self, config: dict[str, Any], state: str) -> None:
        config["State"] = state
        config["LastModified"] = time.time()
        self.store.set_config(config["UUID"], config)

    def _retire(self, uuid: str) -> None:
        runner = self.runners.pop(uuid)
        runner.close()
        if not runner.done:
            self._retired.add(runner)
