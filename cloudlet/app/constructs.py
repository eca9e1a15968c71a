"""The constructs a user declares an app with: plain Python objects, no cloud calls.

An `App` holds resources by kind and logical name. Resources point at each other by
object (a queue's DLQ, a function's links); values known only after deploy (a queue's
URL, an API's URL) are `Ref`s that the deployer resolves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from cloudlet.app.errors import AppError, Location, caller_location

_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_LOGICAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_HTTP_METHODS = {"ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
KeyType = Literal["S", "N", "B"]
Key = tuple[str, str]


def check_stage(stage: str) -> str:
    if not _STAGE.match(stage):
        raise AppError(
            f"stage name {stage!r} must be lower-case letters, digits and '-', start with a "
            "letter, at most 20 characters"
        )
    return stage


def env_name(logical: str) -> str:
    """`emails-queue` -> `EMAILS_QUEUE`: the stem of a link's environment variables."""
    return re.sub(r"[^A-Za-z0-9]", "_", logical).upper()


@dataclass(frozen=True)
class Ref:
    """A value of a resource known after deploy: `queue.url`, `api.url`, `fn.arn` ..."""

    resource: Resource
    attribute: str

    def __str__(self) -> str:
        return f"<{self.resource.kind} {self.resource.name}>.{self.attribute}"


class Resource:
    """One declared resource; `kind` and `name` (logical) identify it in its app."""

    kind: ClassVar[str] = ""
    # Attributes the deployer can resolve for a Ref, per kind.
    attributes: ClassVar[tuple[str, ...]] = ("name", "arn")

    def __init__(self, app: App, name: str) -> None:
        self.app = app
        self.name = name
        self.declared_at: Location | None = caller_location()
        if not isinstance(name, str) or not _LOGICAL.match(name):
            raise AppError(
                f"{self.kind} name {name!r} must be letters, digits, '-' or '_' "
                "(at most 64, starting with a letter or digit)",
                self.declared_at,
            )

    def ref(self, attribute: str) -> Ref:
        if attribute not in self.attributes:
            raise AppError(f"a {self.kind} has no attribute {attribute!r}", caller_location())
        return Ref(self, attribute)

    @property
    def arn(self) -> Ref:
        return self.ref("arn")

    @property
    def physical_name(self) -> Ref:
        return self.ref("name")

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"


class Queue(Resource):
    kind = "queue"
    attributes = ("name", "arn", "url")

    def __init__(
        self,
        app: App,
        name: str,
        *,
        dlq: Queue | None = None,
        max_receive_count: int = 3,
        visibility_timeout: int = 30,
        retention_seconds: int | None = None,
        delay_seconds: int = 0,
        fifo: bool = False,
        content_based_deduplication: bool = False,
    ) -> None:
        super().__init__(app, name)
        if dlq is not None and not isinstance(dlq, Queue):
            raise AppError(f"dlq of queue {name!r} must be a queue, not {dlq!r}", self.declared_at)
        if dlq is not None and dlq.fifo != fifo:
            raise AppError(
                f"queue {name!r} and its DLQ {dlq.name!r} must both be FIFO or both standard",
                self.declared_at,
            )
        if not 1 <= max_receive_count <= 1000:
            raise AppError("max_receive_count must be 1 to 1000", self.declared_at)
        if not 0 <= visibility_timeout <= 43200:
            raise AppError("visibility_timeout must be 0 to 43200 seconds", self.declared_at)
        self.dlq = dlq
        self.max_receive_count = max_receive_count
        self.visibility_timeout = visibility_timeout
        self.retention_seconds = retention_seconds
        self.delay_seconds = delay_seconds
        self.fifo: bool = fifo
        self.content_based_deduplication = content_based_deduplication

    @property
    def url(self) -> Ref:
        return self.ref("url")


@dataclass
class Index:
    name: str
    hash_key: Key
    range_key: Key | None = None


