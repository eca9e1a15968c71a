"""SQS benchmark: cloudlet against moto's server and MiniStack, in the same run.

Every target is a real server process on a free port on 127.0.0.1, each installed in a
throwaway virtualenv of its own under ``bench/.venvs/<name>`` (created with
``python -m venv`` + ``pip install`` on first use), so nobody's pins touch anybody
else's and all pay the same interpreter start-up. cloudlet is installed from this
repository (not editable), reinstalled on every run, with its durable store on
(``--data-dir`` in a temporary directory).

For each target the benchmark measures:

1. Start-up: wall time from spawning the process to the first HTTP 200 answer to a raw
   JSON-protocol ``ListQueues``, polled every 2 ms; median of 3 fresh starts after one
   unmeasured start that warms the bytecode cache (kept in bench/.venvs/.pycache).
2. Idle RSS: VmRSS from ``/proc/<pid>/status`` summed over the server's process tree,
   read 0.5 s after its first answer (median of the same 3 starts).
3. boto3 throughput at 1 and 8 concurrent clients (one thread and one client each,
   created before timing): ``SendMessage`` for a fixed duration, then
   ``ReceiveMessage(10)`` + ``DeleteMessageBatch`` rounds on a queue prefilled with
   10,000 messages until the duration ends or the queue is empty. Reports messages/s
   and p50/p99 latency (per SendMessage call; per Receive+Delete round). Each phase
   uses a fresh queue, deleted afterwards.
4. Depth cost: ms per ``ReceiveMessage(10)`` + ``DeleteMessageBatch`` round, over a fixed
   number of rounds, on a queue filled (with ``SendMessageBatch``) to 100 and to 20,000
   messages (plus the messages the rounds consume, so the depth holds throughout).
   A target that cannot fill a queue within the fill budget is measured at the depth it
   reached, and that is reported as a problem instead of a figure.
5. Server capacity without boto3's client cost: ``wrk`` (2 threads, 32 connections)
   POSTs a JSON-protocol ``SendMessage`` for a fixed duration. Only 2xx answers count as
   throughput; non-2xx answers and socket errors are reported. Without ``wrk`` an asyncio
   raw-HTTP client with as many connections stands in (it is slower, so it says so).
6. Ratios cloudlet/peer for each figure, and a summary of cloudlet's targets.

Usage: ``python bench/sqs.py [--targets cloudlet,moto,ministack] [--quick] [--no-wrk]``.
All traffic goes to 127.0.0.1; every loop is bounded by a count or a duration; every
server started is stopped on exit, Ctrl-C or error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
from botocore.config import Config

HOST = "127.0.0.1"
REGION = "us-east-1"
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENVS_DIR = BENCH_DIR / ".venvs"
PYCACHE_DIR = VENVS_DIR / ".pycache"
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=host, Signature=0000"
)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0
WARMUP_ROUNDS = 2  # unmeasured Receive+Delete rounds before the depth measurement

os.environ.setdefault("NO_PROXY", HOST)  # never route loopback traffic through a proxy


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Counts and durations of one run (full or --quick)."""

    starts: int
    throughput_seconds: float
    receive_prefill: int
    depths: tuple[int, int]
    depth_rounds: int
    load_seconds: int
    fill_budget_s: float  # a slow peer fills what it can in this time, and we say so
    depth_rounds_budget_s: float
    load_threads: int = 2
    load_connections: int = 32
    concurrencies: tuple[int, ...] = (1, 8)


FULL = Settings(
    starts=3,
    throughput_seconds=5.0,
    receive_prefill=10_000,
    depths=(100, 20_000),
    depth_rounds=50,
    load_seconds=10,
    fill_budget_s=30.0,
    depth_rounds_budget_s=20.0,
)
QUICK = Settings(
    starts=1,
    throughput_seconds=1.0,
    receive_prefill=2_000,
    depths=(100, 2_000),
    depth_rounds=20,
    load_seconds=2,
    fill_budget_s=5.0,
    depth_rounds_budget_s=5.0,
)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """How to install and start one server."""

    name: str
    pip_spec: str | None  # None: runs from this repository's environment
    command: Callable[[int, Path], list[str]]
    env: Callable[[int, Path], dict[str, str]]


