"""DynamoDB benchmark: cloudlet against moto's server and MiniStack, in the same run.

The targets are started exactly as ``bench/sqs.py`` starts them (its targets, virtualenvs
and start/stop code are reused): cloudlet installed from this repository into
``bench/.venvs/cloudlet`` with its durable store on, moto's server and MiniStack from
virtualenvs of their own, each on a free port on 127.0.0.1, after one unmeasured start
that warms the bytecode cache. Before each target the benchmark waits (up to
``--quiet-wait`` seconds) until other work keeps at most 0.3 cores busy, and before
each timed phase up to 30 s more (a phase lasts seconds, a burst of other work skews
it); it reports what other work kept busy before and while the target ran.

Every table has the key schema of a single-table design: ``pk`` (S, HASH) and ``sk``
(S, RANGE), on-demand billing. Items are small (~130 bytes: the keys, a 64-character
string and a number). For each target, with boto3 clients (retries off, so an error
shows; one client per thread, created and warmed with one call of each operation before
timing):

1. Throughput at 1 and 8 client threads, each operation for a fixed duration; ops/s and
   p50/p99 per call:
   - ``PutItem``: a new key on every call, into a table of its own;
   - ``GetItem``: a random one of 1,000 prefilled items (each answer must hold the item);
   - ``Query``: one page of 100 items from a partition of 400 (``pk = :p AND sk >= :s``
     with a random start, ``Limit`` 100; each answer must hold 100 items);
   - ``UpdateItem`` with ``ADD hits :one`` on one item, the atomic counter of seed 001:
     all threads update the same item; afterwards a consistent GetItem must read
     exactly the number of acknowledged updates, or the report lists the lost ones.
2. Server capacity without boto3's client cost: ``wrk`` (2 threads, 32 connections)
   POSTs each operation's JSON-protocol call for a fixed duration: ``PutItem`` with a new
   key on every request (a Lua ``request`` function numbers them per thread), the
   others as in 1 with a fixed key, page and counter. Only 2xx answers count; non-2xx
   answers and socket errors are reported, a ``Scan`` with ``Select=COUNT`` checks
   that every acknowledged item is stored and the counter that every acknowledged ADD
   counted. The server's CPU per request is shown. Without ``wrk`` an asyncio raw-HTTP
   client stands in (the same PutItem key for every request; it says so).
3. A large table. 400 items of the queried partition, then filler items (10,000
   partitions of 100) written with ``BatchWriteItem`` (25 items a call) by 8 threads,
   each with its own keep-alive raw-HTTP connection: the client's cost per call is a
   ``json.dumps``, so the load runs at the server's pace (the report shows the cores
   the loader used). The time for the first 10,000 filler items gives every target's
   load rate; cloudlet goes on to 1,000,000 (the report gives the time), and a
   ``Scan`` with ``Select=COUNT`` (4 segments) checks the count. The peers stop at
   10,000: at their rate 1,000,000 would take too long for one run, so their time for
   1,000,000 is an estimate from the 10,000-item rate, labelled as such.
4. Query latency on the large table against a small one: the same Query as in 1
   (one page of 100 from the 400-item partition), sequential, one client, after
   unmeasured warm-up calls; p50/p99 on the small table (the 400-item partition and
   1,000 others), on the large table at 10,000 filler items (every target) and at
   1,000,000 (cloudlet).

Then ratios cloudlet/peer and cloudlet's targets: at least 3x the best peer's ops/s
for each operation at 1 and at 8 boto3 clients (and with wrk), and Query p50 on the 1,000,000-item table
within 2x of the small table's. The boto3 clients share the machine's cores with the
server (boto3's threads also share one GIL), so the boto3 rows include the client's
cost; the wrk row is the server's own pace.

Usage: ``python bench/dynamodb.py [--targets cloudlet,moto,ministack] [--quick]
[--no-wrk] [--quiet-wait SECONDS]``. All traffic goes to 127.0.0.1; every loop is
bounded by a count or a duration; every server started is stopped on exit, Ctrl-C or
error. A failed operation is listed under "Problems" and the run goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3

# bench/pipeline.py: quiet-wait, per-target results with notes, CPU accounting of other
# work, guarded steps, the figure tables.
import pipeline  # noqa: E402
from botocore.config import Config
from pipeline import Figure  # noqa: E402
from sqs import (
    HOST,
    REGION,
    TARGETS,
    Load,
    Rate,
    Server,
    StartError,
    Target,
    WorkerResult,
    asyncio_load_run,
    chosen_targets,
    closing_sections,
    ensure_venv,
    fmt,
    installed_version,
    log,
    percentile,
    ratio,
    record_error,
    run_targets,
    run_workers,
    run_wrk,
    running,
    table,
    target_arguments,
    wrk_script,
)

lambda_bench: ModuleType = importlib.import_module("lambda")

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0000"
)
TARGET_PREFIX = "DynamoDB_20120810."
OPERATIONS = ("put", "get", "query", "update")
TITLES = {
    "put": "PutItem",
    "get": "GetItem",
    "query": "Query, 100-item page",
    "update": "UpdateItem ADD (one counter)",
}
DATA = "x" * 64  # the payload attribute of every item
PAGE = 100  # items per Query page
QUERY_ITEMS = 400  # items of the queried partition
GET_ITEMS = 1_000
PARTITION = 100  # filler items per partition of the large table
BATCH = 25  # BatchWriteItem's limit
LOADERS = 8  # loader threads, one raw-HTTP connection each
PEER_LARGE = 10_000  # filler items of the peers' large table
WARM_QUERIES = 20  # unmeasured Query calls before a latency sample
WRK_THREADS = 2
WRK_CONNECTIONS = 32
COUNT_SEGMENTS = 4
STEP_BUDGET_S = 60.0  # bound of the waits that are not timed phases
RAW_TOOL = ["wrk"]  # the raw load's client, named in its rows ("asyncio" with --no-wrk)
PHASE_QUIET_S = 30.0  # before each timed phase, wait at most this long for quiet cores

# cloudlet's goals.
THROUGHPUT_GOAL = 3.0  # x the best peer's ops/s, per operation and concurrency
LARGE_QUERY_GOAL = 2.0  # Query p50 large / small, at most

# The earlier measurement of MiniStack, for reference.
MINISTACK_EARLIER = "about 200 PutItem/s through one boto3 client, 1.6 ms server CPU per call"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Counts and durations of one run (full or --quick)."""

    seconds: float  # each boto3 throughput phase
    wrk_seconds: int
    large_items: int  # cloudlet's large table (filler items)
    peer_items: int  # the peers' large table, and every target's first load step
    load_budget_s: float  # the large load, at most
    queries: int  # sequential Query calls per latency sample
    query_budget_s: float
    concurrencies: tuple[int, ...] = (1, 8)


