"""What a service is to the gateway: a model, a table of operations, and a store.

A service module defines a subclass of `Service` with its name and its operations table
(`{"SendMessage": send_message, ...}`); each operation is
`fn(ctx, store, request) -> dict` (or a coroutine, for operations that wait, such as a
long poll). Protocol quirks live here as data (`overlay`, `query_errors`) or as the
`prepare_query` hook, never inside the shared protocol code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any, ClassVar

from cloudlet.config import Config
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.protocol import ServiceModel, load_service_model
from cloudlet.store import Database

Operation = Callable[
    [RequestContext, Any, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]
]


class Service:
    name: ClassVar[str]
    """botocore's name for the service (its data directory), e.g. "sqs"."""
    signing_name: ClassVar[str]
    """The service in a SigV4 credential scope."""
    protocols: ClassVar[tuple[str, ...]]
    """Wire protocols accepted, first is the model's own."""
    operations: ClassVar[dict[str, Operation]]
    overlay: ClassVar[dict[str, Any] | None] = None
    query_errors: ClassVar[dict[str, str]] = {}
    """Error shape name -> query-protocol code, for awsQueryCompatible services."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.store: Any = None

    @cached_property
    def model(self) -> ServiceModel:
        return load_service_model(self.name, self.overlay)

    def prepare_query(self, ctx: RequestContext, params: dict[str, str]) -> None:
        """Adjust flat query parameters before parsing (quirks of old query clients)."""

    async def start(self) -> None:
        """Start background workers (called once the server is up)."""

    async def stop(self) -> None:
        """Stop background workers."""

    def reset(self) -> None:
        """Forget in-memory runtime state after the database was emptied."""

    def status(self) -> str:
        return "running"