def venv_bin(peer: str, script: str) -> Path:
    return VENVS_DIR / peer / "bin" / script


def cloudlet_command(port: int, tmp: Path) -> list[str]:
    data_dir = tmp / "data"
    data_dir.mkdir(exist_ok=True)
    return [
        str(venv_bin("cloudlet", "python")),
        "-m",
        "cloudlet",
        "up",
        "--host",
        HOST,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]


def moto_command(port: int, tmp: Path) -> list[str]:
    return [str(venv_bin("moto", "moto_server")), "-H", HOST, "-p", str(port)]


def ministack_command(port: int, tmp: Path) -> list[str]:
    return [str(venv_bin("ministack", "ministack"))]


def ministack_env(port: int, tmp: Path) -> dict[str, str]:
    # TMPDIR keeps its PID file (tempfile.gettempdir()/ministack-<port>.pid) in our tmp dir.
    return {"BIND_HOST": HOST, "GATEWAY_PORT": str(port), "TMPDIR": str(tmp)}


def no_env(port: int, tmp: Path) -> dict[str, str]:
    return {}


TARGETS: dict[str, Target] = {
    "cloudlet": Target("cloudlet", str(REPO_ROOT), cloudlet_command, no_env),
    "moto": Target("moto", "moto[server]", moto_command, no_env),
    "ministack": Target("ministack", "ministack", ministack_command, ministack_env),
}


