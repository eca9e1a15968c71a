"""The `cloudlet deploy`, `cloudlet destroy` and `cloudlet outputs` commands."""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cloudlet.app.errors import AppError

if TYPE_CHECKING:  # the deployer (botocore) loads only when a command runs
    from cloudlet.deploy.model import Change
    from cloudlet.deploy.target import Target

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"

F = TypeVar("F", bound=Callable[..., Any])

_COLOURS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
_SYMBOLS = {"create": "+", "update": "~", "replace": "±", "delete": "-", "none": " "}


def target_options(function: Any) -> Any:
    function = click.option("--region", default="us-east-1", show_default=True)(function)
    function = click.option(
        "--aws", "use_aws", is_flag=True, help="Deploy to AWS (standard credential chain)."
    )(function)
    function = click.option("--endpoint", default=None, help=f"The cloud to deploy to [default: $CLOUDLET_ENDPOINT or {DEFAULT_ENDPOINT}, started when nothing answers there].")(function)  # fmt: skip
    function = click.option("--stage", default="dev", show_default=True, help="Stage name; stages live side by side.")(function)  # fmt: skip
    return function


def resolve_target(
    endpoint: str | None, use_aws: bool, region: str, app_dir: Path | None, start: bool = True
) -> Target:
    """The target; the default endpoint starts a local cloud when nothing answers there."""
    from cloudlet.deploy.target import Target, answers, start_local_cloud

    if use_aws:
        if endpoint:
            raise click.UsageError("--aws and --endpoint exclude each other")
        return Target(None, region)
    url = (endpoint or os.environ.get("CLOUDLET_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    if not answers(url):
        if endpoint is not None or not start or app_dir is None:
            raise click.ClickException(
                f"the endpoint {url} does not answer (is the cloud running?)"
            )
        data_dir = app_dir / ".cloudlet" / "data"
        log = app_dir / ".cloudlet" / "cloud.log"
        try:
            pid = start_local_cloud(url, data_dir, log)
        except RuntimeError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"nothing answered at {url}: started a local cloud there (pid {pid}, data in {data_dir}, log {log})")  # fmt: skip
    return Target(url, region)


def describe(change: Change) -> str:
    symbol = _SYMBOLS.get(change.action, " ")
    text = f"  {symbol} {change.kind:<12} {change.logical:<28} {change.action:<8} {change.reason}"
    colour = _COLOURS.get(change.action)
    return click.style(text, fg=colour) if colour else text


class _Progress:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: dict[tuple[str, str], float] = {}

    def __call__(self, change: Change, state: str) -> None:
        key = (change.kind, change.logical)
        with self.lock:
            if state == "start":
                self.started[key] = time.monotonic()
                return
            took = time.monotonic() - self.started.get(key, time.monotonic())
            word = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}.get(change.action, change.action)  # fmt: skip
            click.echo(
                f"  {click.style('✓', fg='green')} {word} {change.kind} {change.logical} ({took * 1000:.0f} ms)"
            )


def _fail(error: Exception) -> None:
    from cloudlet.deploy.engine import DeployError

    if isinstance(error, AppError | DeployError):
        raise click.ClickException(str(error)) from None
    code = (
        getattr(error, "response", {}).get("Error", {}).get("Code")
        if hasattr(error, "response")
        else None
    )
    if code:
        raise click.ClickException(f"{code}: {error}") from None
    raise click.ClickException(f"{type(error).__name__}: {error}") from None


