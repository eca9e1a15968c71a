"""API Gateway benchmark: requests through a deployed API to a warm Python Lambda
function, cloudlet against MiniStack and ``chalice local`` in the same run.

Run it as ``python bench/http.py`` (the name the issue gives it; that file only steps
aside for the standard library's ``http`` package and calls ``main`` here).

Two cases, each served by the same trivial Python 3.12 handler (it returns a 200 JSON
body carrying a token unique to the run and the path it was called with):

- ``rest``: a REST API (v1) wired as seed 000 wires its APIs: ``ANY`` on the root
  resource and on ``/{proxy+}``, both ``AWS_PROXY`` integrations to the function
  (payload 1.0), deployed to stage ``bench`` and called at
  ``/restapis/{id}/bench/_user_request_/hello`` (the path form LocalStack users have,
  answered by cloudlet and MiniStack alike).
- ``http``: an HTTP API (v2) with the route ``GET /hello``, an ``AWS_PROXY``
  integration with payload format 2.0 and the ``$default`` stage with auto-deploy,
  called with the execute-api host form (``Host: {id}.execute-api.<domain>``, no stage
  segment): ``localhost.localstack.cloud`` for cloudlet, ``localhost`` for MiniStack.

The targets: cloudlet and MiniStack are started exactly as ``bench/lambda.py`` starts
them (its targets, virtualenvs and start/stop code): cloudlet installed from this
repository into ``bench/.venvs/cloudlet`` with its durable store on, MiniStack from
``bench/.venvs/ministack-lambda`` (``ministack`` + ``boto3``; its functions run on that
environment's interpreter), each on a free port on 127.0.0.1. Both run both cases. The
APIs are built with boto3 as a user builds them (``lambda:AddPermission`` for
``apigateway.amazonaws.com`` included). ``chalice local`` (``bench/.venvs/chalice``) is a
second peer for the REST case: an app made with ``chalice new-project`` whose one route,
``GET /hello``, returns the same JSON; Chalice runs the view in its own process (no
function process), so it shows what a local REST emulator costs without a Lambda
runtime. moto is not run: its Lambda integrations execute functions only in Docker.

For each target and case, after one unmeasured start that warms the bytecode cache:

1. Check: one GET must answer 200 with exactly the function's JSON (for the REST case
   the root resource is checked too). A wrong 403/404, a 502 or another body is a
   problem, listed under "Problems", and that case is not measured.
2. Sequential latency: warm-up requests, then up to N GETs one after another over one
   keep-alive connection (bounded by a time budget); p50/p99. Each answer is checked.
3. Throughput: an unmeasured ``wrk`` burst with the same connections (it lets a target
   start the function environments it will use), then ``wrk`` with 2 threads and 16
   connections for a fixed duration. Only 2xx answers whose body carries the run's
   token count; anything else is counted and reported. The server's process tree CPU
   and wrk's own CPU over the run are shown, so a client-bound or core-bound figure
   shows. Without ``wrk`` an asyncio client with as many connections stands in (it
   counts 2xx without reading the token, and costs more CPU; the report says so).

Then ratios cloudlet/peer and cloudlet's targets: >= 1,500 requests/s and p50 <= 5 ms
with 16 connections, for both API types, on this 2-core machine (shared by wrk and the
server). Before each target the benchmark waits (up to ``--quiet-wait`` seconds) for
other work to leave the cores, and reports what other work kept busy before and while
each target ran.

Usage: ``python bench/http.py [--targets cloudlet,ministack,chalice] [--quick]
[--no-wrk] [--quiet-wait SECONDS]``. All traffic goes to 127.0.0.1; every loop is
bounded by a count or a duration; every server started (and every function process it
started) is stopped on exit, Ctrl-C or error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pipeline  # bench/pipeline.py: quiet-wait, results, CPU accounting, clients
from pipeline import Figure
from sqs import (
    HOST,
    START_TIMEOUT_S,
    VENVS_DIR,
    Load,
    Server,
    StartError,
    asyncio_load_run,
    chosen_targets,
    closing_sections,
    fmt,
    log,
    process_tree,
    run_targets,
    run_wrk,
    spawn,
    table,
    target_arguments,
    wrk_script,
)

# bench/lambda.py: targets, venvs, start/stop, function helpers. Its name is a keyword,
# so it is imported by name.
lambda_bench: ModuleType = importlib.import_module("lambda")
TargetResult = Any  # pipeline.TargetResult: values, notes, problems, busy cores

CASES = ("rest", "http")
TITLES = {
    "rest": "REST API ANY /{proxy+} → Lambda (payload 1.0)",
    "http": "HTTP API GET /hello → Lambda (payload 2.0)",
}
STAGE = "bench"
FUNCTION = "bench-http"
PATH = "/hello"
WRK_THREADS = 2
CONNECTIONS = 16
TOKEN = f"bench-{uuid.uuid4().hex[:12]}"  # in every answer of the run's function

# cloudlet's goals, with 16 connections on this 2-core machine.
RPS_GOAL = 1_500.0
P50_GOAL_MS = 5.0

FUNCTION_CODE = """\
import json