class Table(Resource):
    kind = "table"
    attributes = ("name", "arn", "stream_arn")

    def __init__(
        self,
        app: App,
        name: str,
        *,
        key: Key | tuple[Key, Key],
        indexes: dict[str, Key | tuple[Key, Key]] | None = None,
        stream: str | None = None,
        ttl: str | None = None,
    ) -> None:
        super().__init__(app, name)
        self.hash_key, self.range_key = _key_pair(key, f"key of table {name!r}", self.declared_at)
        self.indexes = [
            Index(index, *_key_pair(spec, f"index {index!r}", self.declared_at))
            for index, spec in (indexes or {}).items()
        ]
        views = (None, "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
        if stream not in views:
            raise AppError(f"stream must be one of {views}", self.declared_at)
        self.stream = stream
        self.ttl = ttl

    @property
    def stream_arn(self) -> Ref:
        return self.ref("stream_arn")


def _key_pair(spec: Any, what: str, where: Location | None) -> tuple[Key, Key | None]:
    def one(part: Any) -> Key:
        if (
            isinstance(part, tuple)
            and len(part) == 2
            and isinstance(part[0], str)
            and part[1] in ("S", "N", "B")
        ):
            return (part[0], part[1])
        raise AppError(
            f"{what} must be (name, 'S'|'N'|'B') or ((hash, type), (range, type)), got {spec!r}",
            where,
        )

    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], tuple):
        return one(spec[0]), one(spec[1])
    return one(spec), None


@dataclass
class Subscription:
    topic: Topic
    target: Queue | Function
    filter_policy: dict[str, Any] | None
    filter_scope: str
    raw: bool
    declared_at: Location | None

    @property
    def name(self) -> str:
        return f"{self.topic.name}->{self.target.kind}:{self.target.name}"


class Topic(Resource):
    kind = "topic"

    def __init__(self, app: App, name: str, *, fifo: bool = False) -> None:
        super().__init__(app, name)
        self.fifo = fifo
        self.subscriptions: list[Subscription] = []

    def subscribe(
        self,
        target: Queue | Function,
        *,
        filter_policy: dict[str, Any] | None = None,
        filter_scope: Literal["MessageAttributes", "MessageBody"] = "MessageAttributes",
        raw: bool = False,
    ) -> Subscription:
        """Deliver this topic's messages to a queue or a function."""
        where = caller_location()
        if not isinstance(target, Queue | Function) or target.app is not self.app:
            raise AppError(
                f"topic {self.name!r} can only subscribe this app's queues and functions", where
            )
        if any(s.target is target for s in self.subscriptions):
            raise AppError(f"{target!r} is already subscribed to topic {self.name!r}", where)
        sub = Subscription(self, target, filter_policy, filter_scope, raw, where)
        self.subscriptions.append(sub)
        return sub


@dataclass
class Link:
    resource: Resource
    access: str
    declared_at: Location | None


@dataclass
class EventSource:
    function: Function
    source: Queue | Table
    batch_size: int
    batching_window: int
    max_concurrency: int | None
    report_failures: bool
    starting_position: str
    declared_at: Location | None

    @property
    def name(self) -> str:
        return f"{self.function.name}<-{self.source.kind}:{self.source.name}"


