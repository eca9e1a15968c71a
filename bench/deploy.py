"""Deploy benchmark: examples/shop (seed 000's system) deployed, redeployed, changed and
destroyed by cloudlet's deployer, on the local cloud and on moto's server.

The deployer runs in this process (``cloudlet.deploy``: plan + apply, as ``cloudlet
deploy`` runs them); the clouds are real servers on free ports on 127.0.0.1, started
as ``bench/sqs.py`` starts them (its targets, virtualenvs and start/stop code are
reused): cloudlet installed from this repository with its durable store on, moto from
``bench/.venvs/moto``. moto implements the control plane only (it runs no function
without Docker), so its figures say how the same deploy fares against another
implementation of the AWS API, not how fast a usable system comes up.

Each run deploys a fresh copy of examples/shop (no build cache) to a stage of its own,
and times, with the wall clock:

1. cold deploy: load the app file, build the three zips, read the (empty) state, create
   everything (IAM roles, tables, queues, functions, the event source mapping, the REST
   API and its stage) and write the outputs;
2. on cloudlet only, ready: from the end of the deploy until ``GET {api_url}/auth``
   answers 200 (the first request pays the function's cold start);
3. no-change redeploy: load, build (cached), read the state, find nothing to do;
4. one-handler change: email-worker's source edited, then load, build, read and update
   that one function's code;
5. destroy: find what the app+stage owns and delete it.

With ``--cli`` each run also times the commands as a user runs them, each a new process
(interpreter start, imports and SDK clients included), into another stage:
``cloudlet deploy --yes`` cold, with no change, after a one-handler change, and
``cloudlet destroy --yes``.

Figures are medians over the runs (5, or 1 with ``--quick``). Beside them: seed 000's
report of about 15 s for its deploy script against LocalStack (a figure from the seed
article, not measured here), and cloudlet's targets: cold deploy <= 3 s, no-change
redeploy <= 0.5 s, one-handler change <= 1 s, in-process and (with ``--cli``) as commands.

Usage: ``python bench/deploy.py [--targets cloudlet,moto] [--runs N] [--quick] [--cli]``.
Every server started is stopped on exit, Ctrl-C or error; every loop is bounded.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqs import (
    REPO_ROOT,
    TARGETS,
    Server,
    chosen_targets,
    closing_sections,
    ensure_venv,
    fmt,
    installed_version,
    log,
    run_targets,
    running,
    table,
)

from cloudlet.app import load
from cloudlet.deploy import Target, apply, destroy, plan

EXAMPLE = REPO_ROOT / "examples" / "shop"
APP = "shop"
CHANGED_FILE = Path("functions") / "email_worker" / "app.py"
READY_BUDGET_S = 60.0
SEED_LOCALSTACK_S = 15.0  # seed 000: "~15s end-to-end" for its deploy script on LocalStack
# The same targets for the commands as a user runs them (--cli), process start included.
GOALS = {"cold": 3.0, "nochange": 0.5, "change": 1.0, "cli_cold": 3.0, "cli_nochange": 0.5, "cli_change": 1.0}  # fmt: skip
BENCH_TARGETS = ("cloudlet", "moto")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str


FIGURES = [
    Figure("startup", "server start-up to first answer (s)"),
    Figure("cold", "cold deploy (s)"),
    Figure("ready", "  then first API answer 200 (s)"),
    Figure("nochange", "no-change redeploy (s)"),
    Figure("change", "one-handler change (s)"),
    Figure("destroy", "destroy (s)"),
    Figure("cli_cold", "`cloudlet deploy` process: cold (s)"),
    Figure("cli_nochange", "`cloudlet deploy` process: no change (s)"),
    Figure("cli_change", "`cloudlet deploy` process: one-handler change (s)"),
    Figure("cli_destroy", "`cloudlet destroy` process (s)"),
    Figure("resources", "resources created (count)"),
]


@dataclass
class Result:
    name: str
    version: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, key: str, value: float) -> None:
        self.samples.setdefault(key, []).append(value)

    def median(self, key: str) -> float | None:
        values = self.samples.get(key)
        return statistics.median(values) if values else None


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = step()
    return time.perf_counter() - started, value


def deploy(folder: Path, stage: str, target: Target) -> Any:
    """What `cloudlet deploy --yes` does: load, plan, apply."""
    planned = plan(load(folder), stage, target)
    outputs = apply(planned)
    return planned, outputs


def wait_ready(url: str) -> float | None:
    """Seconds until GET {url} answers 200; None when it does not within the budget."""
    started = time.perf_counter()
    while time.perf_counter() - started < READY_BUDGET_S:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.005)
    return None


def fresh_copy(into: Path) -> Path:
    folder = into / "shop"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".cloudlet", "__pycache__"))
    return folder


def one_run(server: Server, run: int, result: Result, cli: bool) -> None:
    target = Target(server.endpoint)
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp:
        folder = fresh_copy(Path(tmp))
        stage = f"bench{run}"
        seconds, (planned, outputs) = timed(lambda: deploy(folder, stage, target))
        result.add("cold", seconds)
        result.add("resources", float(len(planned.pending)))
        if server.target.name == "cloudlet":
            ready = wait_ready(outputs.values["api_url"].rstrip("/") + "/auth")
            if ready is None:
                result.problems.append(f"run {run}: the API did not answer 200 after deploy")
            else:
                result.add("ready", ready)

        seconds, (planned, _) = timed(lambda: deploy(folder, stage, target))
        result.add("nochange", seconds)
        if planned.pending:
            result.problems.append(f"run {run}: a redeploy without changes planned {planned.pending}")  # fmt: skip

        source = folder / CHANGED_FILE
        source.write_text(source.read_text().replace("Welcome to the shop", f"Welcome ({run})"))
        seconds, (planned, _) = timed(lambda: deploy(folder, stage, target))
        result.add("change", seconds)
        changed = [(c.kind, c.logical, c.action) for c in planned.pending]
        if changed != [("function", "email-worker", "update")]:
            result.problems.append(f"run {run}: one handler changed, planned {changed}")

        seconds, deleted = timed(lambda: destroy(APP, stage, target))
        result.add("destroy", seconds)
        if not deleted:
            result.problems.append(f"run {run}: destroy deleted nothing")

        if cli:
            cli_run(server, folder, f"cli{run}", result)


def cli_run(server: Server, folder: Path, stage: str, result: Result) -> None:
    """`cloudlet deploy --yes` as a user types it (a new process each time): cold, again
    with no change, after a one-handler change; then `cloudlet destroy --yes`."""
    shutil.rmtree(folder / ".cloudlet", ignore_errors=True)
    base = [sys.executable, "-m", "cloudlet"]
    where = ["--endpoint", server.endpoint, "--stage", stage, "--yes"]
    source = folder / CHANGED_FILE
    steps = [
        ("cli_cold", "deploy", None),
        ("cli_nochange", "deploy", None),
        ("cli_change", "deploy", ("Welcome", "Hello")),
        ("cli_destroy", "destroy", None),
    ]
    for key, command, edit in steps:
        if edit is not None:
            source.write_text(source.read_text().replace(*edit))
        started = time.perf_counter()
        done = subprocess.run([*base, command, str(folder), *where], capture_output=True, text=True, check=False)  # fmt: skip
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            result.problems.append(f"cloudlet {command} failed: {(done.stderr or done.stdout)[-500:]}")  # fmt: skip
            return
        result.add(key, seconds)


def bench_target(name: str, runs: int, cli: bool) -> Result:
    target = TARGETS[name]
    ensure_venv(target)
    result = Result(name, installed_version(target))
    with running(target) as (server, startup):
        result.add("startup", startup)
        for run in range(runs):
            try:
                one_run(server, run, result, cli)
            except Exception as error:  # a failed step is reported, the run goes on
                result.problems.append(f"run {run}: {type(error).__name__}: {error}"[:800])
            log(f"[{name}] run {run + 1}/{runs} done")
    return result


def report(results: list[Result], runs: int) -> str:
    header = ["figure", *(f"{r.name} ({r.version})" for r in results), "seed 000 on LocalStack"]
    rows = []
    for figure in FIGURES:
        if all(r.median(figure.key) is None for r in results):
            continue
        seed = f"~{SEED_LOCALSTACK_S:.0f} (article)" if figure.key == "cold" else ""
        shown = [r.median(figure.key) for r in results]
        cells = [
            f"{v:.0f}" if v is not None and figure.key == "resources" else fmt(v) for v in shown
        ]
        rows.append([figure.label, *cells, seed])
    parts = [f"## Deploy benchmark: examples/shop (median of {runs} run(s))", "", table(header, rows)]  # fmt: skip
    cloudlet = next((r for r in results if r.name == "cloudlet"), None)
    if cloudlet is not None:
        goal_rows = []
        for key, goal in GOALS.items():
            value = cloudlet.median(key)
            if value is None and key.startswith("cli_"):
                continue  # run without --cli
            verdict = "n/a" if value is None else ("PASS" if value <= goal else "FAIL")
            label = next(f.label for f in FIGURES if f.key == key)
            goal_rows.append([label, f"<= {goal:g} s", fmt(value), verdict])
        parts += ["", "### cloudlet targets", "", table(["figure", "goal", "measured", "verdict"], goal_rows)]  # fmt: skip
    return "\n".join(parts + closing_sections(results))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", default=",".join(BENCH_TARGETS), help="cloudlet,moto")
    parser.add_argument("--runs", type=int, default=None, help="runs per target (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run per target")
    parser.add_argument("--cli", action="store_true", help="also time `cloudlet deploy` itself")
    args = parser.parse_args(argv)
    chosen_targets(parser, args, BENCH_TARGETS)
    args.runs = args.runs or (1 if args.quick else 5)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run_targets(args.targets, lambda name: bench_target(name, args.runs, args.cli))
    if results is None:
        return 130
    print(report(results, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
