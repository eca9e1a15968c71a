"""The `cloudlet` command."""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path
from typing import Any

import click

from cloudlet import __version__


class _Commands(click.Group):
    """A group whose other modules' commands are imported when one of them runs (or
    `--help` lists them): `cloudlet deploy` does not pay for the dev commands' imports,
    nor `cloudlet up` for the deployer's."""

    elsewhere: dict[str, str] = {}  # command name -> "module:attribute"

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if (args[0] if args else kwargs.get("args")) is not None:
            return super().main(*args, **kwargs)  # called with arguments (CliRunner, say)
        try:  # the process's own command line: it exits when the command ends
            return super().main(*args, **kwargs)
        finally:
            # Python's last act is a full garbage collection over every object alive,
            # botocore's models included (~30 ms after a deploy) to free what the exit
            # frees anyway: objects alive now are left out of it.
            gc.freeze()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.elsewhere})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.elsewhere.get(cmd_name)
        if where is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = where.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cloudlet")
def main() -> None:
    """cloudlet: AWS serverless services on one machine, no Docker, no account.

    Start the local cloud with `cloudlet up`, then point any AWS SDK or the AWS CLI at
    it with --endpoint-url http://127.0.0.1:4566 (any access key works; a 12-digit
    access key is used as the account id).
    """


@main.command()
@click.option("--host", default=None, help="Address to bind [default: 127.0.0.1].")
@click.option(
    "--port", default=None, type=int, help="Port to listen on, 0 for any [default: 4566]."
)
@click.option(
    "--data-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where state is kept [default: .cloudlet].",
)
@click.option("--ephemeral", is_flag=True, default=None, help="Keep all state in memory only.")
@click.option(
    "--durability",
    type=click.Choice(["normal", "full"]),
    default=None,
    help="normal: survives a crash of cloudlet; full: fsync every write, survives an OS crash.",
)
@click.option(
    "--log-level", default=None, help="Log level: debug, info, warning, error [default: warning]."
)
def up(
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    ephemeral: bool | None,
    durability: str | None,
    log_level: str | None,
) -> None:
    """Start the local cloud and serve until Ctrl-C or SIGTERM."""
    from cloudlet.config import Config
    from cloudlet.server import run

    config = Config.from_env(
        host=host,
        port=port,
        data_dir=data_dir,
        ephemeral=ephemeral,
        durability=durability,
        log_level=log_level,
    )
    sys.exit(run(config))


@main.command()
@click.option(
    "--endpoint",
    default="http://127.0.0.1:4566",
    show_default=True,
    help="The running cloudlet to ask.",
)
@click.option("--region", default="us-east-1", show_default=True)
def apis(endpoint: str, region: str) -> None:
    """List the deployed API Gateway APIs and the URLs that invoke them."""
    from cloudlet.invoke_urls import deployed_apis

    try:
        found = deployed_apis(endpoint, region)
    except Exception as error:  # no server, or not one that speaks API Gateway
        raise click.ClickException(f"cannot list the APIs at {endpoint}: {error}") from None
    if not found:
        click.echo(f"no deployed APIs in {region} at {endpoint}")
    for api in found:
        click.echo(f"{api.kind} API {api.name} ({api.api_id}), stage {api.stage}:")
        for url in api.urls:
            click.echo(f"  {url}")


# -- the application deployer (cloudlet/deploy/commands.py) --------------------------------
for _name in ("deploy", "destroy", "outputs"):
    _Commands.elsewhere[_name] = f"cloudlet.deploy.commands:{_name}"
# -- end of the deployer commands ----------------------------------------------------------


# -- live development and the function tools (cloudlet/dev/commands.py) ---------------------
for _name in ("dev", "invoke", "logs"):
    _Commands.elsewhere[_name] = f"cloudlet.dev.commands:{_name}"
# -- end of the dev commands ---------------------------------------------------------------


if __name__ == "__main__":
    main()