FULL = Settings(
    seconds=5.0,
    wrk_seconds=10,
    large_items=1_000_000,
    peer_items=PEER_LARGE,
    load_budget_s=900.0,
    queries=500,
    query_budget_s=20.0,
)
QUICK = Settings(
    seconds=1.0,
    wrk_seconds=2,
    large_items=50_000,
    peer_items=2_000,
    load_budget_s=120.0,
    queries=100,
    query_budget_s=5.0,
)


# --------------------------------------------------------------------------- clients


def dynamodb_client(endpoint: str) -> Any:
    config = Config(
        retries={"total_max_attempts": 1},  # an error must show, not hide in a retry
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=2,
    )
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


def headers_for(operation: str) -> dict[str, str]:
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": TARGET_PREFIX + operation,
        "X-Amz-Date": "20240101T000000Z",
        "Authorization": AUTHORIZATION,
    }


class RawClient:
    """One keep-alive HTTP connection speaking DynamoDB's JSON protocol, without boto3."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload)
        for attempt in (1, 2):  # one reconnect if the server closed the idle connection
            try:
                self.conn.request("POST", "/", body=body, headers=headers_for(operation))
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status}: {data[:300]!r}")
        answer: dict[str, Any] = json.loads(data or b"{}")
        return answer

    def close(self) -> None:
        self.conn.close()


def item(pk: str, sk: str, n: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, "data": {"S": DATA}, "n": {"N": str(n)}}


def query_sk(i: int) -> str:
    return f"{i:06d}"


def get_key(i: int) -> dict[str, Any]:
    return {"pk": {"S": f"get-{i:05d}"}, "sk": {"S": "0"}}


COUNTER_KEY = {"pk": {"S": "counter"}, "sk": {"S": "0"}}


def filler(i: int) -> dict[str, Any]:
    """Filler item i of the large table: partition i // PARTITION."""
    return item(f"p{i // PARTITION:06d}", f"{i % PARTITION:03d}", i)


