"""What Lambda's operations work with: the tables, the code store, the environment
pool, and the way out to other services. Operations receive it as their `store`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.services.lambda_.code import CodeStore
from cloudlet.services.lambda_.logsink import LogSink
from cloudlet.services.lambda_.models import LambdaStore
from cloudlet.services.lambda_.runtime.pool import Pool

if TYPE_CHECKING:
    from cloudlet.services.base import Cloud


@dataclass
class Settings:
    account_limit: int = 1000
    idle_seconds: float = 300.0
    async_retry_delays: tuple[float, ...] = (60.0, 120.0)
    python: str | None = None


@dataclass
class Backend:
    store: LambdaStore
    code: CodeStore
    pool: Pool
    cloud: Cloud
    settings: Settings
    background: set[asyncio.Task[None]] = field(default_factory=set)
    wake_async: Callable[[], None] = lambda: None
    logs: LogSink = field(init=False)

    def __post_init__(self) -> None:
        self.logs = LogSink(self.cloud)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, keeping a reference until it finishes."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