class Function(Resource):
    kind = "function"

    def __init__(
        self,
        app: App,
        name: str,
        *,
        code: str | Path,
        handler: str = "app.handler",
        runtime: str = "python3.12",
        memory: int = 128,
        timeout: int = 3,
        environment: dict[str, str | Ref] | None = None,
        layers: list[str] | None = None,
        reserved_concurrency: int | None = None,
        provisioned_concurrency: int | None = None,
        architecture: str = "x86_64",
        description: str = "",
    ) -> None:
        super().__init__(app, name)
        base = app.base_dir
        self.code = (base / code).resolve() if base else Path(code).resolve()
        if not self.code.is_dir():
            raise AppError(
                f"code folder {str(code)!r} of function {name!r} does not exist ({self.code})",
                self.declared_at,
            )
        if "." not in handler:
            raise AppError(f"handler {handler!r} must be 'module.function'", self.declared_at)
        if not 128 <= memory <= 10240:
            raise AppError("memory must be 128 to 10240 MB", self.declared_at)
        if not 1 <= timeout <= 900:
            raise AppError("timeout must be 1 to 900 seconds", self.declared_at)
        env: dict[str, str | Ref] = dict(environment or {})
        for key, value in env.items():
            if not isinstance(key, str) or not _ENV_NAME.match(key):
                raise AppError(
                    f"environment variable name {key!r} must match [a-zA-Z][a-zA-Z0-9_]+",
                    self.declared_at,
                )
            if not isinstance(value, str | Ref):
                raise AppError(f"environment variable {key} must be a string", self.declared_at)
        self.handler = handler
        self.runtime = runtime
        self.memory = memory
        self.timeout = timeout
        self.environment: dict[str, str | Ref] = env
        self.layers = list(layers or [])
        self.reserved_concurrency = reserved_concurrency
        if provisioned_concurrency is not None and provisioned_concurrency < 1:
            raise AppError("provisioned_concurrency must be at least 1", self.declared_at)
        # Provisioned environments serve a published version: the function gets an alias
        # `live` on its latest version, and everything that invokes it targets the alias.
        self.provisioned_concurrency = provisioned_concurrency
        self.architecture = architecture
        self.description = description
        self.links: list[Link] = []
        self.sources: list[EventSource] = []

    def link(
        self, resource: Resource, *, access: Literal["read", "write", "readwrite"] = "readwrite"
    ) -> Function:
        """Grant this function least-privilege access to `resource` and pass its
        name/URL/ARN in environment variables (`USERS_TABLE_NAME`, `EMAILS_QUEUE_URL`...)."""
        where = caller_location()
        if not isinstance(resource, Resource) or resource.app is not self.app:
            raise AppError(f"function {self.name!r} can only link resources of its app", where)
        if isinstance(resource, Api):
            raise AppError("an API cannot be linked; pass api.url in environment instead", where)
        if access not in ("read", "write", "readwrite"):
            raise AppError("access must be 'read', 'write' or 'readwrite'", where)
        if any(link.resource is resource for link in self.links):
            raise AppError(f"function {self.name!r} already links {resource!r}", where)
        self.links.append(Link(resource, access, where))
        return self

    def consume(
        self,
        source: Queue | Table,
        *,
        batch_size: int = 10,
        batching_window: int = 0,
        max_concurrency: int | None = None,
        report_failures: bool = True,
        starting_position: Literal["LATEST", "TRIM_HORIZON"] = "LATEST",
    ) -> EventSource:
        """Invoke this function with batches from a queue or a table's stream."""
        where = caller_location()
        if not isinstance(source, Queue | Table) or source.app is not self.app:
            raise AppError(
                f"function {self.name!r} can only consume this app's queues and tables", where
            )
        if any(s.source is source for s in self.sources):
            raise AppError(f"function {self.name!r} already consumes {source!r}", where)
        if not 1 <= batch_size <= 10000:
            raise AppError("batch_size must be 1 to 10000", where)
        if not 0 <= batching_window <= 300:
            raise AppError("batching_window must be 0 to 300 seconds", where)
        if max_concurrency is not None and not 2 <= max_concurrency <= 1000:
            raise AppError("max_concurrency must be 2 to 1000", where)
        if isinstance(source, Table) and source.stream is None:
            source.stream = "NEW_AND_OLD_IMAGES"
        event_source = EventSource(
            self,
            source,
            batch_size,
            batching_window,
            max_concurrency,
            report_failures,
            starting_position,
            where,
        )
        self.sources.append(event_source)
        return event_source


@dataclass
class Authorizer:
    """Who may call a route: a Lambda authorizer (REST: TOKEN or REQUEST; HTTP: REQUEST
    with simple responses) or, on HTTP APIs, a JWT authorizer (issuer + audience)."""

    name: str
    kind: str  # "lambda" or "jwt"
    function: Function | None
    identity_source: str
    ttl: int
    token_type: str  # REST Lambda authorizers: TOKEN or REQUEST
    issuer: str | None
    audience: list[str]
    declared_at: Location | None


@dataclass
class Route:
    method: str
    path: str
    function: Function
    declared_at: Location | None
    authorizer: Authorizer | None = None
    scopes: list[str] | None = None


