"""`cloudlet deploy`, `cloudlet outputs` and `cloudlet destroy` as a user runs them,
and a local cloud started when nothing answers at the default endpoint."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from deploy_support import HANDLER, app_name, write_app

from cloudlet.cli import main

APP = """
from cloudlet.app import App

app = App("{name}")
jobs = app.queue("jobs")
fn = app.function("fn", code="functions/fn")
fn.link(jobs)
app.output("jobs_url", jobs.url)
"""


def test_deploy_outputs_destroy(tmp_path: Path, endpoint: str) -> None:
    name = app_name("cli")
    file = write_app(tmp_path, APP.format(name=name), {"fn": HANDLER})
    runner = CliRunner()
    first = runner.invoke(main, ["deploy", str(file), "--endpoint", endpoint, "--stage", "qa"])
    assert first.exit_code == 0, first.output
    assert "plan: 3 to create (0 unchanged)" in first.output
    for line in ("queue        jobs", "role         fn", "function     fn"):
        assert line in first.output
    assert f"deployed {name} to qa" in first.output
    url = f"/000000000000/{name}-qa-jobs"
    assert re.search(rf"jobs_url = http://\S+{url}", first.output)

    again = runner.invoke(main, ["deploy", str(file), "--endpoint", endpoint, "--stage", "qa"])
    assert again.exit_code == 0, again.output
    assert "no changes: 3 resources up to date" in again.output

    shown = runner.invoke(main, ["outputs", str(tmp_path), "--stage", "qa", "--json"])
    data = json.loads(shown.output)
    assert data["outputs"]["jobs_url"].endswith(url)
    assert data["resources"]["function:fn"]["name"] == f"{name}-qa-fn"
    assert runner.invoke(main, ["outputs", str(tmp_path), "--stage", "other"]).exit_code == 1

    gone = runner.invoke(main, ["destroy", str(file), "--endpoint", endpoint, "--stage", "qa"])
    assert gone.exit_code == 0, gone.output
    assert f"destroyed {name} stage qa: 3 resources" in gone.output
    assert not (tmp_path / ".cloudlet/outputs/qa.json").exists()
    again = runner.invoke(main, ["destroy", "--app", name, "--endpoint", endpoint, "--stage", "qa"])
    assert f"nothing to destroy: {name} has no resources in stage qa" in again.output


def test_plan_only_changes_nothing(tmp_path: Path, endpoint: str) -> None:
    name = app_name("cli")
    file = write_app(tmp_path, APP.format(name=name), {"fn": HANDLER})
    result = CliRunner().invoke(main, ["deploy", str(file), "--endpoint", endpoint, "--plan-only"])
    assert result.exit_code == 0 and "create   does not exist" in result.output
    result = CliRunner().invoke(main, ["destroy", "--app", name, "--endpoint", endpoint])
    assert "nothing to destroy" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_deploy_starts_a_local_cloud_when_none_answers(tmp_path: Path) -> None:
    name = app_name("auto")
    write_app(tmp_path, APP.format(name=name), {"fn": HANDLER})
    url = f"http://127.0.0.1:{_free_port()}"
    env = {**os.environ, "CLOUDLET_ENDPOINT": url}
    completed = subprocess.run(
        [sys.executable, "-m", "cloudlet", "deploy"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    started = re.search(r"started a local cloud there \(pid (\d+)", completed.stdout)
    try:
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert started, completed.stdout
        assert f"nothing answered at {url}" in completed.stdout
        assert (tmp_path / ".cloudlet/data").is_dir()
        assert f"deployed {name} to dev" in completed.stdout
        # The cloud stays up: the next deploy finds it and has nothing to do.
        again = subprocess.run(
            [sys.executable, "-m", "cloudlet", "deploy"], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert "no changes" in again.stdout and "started" not in again.stdout
    finally:
        if started:
            os.kill(int(started.group(1)), signal.SIGTERM)


def test_a_refused_call_names_the_resource_and_the_error(tmp_path: Path, endpoint: str) -> None:
    name = app_name("bad")
    source = APP.format(name=name).replace(
        'code="functions/fn"', 'code="functions/fn", runtime="python2.7"'
    )
    file = write_app(tmp_path, source, {"fn": HANDLER})
    result = CliRunner().invoke(main, ["deploy", str(file), "--endpoint", endpoint])
    assert result.exit_code == 1
    assert (
        f"Error: creating function fn ({name}-dev-fn): An error occurred (InvalidParameterValueException)"
        in result.output
    )
    assert "Traceback" not in result.output
    # What was created before the failure stays, and is found again.
    result = CliRunner().invoke(main, ["destroy", str(file), "--endpoint", endpoint])
    assert f"destroyed {name} stage dev: 2 resources" in result.output