def without_cycle_collector(command: F) -> F:
    """Run a command with Python's cyclic garbage collector paused. A deploy is a
    short run that loads botocore's models (some 10^5 objects) and leaves little
    cyclic garbage: the collector's passes over those objects took ~40 ms of a
    no-change `cloudlet deploy` and freed next to nothing."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return command(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run  # type: ignore[return-value]


@click.command()
@click.argument("app_file", required=False, type=click.Path(path_type=Path))
@target_options
@click.option(
    "--yes", "-y", is_flag=True, help="Apply without asking (asked only on AWS and for deletes)."
)
@click.option("--plan-only", is_flag=True, help="Print the plan, change nothing.")
@without_cycle_collector
def deploy(
    app_file: Path | None,
    stage: str,
    endpoint: str | None,
    use_aws: bool,
    region: str,
    yes: bool,
    plan_only: bool,
) -> None:
    """Deploy the app in APP_FILE (default ./app.py, or a folder's app.py) to a stage."""
    from cloudlet.app.loader import load, resolve_app_file
    from cloudlet.deploy.engine import apply, plan

    began = time.monotonic()
    try:
        file = resolve_app_file(app_file)
        app = load(file)
        target = resolve_target(endpoint, use_aws, region, file.parent)
        click.echo(f"app {app.name}, stage {stage}, target {target.describe()}")
        found = plan(app, stage, target)
    except click.ClickException:
        raise
    except Exception as error:  # noqa: BLE001 - the user gets the SDK's message
        _fail(error)
        return
    if found.empty:
        click.echo(f"no changes: {len(found.changes)} resources up to date ({(time.monotonic() - began) * 1000:.0f} ms)")  # fmt: skip
        if not plan_only:
            _refresh_outputs(found)
        return
    counts: dict[str, int] = {}
    for change in found.pending:
        counts[change.action] = counts.get(change.action, 0) + 1
    order = ("create", "update", "replace", "delete")
    summary = ", ".join(f"{counts[a]} to {a}" for a in order if a in counts)
    click.echo(f"plan: {summary} ({len(found.changes) - len(found.pending)} unchanged)")
    for change in found.pending:
        click.echo(describe(change))
    if plan_only:
        return
    deletes = [c for c in found.pending if c.action in ("delete", "replace")]
    if (use_aws or deletes) and not yes and sys.stdin.isatty():
        click.confirm(f"apply {len(found.pending)} changes?", abort=True)
    try:
        result = apply(found, progress=_Progress())
    except Exception as error:  # noqa: BLE001
        _fail(error)
        return
    took = time.monotonic() - began
    click.echo(f"deployed {app.name} to {stage} in {took:.2f} s ({len(found.pending)} changes)")
    _show(result.values, result.resources)


def _refresh_outputs(found: Any) -> None:
    from cloudlet.deploy.engine import collect_outputs, write_outputs

    try:
        result = collect_outputs(found.context, found.nodes)
    except AppError:
        return
    write_outputs(found.app, result)
    _show(result.values, {})


def _show(values: dict[str, str], resources: dict[str, dict[str, str]]) -> None:
    if values:
        click.echo("outputs:")
        for name, value in values.items():
            click.echo(f"  {name} = {value}")
    for key, found in resources.items():
        if key.startswith(("rest_api:", "http_api:", "queue:")):
            shown = found.get("url")
            if shown:
                click.echo(f"  {key}: {shown}")


@click.command()
@click.argument("app_file", required=False, type=click.Path(path_type=Path))
@target_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@click.option(
    "--app", "app_name", default=None, help="The app's name (instead of loading APP_FILE)."
)
@without_cycle_collector
def destroy(
    app_file: Path | None,
    stage: str,
    endpoint: str | None,
    use_aws: bool,
    region: str,
    yes: bool,
    app_name: str | None,
) -> None:
    """Delete everything the app's stage owns."""
    from cloudlet.app.loader import load, resolve_app_file
    from cloudlet.deploy.engine import destroy as run_destroy
    from cloudlet.deploy.engine import outputs_path

    file: Path | None = None
    if app_name is None:
        try:
            file = resolve_app_file(app_file)
            app = load(file)
        except AppError as error:
            raise click.ClickException(str(error)) from None
        app_name = app.name
    target = resolve_target(endpoint, use_aws, region, None, start=False)
    if use_aws and not yes and sys.stdin.isatty():
        click.confirm(f"destroy {app_name} stage {stage} on {target.describe()}?", abort=True)
    began = time.monotonic()
    try:
        deleted = run_destroy(app_name, stage, target, progress=_Progress())
    except Exception as error:  # noqa: BLE001
        _fail(error)
        return
    if file is not None:
        outputs_path(app, stage).unlink(missing_ok=True)
    if not deleted:
        click.echo(f"nothing to destroy: {app_name} has no resources in stage {stage}")
    else:
        click.echo(f"destroyed {app_name} stage {stage}: {len(deleted)} resources in {time.monotonic() - began:.2f} s")  # fmt: skip


@click.command()
@click.argument("app_file", required=False, type=click.Path(path_type=Path))
@click.option("--stage", default="dev", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the outputs file as JSON.")
def outputs(app_file: Path | None, stage: str, as_json: bool) -> None:
    """Print the outputs of the last deploy of a stage (.cloudlet/outputs/STAGE.json)."""
    from cloudlet.app.loader import resolve_app_file

    try:
        file = resolve_app_file(app_file)
    except AppError as error:
        raise click.ClickException(str(error)) from None
    path = file.parent / ".cloudlet" / "outputs" / f"{stage}.json"
    if not path.is_file():
        raise click.ClickException(
            f"no outputs for stage {stage}: deploy it first ({path} does not exist)"
        )
    data = json.loads(path.read_text())
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    _show(data.get("outputs", {}), data.get("resources", {}))