# --------------------------------------------------------------------------- tables


def create_table(client: Any, name: str) -> None:
    """Create a pk/sk table and wait until it is ACTIVE (polled, bounded)."""
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    deadline = time.perf_counter() + STEP_BUDGET_S
    while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.perf_counter() > deadline:
            raise RuntimeError(f"table {name} not ACTIVE within {STEP_BUDGET_S:.0f} s")
        time.sleep(0.05)


def batch_write(raw: RawClient, table_name: str, items: list[dict[str, Any]]) -> None:
    """Write up to BATCH items with BatchWriteItem, resubmitting UnprocessedItems
    (bounded)."""
    requests = [{"PutRequest": {"Item": it}} for it in items]
    deadline = time.perf_counter() + STEP_BUDGET_S
    while requests:
        answer = raw.call("BatchWriteItem", {"RequestItems": {table_name: requests}})
        requests = answer.get("UnprocessedItems", {}).get(table_name, [])
        if requests and time.perf_counter() > deadline:
            raise RuntimeError(f"BatchWriteItem: {len(requests)} items still unprocessed")


def write_all(raw: RawClient, table_name: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), BATCH):
        batch_write(raw, table_name, items[start : start + BATCH])


@dataclass
class LoadResult:
    written: int
    seconds: float
    client_cpu_s: float


def load_items(
    port: int, table_name: str, make: Callable[[int], dict[str, Any]], ids: range, budget_s: float
) -> LoadResult:
    """Write make(i) for i in ids with BatchWriteItem from LOADERS threads (each its own
    raw-HTTP connection), for at most budget_s seconds; the batches are handed out in
    order from a shared counter."""
    starts = list(range(ids.start, ids.stop, BATCH))
    lock = threading.Lock()
    cursor = [0]
    written = [0] * LOADERS
    failures: list[str] = []
    deadline = time.perf_counter() + budget_s

    def body(index: int) -> None:
        raw = RawClient(port)
        try:
            while time.perf_counter() < deadline and not failures:
                with lock:
                    if cursor[0] >= len(starts):
                        return
                    start = starts[cursor[0]]
                    cursor[0] += 1
                batch = [make(i) for i in range(start, min(start + BATCH, ids.stop))]
                batch_write(raw, table_name, batch)
                written[index] += len(batch)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            failures.append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            raw.close()

    cpu0 = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(LOADERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=budget_s + 120)
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"loading {table_name} failed: {failures[0]}")
    return LoadResult(sum(written), seconds, time.process_time() - cpu0)


