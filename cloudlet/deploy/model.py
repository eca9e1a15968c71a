"""The deployer's model: the app compiled to nodes (one per cloud resource, with the
nodes it depends on), what was read of the cloud, and the plan's changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cloudlet.app.constructs import (
    Api,
    App,
    EventSource,
    Function,
    HttpApi,
    Queue,
    Ref,
    Resource,
    RestApi,
    Subscription,
    Table,
    Topic,
    env_name,
)
from cloudlet.app.errors import AppError
from cloudlet.deploy import naming
from cloudlet.deploy.target import Target

T = TypeVar("T")


class Unresolved(Exception):
    """A value this node needs is known only once another node is created."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


@dataclass
class Node:
    kind: str  # role, queue, table, topic, subscription, function, esm, rest_api, http_api
    logical: str
    physical: str
    source: Any  # the construct (None for a resource found in the cloud only)
    deps: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.logical}"


@dataclass
class Actual:
    """What exists: `attrs` compare with the desired ones, `outputs` feed Refs."""

    attrs: dict[str, Any]
    outputs: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Change:
    kind: str
    logical: str
    action: str  # create, update, replace, delete, none
    reason: str
    physical: str = ""


@dataclass
class Context:
    """One deploy's shared state: the target, names, and outputs known so far."""

    target: Target
    app: App
    stage: str
    names: dict[str, str] = field(default_factory=dict)  # node key -> physical name
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Listings read once while the actual state is read (see `listing`); None otherwise.
    listings: dict[str, _Once] | None = None

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def account(self) -> str:
        return self.target.account

    @property
    def tags(self) -> dict[str, str]:
        return naming.tags(self.app.name, self.stage)

    @property
    def prefix(self) -> str:
        return naming.prefix(self.app.name, self.stage)

    def name_of(self, resource: Resource) -> str:
        return self.names[key_of(resource)]

    def client(self, service: str) -> Any:
        return self.target.client(service)

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.target.partition}:{service}:{where}:{self.account}:{resource}"

    def output(self, key: str, name: str) -> str:
        with self.lock:
            found = self.outputs.get(key, {}).get(name)
        if found is None:
            raise Unresolved(key)
        return found

    def publish(self, key: str, values: dict[str, str]) -> None:
        with self.lock:
            self.outputs[key] = dict(values)

    @property
    def reading(self) -> bool:
        """Whether the actual state is being read (listings are shared)."""
        return self.listings is not None

    def listing(self, key: str, fetch: Callable[[], T]) -> T:
        """`fetch()`, called once per key while the actual state is read: kinds share
        listings (ListFunctions finds functions and their mappings, ListTopics topics and
        subscriptions, GetRestApis an API and the owned ones). Each SDK call costs a
        deploy process ~1-2 ms of CPU, and AWS a round trip. Outside reading (while
        apply writes) every call fetches anew."""
        with self.lock:
            if self.listings is None:
                once = None
            else:
                once = self.listings.setdefault(key, _Once())
        return fetch() if once is None else once.get(fetch)

    def resolve(self, value: str | Ref) -> str:
        if isinstance(value, Ref):
            return self.output(key_of(value.resource), value.attribute)
        return value


