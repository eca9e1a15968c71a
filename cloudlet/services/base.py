"""What a service is to the gateway: a model, a table of operations, and a store.

A service module defines a subclass of `Service` with its name and its operations table
(`{"SendMessage": send_message, ...}`); each operation is
`fn(ctx, store, request) -> dict` (or a coroutine, for operations that wait, such as a
long poll). Protocol quirks live here as data (`query_overlay`, `query_errors`) or as
the `prepare_query` hook, never inside the shared protocol code.

Cross-service effects go through `self.cloud.call(ctx, "sqs", "SendMessage", {...})`,
the other service's public operation, never through its store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any, ClassVar, Protocol

from cloudlet.config import Config
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol import ServiceModel, load_service_model
from cloudlet.gateway.protocol.wire import RawRequest, Response
from cloudlet.store import Database

Operation = Callable[
    [RequestContext, Any, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]
]


class Cloud(Protocol):
    """What a service may ask of the rest of cloudlet (the gateway implements it)."""

    endpoint_url: str
    """Where SDKs reach this cloudlet, e.g. http://127.0.0.1:4566 (known once listening)."""

    async def call(
        self, ctx: RequestContext, service: str, operation: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        """Run another service's operation in-process, as `ctx`'s account and region.
        Raises that operation's ServiceError."""
        ...

    async def internal_request(
        self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> Response:
        """An HTTP request to this cloudlet's own endpoint, handled in-process as if it
        came over the wire (API Gateway's AWS service integrations)."""
        ...


class Service:
    name: ClassVar[str]
    """botocore's name for the service (its data directory), e.g. "sqs"."""
    signing_name: ClassVar[str]
    """The service in a SigV4 credential scope."""
    protocols: ClassVar[tuple[str, ...]]
    """Wire protocols accepted, first is the model's own."""
    operations: ClassVar[dict[str, Operation]]
    query_overlay: ClassVar[dict[str, Any] | None] = None
    """Merged into the model for the query protocol only (member names it needs)."""
    query_errors: ClassVar[dict[str, str]] = {}
    """Error shape name -> query-protocol code, for awsQueryCompatible services."""
    model_constraints: ClassVar[bool] = True
    """Enforce the model's min/max/pattern/enum traits in the gateway."""
    validation_error: ClassVar[str] = "ValidationException"
    """The code this service answers model-constraint violations with (CloudWatch Logs
    says InvalidParameterException where most json services say ValidationException)."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.store: Any = None
        self.cloud: Cloud  # set by the gateway right after construction

    @cached_property
    def model(self) -> ServiceModel:
        model = load_service_model(self.name)
        model.check_constraints = self.model_constraints
        return model

    @cached_property
    def query_model(self) -> ServiceModel:
        if self.query_overlay is None:
            return self.model
        model = load_service_model(self.name, self.query_overlay)
        model.check_constraints = self.model_constraints
        return model

    def model_for(self, protocol: str) -> ServiceModel:
        return self.query_model if protocol == "query" else self.model

    async def internal(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> Response:
        """Answer a request under this service's prefix in `INTERNAL_PREFIXES`."""
        raise NotImplementedError

    async def execute_api(self, request: ApiRequest) -> Response | None:
        """Answer a call to a deployed API this service owns (API Gateway), else None."""
        return None

    def validation(self, error: ValidationError) -> ServiceError:
        """Restate a request that does not fit the model in this service's words."""
        if error.code == "ValidationException":
            error.code = self.validation_error
        return error

    def prepare_query(self, raw: RawRequest) -> None:
        """Adjust `raw.params` of a query request before parsing (old clients' quirks)."""

    async def start(self) -> None:
        """Start background workers (called once the server is up)."""

    async def stop(self) -> None:
        """Stop background workers (subclasses that override this call it too)."""
        for task in getattr(self, "_periodic", []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def every(self, seconds: float, work: Callable[[], object], what: str) -> None:
        """Run `work` every `seconds` until the service stops; a failure is logged and the
        next round still runs (retention sweeps and the like)."""

        async def repeat() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    work()
                except Exception:
                    logging.getLogger(f"cloudlet.{self.name}").exception("%s failed", what)

        tasks: list[asyncio.Task[None]] = self.__dict__.setdefault("_periodic", [])
        tasks.append(asyncio.get_running_loop().create_task(repeat()))

    async def quiesce(self) -> None:
        """End requests that wait by design (the server is shutting down)."""

    def reset(self) -> None:
        """Forget in-memory runtime state after the database was emptied."""

    def status(self) -> str:
        return "running"