def scan_count(port: int, table_name: str) -> int:
    """Items in the table, by a parallel Scan with Select=COUNT (every page followed)."""
    counts = [0] * COUNT_SEGMENTS
    failures: list[str] = []

    def body(segment: int) -> None:
        raw = RawClient(port)
        request: dict[str, Any] = {
            "TableName": table_name,
            "Select": "COUNT",
            "Segment": segment,
            "TotalSegments": COUNT_SEGMENTS,
        }
        try:
            while True:
                answer = raw.call("Scan", request)
                counts[segment] += int(answer.get("Count", 0))
                if "LastEvaluatedKey" not in answer:
                    return
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            raw.close()

    threads = [threading.Thread(target=body, args=(s,), daemon=True) for s in range(COUNT_SEGMENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if failures:
        raise RuntimeError(f"Scan COUNT of {table_name} failed: {failures[0]}")
    return sum(counts)


# --------------------------------------------------------------------------- operations


def query_request(table_name: str, rng: random.Random) -> dict[str, Any]:
    """One page of PAGE items from the queried partition, from a random start."""
    start = rng.randrange(QUERY_ITEMS - PAGE + 1)
    return {
        "TableName": table_name,
        "KeyConditionExpression": "pk = :p AND sk >= :s",
        "ExpressionAttributeValues": {":p": {"S": "q"}, ":s": {"S": query_sk(start)}},
        "Limit": PAGE,
    }


def checked_query(client: Any, table_name: str, rng: random.Random) -> None:
    answer = client.query(**query_request(table_name, rng))
    if len(answer["Items"]) != PAGE:
        raise RuntimeError(f"Query answered {len(answer['Items'])} items, not {PAGE}")


Operation = Callable[[Any, int, int, random.Random], None]  # client, worker, call number


def operation(name: str, put_table: str, table_name: str) -> Operation:
    if name == "put":

        def put(client: Any, worker: int, n: int, rng: random.Random) -> None:
            client.put_item(TableName=put_table, Item=item(f"put-{worker}-{n}", "0", n))

        return put
    if name == "get":

        def get(client: Any, worker: int, n: int, rng: random.Random) -> None:
            key = get_key(rng.randrange(GET_ITEMS))
            if "Item" not in client.get_item(TableName=table_name, Key=key):
                raise RuntimeError(f"GetItem found no item at {key}")

        return get
    if name == "query":
        return lambda client, worker, n, rng: checked_query(client, table_name, rng)

    def update(client: Any, worker: int, n: int, rng: random.Random) -> None:
        client.update_item(
            TableName=table_name,
            Key=COUNTER_KEY,
            UpdateExpression="ADD hits :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    return update


def phase(op: Operation, label: str) -> Callable[[Any, float, WorkerResult], None]:
    """A worker for sqs.run_workers: op over and over until the deadline. Each worker
    numbers its calls from its own block, so PutItem keys never repeat."""
    counter = iter(range(10**6))
    lock = threading.Lock()

    def work(client: Any, deadline: float, result: WorkerResult) -> None:
        with lock:
            worker = next(counter)
        rng = random.Random(f"{label}-{worker}")
        n = 0
        while (now := time.perf_counter()) < deadline:
            n += 1
            try:
                op(client, worker, n, rng)
            except Exception as exc:  # noqa: BLE001 - a target's failure is a result
                record_error(result, exc)
                if result.errors > 100:
                    return
                continue
            result.latencies.append(time.perf_counter() - now)
            result.messages += 1

    return work


# --------------------------------------------------------------------------- measurements


class TargetResult(pipeline.TargetResult):
    client_cpu_s: float = 0.0  # wrk's CPU time: a child of this process, not "other work"
    quiet_wait_s: float = 0.0


def settle(result: TargetResult) -> None:
    """Before a timed phase, wait (bounded) for other work to leave the cores: this
    machine is shared, and a burst of other work skews a phase of a few seconds."""
    pipeline.wait_quiet(result.name, min(result.quiet_wait_s, PHASE_QUIET_S))


@dataclass
class Tables:
    put: str
    small: str
    large: str
    raw: str


def prepare(server: Server, client: Any, tables: Tables) -> None:
    """Create the tables; fill the small one (query partition, GetItem items, counter)."""
    for name in (tables.put, tables.small, tables.large, tables.raw):
        create_table(client, name)
    items = [item("q", query_sk(i), i) for i in range(QUERY_ITEMS)]
    items += [{**get_key(i), "data": {"S": DATA}, "n": {"N": str(i)}} for i in range(GET_ITEMS)]
    raw = RawClient(server.port)
    try:
        write_all(raw, tables.small, items)
        write_all(raw, tables.large, items[:QUERY_ITEMS])  # the same queried partition
    finally:
        raw.close()


def counter_value(client: Any, table_name: str) -> int:
    answer = client.get_item(TableName=table_name, Key=COUNTER_KEY, ConsistentRead=True)
    return int(answer.get("Item", {}).get("hits", {}).get("N", "0"))


def store_rate(result: TargetResult, key: str, rate: Rate, what: str) -> None:
    result.values[key] = rate.per_second
    result.values[f"{key}_p50"] = rate.p(50)
    result.values[f"{key}_p99"] = rate.p(99)
    if rate.errors:
        result.problems.append(f"{what}: {rate.errors} failed calls, first: {rate.first_error}")
    log(
        f"[{result.name}] {what}: {rate.per_second:,.0f} ops/s "
        f"({rate.messages} in {rate.seconds:.2f}s, {rate.errors} errors)"
    )


def measure_throughput(
    server: Server, settings: Settings, tables: Tables, result: TargetResult
) -> None:
    """Each operation at each concurrency, with warmed clients."""
    for n in settings.concurrencies:
        clients = [dynamodb_client(server.endpoint) for _ in range(n)]
        for name in OPERATIONS:
            op = operation(name, tables.put, tables.small)
            for index, client in enumerate(clients):  # warm-up: one unmeasured call each
                op(client, 10**6 + index, n, random.Random(index))
            before = counter_value(clients[0], tables.small) if name == "update" else 0
            server0, client0 = pipeline.tree_cpu_s(server.process.pid), time.process_time()
            settle(result)
            rate = run_workers(clients, phase(op, f"{name}{n}"), settings.seconds)
            server_s = pipeline.tree_cpu_s(server.process.pid) - server0
            client_s = time.process_time() - client0
            store_rate(result, f"{name}{n}", rate, f"{TITLES[name]} x{n}")
            if rate.messages:
                result.values[f"{name}{n}_server"] = server_s / rate.messages * 1000
                result.values[f"{name}{n}_client"] = client_s / rate.messages * 1000
            if name == "update":
                gained = counter_value(clients[0], tables.small) - before
                if gained != rate.messages:
                    result.problems.append(
                        f"atomic counter x{n}: {rate.messages:,} acknowledged ADDs moved the "
                        f"counter by {gained:,}"
                    )


PUT_LUA = """
-- A new key on every request: this thread's number (set in setup) and a counter.
local thread_count = 0
function setup(thread)
  table.insert(threads, thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end
local sent = 0
function request()
  sent = sent + 1
  local body = string.format(
    '{"TableName":"%(table)s","Item":{"pk":{"S":"raw-%%d-%%d"},"sk":{"S":"0"},'
    .. '"data":{"S":"%(data)s"},"n":{"N":"%%d"}}}', tid, sent, sent)
  return wrk.format(nil, nil, nil, body)
end
"""


def raw_bodies(tables: Tables) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each operation's JSON-protocol call for the raw load: PutItem's is wrk's fallback
    body (PUT_LUA gives every request a new key), the others are sent as they are."""
    return {
        "put": ("PutItem", {"TableName": tables.raw, "Item": item("raw", "0", 0)}),
        "get": ("GetItem", {"TableName": tables.small, "Key": get_key(GET_ITEMS // 2)}),
        "query": ("Query", query_request(tables.small, random.Random(0))),
        "update": (
            "UpdateItem",
            {
                "TableName": tables.small,
                "Key": COUNTER_KEY,
                "UpdateExpression": "ADD hits :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            },
        ),
    }


def measure_raw(
    server: Server, settings: Settings, tables: Tables, result: TargetResult, use_wrk: bool
) -> None:
    """Each operation's server-side capacity with wrk, and checks: every acknowledged
    PutItem stored, every acknowledged ADD counted."""
    client = dynamodb_client(server.endpoint)
    for name, (op, payload) in raw_bodies(tables).items():
        counter_before = counter_value(client, tables.small) if name == "update" else 0
        headers, body = headers_for(op), json.dumps(payload)
        if use_wrk:
            script = server.tmp / f"{name}.lua"
            lua = PUT_LUA % {"table": tables.raw, "data": DATA} if name == "put" else ""
            script.write_text(wrk_script(headers, body) + lua)
            settle(result)
            cpu0, server0 = children_cpu_s(), pipeline.tree_cpu_s(server.process.pid)
            load = run_wrk(
                server.endpoint, script, WRK_THREADS, WRK_CONNECTIONS, settings.wrk_seconds
            )
            result.client_cpu_s += children_cpu_s() - cpu0
            if load.requests:
                server_s = pipeline.tree_cpu_s(server.process.pid) - server0
                result.values[f"raw_{name}_server"] = server_s / load.requests * 1000
        else:
            head = f"POST / HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()
            )
            data = body.encode()
            request = f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data
            load = raw_load(server.port, request, settings)
        result.values[f"raw_{name}"] = load.ok_per_second
        result.values[f"raw_{name}_p50"] = load.p50_ms
        result.values[f"raw_{name}_p99"] = load.p99_ms
        if load.non_2xx or load.socket_errors:
            result.problems.append(
                f"raw {op}: {load.non_2xx} non-2xx of {load.requests} answers, "
                f"{load.socket_errors} socket errors"
            )
        log(
            f"[{result.name}] {load.tool} {op}: {load.ok_per_second:,.0f} ok req/s "
            f"({load.requests} answers, {load.non_2xx} non-2xx, "
            f"{load.socket_errors} socket errors)"
        )
        if name == "put" and use_wrk:
            stored = scan_count(server.port, tables.raw)
            if stored < load.ok:
                result.problems.append(
                    f"raw PutItem: {load.ok:,} acknowledged puts of distinct keys, "
                    f"{stored:,} items stored"
                )
        if name == "update":
            gained = counter_value(client, tables.small) - counter_before
            if gained < load.ok:
                result.problems.append(
                    f"raw UpdateItem: {load.ok:,} acknowledged ADDs moved the counter by {gained:,}"
                )


def raw_load(port: int, request: bytes, settings: Settings) -> Load:
    return asyncio.run(asyncio_load_run(port, request, WRK_CONNECTIONS, settings.wrk_seconds))


def children_cpu_s() -> float:
    """CPU seconds of this process's reaped children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def query_latency(port: int, table_name: str, settings: Settings) -> list[float]:
    """Sequential Query calls with one boto3 client after unmeasured ones; seconds each."""
    client = dynamodb_client(f"http://{HOST}:{port}")
    rng = random.Random(table_name)
    for _ in range(WARM_QUERIES):
        checked_query(client, table_name, rng)
    samples: list[float] = []
    deadline = time.perf_counter() + settings.query_budget_s
    while len(samples) < settings.queries and (len(samples) < 20 or time.perf_counter() < deadline):
        start = time.perf_counter()
        checked_query(client, table_name, rng)
        samples.append(time.perf_counter() - start)
    return samples


def store_latency(result: TargetResult, key: str, samples: list[float], what: str) -> None:
    result.values[f"{key}_p50"] = percentile(samples, 50) * 1000
    result.values[f"{key}_p99"] = percentile(samples, 99) * 1000
    log(
        f"[{result.name}] {what}: p50 {result.values[f'{key}_p50']:.2f} ms, "
        f"p99 {result.values[f'{key}_p99']:.2f} ms over {len(samples)} calls"
    )


def measure_large(
    server: Server, settings: Settings, tables: Tables, result: TargetResult, cloudlet: bool
) -> None:
    """Query p50 on the small table, then on the large one at peer_items filler items and
    (cloudlet) at large_items, with the load times."""
    settle(result)
    store_latency(result, "qsmall", query_latency(server.port, tables.small, settings), "small")
    first = settings.peer_items
    load = load_items(server.port, tables.large, filler, range(first), settings.load_budget_s)
    result.values["load_first_s"] = load.seconds
    result.values["load_first_rate"] = load.written / load.seconds if load.seconds else None
    result.values["load_first_cpu"] = load.client_cpu_s / load.seconds if load.seconds else None
    log(f"[{result.name}] loaded {load.written:,} items in {load.seconds:.1f}s")
    if load.written < first:
        result.problems.append(
            f"large table: {load.written:,} of {first:,} items loaded in "
            f"{settings.load_budget_s:.0f} s"
        )
        return
    rate = load.written / load.seconds
    result.values["load_estimate_s"] = settings.large_items / rate
    settle(result)
    store_latency(result, "qmid", query_latency(server.port, tables.large, settings), "mid")
    if not cloudlet:
        return
    budget = settings.load_budget_s - load.seconds
    rest = load_items(server.port, tables.large, filler, range(first, settings.large_items), budget)
    total = load.written + rest.written
    seconds = load.seconds + rest.seconds
    result.values["load_large_s"] = seconds
    result.values["load_large_rate"] = total / seconds
    result.values["load_large_cpu"] = (load.client_cpu_s + rest.client_cpu_s) / seconds
    log(f"[{result.name}] loaded {total:,} items in {seconds:.1f}s")
    if total < settings.large_items:
        result.problems.append(
            f"large table: {total:,} of {settings.large_items:,} items loaded in "
            f"{settings.load_budget_s:.0f} s"
        )
        return
    started = time.perf_counter()
    stored = scan_count(server.port, tables.large)
    log(f"[{result.name}] Scan COUNT: {stored:,} items in {time.perf_counter() - started:.1f}s")
    if stored != total + QUERY_ITEMS:
        result.problems.append(
            f"large table: Scan COUNT found {stored:,} items, {total + QUERY_ITEMS:,} written"
        )
    settle(result)
    store_latency(result, "qlarge", query_latency(server.port, tables.large, settings), "large")
    small = result.values.get("qsmall_p50")
    large = result.values.get("qlarge_p50")
    if small and large is not None:
        result.values["qlarge_ratio"] = large / small


# --------------------------------------------------------------------------- per target


def bench_target(
    target: Target, settings: Settings, quiet_wait_s: float, use_wrk: bool
) -> TargetResult:
    result = TargetResult(target.name)
    result.client_cpu_s = 0.0
    result.quiet_wait_s = quiet_wait_s
    try:
        ensure_venv(target)
    except subprocess.CalledProcessError as exc:
        result.problems.append(f"install failed: {exc}")
        return result
    result.version = installed_version(target)
    result.busy_before = pipeline.wait_quiet(target.name, quiet_wait_s)
    if result.busy_before > lambda_bench.BUSY_CORES:
        result.notes.append(
            f"other work kept {result.busy_before:.2f} cores busy in the second before this "
            "target started: it shared the cores, so these figures are pessimistic"
        )
    suffix = uuid.uuid4().hex[:6]
    tables = Tables(*(f"bench-{kind}-{suffix}" for kind in ("put", "small", "large", "raw")))
    try:
        with running(target) as (_, seconds):  # warms the bytecode cache
            log(f"[{target.name}] warm-up start: {seconds:.3f}s")
        with running(target) as (server, seconds):
            log(f"[{target.name}] started in {seconds:.3f}s on port {server.port}")
            readings = (lambda_bench.cpu_times(), time.process_time(), time.time())
            client = dynamodb_client(server.endpoint)
            known = len(result.problems)
            pipeline.guarded(result, "tables", lambda: prepare(server, client, tables))
            if len(result.problems) == known:
                steps: list[tuple[str, Callable[[], None]]] = [
                    ("throughput", lambda: measure_throughput(server, settings, tables, result)),
                    ("raw HTTP", lambda: measure_raw(server, settings, tables, result, use_wrk)),
                    (
                        "large table",
                        lambda: measure_large(
                            server, settings, tables, result, target.name == "cloudlet"
                        ),
                    ),
                ]
                for what, step in steps:
                    pipeline.guarded(result, what, step)
            machine, own, started = readings
            # wrk is this process's child: its CPU is ours, not other work's.
            result.busy_during = pipeline.other_work(
                server, machine, own - result.client_cpu_s, started
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
    for name in OPERATIONS:
        for n in settings.concurrencies:
            rows += [
                Figure(f"{name}{n}", f"boto3 {TITLES[name]} x{n} (ops/s)", True),
                Figure(f"{name}{n}_p50", f"  p50 per call x{n} (ms)", False),
                Figure(f"{name}{n}_p99", f"  p99 per call x{n} (ms)", False),
                Figure(f"{name}{n}_server", "  server CPU per call (ms)", False),
                Figure(f"{name}{n}_client", "  client CPU per call, boto3 (ms)", None),
            ]
    for name in OPERATIONS:
        rows += [
            Figure(f"raw_{name}", f"raw HTTP {TITLES[name]}, {RAW_TOOL[0]} (2xx/s)", True),
            Figure(f"raw_{name}_p50", "  latency p50 (ms)", False),
            Figure(f"raw_{name}_p99", "  latency p99 (ms)", False),
            Figure(f"raw_{name}_server", "  server CPU per request (ms)", False),
        ]
    first, large = settings.peer_items, settings.large_items
    rows += [
        Figure("load_first_rate", f"BatchWriteItem load, first {first:,} items (items/s)", True),
        Figure("load_first_s", f"  time for {first:,} items (s)", False),
        Figure("load_first_cpu", "  cores used by the loader", None),
        Figure("load_estimate_s", f"  {large:,} items at that rate, ESTIMATE (s)", False),
        Figure("load_large_s", f"load of {large:,} items, measured (s)", False),
        Figure("load_large_rate", "  items/s", True),
        Figure("load_large_cpu", "  cores used by the loader", None),
        Figure(
            "qsmall_p50",
            f"Query {PAGE} items, small table ({QUERY_ITEMS + GET_ITEMS:,}): p50 (ms)",
            False,
        ),
        Figure("qsmall_p99", "  p99 (ms)", False),
        Figure("qmid_p50", f"Query {PAGE} items, {first:,} more items: p50 (ms)", False),
        Figure("qmid_p99", "  p99 (ms)", False),
        Figure("qlarge_p50", f"Query {PAGE} items, {large:,} more items: p50 (ms)", False),
        Figure("qlarge_p99", "  p99 (ms)", False),
        Figure("qlarge_ratio", "  p50 large / small", False),
    ]
    return rows


def target_table(cloudlet: TargetResult, peers: list[TargetResult], settings: Settings) -> str:
    """The goals, with what the goal needs in ops/s and, for boto3 rows, the most the
    client alone allows: one call costs the client its CPU per call (measured against
    cloudlet), and 8 threads share one GIL, so even a server that cost nothing would see
    at most 1000 / (client ms per call) calls/s from it."""
    values = cloudlet.values
    rows = []
    keys = [f"{name}{n}" for name in OPERATIONS for n in settings.concurrencies]
    keys += [f"raw_{name}" for name in OPERATIONS]
    for key in keys:
        measured = {p.name: v for p in peers if (v := p.values.get(key))}
        best = max(measured, key=lambda name: measured[name]) if measured else ""
        own = values.get(key)
        value = own / measured[best] if best and own is not None else None
        label = next(f.label for f in figures(settings) if f.key == key)
        client_ms = values.get(f"{key}_client")
        rows.append(
            [
                label.replace(" (ops/s)", "").replace(" (2xx/s)", "")
                + (f" vs {best}" if best else ""),
                f">= {THROUGHPUT_GOAL:.2f}x",
                ratio(own, measured.get(best)),
                f"{fmt(THROUGHPUT_GOAL * measured[best])}/s" if best else "n/a",
                f"{fmt(1000 / client_ms)}/s" if client_ms else "-",
                pipeline.verdict(value, lambda v: v >= THROUGHPUT_GOAL),
            ]
        )
    large = values.get("qlarge_ratio")
    rows.append(
        [
            f"Query p50, {settings.large_items:,}-item table / small table",
            f"<= {LARGE_QUERY_GOAL:.2f}x",
            "n/a" if large is None else f"{large:.2f}x",
            "-",
            "-",
            pipeline.verdict(large, lambda v: v <= LARGE_QUERY_GOAL),
        ]
    )
    header = ["cloudlet target", "goal", "measured", "goal in ops/s", "boto3 allows", "verdict"]
    return table(header, rows)


def report(results: list[TargetResult], settings: Settings, load_tool: str) -> str:
    mode = "quick" if settings is QUICK else "full"
    loads = ", ".join(
        f"{r.name} {fmt(r.busy_before)} before, {fmt(r.busy_during)} during" for r in results
    )
    parts = [
        f"## DynamoDB benchmark ({mode} run; {os.cpu_count()} cores, shared by the clients and "
        f"the server; {settings.seconds:g} s per boto3 phase; raw load: {load_tool}; cores "
        f"busy with other work before and while each target ran: {loads})",
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
            pipeline.figure_ratios(
                figures(settings),
                by_name["cloudlet"],
                peers,
                lambda f: f.key.startswith(("qlarge", "load_large")),
            ),
        ]
    if "cloudlet" in by_name:
        parts += [
            "",
            "### cloudlet targets",
            "",
            target_table(by_name["cloudlet"], peers, settings),
        ]
    notes = [
        f"- {p.name}: the large table was loaded to {settings.peer_items:,} filler items only; "
        f"its time for {settings.large_items:,} is an estimate from that rate"
        for p in peers
    ]
    notes.append(
        "- boto3 allows: 1000 / (boto3's CPU per call against cloudlet), the most one client "
        "process can send even to a server that costs nothing (8 threads share one GIL); a "
        "goal above it cannot be met through boto3 on this machine, whatever the server does"
    )
    if "ministack" in by_name:
        notes.append(f"- ministack: measured earlier (the issue): {MINISTACK_EARLIER}")
    return "\n".join(parts + closing_sections(results, notes))


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    target_arguments(parser, TARGETS, "cloudlet,moto,ministack", no_wrk=True, quiet_wait=True)
    args = parser.parse_args(argv)
    chosen_targets(parser, args, TARGETS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None
    if not use_wrk and not args.no_wrk:
        log("wrk not found (apt-get install -y wrk); using the asyncio load client")
    if not use_wrk:
        RAW_TOOL[0] = "asyncio"
    results = run_targets(
        args.targets,
        lambda name: bench_target(TARGETS[name], settings, args.quiet_wait, use_wrk),
    )
    if results is None:
        return 130
    tool = (
        f"wrk, {WRK_THREADS} threads, {WRK_CONNECTIONS} connections, {settings.wrk_seconds} s"
        if use_wrk
        else "asyncio client (one key for every request)"
    )
    print(report(results, settings, tool))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
