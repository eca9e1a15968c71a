"""Lambda benchmark: cloudlet against MiniStack, in the same run.

Both run Python functions as local processes: cloudlet forks each execution environment
from a zygote that has already imported boto3; MiniStack starts a worker subprocess per
function with its own interpreter. moto is not measured: its Invoke runs functions only
inside Docker containers, which this benchmark does not use.

Every target is a real server process on a free port on 127.0.0.1. cloudlet runs from
this repository with its durable store on (``--data-dir`` in a temporary directory).
MiniStack runs from its own throwaway virtualenv, ``bench/.venvs/ministack-lambda``,
created on first use with ``pip install ministack boto3``: MiniStack's functions run on
the interpreter of the environment it is installed in, and AWS's Python runtime provides
boto3, so that environment has it too. Each server gets one unmeasured start first, so
it runs with a warm bytecode cache (bench/.venvs/.pycache), as on a user's machine.

For each target the benchmark measures, with boto3 Lambda clients (retries off, so an
error shows instead of hiding in a retry):

1. Cold start: a Python 3.12 handler (512 MB) that imports boto3 and creates an SQS
   client at module load. One unmeasured function is created and invoked first (it
   also pays for one-time work such as starting cloudlet's zygote; its latency is
   shown on its own line). Then N functions with distinct code are created, each is
   waited for with the ``function_active_v2`` waiter, and each is invoked once with
   ``LogType=Tail``: the client-observed latency of that first Invoke is the cold
   start. Where the log tail carries a REPORT line, its ``Init Duration`` is reported
   too. The functions are deleted afterwards.
2. Warm overhead: sequential Invokes of one warm no-op function (``return None``),
   with boto3 and with a raw ``http.client`` keep-alive connection POSTing to
   ``/2015-03-31/functions/<name>/invocations`` (a SigV4-shaped Authorization header,
   not a valid signature). The difference between the two p50s is boto3's own cost.
3. Throughput: invokes/s of that warm function with 8 concurrent clients (threads,
   each its own boto3 client, then each its own raw HTTP connection) for a fixed
   duration, after an unmeasured burst that lets the target start its environments.

Then the AWS figures from the seed beside them, ratios cloudlet/peer, and cloudlet's
targets. Usage: ``python bench/lambda.py [--targets cloudlet,ministack] [--quick]``.
All traffic goes to 127.0.0.1; every loop is bounded by a count or a duration; every
server started (and every function process it started) is stopped on exit, Ctrl-C or
error. A failed operation is recorded under "Problems" and the run goes on.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from sqs import (
    HOST,
    REGION,
    REPO_ROOT,
    START_TIMEOUT_S,
    VENVS_DIR,
    Server,
    StartError,
    Target,
    chosen_targets,
    closing_sections,
    cloudlet_command,
    fmt,
    log,
    no_env,
    percentile,
    process_tree,
    ratio,
    run_targets,
    spawn,
    stop,
    table,
    target_arguments,
)

# The shared machinery of bench/sqs.py: paths, spawning and stopping servers, tables.
from sqs import TARGETS as SQS_TARGETS
from sqs import ensure_venv as sqs_ensure_venv

ROLE = "arn:aws:iam::000000000000:role/r"
RUNTIME = "python3.12"
MEMORY_MB = 512  # the seed's AWS cold-start figures are at 512 MB
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
CLIENTS = 8
BUSY_CORES = 0.3  # other work above this many busy cores before a target is reported
WARM_UP_INVOKES = 5  # unmeasured invokes of the warm function before timing
ACTIVE_WAIT = {"Delay": 1, "MaxAttempts": 60}  # function_active_v2, bounded to ~60 s
INIT_DURATION = re.compile(r"Init Duration: ([0-9.]+) ms")

COLD_CODE = """\
# {tag}
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    return {{"ok": True, "function": "{tag}"}}
"""
NOOP_CODE = "def handler(e, c):\n    return None\n"

# AWS Lambda, Python 3.12 at 512 MB, from the seed (ms).
AWS_COLD_P50_MS = 210.0
AWS_COLD_P99_MS = 520.0
# cloudlet's goals.
COLD_P50_GOAL_MS = 50.0
WARM_P50_GOAL_MS = 2.0
INVOKES_GOAL = 500.0


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Counts and durations of one run (full or --quick)."""

    cold_functions: int
    warm_boto3: int
    warm_raw: int
    warm_budget_s: float  # each sequential phase stops at its count or this, first
    load_seconds: float
    load_warm_up_s: float


