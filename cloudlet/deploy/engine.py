"""plan / apply / destroy: read what exists, compare with the app, act in dependency
order (independent resources in parallel), write the outputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudlet.app.constructs import App
from cloudlet.app.errors import AppError
from cloudlet.deploy import naming
from cloudlet.deploy.kinds.apis import HttpApiKind, RestApiKind
from cloudlet.deploy.kinds.base import Kind
from cloudlet.deploy.kinds.functions import FunctionKind, MappingKind, RoleKind
from cloudlet.deploy.kinds.messaging import QueueKind, SubscriptionKind, TopicKind
from cloudlet.deploy.kinds.tables import TableKind
from cloudlet.deploy.model import Actual, Change, Context, Node, Unresolved, compile_app, order
from cloudlet.deploy.package import build, check_handler
from cloudlet.deploy.target import Target, answers

KINDS: dict[str, Kind] = {
    kind.kind: kind
    for kind in (
        RoleKind(), QueueKind(), TableKind(), TopicKind(), SubscriptionKind(),
        FunctionKind(), MappingKind(), RestApiKind(), HttpApiKind(),
    )
}  # fmt: skip
# Deletion order: users of a resource go before it.
DELETE_ORDER = ["rest_api", "http_api", "subscription", "esm", "function", "role", "topic", "queue", "table"]  # fmt: skip
Progress = Callable[[Change, str], None]


def register(kind: Kind) -> None:
    KINDS[kind.kind] = kind


class DeployError(Exception):
    """A cloud call failed while applying one change; names the change and the call's error."""

    def __init__(self, change: Change, error: Exception) -> None:
        self.change = change
        self.error = error
        verb = {"create": "creating", "update": "updating", "replace": "replacing"}
        doing = verb.get(change.action, "deleting")
        super().__init__(f"{doing} {change.kind} {change.logical} ({change.physical}): {error}")


@dataclass
class Plan:
    app: App
    stage: str
    context: Context
    nodes: list[Node]
    changes: list[Change]
    actual: dict[str, Actual | None]
    orphans: list[tuple[Node, Actual]] = field(default_factory=list)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "none"]

    @property
    def empty(self) -> bool:
        return not self.pending


@dataclass
class Outputs:
    app: str
    stage: str
    values: dict[str, str]
    resources: dict[str, dict[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "stage": self.stage,
            "outputs": self.values,
            "resources": self.resources,
        }


def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="cloudlet-deploy")


def plan(app: App, stage: str, target: Target) -> Plan:
    """Read the actual state of every resource the app declares or the stage owns, and
    say what has to change."""
    naming_check(stage)
    nodes = compile_app(app, stage)
    for node in nodes:
        if node.kind == "function":
            check_handler(node.source)  # the user's mistakes first, before any network
    check_reachable(target)
    ctx = Context(target, app, stage, names={n.key: n.physical for n in nodes})
    ctx.listings = {}
    with _pool() as pool:
        account = pool.submit(lambda: target.account)
        functions = [n for n in nodes if n.kind == "function"]
        builds = {n.key: pool.submit(build, n.source, checked=True) for n in functions}
        # The listings wait for nothing: they run while the account and the builds come.
        owned_jobs = {k: pool.submit(kind.owned, ctx) for k, kind in sorted(KINDS.items())}
        for node in functions:
            ctx.codes[node.key] = builds[node.key].result()
        account.result()
        actual: dict[str, Actual | None] = {}
        # Reads in dependency levels: a read may need what an earlier one found (a stream ARN).
        for level in order(nodes):
            found = {n.key: pool.submit(_read, ctx, n) for n in level}
            for key, job in found.items():
                actual[key] = job.result()
                if actual[key] is not None:
                    ctx.publish(key, actual[key].outputs)  # type: ignore[union-attr]
        owned = {k: job.result() for k, job in owned_jobs.items()}
        ctx.listings = None  # read: from here on (apply) every call goes to the cloud
        orphans = _orphans(ctx, nodes, owned, pool)
    changes = [_change(ctx, node, actual.get(node.key)) for node in nodes]
    for node, _ in orphans:
        changes.append(
            Change(node.kind, node.logical, "delete", "no longer in the app", node.physical)
        )
    return Plan(app, stage, ctx, nodes, changes, actual, orphans)


def check_reachable(target: Target) -> None:
    if target.endpoint and not answers(target.endpoint):
        raise AppError(f"the endpoint {target.endpoint} does not answer (is the cloud running?)")


def naming_check(stage: str) -> None:
    from cloudlet.app.constructs import check_stage

    check_stage(stage)


def _read(ctx: Context, node: Node) -> Actual | None:
    try:
        return KINDS[node.kind].read(ctx, node)
    except Unresolved:
        return None  # what it hangs on does not exist yet: neither does it


def _change(ctx: Context, node: Node, actual: Actual | None) -> Change:
    kind = KINDS[node.kind]
    if actual is None:
        return Change(node.kind, node.logical, "create", "does not exist", node.physical)
    try:
        desired = kind.desired(ctx, node)
    except Unresolved as waiting:
        return Change(
            node.kind, node.logical, "update", f"uses {waiting.key}, created first", node.physical
        )
    action, reason = kind.diff(desired, actual)
    return Change(node.kind, node.logical, action, reason, node.physical)