class Api(Resource):
    """Common to REST (v1) and HTTP (v2) APIs: routes to functions."""

    attributes = ("name", "id", "url")

    def __init__(self, app: App, name: str) -> None:
        super().__init__(app, name)
        self.routes: list[Route] = []
        self.authorizers: dict[str, Authorizer] = {}

    @property
    def url(self) -> Ref:
        return self.ref("url")

    @property
    def id(self) -> Ref:
        return self.ref("id")

    def route(
        self,
        method: str,
        path: str,
        function: Function,
        *,
        authorizer: Authorizer | None = None,
        scopes: list[str] | None = None,
    ) -> Api:
        """One method (or ANY) on one path (`/users/{id}`, `/files/{proxy+}`) to a
        function, optionally behind one of this API's authorizers."""
        self._add(method, path, function, caller_location(), authorizer, scopes)
        return self

    def proxy(
        self,
        prefix: str,
        function: Function,
        *,
        authorizer: Authorizer | None = None,
        scopes: list[str] | None = None,
    ) -> Api:
        """ANY `prefix` and ANY `prefix/{proxy+}` to `function`: the function routes
        inside (seed 000's wiring)."""
        where = caller_location()
        prefix = "/" + prefix.strip("/")
        self._add("ANY", prefix, function, where, authorizer, scopes)
        self._add("ANY", prefix.rstrip("/") + "/{proxy+}", function, where, authorizer, scopes)
        return self

    def lambda_authorizer(
        self,
        name: str,
        function: Function,
        *,
        identity_source: str | None = None,
        ttl: int = 300,
        token_type: Literal["TOKEN", "REQUEST"] = "TOKEN",
    ) -> Authorizer:
        """A Lambda authorizer. Identity source defaults to the Authorization header
        (`method.request.header.Authorization` / `$request.header.Authorization`); its
        answers are cached `ttl` seconds (0: not cached)."""
        where = caller_location()
        if not isinstance(function, Function) or function.app is not self.app:
            raise AppError("an authorizer's function must be a function of this app", where)
        if not 0 <= ttl <= 3600:
            raise AppError("authorizer ttl must be 0 to 3600 seconds", where)
        if token_type not in ("TOKEN", "REQUEST"):
            raise AppError("token_type must be 'TOKEN' or 'REQUEST'", where)
        default = (
            "method.request.header.Authorization"
            if isinstance(self, RestApi)
            else "$request.header.Authorization"
        )
        found = Authorizer(
            name, "lambda", function, identity_source or default, ttl, token_type, None, [], where
        )
        return self._authorizer(found)

    def jwt_authorizer(
        self,
        name: str,
        *,
        issuer: str,
        audience: list[str],
        identity_source: str = "$request.header.Authorization",
    ) -> Authorizer:
        """A JWT authorizer (HTTP APIs): tokens signed by `issuer`'s keys for `audience`."""
        where = caller_location()
        if not isinstance(self, HttpApi):
            raise AppError("JWT authorizers are for HTTP APIs; use lambda_authorizer", where)
        if not issuer.startswith("https://") and not issuer.startswith("http://"):
            raise AppError("issuer must be a URL", where)
        if not audience:
            raise AppError("a JWT authorizer needs at least one audience", where)
        found = Authorizer(name, "jwt", None, identity_source, 0, "", issuer, list(audience), where)
        return self._authorizer(found)

    def _authorizer(self, found: Authorizer) -> Authorizer:
        if not _LOGICAL.match(found.name):
            raise AppError(f"authorizer name {found.name!r} is not valid", found.declared_at)
        if found.name in self.authorizers:
            raise AppError(
                f"{self.kind} {self.name!r} already has an authorizer {found.name!r}",
                found.declared_at,
            )
        self.authorizers[found.name] = found
        return found

    def _add(
        self,
        method: str,
        path: str,
        function: Function,
        where: Location | None,
        authorizer: Authorizer | None = None,
        scopes: list[str] | None = None,
    ) -> None:
        method = method.upper()
        if method not in _HTTP_METHODS:
            raise AppError(f"unknown HTTP method {method!r}", where)
        if not isinstance(function, Function) or function.app is not self.app:
            raise AppError("a route's target must be a function of this app", where)
        if not path.startswith("/") or "//" in path or (len(path) > 1 and path.endswith("/")):
            raise AppError(f"route path {path!r} must start with '/' and not end with one", where)
        for segment in path.strip("/").split("/"):
            if segment and not re.match(
                r"^(\{[A-Za-z0-9_]+\+?\}|[A-Za-z0-9._~:@!$&'()*,;=-]+)$", segment
            ):
                raise AppError(f"route path {path!r}: segment {segment!r} is not valid", where)
        if any(r.method == method and r.path == path for r in self.routes):
            raise AppError(f"{self.kind} {self.name!r} already has a route {method} {path}", where)
        if authorizer is not None and self.authorizers.get(authorizer.name) is not authorizer:
            raise AppError(f"the authorizer must be one of {self.kind} {self.name!r}'s", where)
        if scopes and (authorizer is None or authorizer.kind != "jwt"):
            raise AppError("scopes need a JWT authorizer", where)
        self.routes.append(Route(method, path, function, where, authorizer, list(scopes or [])))


class RestApi(Api):
    kind = "rest_api"