BODY = {{"message": "hello", "token": "{token}"}}


def handler(event, context):
    # REST APIs (payload 1.0) send "path"; HTTP APIs (payload 2.0) send "rawPath".
    path = event.get("rawPath") or event.get("path")
    return {{
        "statusCode": 200,
        "headers": {{"Content-Type": "application/json"}},
        "body": json.dumps({{**BODY, "path": path}}),
    }}
"""

CHALICE_APP = """\
from chalice import Chalice

app = Chalice(app_name="bench")


@app.route("/hello")
def hello():
    return {{"message": "hello", "token": "{token}", "path": app.current_request.path}}
"""

NOT_RUN = {
    "moto": "not run: moto's Lambda integrations execute functions only inside Docker "
    "containers, and this benchmark runs without Docker",
}


def expected(path: str) -> dict[str, str]:
    """The JSON every target's function (or Chalice view) answers for `path`."""
    return {"message": "hello", "token": TOKEN, "path": path}


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Counts and durations of one run (full or --quick)."""

    warm_requests: int
    sequential: int
    sequential_budget_s: float
    warm_load_s: int  # the unmeasured wrk burst
    load_s: int


FULL = Settings(
    warm_requests=20, sequential=2_000, sequential_budget_s=10.0, warm_load_s=3, load_s=10
)
QUICK = Settings(warm_requests=5, sequential=300, sequential_budget_s=3.0, warm_load_s=2, load_s=2)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Endpoint:
    """Where a deployed API answers: a path, and the Host header of the host form."""

    path: str
    host: str | None = None
    root: str | None = None  # the REST API's root resource, checked too

    def __str__(self) -> str:
        return f"Host: {self.host} {self.path}" if self.host else self.path


@dataclass(frozen=True)
class HttpTarget:
    """How to start one target, know it is up, and give it the benchmark's APIs."""

    base: Any  # bench/lambda.py's LambdaTarget: venv, packages, command, env
    ready: Callable[[Server], float]
    deploy: Callable[[Server, TargetResult], dict[str, Endpoint]]

    @property
    def name(self) -> str:
        return str(self.base.name)