def _orphans(
    ctx: Context,
    nodes: list[Node],
    owned: dict[str, list[tuple[str, Node]]],
    pool: ThreadPoolExecutor,
) -> list[tuple[Node, Actual]]:
    wanted: set[str] = set()
    for node in nodes:
        try:
            wanted.add(KINDS[node.kind].identity(ctx, node))
        except Unresolved:
            pass
    candidates = [
        (KINDS[kind_name], node)
        for kind_name, items in owned.items()
        for identity, node in items
        if identity not in wanted
    ]
    # One tag read per candidate, in parallel (on AWS each is a round trip).
    ours = list(pool.map(lambda candidate: _ours(ctx, *candidate), candidates))
    return [
        (node, Actual({}, dict(node.source)))
        for (_, node), mine in zip(candidates, ours, strict=True)
        if mine  # else a name that only looks like ours
    ]


def _ours(ctx: Context, kind: Kind, node: Node) -> bool:
    checker = getattr(kind, "owner_tags", None)
    return checker is None or naming.owned(checker(ctx, node), ctx.app.name, ctx.stage)


def apply(plan: Plan, progress: Progress | None = None, outputs_dir: Path | None = None) -> Outputs:
    """Make the cloud match the plan: creates and updates in dependency order, then
    deletes of what left the app. Writes .cloudlet/outputs/{stage}.json."""
    ctx = plan.context
    report = progress or (lambda change, state: None)
    by_key = {f"{c.kind}:{c.logical}": c for c in plan.changes}
    with _pool() as pool:
        for level in order(plan.nodes):
            jobs = [
                pool.submit(
                    _apply_one, ctx, node, plan.actual.get(node.key), by_key[node.key], report
                )
                for node in level
                if by_key[node.key].action != "none"
            ]
            for job in jobs:
                job.result()
        for kind_name in DELETE_ORDER:
            jobs = [
                pool.submit(_delete_one, ctx, node, actual, report)
                for node, actual in plan.orphans
                if node.kind == kind_name
            ]
            for job in jobs:
                job.result()
    result = collect_outputs(ctx, plan.nodes)
    write_outputs(plan.app, result, outputs_dir)
    return result


def _apply_one(
    ctx: Context, node: Node, actual: Actual | None, change: Change, report: Progress
) -> None:
    kind = KINDS[node.kind]
    desired = kind.desired(ctx, node)
    if actual is not None:
        action, reason = kind.diff(desired, actual)
        if action == "none":
            return
        change = Change(node.kind, node.logical, action, reason, node.physical)
    report(change, "start")
    try:
        if actual is None:
            outputs = kind.create(ctx, node, desired)
        elif change.action == "replace":
            kind.delete(ctx, node, actual)
            outputs = kind.create(ctx, node, desired)
        else:
            outputs = kind.update(ctx, node, desired, actual)
    except Exception as error:
        raise DeployError(change, error) from error
    ctx.publish(node.key, outputs)
    report(change, "done")


def _delete_one(ctx: Context, node: Node, actual: Actual, report: Progress) -> None:
    change = Change(node.kind, node.logical, "delete", "", node.physical)
    report(change, "start")
    try:
        KINDS[node.kind].delete(ctx, node, actual)
    except Exception as error:
        raise DeployError(change, error) from error
    report(change, "done")


def collect_outputs(ctx: Context, nodes: list[Node]) -> Outputs:
    values: dict[str, str] = {}
    for name, output in ctx.app.outputs.items():
        try:
            values[name] = ctx.resolve(output.value)
        except Unresolved as error:
            raise AppError(
                f"output {name!r}: {error.key} has no {output.value}", output.declared_at
            ) from None
    resources = {n.key: dict(ctx.outputs[n.key]) for n in nodes if n.key in ctx.outputs and n.kind not in ("esm", "subscription")}  # fmt: skip
    return Outputs(ctx.app.name, ctx.stage, values, resources)


def outputs_path(app: App, stage: str, outputs_dir: Path | None = None) -> Path:
    base = outputs_dir or (app.base_dir or Path.cwd()) / ".cloudlet" / "outputs"
    return base / f"{stage}.json"


def write_outputs(app: App, outputs: Outputs, outputs_dir: Path | None = None) -> Path:
    path = outputs_path(app, outputs.stage, outputs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(outputs.to_json(), indent=2, sort_keys=True) + "\n")
    temp.replace(path)
    return path


def destroy(
    app_name: str, stage: str, target: Target, progress: Progress | None = None
) -> list[Change]:
    """Delete everything the app+stage owns (found by names and verified by tags)."""
    naming_check(stage)
    check_reachable(target)
    ctx = Context(target, App.named(app_name), stage, listings={})
    report = progress or (lambda change, state: None)
    with _pool() as pool:
        owned = {k: pool.submit(kind.owned, ctx) for k, kind in KINDS.items()}
        owned_now = {k: job.result() for k, job in owned.items()}
        ctx.listings = None  # read: the deletes below see the cloud as it is
        found = _orphans(ctx, [], owned_now, pool)
        deleted: list[Change] = []
        for kind_name in DELETE_ORDER:
            batch = [(n, a) for n, a in found if n.kind == kind_name]
            # Functions delete their mappings; subscriptions go with topics.
            jobs = [pool.submit(_delete_one, ctx, n, a, report) for n, a in batch]
            for job in jobs:
                job.result()
            deleted += [
                Change(n.kind, n.logical, "delete", "destroy", n.physical) for n, _ in batch
            ]
    return deleted