def ensure_venv(target: Target) -> None:
    """Create bench/.venvs/<peer> and install the peer into it on first use."""
    if target.pip_spec is None:
        return
    venv = VENVS_DIR / target.name
    marker = venv / ".installed"
    if marker.exists():
        if target.name == "cloudlet":
            # Like the peers, cloudlet runs installed (not editable) in a venv of its own;
            # reinstall it each run so the figures are of the code as it is now.
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            subprocess.run([*pip, "--no-deps", "--force-reinstall", target.pip_spec], check=True)
            # Then whatever it requires that the venv lacks (a dependency added since the
            # venv was made); requirements already met are left alone.
            subprocess.run([*pip, target.pip_spec], check=True)
        return
    log(f"[{target.name}] creating {venv.relative_to(REPO_ROOT)} and installing {target.pip_spec}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, target.pip_spec], check=True)
    marker.write_text(target.pip_spec + "\n")


def installed_version(target: Target) -> str:
    """The peer's installed version (from its venv's metadata), or 'repo' for cloudlet."""
    if target.pip_spec is None or target.name == "cloudlet":
        return "repo"
    dist = target.pip_spec.split("[")[0]
    python = str(VENVS_DIR / target.name / "bin" / "python")
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


# --------------------------------------------------------------------------- processes


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server process (leader of its own process group)."""

    target: Target
    port: int
    tmp: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    started_at: float

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def spawn(target: Target) -> Server:
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{target.name}-"))
    log_path = tmp / "server.log"
    env = {**os.environ, **target.env(port, tmp)}
    # Every target starts as on a user's machine: with a warm bytecode cache. This
    # machine sets PYTHONDONTWRITEBYTECODE, so the cache goes to a tree of our own
    # (bench/.venvs/.pycache), never into the servers' source trees.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    command = target.command(port, tmp)
    with log_path.open("wb") as out:
        started_at = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(target, port, tmp, process, log_path, started_at)


def stop(server: Server) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers, remove its tmp dir."""
    process = server.process
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # stray children left in the group
        os.killpg(process.pid, signal.SIGKILL)
    shutil.rmtree(server.tmp, ignore_errors=True)


class StartError(RuntimeError):
    pass


def raw_sqs_call(
    port: int, operation: str, payload: dict[str, Any], timeout: float = 5.0
) -> tuple[int, bytes]:
    """One JSON-protocol SQS call over a fresh HTTP connection: (status, body)."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AmazonSQS.{operation}",
        "X-Amz-Date": "20240101T000000Z",
        "Authorization": AUTHORIZATION,
    }
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_first_answer(server: Server) -> float:
    """Poll ListQueues until a 200 answer; return seconds since the process was spawned."""
    deadline = server.started_at + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise StartError(f"exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _ = raw_sqs_call(server.port, "ListQueues", {})
            if status == 200:
                return time.perf_counter() - server.started_at
        except OSError:
            pass
        time.sleep(0.002)
    raise StartError(f"no answer within {START_TIMEOUT_S:.0f}s:\n{server.log_tail()}")


@contextlib.contextmanager
def running(target: Target) -> Iterator[tuple[Server, float]]:
    """Start a server, yield it with its start-up time, always stop it."""
    server = spawn(target)
    try:
        yield server, wait_first_answer(server)
    finally:
        stop(server)


def process_tree(root: int) -> list[int]:
    """root and all its descendants, from the ppid field of /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def vm_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mib(root: int) -> float:
    return sum(vm_rss_kib(pid) for pid in process_tree(root)) / 1024


# --------------------------------------------------------------------------- measurements


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def sqs_client(endpoint: str) -> Any:
    config = Config(
        retries={"total_max_attempts": 1},  # an error must show, not hide in a retry
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=2,
    )
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


@contextlib.contextmanager
def scratch_queue(client: Any, label: str) -> Iterator[str]:
    """A new queue for one phase, deleted afterwards so no phase inherits another's
    messages."""
    name = f"bench-{label}-{uuid.uuid4().hex[:8]}"
    url = str(client.create_queue(QueueName=name)["QueueUrl"])
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            client.delete_queue(QueueUrl=url)


@dataclass
class Rate:
    """Messages per second and per-operation latencies of one timed phase."""

    messages: int
    seconds: float
    latencies: list[float]
    errors: int = 0
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def p(self, pct: float) -> float | None:
        return percentile(self.latencies, pct) * 1000 if self.latencies else None


@dataclass
class WorkerResult:
    messages: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""


def run_workers(
    clients: list[Any], work: Callable[[Any, float, WorkerResult], None], seconds: float
) -> Rate:
    """Run work(client, deadline, result) in one thread per client, started together."""
    results = [WorkerResult() for _ in clients]
    barrier = threading.Barrier(len(clients) + 1)
    deadline_box: list[float] = []

    def body(client: Any, result: WorkerResult) -> None:
        barrier.wait()
        work(client, deadline_box[0], result)

    threads = [
        threading.Thread(target=body, args=pair, daemon=True)
        for pair in zip(clients, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline_box.append(started + seconds)
    barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    errors = [r.first_error for r in results if r.first_error]
    return Rate(
        messages=sum(r.messages for r in results),
        seconds=elapsed,
        latencies=[lat for r in results for lat in r.latencies],
        errors=sum(r.errors for r in results),
        first_error=errors[0] if errors else "",
    )


def record_error(result: WorkerResult, exc: Exception) -> None:
    result.errors += 1
    if not result.first_error:
        result.first_error = f"{type(exc).__name__}: {exc}"[:200]


def send_phase(queue_url: str) -> Callable[[Any, float, WorkerResult], None]:
    def work(client: Any, deadline: float, result: WorkerResult) -> None:
        while (now := time.perf_counter()) < deadline:
            try:
                client.send_message(QueueUrl=queue_url, MessageBody="hello")
            except Exception as exc:  # noqa: BLE001 - a peer's failure is a result
                record_error(result, exc)
                continue
            result.latencies.append(time.perf_counter() - now)
            result.messages += 1

    return work


def receive_delete_round(client: Any, queue_url: str) -> int:
    """One ReceiveMessage(10) + DeleteMessageBatch round; returns messages deleted."""
    received = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    messages = received.get("Messages", [])
    if not messages:
        return 0
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    deleted = client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    if deleted.get("Failed"):
        raise RuntimeError(f"DeleteMessageBatch failed entries: {deleted['Failed'][:1]}")
    return len(messages)


def receive_phase(queue_url: str) -> Callable[[Any, float, WorkerResult], None]:
    def work(client: Any, deadline: float, result: WorkerResult) -> None:
        while (now := time.perf_counter()) < deadline:
            try:
                count = receive_delete_round(client, queue_url)
            except Exception as exc:  # noqa: BLE001
                record_error(result, exc)
                if result.errors > 100:
                    return
                continue
            if count == 0:  # queue drained: this worker is done
                return
            result.latencies.append(time.perf_counter() - now)
            result.messages += count

    return work


def fill_queue(clients: list[Any], queue_url: str, count: int, budget_s: float) -> int:
    """Put up to count messages on the queue with SendMessageBatch, spread over the
    clients, for at most budget_s seconds; return how many were sent."""
    batches = [min(10, count - start) for start in range(0, count, 10)]
    shares = [batches[i :: len(clients)] for i in range(len(clients))]
    sent = [0] * len(clients)
    failures: list[str] = []
    deadline = time.perf_counter() + budget_s

    def body(index: int, client: Any, share: list[int]) -> None:
        for size in share:
            if time.perf_counter() >= deadline:
                return
            entries = [{"Id": str(i), "MessageBody": "hello"} for i in range(size)]
            try:
                answer = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
                return
            if answer.get("Failed"):
                failures.append(f"SendMessageBatch failed entries: {answer['Failed'][:1]}")
                return
            sent[index] += size

    threads = [
        threading.Thread(target=body, args=(i, client, share), daemon=True)
        for i, (client, share) in enumerate(zip(clients, shares, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=budget_s + 120)
    if failures:
        raise RuntimeError(f"filling the queue failed: {failures[0]}")
    return sum(sent)


def depth_cost(client: Any, queue_url: str, rounds: int, budget_s: float) -> list[float]:
    """Seconds per Receive+Delete round: a fixed number of rounds, fewer (at least 3)
    if they take longer than budget_s, after WARMUP_ROUNDS unmeasured ones."""
    for _ in range(WARMUP_ROUNDS):
        receive_delete_round(client, queue_url)
    costs: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(costs) < rounds and (len(costs) < 3 or time.perf_counter() < deadline):
        start = time.perf_counter()
        if receive_delete_round(client, queue_url) == 0:
            raise RuntimeError("queue unexpectedly empty during the depth test")
        costs.append(time.perf_counter() - start)
    return costs


# --------------------------------------------------------------------------- raw HTTP load


@dataclass
class Load:
    """Result of the raw-HTTP SendMessage load."""

    tool: str
    requests: int
    ok: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def non_2xx(self) -> int:
        return self.requests - self.ok


WRK_SCRIPT = """
wrk.method = "POST"
wrk.path = "/"
%(headers)s
wrk.body = '%(body)s'

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 end
end
function done(summary, latency, requests)
  local total_ok = 0
  for _, thread in ipairs(threads) do total_ok = total_ok + thread:get("ok") end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%%d ok=%%d duration_us=%%d p50_us=%%d p99_us=%%d socket_errors=%%d\\n",
    summary.requests, total_ok, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_script(headers: dict[str, str], body: str) -> str:
    """A wrk script that POSTs one request over and over and counts the 2xx answers."""
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    return WRK_SCRIPT % {"headers": lines, "body": body.replace("'", "\\'")}


def run_wrk(endpoint: str, script: Path, threads: int, connections: int, seconds: float) -> Load:
    """Run wrk with `script` against `endpoint` and read the script's BENCH line."""
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"{endpoint}/",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(
            f"wrk gave no result (exit {done.returncode}): {done.stdout[-500:]!r} "
            f"{done.stderr[-500:]!r}"
        )
    fields = dict(item.split("=") for item in line.split()[1:])
    return Load(
        tool="wrk",
        requests=int(fields["requests"]),
        ok=int(fields["ok"]),
        seconds=int(fields["duration_us"]) / 1e6,
        p50_ms=int(fields["p50_us"]) / 1000,
        p99_ms=int(fields["p99_us"]) / 1000,
        socket_errors=int(fields["socket_errors"]),
    )


def send_body(queue_url: str) -> str:
    return json.dumps({"QueueUrl": queue_url, "MessageBody": "hello"})


def wrk_load(server: Server, queue_url: str, settings: Settings) -> Load:
    script = server.tmp / "send.lua"
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.SendMessage",
        "X-Amz-Date": "20240101T000000Z",
        "Authorization": AUTHORIZATION,
    }
    script.write_text(wrk_script(headers, send_body(queue_url)))
    return run_wrk(
        server.endpoint,
        script,
        settings.load_threads,
        settings.load_connections,
        settings.load_seconds,
    )


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return (status, server closes the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
    }
    closes = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while (size := int((await reader.readline()).strip() or b"0", 16)) > 0:
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.read()
        closes = True
    return status, closes


async def asyncio_load_run(port: int, request: bytes, connections: int, seconds: float) -> Load:
    latencies: list[float] = []
    counts = {"requests": 0, "ok": 0, "socket_errors": 0}
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        writer: asyncio.StreamWriter | None = None
        while time.perf_counter() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                start = time.perf_counter()
                writer.write(request)
                status, closes = await asyncio.wait_for(read_response(reader), 5)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                counts["socket_errors"] += 1
                writer = None
                continue
            latencies.append(time.perf_counter() - start)
            counts["requests"] += 1
            counts["ok"] += 200 <= status < 300
            if closes:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Load(
        tool="asyncio",
        requests=counts["requests"],
        ok=counts["ok"],
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) * 1000 if latencies else 0.0,
        p99_ms=percentile(latencies, 99) * 1000 if latencies else 0.0,
        socket_errors=counts["socket_errors"],
    )


def asyncio_load(server: Server, queue_url: str, settings: Settings) -> Load:
    body = send_body(queue_url).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        "X-Amz-Target: AmazonSQS.SendMessage\r\nX-Amz-Date: 20240101T000000Z\r\n"
        f"Authorization: {AUTHORIZATION}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return asyncio.run(
        asyncio_load_run(
            server.port, head.encode() + body, settings.load_connections, settings.load_seconds
        )
    )


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    higher_is_better: bool


def figures(settings: Settings) -> list[Figure]:
    shallow, deep = settings.depths
    rows = [
        Figure("startup_s", "start-up to first answer (s)", False),
        Figure("rss_mib", "idle RSS, process tree (MiB)", False),
    ]
    for n in settings.concurrencies:
        rows += [
            Figure(f"send{n}", f"boto3 SendMessage x{n} (msg/s)", True),
            Figure(f"send{n}_p50", f"  p50 per call x{n} (ms)", False),
            Figure(f"send{n}_p99", f"  p99 per call x{n} (ms)", False),
        ]
    for n in settings.concurrencies:
        rows += [
            Figure(f"recv{n}", f"boto3 Receive+DeleteBatch x{n} (msg/s)", True),
            Figure(f"recv{n}_p50", f"  p50 per round x{n} (ms)", False),
            Figure(f"recv{n}_p99", f"  p99 per round x{n} (ms)", False),
        ]
    rows += [
        Figure("depth_shallow", f"Receive+Delete at depth {shallow:,} (ms/round)", False),
        Figure("depth_deep", f"Receive+Delete at depth {deep:,} (ms/round)", False),
        Figure("depth_ratio", f"  depth {deep:,} / depth {shallow:,}", False),
        Figure("load_ok", "raw HTTP SendMessage, 2xx only (req/s)", True),
        Figure("load_p50", "  latency p50 (ms)", False),
        Figure("load_p99", "  latency p99 (ms)", False),
        Figure("load_non2xx", "  non-2xx answers (count)", False),
        Figure("load_sockerr", "  socket errors (count)", False),
    ]
    return rows


@dataclass
class TargetResult:
    name: str
    version: str = ""
    values: dict[str, float | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def measure_startup(target: Target, settings: Settings, result: TargetResult) -> None:
    """Median start-up time and idle RSS over fresh starts, after one unmeasured start
    that warms the bytecode cache and the page cache."""
    with running(target) as (_, seconds):
        log(f"[{target.name}] warm-up start: {seconds:.3f}s")
    times, rss = [], []
    for attempt in range(settings.starts):
        with running(target) as (server, seconds):
            time.sleep(0.5)
            times.append(seconds)
            rss.append(tree_rss_mib(server.process.pid))
        log(f"[{target.name}] start {attempt + 1}: {seconds:.3f}s, RSS {rss[-1]:.1f} MiB")
    result.values["startup_s"] = statistics.median(times)
    result.values["rss_mib"] = statistics.median(rss)


def store_rate(result: TargetResult, key: str, rate: Rate, what: str) -> None:
    result.values[key] = rate.per_second
    result.values[f"{key}_p50"] = rate.p(50)
    result.values[f"{key}_p99"] = rate.p(99)
    if rate.errors:
        result.problems.append(f"{what}: {rate.errors} failed calls, first: {rate.first_error}")
    log(
        f"[{result.name}] {what}: {rate.per_second:,.0f} msg/s "
        f"({rate.messages} in {rate.seconds:.2f}s, {rate.errors} errors)"
    )


def measure_boto3(server: Server, settings: Settings, result: TargetResult) -> None:
    """SendMessage and Receive+DeleteBatch throughput at each concurrency."""
    for n in settings.concurrencies:
        clients = [sqs_client(server.endpoint) for _ in range(n)]
        with scratch_queue(clients[0], f"send{n}") as queue:
            rate = run_workers(clients, send_phase(queue), settings.throughput_seconds)
        store_rate(result, f"send{n}", rate, f"SendMessage x{n}")
        with scratch_queue(clients[0], f"recv{n}") as queue:
            filled = fill_queue(clients, queue, settings.receive_prefill, settings.fill_budget_s)
            rate = run_workers(clients, receive_phase(queue), settings.throughput_seconds)
        if filled < settings.receive_prefill:
            result.problems.append(
                f"Receive+DeleteBatch x{n}: prefill reached only {filled:,} of "
                f"{settings.receive_prefill:,} messages in {settings.fill_budget_s:.0f} s"
            )
        store_rate(result, f"recv{n}", rate, f"Receive+DeleteBatch x{n}")


def measure_depth(server: Server, settings: Settings, result: TargetResult) -> None:
    """ms per Receive+Delete round at a shallow and a deep queue. The queue holds the
    depth plus the messages the rounds consume, so the depth holds throughout."""
    clients = [sqs_client(server.endpoint) for _ in range(8)]
    for key, depth in zip(("depth_shallow", "depth_deep"), settings.depths, strict=True):
        wanted = depth + (WARMUP_ROUNDS + settings.depth_rounds) * 10
        with scratch_queue(clients[0], f"depth{depth}") as queue:
            started = time.perf_counter()
            filled = fill_queue(clients, queue, wanted, settings.fill_budget_s)
            fill_s = time.perf_counter() - started
            if filled < 30:
                raise RuntimeError(f"depth {depth:,}: only {filled} messages sent")
            costs = depth_cost(
                clients[0], queue, settings.depth_rounds, settings.depth_rounds_budget_s
            )
        ms = statistics.mean(costs) * 1000
        log(
            f"[{result.name}] depth {depth:,}: {ms:.2f} ms/round over {len(costs)} rounds "
            f"({filled:,} messages sent in {fill_s:.1f}s)"
        )
        if filled < wanted:
            result.problems.append(
                f"depth {depth:,} not reached: {filled:,} of {wanted:,} messages sent in "
                f"{settings.fill_budget_s:.0f} s; at that depth {ms:,.0f} ms/round"
            )
            continue
        if len(costs) < settings.depth_rounds:
            result.problems.append(
                f"depth {depth:,}: only {len(costs)} rounds in the "
                f"{settings.depth_rounds_budget_s:.0f} s budget"
            )
        result.values[key] = ms
    shallow, deep = result.values.get("depth_shallow"), result.values.get("depth_deep")
    if shallow and deep is not None:
        result.values["depth_ratio"] = deep / shallow


def measure_load(server: Server, settings: Settings, result: TargetResult, use_wrk: bool) -> None:
    """Server-side SendMessage capacity with a raw-HTTP load generator."""
    with scratch_queue(sqs_client(server.endpoint), "load") as queue:
        load = (wrk_load if use_wrk else asyncio_load)(server, queue, settings)
    result.values.update(
        load_ok=load.ok_per_second,
        load_p50=load.p50_ms,
        load_p99=load.p99_ms,
        load_non2xx=load.non_2xx,
        load_sockerr=load.socket_errors,
    )
    if load.non_2xx or load.socket_errors:
        result.problems.append(
            f"raw load: {load.non_2xx} non-2xx of {load.requests} answers, "
            f"{load.socket_errors} socket errors"
        )
    log(
        f"[{result.name}] {load.tool}: {load.ok_per_second:,.0f} ok req/s "
        f"({load.requests} answers, {load.non_2xx} non-2xx, {load.socket_errors} socket errors)"
    )


def guarded(result: TargetResult, what: str, step: Callable[[], None]) -> None:
    """Run one measurement; a failure is recorded as a problem, not a crash."""
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - a peer's failure is a result
        result.problems.append(f"{what} failed: {type(exc).__name__}: {str(exc)[:300]}")
        log(f"[{result.name}] {what} FAILED: {exc}")


def bench_target(target: Target, settings: Settings, use_wrk: bool) -> TargetResult:
    result = TargetResult(target.name)
    try:
        ensure_venv(target)
    except subprocess.CalledProcessError as exc:
        result.problems.append(f"install failed: {exc}")
        return result
    result.version = installed_version(target)
    try:
        measure_startup(target, settings, result)
    except StartError as exc:
        result.problems.append(f"did not start: {str(exc)[:500]}")
        return result
    with running(target) as (server, _):
        guarded(result, "boto3 throughput", lambda: measure_boto3(server, settings, result))
        guarded(result, "depth cost", lambda: measure_depth(server, settings, result))
        guarded(result, "raw HTTP load", lambda: measure_load(server, settings, result, use_wrk))
    return result


# --------------------------------------------------------------------------- report


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value else "0"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def results_table(results: list[TargetResult], settings: Settings) -> str:
    header = ["figure", *(f"{r.name} ({r.version})" for r in results)]
    rows = [[f.label, *(fmt(r.values.get(f.key)) for r in results)] for f in figures(settings)]
    return table(header, rows)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    value = a / b
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def ratio_table(cloudlet: TargetResult, peers: list[TargetResult], settings: Settings) -> str:
    header = ["figure (cloudlet / peer)", "better", *(p.name for p in peers)]
    rows = []
    for f in figures(settings):
        if f.key.startswith("load_") and f.key not in ("load_ok", "load_p50", "load_p99"):
            continue  # ratios of error counts mean nothing
        rows.append(
            [
                f.label,
                "higher" if f.higher_is_better else "lower",
                *(ratio(cloudlet.values.get(f.key), p.values.get(f.key)) for p in peers),
            ]
        )
    return table(header, rows)


DEPTH_RATIO_MAX = 1.5  # "near 1": the deep queue costs at most 1.5x the shallow one


def target_table(cloudlet: TargetResult, peers: list[TargetResult]) -> str:
    values = cloudlet.values
    loads = {p.name: load for p in peers if (load := p.values.get("load_ok"))}
    best_name = max(loads, key=lambda name: loads[name]) if loads else ""
    best = loads.get(best_name)
    own = values.get("load_ok")
    load_ratio = own / best if best and own is not None else None

    def verdict(value: float | None, ok: Callable[[float], bool]) -> str:
        return "n/a" if value is None else ("PASS" if ok(value) else "FAIL")

    rows = [
        [
            "raw SendMessage req/s vs best peer" + (f" ({best_name})" if best_name else ""),
            ">= 3.00x",
            ratio(values.get("load_ok"), best),
            verdict(load_ratio, lambda v: v >= 3),
        ],
        [
            "Receive+Delete cost, deep / shallow",
            f"<= {DEPTH_RATIO_MAX:.2f}x",
            ratio(values.get("depth_deep"), values.get("depth_shallow")),
            verdict(values.get("depth_ratio"), lambda v: v <= DEPTH_RATIO_MAX),
        ],
        [
            "start-up to first answer",
            "<= 0.300 s",
            fmt(values.get("startup_s")) + " s",
            verdict(values.get("startup_s"), lambda v: v <= 0.3),
        ],
        [
            "idle RSS",
            "<= 40 MiB",
            fmt(values.get("rss_mib")) + " MiB",
            verdict(values.get("rss_mib"), lambda v: v <= 40),
        ],
    ]
    return table(["cloudlet target", "goal", "measured", "verdict"], rows)


def report(results: list[TargetResult], settings: Settings, load_tool: str) -> str:
    mode = "quick" if settings is QUICK else "full"
    parts = [
        f"## SQS benchmark ({mode} run; {os.cpu_count()} cores; raw load: {load_tool}, "
        f"{settings.load_threads} threads, {settings.load_connections} connections, "
        f"{settings.load_seconds} s)",
        "",
        results_table(results, settings),
    ]
    by_name = {r.name: r for r in results}
    peers = [r for r in results if r.name != "cloudlet"]
    if "cloudlet" in by_name and peers:
        parts += [
            "",
            "### Ratios cloudlet / peer",
            "",
            ratio_table(by_name["cloudlet"], peers, settings),
        ]
    if "cloudlet" in by_name:
        parts += ["", "### cloudlet targets", "", target_table(by_name["cloudlet"], peers)]
    return "\n".join(parts + closing_sections(results))


R = TypeVar("R")

# --------------------------------------------------------------------------- main


def target_arguments(
    parser: argparse.ArgumentParser,
    known: Iterable[str],
    default: str,
    *,
    no_wrk: bool = False,
    quiet_wait: bool = False,
) -> None:
    """The options every benchmark in bench/ shares: --targets and --quick, and --no-wrk
    and --quiet-wait for those that have them."""
    parser.add_argument(
        "--targets", default=default, help="comma-separated subset of: " + ",".join(known)
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    if no_wrk:
        parser.add_argument(
            "--no-wrk",
            action="store_true",
            help="use the asyncio load client even if wrk is installed",
        )
    if quiet_wait:
        parser.add_argument(
            "--quiet-wait",
            type=float,
            default=120.0,
            metavar="SECONDS",
            help="before each target, wait up to this long for other work to leave the "
            "cores (default 120; 0: do not wait)",
        )


def chosen_targets(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    known: Iterable[str],
    not_run: dict[str, str] | None = None,
) -> None:
    """`args.targets` as a list of names: those this benchmark cannot run are logged
    with the reason and left out; an unknown name is a usage error."""
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    for name in [t for t in names if t in (not_run or {})]:
        log(f"{name}: {(not_run or {})[name]}")
    names = [t for t in names if t not in (not_run or {})]
    unknown = [t for t in names if t not in set(known)]
    if unknown:
        parser.error(f"unknown targets: {', '.join(unknown)}")
    args.targets = names


def closing_sections(results: Iterable[Any], notes: list[str] | None = None) -> list[str]:
    """A report's last sections: ### Notes (each target's notes, then `notes`; left out
    when `notes` is None) and ### Problems."""
    parts: list[str] = []
    if notes is not None:
        mine = [f"- {r.name}: {n}" for r in results for n in r.notes]
        parts += ["", "### Notes", "", *mine, *notes]
    problems = [f"- {r.name}: {p}" for r in results for p in r.problems]
    return parts + ["", "### Problems", "", *(problems or ["- none"])]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    target_arguments(parser, TARGETS, "cloudlet,moto,ministack", no_wrk=True)
    args = parser.parse_args(argv)
    chosen_targets(parser, args, TARGETS)
    return args


def interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt."""
    raise KeyboardInterrupt


def run_targets(names: list[str], bench_one: Callable[[str], R]) -> list[R] | None:
    """Bench each target in turn; None when interrupted. Ctrl-C and SIGTERM both unwind,
    so every `with running(...)` stops its server (SIGINT set explicitly: a background
    job may inherit it ignored). Shared by every benchmark in bench/."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    results = []
    try:
        for name in names:
            log(f"== {name}")
            results.append(bench_one(name))
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return None
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None
    if not use_wrk and not args.no_wrk:
        log("wrk not found (apt-get install -y wrk); using the asyncio load client")
    results = run_targets(args.targets, lambda name: bench_target(TARGETS[name], settings, use_wrk))
    if results is None:
        return 130
    print(report(results, settings, "wrk" if use_wrk else "asyncio client"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