class HttpApi(Api):
    kind = "http_api"

    def __init__(self, app: App, name: str, *, cors: bool | dict[str, Any] = False) -> None:
        super().__init__(app, name)
        self.cors = _cors(cors, self.declared_at)


_CORS_KEYS = {
    "allow_origins": "AllowOrigins",
    "allow_methods": "AllowMethods",
    "allow_headers": "AllowHeaders",
    "expose_headers": "ExposeHeaders",
    "max_age": "MaxAge",
    "allow_credentials": "AllowCredentials",
}


def _cors(cors: bool | dict[str, Any], where: Location | None) -> dict[str, Any] | None:
    """An HTTP API's CORS configuration in API Gateway's shape (True: any origin,
    method and header)."""
    if cors is False or cors is None:
        return None
    if cors is True:
        cors = {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"]}
    if not isinstance(cors, dict) or set(cors) - set(_CORS_KEYS):
        raise AppError(f"cors must be True or a dict with keys {sorted(_CORS_KEYS)}", where)
    return {_CORS_KEYS[key]: value for key, value in cors.items()}


@dataclass
class Output:
    name: str
    value: str | Ref
    declared_at: Location | None


class App:
    """An application: every resource it declares, deployed together per stage."""

    def __init__(self, name: str, *, base_dir: str | Path | None = None) -> None:
        self.name = name
        self.declared_at: Location | None = caller_location()
        if not isinstance(name, str) or not _APP_NAME.match(name):
            raise AppError(
                f"app name {name!r} must be lower-case letters, digits and '-', starting "
                "with a letter, at most 40 characters",
                self.declared_at,
            )
        if base_dir is not None:
            self.base_dir: Path | None = Path(base_dir).resolve()
        elif self.declared_at is not None and Path(self.declared_at.file).is_file():
            self.base_dir = Path(self.declared_at.file).resolve().parent
        else:
            self.base_dir = None
        self.resources: dict[tuple[str, str], Resource] = {}
        self.outputs: dict[str, Output] = {}
        _created.append(self)

    @classmethod
    def named(cls, name: str) -> App:
        """An app known by its name only: enough to find and destroy a stage's resources."""
        if not isinstance(name, str) or not _APP_NAME.match(name):
            raise AppError(f"app name {name!r} must be lower-case letters, digits and '-'")
        app = cls.__new__(cls)
        app.name, app.declared_at, app.base_dir = name, None, None
        app.resources, app.outputs = {}, {}
        return app

    def _add(self, resource: Resource) -> Any:
        # APIs share one namespace: REST and HTTP APIs are both "APIs" to the user.
        family = "api" if isinstance(resource, Api) else resource.kind
        key = (family, resource.name)
        if key in self.resources:
            first = self.resources[key].declared_at
            raise AppError(
                f"two {family}s named {resource.name!r} (the first at {first})",
                resource.declared_at,
            )
        self.resources[key] = resource
        return resource

    def queue(self, name: str, **options: Any) -> Queue:
        return self._add(Queue(self, name, **options))  # type: ignore[no-any-return]

    def table(self, name: str, **options: Any) -> Table:
        return self._add(Table(self, name, **options))  # type: ignore[no-any-return]

    def topic(self, name: str, **options: Any) -> Topic:
        return self._add(Topic(self, name, **options))  # type: ignore[no-any-return]

    def function(self, name: str, **options: Any) -> Function:
        return self._add(Function(self, name, **options))  # type: ignore[no-any-return]

    def rest_api(self, name: str) -> RestApi:
        return self._add(RestApi(self, name))  # type: ignore[no-any-return]

    def http_api(self, name: str, *, cors: bool | dict[str, Any] = False) -> HttpApi:
        return self._add(HttpApi(self, name, cors=cors))  # type: ignore[no-any-return]

    def output(self, name: str, value: str | Ref) -> None:
        """A value printed after deploy and written to .cloudlet/outputs/{stage}.json."""
        where = caller_location()
        if name in self.outputs:
            raise AppError(f"two outputs named {name!r}", where)
        if not isinstance(value, str | Ref):
            raise AppError(f"output {name!r} must be a string or a resource attribute", where)
        self.outputs[name] = Output(name, value, where)

    def of_kind(self, cls: type[Any]) -> list[Any]:
        return [r for r in self.resources.values() if isinstance(r, cls)]


# Apps created while an app file is imported (load() picks the file's one App).
_created: list[App] = []