def add_permission(lam: Any, api_arn: str) -> None:
    """What a user does so API Gateway may invoke the function."""
    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId=f"apigateway-{uuid.uuid4().hex[:8]}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"{api_arn}/*",
    )


def deploy_rest(server: Server, function_arn: str) -> Endpoint:
    """ANY on / and /{proxy+}, AWS_PROXY to the function, deployed to STAGE."""
    apig = pipeline.client("apigateway", server.endpoint)
    api = str(apig.create_rest_api(name="bench-rest")["id"])
    resources = apig.get_resources(restApiId=api)["items"]
    root = next(r["id"] for r in resources if r["path"] == "/")
    proxy = apig.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
    region, account = function_arn.split(":")[3:5]
    uri = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    for resource_id in (root, proxy):
        apig.put_method(
            restApiId=api, resourceId=resource_id, httpMethod="ANY", authorizationType="NONE"
        )
        apig.put_integration(
            restApiId=api,
            resourceId=resource_id,
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    apig.create_deployment(restApiId=api, stageName=STAGE)
    add_permission(
        lambda_bench.lambda_client(server.endpoint),
        f"arn:aws:execute-api:{region}:{account}:{api}",
    )
    prefix = f"/restapis/{api}/{STAGE}/_user_request_"
    return Endpoint(prefix + PATH, root=prefix + "/")


def deploy_http(server: Server, function_arn: str, domain: str) -> Endpoint:
    """GET /hello, AWS_PROXY payload 2.0, `$default` stage with auto-deploy."""
    v2 = pipeline.client("apigatewayv2", server.endpoint)
    api = str(v2.create_api(Name="bench-http", ProtocolType="HTTP")["ApiId"])
    integration = v2.create_integration(
        ApiId=api,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey=f"GET {PATH}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    region, account = function_arn.split(":")[3:5]
    add_permission(
        lambda_bench.lambda_client(server.endpoint),
        f"arn:aws:execute-api:{region}:{account}:{api}",
    )
    return Endpoint(PATH, host=f"{api}.{domain}:{server.port}")


def aws_deployer(domain: str) -> Callable[[Server, TargetResult], dict[str, Endpoint]]:
    """The function and both APIs, on a target that emulates Lambda and API Gateway.
    `domain` follows `{api-id}.execute-api.` in the target's host form."""

    def deploy(server: Server, result: TargetResult) -> dict[str, Endpoint]:
        lam = lambda_bench.lambda_client(server.endpoint)
        lambda_bench.create_function(lam, FUNCTION, FUNCTION_CODE.format(token=TOKEN))
        lambda_bench.wait_active(lam, FUNCTION)
        arn = str(lam.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"])
        endpoints: dict[str, Endpoint] = {}
        steps: dict[str, Callable[[], Endpoint]] = {
            "rest": lambda: deploy_rest(server, arn),
            "http": lambda: deploy_http(server, arn, f"execute-api.{domain}"),
        }
        for case, step in steps.items():
            pipeline.guarded(
                result, f"{case}: building the API", lambda: endpoints.update({case: step()})
            )
        return endpoints

    return deploy


CHALICE_VENV = "chalice"
CHALICE_PROJECT = "bench"


def chalice_command(port: int, tmp: Path) -> list[str]:
    """`chalice local` on a project made by `chalice new-project`, its app.py replaced by
    the benchmark's one route."""
    chalice = str(VENVS_DIR / CHALICE_VENV / "bin" / "chalice")
    project = tmp / CHALICE_PROJECT
    if not project.exists():
        subprocess.run(
            [chalice, "new-project", CHALICE_PROJECT],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        (project / "app.py").write_text(CHALICE_APP.format(token=TOKEN))
    return [chalice, "--project-dir", str(project), "local", "--host", HOST, "--port", str(port)]


def chalice_ready(server: Server) -> float:
    """Poll GET /hello until it answers 200: seconds since spawn."""
    deadline = server.started_at + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise StartError(f"exited with {server.process.returncode}:\n{server.log_tail()}")
        client = Client(server.port)
        try:
            if client.get(PATH)[0] == 200:
                return time.perf_counter() - server.started_at
        except (OSError, http.client.HTTPException):
            pass
        finally:
            client.close()
        time.sleep(0.01)
    raise StartError(f"no answer within {START_TIMEOUT_S:.0f}s:\n{server.log_tail()}")


def chalice_deploy(server: Server, result: TargetResult) -> dict[str, Endpoint]:
    result.notes.append(
        "Chalice runs the view in its own process (no Lambda runtime), and only the REST "
        "case: `chalice local` emulates REST API routes, not HTTP APIs"
    )
    return {"rest": Endpoint(PATH)}


TARGETS: dict[str, HttpTarget] = {
    "cloudlet": HttpTarget(
        lambda_bench.TARGETS["cloudlet"],
        lambda_bench.wait_ready,
        aws_deployer("localhost.localstack.cloud"),
    ),
    "ministack": HttpTarget(
        lambda_bench.TARGETS["ministack"],
        lambda_bench.wait_ready,
        aws_deployer("localhost"),  # MiniStack's MINISTACK_HOST, by default
    ),
    "chalice": HttpTarget(
        lambda_bench.LambdaTarget(
            "chalice",
            CHALICE_VENV,
            ("chalice",),
            chalice_command,
            lambda port, tmp: {},
            "chalice",
        ),
        chalice_ready,
        chalice_deploy,
    ),
}


@contextlib.contextmanager
def running(target: HttpTarget) -> Iterator[tuple[Server, float]]:
    """Start a server, yield it with its start-up time, always stop it (and every
    process it started)."""
    server = spawn(target.base.server_target())
    try:
        yield server, target.ready(server)
    finally:
        lambda_bench.stop_all(server)


# --------------------------------------------------------------------------- clients


class Client:
    """GETs over one keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, host: str | None = None) -> None:
        self.port = port
        self.headers = {"Host": host} if host else {}
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, body

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check(client: Client, path: str, resource_path: str) -> None:
    """Raise unless GET `path` answers 200 with exactly the function's JSON."""
    status, body = client.get(path)
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if status != 200 or answer != expected(resource_path):
        raise RuntimeError(f"GET {path}: HTTP {status}, not the function's answer: {body[:300]!r}")


# --------------------------------------------------------------------------- measurements


def get_script(endpoint: Endpoint) -> str:
    """bench/sqs.py's wrk script (it counts 2xx answers and prints the BENCH line that
    run_wrk reads), turned into a GET that counts only the function's own answers."""
    headers = {"Host": endpoint.host} if endpoint.host else {}
    script = wrk_script(headers, "")
    for old, new in (
        ('wrk.method = "POST"', 'wrk.method = "GET"'),
        ('wrk.path = "/"', f'wrk.path = "{endpoint.path}"'),
        ("wrk.body = ''", ""),
        (
            "if status >= 200 and status < 300 then",
            f'if status >= 200 and status < 300 and string.find(body, "{TOKEN}", 1, true) then',
        ),
    ):
        if old not in script:
            raise RuntimeError(f"bench/sqs.py's wrk script changed: {old!r} not found")
        script = script.replace(old, new)
    return script


def children_cpu_s() -> float:
    """CPU seconds of this process's reaped children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_by_pid(root: int) -> dict[int, float]:
    """CPU seconds (utime + stime) of each live process in a tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def load(server: Server, endpoint: Endpoint, seconds: int, use_wrk: bool) -> tuple[Load, float]:
    """One load run with CONNECTIONS connections: the result and the client's CPU s."""
    if use_wrk:
        script = server.tmp / "get.lua"
        script.write_text(get_script(endpoint))
        before = children_cpu_s()
        result = run_wrk(server.endpoint, script, WRK_THREADS, CONNECTIONS, seconds)
        return result, children_cpu_s() - before
    host = endpoint.host or f"{HOST}:{server.port}"
    request = f"GET {endpoint.path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    before = time.process_time()
    result = asyncio.run(asyncio_load_run(server.port, request, CONNECTIONS, seconds))
    return result, time.process_time() - before


def measure_case(
    server: Server,
    case: str,
    endpoint: Endpoint,
    settings: Settings,
    result: TargetResult,
    use_wrk: bool,
) -> float:
    """Measure one case; returns the CPU seconds the load client used."""
    client = Client(server.port, endpoint.host)
    try:
        check(client, endpoint.path, PATH)
        if endpoint.root is not None:
            check(client, endpoint.root, "/")
        for _ in range(settings.warm_requests):
            check(client, endpoint.path, PATH)
        sample = lambda_bench.Sample()
        started = time.perf_counter()
        deadline = started + settings.sequential_budget_s
        for _ in range(settings.sequential):
            now = time.perf_counter()
            if now >= deadline:
                break
            try:
                check(client, endpoint.path, PATH)
            except Exception as exc:  # noqa: BLE001 - a target's failure is a result
                sample.fail(exc)
                if sample.errors > 20:
                    break
                continue
            sample.latencies.append(time.perf_counter() - now)
        sample.seconds = time.perf_counter() - started
    finally:
        client.close()
    lambda_bench.note_errors(result, f"{case}, 1 connection", sample)
    result.values[f"{case}_seq_p50"] = sample.p(50)
    result.values[f"{case}_seq_p99"] = sample.p(99)
    if len(sample.latencies) + sample.errors < settings.sequential:
        result.notes.append(
            f"{case}, 1 connection: {len(sample.latencies)} of {settings.sequential} requests "
            f"in the {settings.sequential_budget_s:.0f} s budget"
        )
    log(
        f"[{result.name}] {case}, 1 connection: p50 {fmt(sample.p(50))} ms, "
        f"p99 {fmt(sample.p(99))} ms over {len(sample.latencies)} requests"
    )

    load(server, endpoint, settings.warm_load_s, use_wrk)  # unmeasured: environments start
    server_cpu, by_pid = pipeline.tree_cpu_s(server.process.pid), cpu_by_pid(server.process.pid)
    run, client_cpu = load(server, endpoint, settings.load_s, use_wrk)
    server_cpu = pipeline.tree_cpu_s(server.process.pid) - server_cpu
    after = cpu_by_pid(server.process.pid)
    busiest = max((cpu - by_pid.get(pid, 0.0) for pid, cpu in after.items()), default=0.0)
    result.values.update(
        {
            f"{case}_rps": run.ok_per_second,
            f"{case}_p50": run.p50_ms,
            f"{case}_p99": run.p99_ms,
            f"{case}_bad": run.non_2xx,
            f"{case}_sockerr": run.socket_errors,
            f"{case}_server_cpu": server_cpu / run.seconds,
            f"{case}_busiest_cpu": busiest / run.seconds,
            f"{case}_client_cpu": client_cpu / run.seconds,
            f"{case}_procs": len(process_tree(server.process.pid)),
        }
    )
    if run.non_2xx or run.socket_errors:
        sample_answer = Client(server.port, endpoint.host)
        try:
            status, body = sample_answer.get(endpoint.path)
        except (OSError, http.client.HTTPException) as exc:
            status, body = 0, repr(exc).encode()
        finally:
            sample_answer.close()
        result.problems.append(
            f"{case}, {run.tool}: {run.non_2xx} of {run.requests} answers were not the "
            f"function's 2xx, {run.socket_errors} socket errors; a GET now answers "
            f"HTTP {status}: {body[:200]!r}"
        )
    log(
        f"[{result.name}] {case}, {run.tool} x{CONNECTIONS}: {fmt(run.ok_per_second)} req/s, "
        f"p50 {fmt(run.p50_ms)} ms, p99 {fmt(run.p99_ms)} ms ({run.requests} answers, "
        f"{run.non_2xx} not the function's 2xx, {run.socket_errors} socket errors; server "
        f"{server_cpu / run.seconds:.2f} cores, busiest process {busiest / run.seconds:.2f}, client {client_cpu / run.seconds:.2f} cores)"
    )
    return client_cpu


# --------------------------------------------------------------------------- per target


@dataclass
class Readings:
    """CPU readings at a server's start, for pipeline.other_work."""

    machine: tuple[int, int]
    own: float
    started: float


def bench_target(
    target: HttpTarget, settings: Settings, quiet_wait_s: float, use_wrk: bool
) -> TargetResult:
    result: TargetResult = pipeline.TargetResult(target.name)
    try:
        lambda_bench.ensure_venv(target.base)
    except subprocess.CalledProcessError as exc:
        result.problems.append(f"install failed: {exc}")
        return result
    result.version = lambda_bench.installed_version(target.base)
    result.busy_before = pipeline.wait_quiet(target.name, quiet_wait_s)
    if result.busy_before > lambda_bench.BUSY_CORES:
        result.notes.append(
            f"other work kept {result.busy_before:.2f} cores busy in the second before this "
            "target started: it shared the cores, so these figures are pessimistic"
        )
    try:
        with running(target) as (_, seconds):  # warms the bytecode cache
            log(f"[{target.name}] warm-up start: {seconds:.3f}s")
        with running(target) as (server, seconds):
            log(f"[{target.name}] started in {seconds:.3f}s on port {server.port}")
            readings = Readings(lambda_bench.cpu_times(), time.process_time(), time.time())
            endpoints: dict[str, Endpoint] = {}
            client_cpu = [0.0]  # wrk's CPU time: a child of this process, not other work
            pipeline.guarded(
                result, "deploy", lambda: endpoints.update(target.deploy(server, result))
            )
            for case, endpoint in endpoints.items():
                log(f"[{target.name}] {case}: {endpoint}")
                pipeline.guarded(
                    result,
                    case,
                    lambda: client_cpu.append(
                        measure_case(server, case, endpoint, settings, result, use_wrk)
                    ),
                )
            result.busy_during = pipeline.other_work(
                server, readings.machine, readings.own - sum(client_cpu), readings.started
            )
        if result.busy_during > lambda_bench.BUSY_CORES:
            result.notes.append(
                f"other work kept about {result.busy_during:.2f} cores busy on average while "
                "this target ran: it shared the cores, so these figures are pessimistic"
            )
    except StartError as exc:
        result.problems.append(f"did not start: {str(exc)[:500]}")
    return result


# --------------------------------------------------------------------------- report


def figures(settings: Settings) -> list[Figure]:
    rows: list[Figure] = []
    for case in CASES:
        rows += [
            Figure(f"{case}_rps", f"{TITLES[case]}: req/s, {CONNECTIONS} connections", True),
            Figure(f"{case}_p50", "  p50 (ms)", False),
            Figure(f"{case}_p99", "  p99 (ms)", False),
            Figure(f"{case}_bad", "  answers not the function's 2xx (count)", None),
            Figure(f"{case}_sockerr", "  socket errors (count)", None),
            Figure(f"{case}_server_cpu", "  cores used by the server's processes", None),
            Figure(f"{case}_busiest_cpu", "    of which its busiest process", None),
            Figure(f"{case}_client_cpu", "  cores used by the load client", None),
            Figure(f"{case}_procs", "  server processes after the load", None),
            Figure(f"{case}_seq_p50", "  1 connection, sequential: p50 (ms)", False),
            Figure(f"{case}_seq_p99", "  1 connection, sequential: p99 (ms)", False),
        ]
    return rows


def target_table(cloudlet: TargetResult) -> str:
    values = cloudlet.values

    rows = []
    for case in CASES:
        name = "REST API → Lambda" if case == "rest" else "HTTP API → Lambda"
        rps, p50 = values.get(f"{case}_rps"), values.get(f"{case}_p50")
        rows += [
            [
                f"{name}, req/s, {CONNECTIONS} connections",
                f">= {RPS_GOAL:,.0f}/s",
                pipeline.shown(rps, "/s"),
                pipeline.verdict(rps, lambda v: v >= RPS_GOAL),
            ],
            [
                f"{name}, p50, {CONNECTIONS} connections",
                f"<= {P50_GOAL_MS:.0f} ms",
                pipeline.shown(p50, " ms"),
                pipeline.verdict(p50, lambda v: v <= P50_GOAL_MS),
            ],
            [
                "  p50 with 1 connection (for reference)",
                "-",
                pipeline.shown(values.get(f"{case}_seq_p50"), " ms"),
                "-",
            ],
        ]
    return table(["cloudlet target", "goal", "measured", "verdict"], rows)


def report(results: list[TargetResult], settings: Settings, load_tool: str) -> str:
    mode = "quick" if settings is QUICK else "full"
    loads = ", ".join(
        f"{r.name} {fmt(r.busy_before)} before, {fmt(r.busy_during)} during" for r in results
    )
    parts = [
        f"## API Gateway benchmark ({mode} run; {os.cpu_count()} cores, shared by the load "
        f"client and the server; load: {load_tool}, {CONNECTIONS} connections, "
        f"{settings.load_s} s; cores busy with other work before and while each "
        f"target ran: {loads}; {lambda_bench.RUNTIME} handler at {lambda_bench.MEMORY_MB} MB)",
        "",
        pipeline.figure_table(figures(settings), results),
    ]
    by_name = {r.name: r for r in results}
    peers = [r for r in results if r.name != "cloudlet"]
    if "cloudlet" in by_name and peers:
        parts += [
            "",
            "### Ratios cloudlet / peer",
            "",
            pipeline.figure_ratios(figures(settings), by_name["cloudlet"], peers),
        ]
    if "cloudlet" in by_name:
        parts += ["", "### cloudlet targets", "", target_table(by_name["cloudlet"])]
    notes = [f"- {name}: {why}" for name, why in NOT_RUN.items()]
    return "\n".join(parts + closing_sections(results, notes))


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/http.py", description=(__doc__ or "").split("\n")[0]
    )
    target_arguments(parser, TARGETS, "cloudlet,ministack,chalice", no_wrk=True, quiet_wait=True)
    args = parser.parse_args(argv)
    chosen_targets(parser, args, TARGETS, NOT_RUN)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None
    if not use_wrk and not args.no_wrk:
        log("wrk not found (apt-get install -y wrk); using the asyncio load client")
    results = run_targets(
        args.targets,
        lambda name: bench_target(TARGETS[name], settings, args.quiet_wait, use_wrk),
    )
    if results is None:
        return 130
    tool = (
        f"wrk, {WRK_THREADS} threads" if use_wrk else "asyncio client (2xx counted, body not read)"
    )
    print(report(results, settings, tool))
    return 0


if __name__ == "__main__":
    sys.exit(main())
