"""The `cloudlet dev`, `cloudlet invoke` and `cloudlet logs` commands (registered on the
`cloudlet` group by cloudlet/cli.py). Heavy imports stay inside the commands so that
`cloudlet --help` and `cloudlet up` start fast."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from cloudlet.deploy.target import DEFAULT_ENDPOINT, Target
from cloudlet.dev import EVENT_KINDS

F = TypeVar("F", bound=Callable[..., Any])


def target_options(command: F) -> F:
    """--endpoint / --aws / --region, as `cloudlet deploy` takes them."""
    command = click.option("--region", default="us-east-1", show_default=True)(command)
    command = click.option(
        "--aws", "use_aws", is_flag=True, help="Real AWS, through the standard credential chain."
    )(command)
    command = click.option(
        "--endpoint", default=DEFAULT_ENDPOINT, show_default=True, help="The cloud to talk to."
    )(command)
    return command


def function_options(command: F) -> F:
    command = click.option(
        "--stage", default="dev", show_default=True, help="The stage the app is deployed as."
    )(command)
    command = click.option(
        "--app",
        "app_file",
        default=None,
        type=click.Path(path_type=Path),
        help="The app file (or its folder) that declares FUNCTION [default: ./app.py].",
    )(command)
    return target_options(command)


def _target(endpoint: str, use_aws: bool, region: str) -> Target:
    return Target(None if use_aws else endpoint, region)


def _resolve(function: str, app_file: Path | None, stage: str) -> str:
    from cloudlet.app import AppError
    from cloudlet.dev.target import function_name

    try:
        return function_name(function, app_file, stage)
    except AppError as error:
        if app_file is not None:
            raise click.ClickException(str(error)) from None
        # ./app.py may be no cloudlet app at all (another framework's): say why it was
        # not used, and take FUNCTION as a deployed function's name.
        click.echo(f"(./app.py not used: {error})", err=True)
        return function


def _aws_failure(error: Exception, where: Target) -> click.ClickException:
    """A readable message for what boto3 raised."""
    from botocore.exceptions import (  # type: ignore[import-untyped]
        ClientError,
        EndpointConnectionError,
    )

    if isinstance(error, EndpointConnectionError):
        return click.ClickException(
            f"nothing answers at {where.describe()}: start the local cloud with `cloudlet up` "
            "(or `cloudlet dev`), or pass --endpoint"
        )
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return click.ClickException(f"{info.get('Code')}: {info.get('Message')}")
    return click.ClickException(str(error))


# -- invoke ------------------------------------------------------------------------------


def _event(event_file: BinaryIO | None, kind: str | None, where: Target) -> bytes:
    if event_file is not None and kind is not None:
        raise click.UsageError("give --event or --generate, not both")
    if kind is not None:
        from cloudlet.dev.events import generate

        return json.dumps(generate(kind, region=where.region)).encode()
    if event_file is None:
        return b"{}"
    data = event_file.read()
    try:
        json.loads(data)
    except ValueError as error:
        name = getattr(event_file, "name", "the event")
        raise click.ClickException(f"{name} is not JSON: {error}") from None
    return bytes(data)


@click.command()
@click.argument("function")
@click.option(
    "--event",
    "event_file",
    type=click.File("rb"),
    default=None,
    help="A file holding the JSON event, or - for standard input [default: {}].",
)
@click.option(
    "--generate",
    "kind",
    type=click.Choice(EVENT_KINDS),
    default=None,
    help="Send a sample event of this kind, in the shape AWS sends it.",
)
@function_options
def invoke(
    function: str,
    event_file: BinaryIO | None,
    kind: str | None,
    app_file: Path | None,
    stage: str,
    endpoint: str,
    use_aws: bool,
    region: str,
) -> None:
    """Invoke FUNCTION once and print what it returned (standard output) and the tail
    of its log (standard error).

    FUNCTION is a function's logical name in the app (deployed as
    {app}-{stage}-{name}) or a deployed function's own name or ARN. Exits 1 when the
    function failed.
    """
    from cloudlet.dev.invoke import invoke as call
    from cloudlet.dev.invoke import pretty
    from cloudlet.dev.target import invoke_client

    where = _target(endpoint, use_aws, region)
    event = _event(event_file, kind, where)
    name = _resolve(function, app_file, stage)
    try:
        result = call(invoke_client(where), name, event)
    except Exception as error:
        raise _aws_failure(error, where) from None
    if result.log_tail:
        click.echo(click.style(result.log_tail.rstrip("\n"), dim=True), err=True)
    click.echo(pretty(result.payload))
    if result.function_error:
        click.echo(
            click.style(f"{name} failed ({result.function_error})", fg="red", bold=True),
            err=True,
        )
        sys.exit(1)


# -- logs --------------------------------------------------------------------------------

_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _since_ms(since: str) -> int:
    found = _SINCE.match(since)
    if found is None:
        raise click.BadParameter("a number and a unit: 30s, 10m, 2h, 1d", param_hint="--since")
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    return int((time.time() - seconds) * 1000)


@click.command()
@click.argument("function")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option(
    "--filter",
    "pattern",
    default=None,
    help='A CloudWatch Logs filter pattern: ERROR, "two words", { $.level = "ERROR" } ...',
)
@click.option(
    "--since", default="1h", show_default=True, help="How far back to start: 30s, 10m, 2h, 1d."
)
@function_options
def logs(
    function: str,
    follow: bool,
    pattern: str | None,
    since: str,
    app_file: Path | None,
    stage: str,
    endpoint: str,
    use_aws: bool,
    region: str,
) -> None:
    """Print FUNCTION's log lines (from its log group /aws/lambda/<name>), with the
    request each belongs to; --follow keeps printing new ones."""
    from cloudlet.dev.logs import Annotator, LogTail, Styler
    from cloudlet.dev.logs import follow as follow_tail

    where = _target(endpoint, use_aws, region)
    start = _since_ms(since)
    name = _resolve(function, app_file, stage)
    lam = where.client("lambda")
    try:
        config = lam.get_function_configuration(FunctionName=name)
    except Exception as error:
        raise _aws_failure(error, where) from None
    group = (
        config.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{config['FunctionName']}"
    )
    tail = LogTail(where.client("logs"), {config["FunctionName"]: group}, pattern, start)
    annotate, styler = Annotator(), Styler()

    def emit(event: Any) -> None:
        click.echo(styler.render(annotate.line(event)))

    try:
        for event in tail.poll():
            emit(event)
        if follow:
            follow_tail(tail, emit, stop=lambda: False, interval=0.5)
    except KeyboardInterrupt:
        return  # Ctrl-C is how --follow ends
    except Exception as error:
        raise _aws_failure(error, where) from None


# -- dev ---------------------------------------------------------------------------------


@click.command()
@click.argument("app_file", required=False, type=click.Path(path_type=Path))
@click.option("--stage", default="dev", show_default=True, help="The stage to deploy to.")
@click.option(
    "--endpoint",
    default=None,
    help=f"The cloud to use [default: {DEFAULT_ENDPOINT}, started when nothing answers].",
)
@click.option("--region", default="us-east-1", show_default=True)
def dev(app_file: Path | None, stage: str, endpoint: str | None, region: str) -> None:
    """Deploy the app in APP_FILE (default ./app.py, or a folder's app.py) to the local
    cloud, stream every function's logs, and redeploy what changes on each save.

    Starts the local cloud (data in .cloudlet/data next to the app) when nothing answers
    at the endpoint, and stops it on Ctrl-C; its data stays.
    """
    from cloudlet.dev.session import run as run_dev

    sys.exit(run_dev(app_file, stage, endpoint, region))
