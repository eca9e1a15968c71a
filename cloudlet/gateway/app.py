"""The gateway: one ASGI app that turns any AWS request into an operation call.

The pipeline, in order: read the body (bounded) -> identify the service and protocol ->
resolve account and region -> parse against the model -> dispatch to the operation ->
serialize the result or the error. Internal routes (health, reset) live under
/_cloudlet/, with the LocalStack and moto spellings that existing scripts call.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import orjson

from cloudlet import __version__, ids
from cloudlet.config import Config
from cloudlet.gateway import execute_api
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.directory import Directory
from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.protocol.adapters import ADAPTERS, Adapter, Unroutable
from cloudlet.gateway.protocol.query import escape_text
from cloudlet.gateway.protocol.wire import RawRequest, Response
from cloudlet.gateway.routing import credentials, host_service_region
from cloudlet.services import INTERNAL_PREFIXES, SERVICES, Service
from cloudlet.store import Database

log = logging.getLogger("cloudlet.gateway")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_FORM = "application/x-www-form-urlencoded"
_INTERNAL = ("/_cloudlet/", "/_localstack/", "/moto-api/")


class _Unroutable(Exception):
    """No service claims the request, or the service lacks the operation."""

    def __init__(self, protocol: str, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.protocol, self.code, self.message, self.status = protocol, code, message, status


class Gateway:
    def __init__(self, config: Config) -> None:
        self.config = config
        path = None if config.ephemeral else config.data_dir / "state.db"
        self.db = Database(path, config.durability)
        self.endpoint_url = f"http://{config.host}:{config.port}"
        self.directory = Directory(self.db, config, self)

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            body = await self._read_body(receive)
            status, headers_out, payload = await self.handle(scope, headers, body)
            headers_out.append((b"content-length", str(len(payload)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers_out})
            await send({"type": "http.response.body", "body": payload})
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        self.db.attach(asyncio.get_running_loop())
        await self.directory.start()

    async def shutdown(self) -> None:
        await self.directory.stop()
        self.db.close()

    async def handle(self, scope: Scope, headers: dict[str, str], body: bytes | None) -> Response:
        """One HTTP request: `scope` has method, path (decoded), query_string, scheme;
        `body` is None when it was over the size limit."""
        response = await self._http(scope, headers, body)
        await self.db.barrier()  # nothing is acknowledged before it is committed
        return response

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.config.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _http(self, scope: Scope, headers: dict[str, str], body: bytes | None) -> Response:
        path: str = scope["path"]
        if path.startswith(_INTERNAL):
            return self._internal(scope["method"], path)
        for prefix, name in INTERNAL_PREFIXES.items():
            if path.startswith(prefix):
                if body is None:
                    return 413, [], b""
                service = await self.directory.get(name)
                return await service.internal(scope["method"], path, headers, body)
        request_id = ids.uuid4()
        api = execute_api.match(path, headers.get("host", ""))
        if api is not None:
            return await self._execute_api(api, scope, headers, body, request_id)
        if body is None:
            return _plain_error(
                413, "RequestEntityTooLarge", "Request body is too large", request_id
            )
        try:
            return await self._aws(scope, headers, body, request_id)
        except _Unroutable as err:
            return _plain_error(err.status, err.code, err.message, request_id, err.protocol)

    # -- deployed APIs ------------------------------------------------------------------

    async def _execute_api(
        self,
        api: tuple[str, str | None, str],
        scope: Scope,
        headers: dict[str, str],
        body: bytes | None,
        request_id: str,
    ) -> Response:
        json_headers = [(b"content-type", b"application/json")]
        if body is None:
            return 413, json_headers, b'{"message": "Request Too Long"}'
        api_id, stage, path = api
        raw_path = scope.get("raw_path", b"").decode("latin-1") or path
        request = execute_api.ApiRequest(
            api_id=api_id,
            stage=stage,
            path=path,
            method=scope["method"],
            query_string=scope["query_string"].decode("latin-1"),
            headers=headers,
            header_list=scope.get("header_list") or [(k, v) for k, v in headers.items()],
            body=body,
            source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
            host=headers.get("host") or f"{self.config.host}:{self.config.port}",
            request_id=request_id,
            raw_path=execute_api.strip_prefix(raw_path, api_id, stage),
        )
        for name in execute_api.OWNERS:
            if name not in SERVICES:
                continue
            service = await self.directory.get(name)
            response = await service.execute_api(request)
            if response is not None:
                return response
        return 404, json_headers, b'{"message":"Not Found"}'

    # -- AWS requests -------------------------------------------------------------------

    async def _aws(
        self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str
    ) -> Response:
        query_string = scope["query_string"]
        query = (
            parse_qs(query_string.decode("latin-1"), keep_blank_values=True) if query_string else {}
        )
        flat = {k: v[-1] for k, v in query.items()}
        creds = credentials(headers.get("authorization"), flat)
        host = headers.get("host") or f"{self.config.host}:{self.config.port}"
        host_service, host_region = host_service_region(host)
        ctx = RequestContext(
            request_id=request_id,
            account_id=creds.account_id,
            region=creds.region or host_region or self.config.default_region,
            base_url=f"{scope.get('scheme', 'http')}://{host}",
            host=host,
            path=scope["path"],
            headers=headers,
            access_key=creds.access_key,
        )
        raw = RawRequest(scope["method"], scope["path"], query, headers, body, request_id)
        service, adapter = await self._route(raw, flat, creds.service or host_service)
        ctx.service, ctx.protocol = service.name, adapter.name
        try:
            ctx.operation = adapter.operation(service.model_for(adapter.name), raw)
        except Unroutable as err:
            raise _Unroutable(adapter.name, err.code, err.message, err.status) from None
        return await self._dispatch(service, adapter, ctx, raw)

    async def _route(
        self, raw: RawRequest, flat: dict[str, str], hint: str | None
    ) -> tuple[Service, Adapter]:
        """The service a request is for, and the protocol it speaks."""
        target = raw.headers.get("x-amz-target")
        if target:
            name = self.directory.by_target(target.rpartition(".")[0])
            if name is None:
                message = f"Unknown service {target.rpartition('.')[0]!r}"
                raise _Unroutable("json", "UnknownOperationException", message)
            return self._checked(await self.directory.get(name), "json")
        name = self.directory.by_signing_name(hint, raw.path)
        service = await self.directory.get(name) if name else None
        if service is not None and service.protocols[0].startswith("rest"):
            return self._checked(service, service.protocols[0])
        raw.params = self._query_params(raw, flat)
        action = raw.params.get("Action", "")
        if service is None:
            name = self.directory.by_action(action)
            service = await self.directory.get(name) if name else None
        if service is None:
            if not action:
                raise _Unroutable("query", "MissingAction", "The request must contain an Action.")
            raise _Unroutable(
                "query", "InvalidAction", f"The action {action} is not valid for this endpoint."
            )
        service.prepare_query(raw)
        return self._checked(service, "query")

    @staticmethod
    def _checked(service: Service, protocol: str) -> tuple[Service, Adapter]:
        if protocol not in service.protocols:
            raise _Unroutable(
                protocol, "InvalidAction", f"{service.name} does not speak {protocol}"
            )
        return service, ADAPTERS[protocol]

    @staticmethod
    def _query_params(raw: RawRequest, flat: dict[str, str]) -> dict[str, str]:
        params = dict(flat)
        if raw.method == "POST" and raw.headers.get("content-type", "").startswith(_FORM):
            try:
                text = raw.body.decode("utf-8")
                params.update(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
            except (UnicodeDecodeError, ValueError):
                raise _Unroutable(
                    "query", "MalformedQueryString", "Malformed request body"
                ) from None
        return params

    async def _dispatch(
        self, service: Service, adapter: Adapter, ctx: RequestContext, raw: RawRequest
    ) -> Response:
        model = service.model_for(adapter.name)
        op = model.operations[ctx.operation]
        try:
            handler = service.operations.get(ctx.operation)
            if handler is None:
                raise ServiceError(
                    "NotImplemented",
                    f"cloudlet does not implement {service.name}.{ctx.operation} yet",
                    status=501,
                )
            request = adapter.parse(model, op, raw)
            result = handler(ctx, service.store, request)
            output = await result if inspect.isawaitable(result) else result
            return adapter.respond(model, op, output, raw)
        except ServiceError as error:
            return self._error(service, adapter, raw, error)
        except Exception:
            log.exception("internal error in %s.%s", service.name, ctx.operation)
            failure = ServiceError("InternalFailure", "internal error", 500, sender_fault=False)
            return self._error(service, adapter, raw, failure)

    @staticmethod
    def _error(
        service: Service, adapter: Adapter, raw: RawRequest, error: ServiceError
    ) -> Response:
        model = service.model_for(adapter.name)
        if isinstance(error, ValidationError):
            error = service.validation(error)
        if error.status is None:
            shape = model.shapes.get(error.code, {})
            error.status = shape.get("error", {}).get("httpStatusCode", 400)
        # The wire code: a service's table (codes newer models dropped), else the one the
        # model's error shape declares (IAM: NoSuchEntityException -> NoSuchEntity).
        declared = model.shapes.get(error.code, {}).get("error", {}).get("code")
        return adapter.error(model, error, service.query_errors.get(error.code, declared), raw)

    async def quiesce(self) -> None:
        """Release requests that are waiting on purpose, before shutting down."""
        for service in list(self.directory.loaded.values()):
            await service.quiesce()

    async def call(
        self, ctx: RequestContext, service: str, operation: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        """An operation called by another service: no wire protocol, same behaviour."""
        target = await self.directory.get(service)
        handler = target.operations[operation]
        inner = ctx.for_call(service, operation)
        result = handler(inner, target.store, request)
        output: dict[str, Any] = await result if inspect.isawaitable(result) else result
        return output

    async def internal_request(
        self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> Response:
        """A request to our own endpoint, in-process: API Gateway's AWS integrations."""
        scope: Scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": query_string.encode("latin-1"),
            "scheme": "http",
            "client": ("127.0.0.1", 0),
        }
        lowered = {k.lower(): v for k, v in headers.items()}
        lowered.setdefault("host", f"{self.config.host}:{self.config.port}")
        return await self._http(scope, lowered, body)

    # -- internal routes ----------------------------------------------------------------

    def _internal(self, method: str, path: str) -> Response:
        json_headers = [(b"content-type", b"application/json")]
        if path.rstrip("/") in ("/_cloudlet/health", "/_localstack/health", "/moto-api/health"):
            body = {
                "version": __version__,
                "edition": "cloudlet",
                "services": self.directory.health(),
            }
            return 200, json_headers, orjson.dumps(body)
        if method == "POST" and path.rstrip("/") in (
            "/_cloudlet/reset",
            "/moto-api/reset",
            "/_localstack/state/reset",
        ):
            self.reset()
            return 200, json_headers, b'{"status": "reset"}'
        return 404, json_headers, b'{"message": "not found"}'

    def reset(self) -> None:
        self.db.reset()
        for service in self.directory.loaded.values():
            service.reset()


def _plain_error(
    status: int, code: str, message: str, request_id: str, protocol: str = "json"
) -> Response:
    """An error for a request no service model could be picked for."""
    rid = request_id.encode()
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape_text(code)}</Code>"
            f"<Message>{escape_text(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return status, [(b"content-type", b"text/xml"), (b"x-amzn-requestid", rid)], body
    body = orjson.dumps({"__type": code, "message": message})
    return (
        status,
        [(b"content-type", b"application/x-amz-json-1.0"), (b"x-amzn-requestid", rid)],
        body,
    )