class _Once:
    """A value fetched by the first caller; the others wait for it (a failed fetch
    is not kept: the next caller tries again)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fetched = False
        self.value: Any = None

    def get(self, fetch: Callable[[], T]) -> T:
        with self.lock:
            if not self.fetched:
                self.value = fetch()
                self.fetched = True
            return self.value  # type: ignore[no-any-return]


def key_of(resource: Resource) -> str:
    return f"{resource.kind}:{resource.name}"


def compile_app(app: App, stage: str) -> list[Node]:
    """The app's nodes in declaration order, with their dependencies."""
    nodes: list[Node] = []

    def name(logical: str, kind: str, suffix: str = "") -> str:
        return naming.physical(app.name, stage, logical, kind, suffix)

    for resource in app.resources.values():
        if isinstance(resource, Queue):
            deps = [key_of(resource.dlq)] if resource.dlq else []
            physical = name(resource.name, "queue", ".fifo" if resource.fifo else "")
            nodes.append(Node("queue", resource.name, physical, resource, deps))
        elif isinstance(resource, Table):
            nodes.append(Node("table", resource.name, name(resource.name, "table"), resource))
        elif isinstance(resource, Topic):
            suffix = ".fifo" if resource.fifo else ""
            nodes.append(
                Node("topic", resource.name, name(resource.name, "topic", suffix), resource)
            )
            for sub in resource.subscriptions:
                deps = [key_of(resource), key_of(sub.target)]
                nodes.append(Node("subscription", sub.name, sub.name, sub, deps))
        elif isinstance(resource, Function):
            # A role's policy names ARNs, which follow from names: it waits for nothing.
            nodes.append(Node("role", resource.name, name(resource.name, "role"), resource))
            # Linked queues' URLs are known once they exist; other links' values follow
            # from names (so two functions may link each other).
            env_deps = [key_of(k.resource) for k in resource.links if k.resource.kind == "queue"]
            env_deps += [
                key_of(v.resource) for v in resource.environment.values() if isinstance(v, Ref)
            ]
            deps = [f"role:{resource.name}", *sorted(set(env_deps))]
            nodes.append(
                Node("function", resource.name, name(resource.name, "function"), resource, deps)
            )
            for source in resource.sources:
                deps = [key_of(resource), key_of(source.source), f"role:{resource.name}"]
                nodes.append(Node("esm", source.name, source.name, source, deps))
        elif isinstance(resource, Api):
            kind = "rest_api" if isinstance(resource, RestApi) else "http_api"
            deps = sorted(
                {key_of(r.function) for r in resource.routes}
                | {key_of(a.function) for a in resource.authorizers.values() if a.function}
            )
            nodes.append(Node(kind, resource.name, name(resource.name, kind), resource, deps))
    _check_refs(app, nodes)
    for function in app.of_kind(Function):
        _check_environment(function)
    return nodes


_LINK_SUFFIXES = {"table": ("TABLE_NAME",), "queue": ("QUEUE_URL", "QUEUE_ARN"), "topic": ("TOPIC_ARN",), "function": ("FUNCTION_NAME",)}  # fmt: skip


def _check_environment(function: Function) -> None:
    """Links' variables may not collide with each other or with the function's own."""
    taken = {name: "the function's environment" for name in function.environment}
    for link in function.links:
        for suffix in _LINK_SUFFIXES.get(link.resource.kind, ()):
            variable = f"{env_name(link.resource.name)}_{suffix}"
            if variable in taken:
                raise AppError(
                    f"function {function.name!r}: the link to {link.resource!r} sets {variable}, "
                    f"which {taken[variable]} sets too",
                    link.declared_at,
                )
            taken[variable] = f"the link to {link.resource!r}"


def _check_refs(app: App, nodes: list[Node]) -> None:
    """Every dependency names a node of this app, and none depends on itself in a cycle."""
    by_key = {node.key: node for node in nodes}
    for node in nodes:
        for dep in node.deps:
            if dep not in by_key:
                raise AppError(
                    f"{node.kind} {node.logical!r} refers to {dep}, which is not in app {app.name!r}",
                    _where(node),
                )
    order(nodes)


def _where(node: Node) -> Any:
    return getattr(node.source, "declared_at", None)


def order(nodes: list[Node]) -> list[list[Node]]:
    """Nodes in levels: each level depends only on earlier ones (a cycle is an error)."""
    by_key = {node.key: node for node in nodes}
    remaining = {node.key: {d for d in node.deps if d in by_key} for node in nodes}
    levels: list[list[Node]] = []
    done: set[str] = set()
    while remaining:
        ready = [key for key, deps in remaining.items() if deps <= done]
        if not ready:
            cycle = _cycle(remaining)
            described = " -> ".join(
                f"{by_key[k].kind} {by_key[k].logical!r} ({_where(by_key[k])})" for k in cycle
            )
            raise AppError(f"reference cycle: {described}", _where(by_key[cycle[0]]))
        levels.append([by_key[key] for key in ready])
        done.update(ready)
        for key in ready:
            del remaining[key]
    return levels


def _cycle(remaining: dict[str, set[str]]) -> list[str]:
    start = next(iter(remaining))
    path = [start]
    while True:
        following = next(d for d in remaining[path[-1]] if d in remaining)
        if following in path:
            return path[path.index(following) :] + [following]
        path.append(following)


__all__ = [
    "Actual",
    "Change",
    "Context",
    "EventSource",
    "HttpApi",
    "Node",
    "Subscription",
    "Unresolved",
    "compile_app",
    "order",
]