FULL = Settings(
    cold_functions=30,
    warm_boto3=1000,
    warm_raw=2000,
    warm_budget_s=20.0,
    load_seconds=10.0,
    load_warm_up_s=1.5,
)
QUICK = Settings(
    cold_functions=8,
    warm_boto3=150,
    warm_raw=300,
    warm_budget_s=5.0,
    load_seconds=2.0,
    load_warm_up_s=0.5,
)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class LambdaTarget:
    """How to install and start one server that runs Lambda functions."""

    name: str
    venv: str | None  # folder under bench/.venvs; None: this repository's environment
    packages: tuple[str, ...]
    command: Callable[[int, Path], list[str]]
    env: Callable[[int, Path], dict[str, str]]
    version_of: str  # the distribution whose version the report shows

    def server_target(self) -> Target:
        return Target(self.name, None, self.command, self.env)


MINISTACK_VENV = "ministack-lambda"


def ministack_command(port: int, tmp: Path) -> list[str]:
    return [str(VENVS_DIR / MINISTACK_VENV / "bin" / "ministack")]


def ministack_env(port: int, tmp: Path) -> dict[str, str]:
    # TMPDIR keeps its PID file and its functions' unpacked code in our tmp dir.
    return {"BIND_HOST": HOST, "GATEWAY_PORT": str(port), "TMPDIR": str(tmp)}


TARGETS: dict[str, LambdaTarget] = {
    "cloudlet": LambdaTarget("cloudlet", None, (), cloudlet_command, no_env, ""),
    "ministack": LambdaTarget(
        "ministack",
        MINISTACK_VENV,
        ("ministack", "boto3"),
        ministack_command,
        ministack_env,
        "ministack",
    ),
}
NOT_RUN = {
    "moto": "not run: moto's Invoke executes functions only inside Docker containers "
    "(no local-process executor), and this benchmark runs without Docker",
}


def ensure_venv(target: LambdaTarget) -> None:
    """Create bench/.venvs/<venv> and install the target's packages on first use."""
    if target.venv is None:
        sqs_ensure_venv(SQS_TARGETS["cloudlet"])  # cloudlet's own venv, reinstalled each run
        return
    venv = VENVS_DIR / target.venv
    marker = venv / ".installed"
    wanted = " ".join(target.packages)
    if marker.exists() and marker.read_text().strip() == wanted:
        return
    log(f"[{target.name}] creating {venv.relative_to(REPO_ROOT)} and installing {wanted}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *target.packages], check=True)
    marker.write_text(wanted + "\n")


def installed_version(target: LambdaTarget) -> str:
    if target.venv is None:
        return "repo"
    python = str(VENVS_DIR / target.venv / "bin" / "python")
    code = f"import importlib.metadata as m; print(m.version({target.version_of!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


# --------------------------------------------------------------------------- servers


def raw_get(port: int, path: str, timeout: float = 5.0) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": AUTHORIZATION})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_ready(server: Server) -> float:
    """Poll Lambda ListFunctions until a 200 answer; seconds since spawn."""
    deadline = server.started_at + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise StartError(f"exited with {server.process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            if raw_get(server.port, "/2015-03-31/functions/") == 200:
                return time.perf_counter() - server.started_at
        time.sleep(0.002)
    raise StartError(f"no answer within {START_TIMEOUT_S:.0f}s:\n{server.log_tail()}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_all(server: Server) -> None:
    """Stop the server's process group, then any process it started outside it (an
    execution environment may run in its own session), by the ids seen beforehand."""
    descendants = [pid for pid in process_tree(server.process.pid) if pid != server.process.pid]
    stop(server)
    for pid in descendants:
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running(target: LambdaTarget) -> Iterator[tuple[Server, float]]:
    """Start a server, yield it with its start-up time, always stop it."""
    server = spawn(target.server_target())
    try:
        yield server, wait_ready(server)
    finally:
        stop_all(server)


# --------------------------------------------------------------------------- clients


def lambda_client(endpoint: str) -> Any:
    config = Config(
        retries={"total_max_attempts": 1},  # an error must show, not hide in a retry
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=2,
    )
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


def zip_of(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def create_function(client: Any, name: str, source: str) -> None:
    client.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": zip_of(source)},
        MemorySize=MEMORY_MB,
        Timeout=30,
    )


def wait_active(client: Any, name: str) -> None:
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=ACTIVE_WAIT)


def checked_invoke(client: Any, name: str, tail: bool = False) -> dict[str, Any]:
    """One RequestResponse Invoke; raises if the function failed."""
    kwargs: dict[str, Any] = {"FunctionName": name}
    if tail:
        kwargs["LogType"] = "Tail"
    answer: dict[str, Any] = client.invoke(**kwargs)
    payload = answer["Payload"].read()
    if answer.get("FunctionError"):
        raise RuntimeError(f"{answer['FunctionError']}: {payload[:300]!r}")
    answer["Body"] = payload
    return answer


def init_duration_ms(answer: dict[str, Any]) -> float | None:
    """The REPORT line's Init Duration from an Invoke's LogType=Tail log, if any."""
    tail = answer.get("LogResult")
    if not tail:
        return None
    match = INIT_DURATION.search(base64.b64decode(tail).decode("utf-8", "replace"))
    return float(match.group(1)) if match else None


def report_in_logs(server: Server, name: str) -> str:
    """Where a function's REPORT line is when LogType=Tail has none: its CloudWatch Logs
    group, read after the invocation (the log may be written asynchronously)."""
    logs = boto3.client(
        "logs",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )
    where = "the LogType=Tail log has no REPORT line"
    for _ in range(5):
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", limit=100)
        except Exception as exc:  # noqa: BLE001
            return f"{where}, and reading CloudWatch Logs failed: {type(exc).__name__}: {exc}"
        reports = [
            e["message"] for e in events.get("events", []) if "REPORT RequestId" in e["message"]
        ]
        if reports:
            if match := INIT_DURATION.search(reports[0]):
                return f"{where}; CloudWatch Logs has it ({name}: {match.group(1)} ms)"
            return f"{where}, and the REPORT line in CloudWatch Logs has no Init Duration"
        time.sleep(0.2)
    return f"{where}, and neither has CloudWatch Logs (/aws/lambda/{name})"


class RawInvoker:
    """Invoke over one keep-alive HTTP connection, without an SDK."""

    def __init__(self, port: int, name: str) -> None:
        self.port = port
        self.path = f"/2015-03-31/functions/{name}/invocations"
        self.headers = {
            "Authorization": AUTHORIZATION,
            "X-Amz-Date": "20240101T000000Z",
            "Content-Type": "application/json",
        }
        self.conn: http.client.HTTPConnection | None = None

    def invoke(self) -> None:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            self.conn.request("POST", self.path, body=b"{}", headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
        if response.getheader("X-Amz-Function-Error"):
            raise RuntimeError(f"function error: {body[:200]!r}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --------------------------------------------------------------------------- measurements


@dataclass
class Sample:
    """Latencies (s) of one phase, with its failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0
    client_cpu_s: float = 0.0  # CPU time this benchmark process (the clients) used

    def fail(self, exc: Exception) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = f"{type(exc).__name__}: {exc}"[:300]

    def p(self, pct: float) -> float | None:
        return percentile(self.latencies, pct) * 1000 if self.latencies else None

    @property
    def per_second(self) -> float | None:
        return len(self.latencies) / self.seconds if self.seconds > 0 else None


@dataclass
class TargetResult:
    name: str
    version: str = ""
    values: dict[str, float | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    busy_before: float | None = None  # cores busy with other work just before the start


def note_errors(result: TargetResult, what: str, sample: Sample) -> None:
    if sample.errors:
        result.problems.append(f"{what}: {sample.errors} failed calls, first: {sample.first_error}")


def measure_cold(server: Server, settings: Settings, result: TargetResult) -> None:
    """First-Invoke latency of freshly created functions."""
    client = lambda_client(server.endpoint)
    # One unmeasured function first: it pays for one-time work (cloudlet's zygote).
    first = "bench-cold-first"
    create_function(client, first, COLD_CODE.format(tag=first))
    wait_active(client, first)
    started = time.perf_counter()
    checked_invoke(client, first)
    result.values["cold_first"] = (time.perf_counter() - started) * 1000
    client.delete_function(FunctionName=first)

    names = [f"bench-cold-{i:03d}" for i in range(settings.cold_functions)]
    creates, created = Sample(), []
    for name in names:
        started = time.perf_counter()
        try:
            create_function(client, name, COLD_CODE.format(tag=name))
        except Exception as exc:  # noqa: BLE001 - a target's failure is a result
            creates.fail(exc)
            continue
        creates.latencies.append(time.perf_counter() - started)
        created.append(name)
    note_errors(result, "CreateFunction", creates)
    result.values["create_p50"] = creates.p(50)

    cold, inits = Sample(), []
    try:
        for name in created:
            try:
                wait_active(client, name)
            except Exception as exc:  # noqa: BLE001
                cold.fail(exc)
                continue
            started = time.perf_counter()
            try:
                answer = checked_invoke(client, name, tail=True)
            except Exception as exc:  # noqa: BLE001
                cold.fail(exc)
                continue
            cold.latencies.append(time.perf_counter() - started)
            if (init := init_duration_ms(answer)) is not None:
                inits.append(init)
        if not inits and cold.latencies:
            result.notes.append(f"no Init Duration: {report_in_logs(server, created[0])}")
    finally:
        for name in created:  # their environments would otherwise stay warm
            with contextlib.suppress(Exception):
                client.delete_function(FunctionName=name)
    note_errors(result, "cold Invoke", cold)
    result.values["cold_p50"] = cold.p(50)
    result.values["cold_p99"] = cold.p(99)
    result.values["cold_max"] = cold.p(100)
    if inits:
        result.values["init_p50"] = percentile(inits, 50)
        result.values["init_p99"] = percentile(inits, 99)
    if inits and len(inits) < len(cold.latencies):
        result.problems.append(
            f"Init Duration in only {len(inits)} of {len(cold.latencies)} cold Invokes' logs"
        )
    log(
        f"[{result.name}] cold: first {fmt(result.values['cold_first'])} ms, "
        f"p50 {fmt(cold.p(50))} ms, p99 {fmt(cold.p(99))} ms over {len(cold.latencies)} "
        f"functions; Init Duration p50 {fmt(result.values.get('init_p50'))} ms"
    )


def sequential(invoke: Callable[[], None], count: int, budget_s: float) -> Sample:
    """Up to count calls, one after another, stopping early after budget_s seconds."""
    sample = Sample()
    started = time.perf_counter()
    deadline = started + budget_s
    for _ in range(count):
        now = time.perf_counter()
        if now >= deadline:
            break
        try:
            invoke()
        except Exception as exc:  # noqa: BLE001
            sample.fail(exc)
            if sample.errors > 20:
                break
            continue
        sample.latencies.append(time.perf_counter() - now)
    sample.seconds = time.perf_counter() - started
    return sample


def concurrent(invokers: list[Callable[[], None]], seconds: float) -> Sample:
    """Each invoker in its own thread, all started together, for a fixed duration."""
    samples = [Sample() for _ in invokers]
    barrier = threading.Barrier(len(invokers) + 1)
    deadline_box: list[float] = []

    def body(invoke: Callable[[], None], sample: Sample) -> None:
        barrier.wait()
        deadline = deadline_box[0]
        while (now := time.perf_counter()) < deadline:
            try:
                invoke()
            except Exception as exc:  # noqa: BLE001
                sample.fail(exc)
                if sample.errors > 100:
                    return
                continue
            sample.latencies.append(time.perf_counter() - now)

    threads = [
        threading.Thread(target=body, args=pair, daemon=True)
        for pair in zip(invokers, samples, strict=True)
    ]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    started = time.perf_counter()
    deadline_box.append(started + seconds)
    barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    total = Sample(seconds=time.perf_counter() - started, client_cpu_s=time.process_time() - cpu)
    for sample in samples:
        total.latencies += sample.latencies
        total.errors += sample.errors
        total.first_error = total.first_error or sample.first_error
    return total


NOOP = "bench-noop"


def measure_warm(server: Server, settings: Settings, result: TargetResult) -> None:
    """Sequential Invokes of a warm no-op function, with boto3 and raw HTTP."""
    client = lambda_client(server.endpoint)
    create_function(client, NOOP, NOOP_CODE)
    wait_active(client, NOOP)
    for _ in range(WARM_UP_INVOKES):
        checked_invoke(client, NOOP)
    boto = sequential(_boto3_invoker(client), settings.warm_boto3, settings.warm_budget_s)
    raw = RawInvoker(server.port, NOOP)
    for _ in range(WARM_UP_INVOKES):
        raw.invoke()
    try:
        direct = sequential(raw.invoke, settings.warm_raw, settings.warm_budget_s)
    finally:
        raw.close()
    for key, what, sample, wanted in (
        ("warm_boto3", "warm boto3 Invoke", boto, settings.warm_boto3),
        ("warm_raw", "warm raw-HTTP Invoke", direct, settings.warm_raw),
    ):
        note_errors(result, what, sample)
        result.values[f"{key}_p50"] = sample.p(50)
        result.values[f"{key}_p99"] = sample.p(99)
        result.values[f"{key}_n"] = len(sample.latencies)
        if len(sample.latencies) + sample.errors < wanted:
            result.notes.append(
                f"{what}: {len(sample.latencies)} of {wanted} calls in the "
                f"{settings.warm_budget_s:.0f} s budget"
            )
        log(
            f"[{result.name}] {what}: p50 {fmt(sample.p(50))} ms, p99 {fmt(sample.p(99))} ms "
            f"over {len(sample.latencies)} calls, {sample.errors} errors"
        )
    if boto.latencies and direct.latencies:
        result.values["boto3_cost"] = (boto.p(50) or 0.0) - (direct.p(50) or 0.0)


def measure_load(server: Server, settings: Settings, result: TargetResult) -> None:
    """Invokes/s of the warm no-op function with 8 concurrent clients."""
    clients = [lambda_client(server.endpoint) for _ in range(CLIENTS)]
    raws = [RawInvoker(server.port, NOOP) for _ in range(CLIENTS)]
    try:
        # Unmeasured: lets the target start as many environments as it will use.
        concurrent([r.invoke for r in raws], settings.load_warm_up_s)
        for key, what, invokers in (
            ("load_boto3", f"boto3 Invoke x{CLIENTS}", [_boto3_invoker(c) for c in clients]),
            ("load_raw", f"raw-HTTP Invoke x{CLIENTS}", [r.invoke for r in raws]),
        ):
            sample = concurrent(invokers, settings.load_seconds)
            note_errors(result, what, sample)
            result.values[key] = sample.per_second
            result.values[f"{key}_p50"] = sample.p(50)
            result.values[f"{key}_p99"] = sample.p(99)
            result.values[f"{key}_cpu"] = sample.client_cpu_s / sample.seconds
            log(
                f"[{result.name}] {what}: {fmt(sample.per_second)} invokes/s "
                f"({len(sample.latencies)} in {sample.seconds:.2f}s, {sample.errors} errors)"
            )
    finally:
        for raw in raws:
            raw.close()


def _boto3_invoker(client: Any) -> Callable[[], None]:
    def invoke() -> None:
        checked_invoke(client, NOOP)

    return invoke


def guarded(result: TargetResult, what: str, step: Callable[[], None]) -> None:
    """Run one measurement; a failure is recorded as a problem, not a crash."""
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - a target's failure is a result
        result.problems.append(f"{what} failed: {type(exc).__name__}: {str(exc)[:300]}")
        log(f"[{result.name}] {what} FAILED: {exc}")


def bench_target(target: LambdaTarget, settings: Settings) -> TargetResult:
    result = TargetResult(target.name)
    try:
        ensure_venv(target)
    except subprocess.CalledProcessError as exc:
        result.problems.append(f"install failed: {exc}")
        return result
    result.version = installed_version(target)
    result.busy_before = busy_cores()
    if result.busy_before > BUSY_CORES:
        result.notes.append(
            f"other work kept {result.busy_before:.2f} cores busy in the second before this "
            "target started: it shared the cores, so these figures are pessimistic"
        )
    try:
        # Unmeasured start: warms the bytecode cache and the page cache.
        with running(target) as (_, seconds):
            log(f"[{target.name}] warm-up start: {seconds:.3f}s")
        with running(target) as (server, seconds):
            log(f"[{target.name}] started in {seconds:.3f}s on port {server.port}")
            guarded(result, "cold start", lambda: measure_cold(server, settings, result))
            guarded(result, "warm overhead", lambda: measure_warm(server, settings, result))
            if result.values.get("warm_raw_p50") is not None:
                guarded(result, "throughput", lambda: measure_load(server, settings, result))
            else:
                result.problems.append("throughput not measured: no warm no-op function")
    except StartError as exc:
        result.problems.append(f"did not start: {str(exc)[:500]}")
    return result


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    higher_is_better: bool
    aws: float | None = None


def figures(settings: Settings) -> list[Figure]:
    n = settings.cold_functions
    return [
        Figure(
            "cold_p50", f"cold start, first Invoke p50, {n} functions (ms)", False, AWS_COLD_P50_MS
        ),
        Figure("cold_p99", "  p99 (ms)", False, AWS_COLD_P99_MS),
        Figure("cold_max", "  max (ms)", False),
        Figure("init_p50", "  REPORT Init Duration p50 (ms)", False),
        Figure("init_p99", "  REPORT Init Duration p99 (ms)", False),
        Figure("cold_first", "  first cold start after server start (ms)", False),
        Figure("create_p50", "CreateFunction p50 (ms)", False),
        Figure("warm_boto3_p50", "warm no-op Invoke, boto3, p50 (ms)", False),
        Figure("warm_boto3_p99", "  p99 (ms)", False),
        Figure("warm_raw_p50", "warm no-op Invoke, raw HTTP, p50 (ms)", False),
        Figure("warm_raw_p99", "  p99 (ms)", False),
        Figure("boto3_cost", "  boto3's own cost, p50 boto3 - raw (ms)", False),
        Figure("load_boto3", f"invokes/s, {CLIENTS} boto3 clients", True),
        Figure("load_boto3_p50", "  p50 (ms)", False),
        Figure("load_boto3_p99", "  p99 (ms)", False),
        Figure("load_boto3_cpu", "  cores used by the clients", False),
        Figure("load_raw", f"invokes/s, {CLIENTS} raw HTTP clients", True),
        Figure("load_raw_p50", "  p50 (ms)", False),
        Figure("load_raw_p99", "  p99 (ms)", False),
        Figure("load_raw_cpu", "  cores used by the clients", False),
    ]


def results_table(results: list[TargetResult], settings: Settings) -> str:
    header = ["figure", *(f"{r.name} ({r.version})" for r in results), "AWS (seed)"]
    rows = [
        [f.label, *(fmt(r.values.get(f.key)) for r in results), fmt(f.aws)]
        for f in figures(settings)
    ]
    return table(header, rows)


def ratio_table(cloudlet: TargetResult, peers: list[TargetResult], settings: Settings) -> str:
    header = ["figure (cloudlet / other)", "better", *(p.name for p in peers), "AWS (seed)"]
    rows = []
    for f in figures(settings):
        if f.key in ("boto3_cost", "create_p50") or f.key.endswith("_cpu"):
            continue  # a client-side difference and a control-plane call: no ratio
        own = cloudlet.values.get(f.key)
        rows.append(
            [
                f.label,
                "higher" if f.higher_is_better else "lower",
                *(ratio(own, p.values.get(f.key)) for p in peers),
                ratio(own, f.aws),
            ]
        )
    return table(header, rows)


def target_table(cloudlet: TargetResult) -> str:
    values = cloudlet.values

    def verdict(value: float | None, ok: Callable[[float], bool]) -> str:
        return "n/a" if value is None else ("PASS" if ok(value) else "FAIL")

    def ms(value: float | None) -> str:
        return fmt(value) + " ms" if value is not None else "n/a"

    def rate(value: float | None) -> str:
        return fmt(value) + "/s" if value is not None else "n/a"

    cold = values.get("cold_p50")
    warm = values.get("warm_raw_p50")
    load_raw = values.get("load_raw")
    load_boto = values.get("load_boto3")
    rows = [
        [
            "cold start p50 (boto3, client-observed)",
            f"<= {COLD_P50_GOAL_MS:.0f} ms",
            ms(cold),
            verdict(cold, lambda v: v <= COLD_P50_GOAL_MS),
        ],
        [
            "warm Invoke overhead p50 (raw HTTP)",
            f"<= {WARM_P50_GOAL_MS:.0f} ms",
            ms(warm),
            verdict(warm, lambda v: v <= WARM_P50_GOAL_MS),
        ],
        [
            f"invokes/s, {CLIENTS} raw HTTP clients",
            f">= {INVOKES_GOAL:.0f}/s",
            rate(load_raw),
            verdict(load_raw, lambda v: v >= INVOKES_GOAL),
        ],
        [
            f"invokes/s, {CLIENTS} boto3 clients",
            f">= {INVOKES_GOAL:.0f}/s",
            rate(load_boto),
            verdict(load_boto, lambda v: v >= INVOKES_GOAL),
        ],
    ]
    return table(["cloudlet target", "goal", "measured", "verdict"], rows)


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores other work keeps busy, sampled while this benchmark is idle (no
    server running): such work shares the cores and skews every figure."""
    busy0, total0 = cpu_times()
    time.sleep(seconds)
    busy1, total1 = cpu_times()
    share = (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0
    return share * (os.cpu_count() or 1)


def report(results: list[TargetResult], settings: Settings) -> str:
    mode = "quick" if settings is QUICK else "full"
    loads = ", ".join(f"{r.name} {fmt(r.busy_before)}" for r in results)
    parts = [
        f"## Lambda benchmark ({mode} run; {os.cpu_count()} cores, shared by the clients and "
        f"the server; cores busy with other work in the second before each target: {loads}; {RUNTIME} handlers "
        f"at {MEMORY_MB} MB)",
        "",
        results_table(results, settings),
    ]
    by_name = {r.name: r for r in results}
    peers = [r for r in results if r.name != "cloudlet"]
    if "cloudlet" in by_name:
        parts += [
            "",
            "### Ratios cloudlet / other",
            "",
            ratio_table(by_name["cloudlet"], peers, settings),
            "",
            "### cloudlet targets",
            "",
            target_table(by_name["cloudlet"]),
        ]
    notes = [f"- {name}: {why}" for name, why in NOT_RUN.items()]
    return "\n".join(parts + closing_sections(results, notes))


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    target_arguments(parser, TARGETS, "cloudlet,ministack")
    args = parser.parse_args(argv)
    chosen_targets(parser, args, TARGETS, NOT_RUN)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    results = run_targets(args.targets, lambda name: bench_target(TARGETS[name], settings))
    if results is None:
        return 130
    print(report(results, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
