"""Pipeline benchmark: SQS → Lambda event source mappings and SNS → SQS fan-out,
cloudlet against MiniStack in the same run.

Both targets run Python functions as local processes and poll their SQS event source
mappings themselves. They are started exactly as ``bench/lambda.py`` starts them (its
targets, virtualenvs and start/stop code are reused): cloudlet from this repository with
its durable store on, MiniStack from ``bench/.venvs/ministack-lambda`` (``ministack`` and
``boto3``), each on a free port on 127.0.0.1, after one unmeasured start that warms the
bytecode cache. moto is not run: its Lambda executes functions only inside Docker.

For each target, with boto3 clients (retries off, so an error shows):

1. Throughput through a mapping: a standard queue, a Python 3.12 no-op function, a
   mapping with ``BatchSize`` 10 and ``MaximumBatchingWindowInSeconds`` 0. After an
   unmeasured warm-up batch (it pays for the cold start), N messages are sent with
   ``SendMessageBatch`` from 4 threads; the clock runs from the first send until the
   queue is empty (``ApproximateNumberOfMessages`` and ``...NotVisible`` both 0, polled
   every 20 ms, with raw JSON-protocol calls that cost the sending threads little).
   The send rate alone is shown too: the clients share the cores and boto3's threads
   one GIL, so a sender-bound figure shows. Then the mapping's own pace, without a
   client sending meanwhile: N messages are put in a fresh queue first, a mapping to the
   (now warm) function is created, and the clock runs from CreateEventSourceMapping
   until that queue is empty.
2. Latency from send to handler start: a probe function records, for each record,
   ``time.time()`` at handler entry minus the ``time.time()`` the benchmark wrote into
   the message body just before its ``SendMessage`` call, and sends one message per
   batch with its measurements to a results queue through its own
   ``boto3.client("sqs")`` (both targets point ``AWS_ENDPOINT_URL`` back at themselves
   inside functions). Messages go out one by one with ``SendMessage`` at a steady 200/s
   (2 threads on one schedule), after an unmeasured warm-up at the same rate, so this
   measures latency rather than backlog. p50/p99/max, the mean records per invocation
   and the send rate achieved.
3. Batching window: a mapping on the probe function with ``BatchSize`` 100 and
   ``MaximumBatchingWindowInSeconds`` 1; each trial sends 5 messages in one
   ``SendMessageBatch`` and measures from that send to the start of the handler that
   got the last of them. AWS waits for the window (or a full batch, or 6 MB) before
   invoking, so the delay should be 1 s; the report gives the median and the worst
   distance from 1 s. A last trial sends 30 messages at once: within the window AWS
   gathers up to BatchSize records per batch (its several pollers may split them), so
   the largest batch seen shows whether batches are capped at 10.
4. SNS fan-out: a topic with 4 SQS queues subscribed (``RawMessageDelivery`` true; raw
   delivery is checked on a warm-up message), M messages published from 4 threads
   (one client each); the clock runs from the first Publish until all 4×M deliveries are
   in the queues (visible + not visible, summed over the queues, polled every 20 ms).
   Then the server's pace without boto3's client cost: ``wrk`` (2 threads, 16
   connections) publishes for 3 s, and the clock runs until 4× its successful
   publishes are in the queues (counted once wrk is done, so the counting does not
   compete with the publishing). Without ``wrk``, 4 raw-HTTP publisher threads.

Then ratios cloudlet/MiniStack and cloudlet's targets: ≥ 2,000 messages/s through the
mapping, ≥ 5,000 deliveries/s fan-out (on this 2-core machine, shared by the clients and
the server), batching window within 50 ms of 1 s.

Before each target the benchmark waits (up to ``--quiet-wait`` seconds, 120 by default)
until other work keeps at most 0.3 cores busy, and reports what it found then and, on
average, while the target ran (the machine's busy time minus the CPU time of the
server's process tree and of this process): on a shared machine other work makes every
figure pessimistic.

Usage: ``python bench/pipeline.py [--targets cloudlet,ministack] [--quick]``. All traffic
goes to 127.0.0.1; every loop is bounded by a count or a deadline; every server started
(and every function process it started) is stopped on exit, Ctrl-C or error. A failed
or missing operation is recorded under "Problems" and the run goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config
from sqs import (
    HOST,
    REGION,
    Server,
    StartError,
    chosen_targets,
    closing_sections,
    fmt,
    log,
    percentile,
    process_tree,
    ratio,
    raw_sqs_call,
    run_targets,
    run_wrk,
    table,
    target_arguments,
    wrk_script,
)

# bench/lambda.py: targets, venvs, server start/stop, function helpers. Its name is a
# keyword, so it is imported by name.
lambda_bench: ModuleType = importlib.import_module("lambda")

NOT_RUN = {
    "moto": "not run: moto's Invoke (and so its event source mappings) executes functions "
    "only inside Docker containers, and this benchmark runs without Docker",
}
POLL_S = 0.02  # queue-depth polling interval
SENDERS = 4  # SendMessageBatch threads in the throughput phase
PACERS = 2  # SendMessage threads sharing the steady rate of the latency phase
PUBLISHERS = 4
WRK_CONNECTIONS = 16  # the server's-pace fan-out round: wrk, 2 threads
FANOUT_QUEUES = 4
LATENCY_RATE = 200.0  # messages/s in the latency phase
WINDOW_S = 1
WINDOW_MESSAGES = 5
CAP_MESSAGES = 30
STEP_BUDGET_S = 30.0  # bound of every wait that is not a timed phase

# cloudlet's goals; MiniStack's figure from the issue that asked for this benchmark.
ESM_GOAL = 2_000.0
FANOUT_GOAL = 5_000.0
WINDOW_GOAL_MS = 50.0
MINISTACK_EARLIER = 593.0

NOOP_CODE = "def handler(event, context):\n    return None\n"
PROBE_CODE = """\
import json
import os
import time

import boto3

SQS = boto3.client("sqs")
RESULTS = SQS.get_queue_url(QueueName=os.environ["RESULTS_QUEUE"])["QueueUrl"]


def handler(event, context):
    start = time.time()
    items = []
    for record in event.get("Records", []):
        try:
            body = json.loads(record["body"])
            items.append([body["tag"], body["i"], start - body["t"]])
        except (KeyError, TypeError, ValueError):
            items.append(["?", -1, 0.0])
    SQS.send_message(QueueUrl=RESULTS, MessageBody=json.dumps({"items": items}))
"""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Counts and durations of one run (full or --quick)."""

    esm_messages: int
    esm_warmup: int
    esm_budget_s: float  # first send to empty, at most
    latency_seconds: float
    latency_warmup_s: float
    window_trials: int
    fanout_messages: int
    fanout_budget_s: float
    fanout_wrk_s: int  # how long wrk publishes in the server's-pace round


FULL = Settings(
    esm_messages=5_000,
    esm_warmup=200,
    esm_budget_s=90.0,
    latency_seconds=5.0,
    latency_warmup_s=1.0,
    window_trials=5,
    fanout_messages=2_000,
    fanout_budget_s=60.0,
    fanout_wrk_s=3,
)
QUICK = Settings(
    esm_messages=500,
    esm_warmup=50,
    esm_budget_s=30.0,
    latency_seconds=1.5,
    latency_warmup_s=0.5,
    window_trials=2,
    fanout_messages=300,
    fanout_budget_s=20.0,
    fanout_wrk_s=1,
)


# --------------------------------------------------------------------------- results


@dataclass
class TargetResult:
    name: str
    version: str = ""
    values: dict[str, float | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    busy_before: float | None = None
    busy_during: float = 0.0  # average cores busy with other work while the target ran


class Errors:
    """Failed calls of one phase, and the messages that went, counted across threads."""

    def __init__(self) -> None:
        self.count = 0
        self.first = ""
        self.sent = 0
        self._lock = threading.Lock()

    def ok(self, messages: int) -> None:
        with self._lock:
            self.sent += messages

    def add(self, what: str) -> None:
        with self._lock:
            self.count += 1
            self.first = self.first or what[:300]

    def exc(self, exc: Exception) -> None:
        self.add(f"{type(exc).__name__}: {exc}")

    def report(self, result: TargetResult, what: str) -> None:
        if self.count:
            result.problems.append(f"{what}: {self.count} failed calls, first: {self.first}")


# --------------------------------------------------------------------------- clients


def client(service: str, endpoint: str) -> Any:
    config = Config(
        retries={"total_max_attempts": 1},  # an error must show, not hide in a retry
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=2,
    )
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


@dataclass
class Cloud:
    """One target's server and the clients of the main thread."""

    server: Server
    sqs: Any
    sns: Any
    lam: Any

    @classmethod
    def of(cls, server: Server) -> Cloud:
        endpoint = server.endpoint
        return cls(
            server,
            client("sqs", endpoint),
            client("sns", endpoint),
            lambda_bench.lambda_client(endpoint),
        )

    def queue(self, label: str) -> tuple[str, str]:
        """A new queue: (url, arn)."""
        name = f"pipe-{label}-{uuid.uuid4().hex[:6]}"
        url = str(self.sqs.create_queue(QueueName=name)["QueueUrl"])
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, str(attrs["Attributes"]["QueueArn"])

    def depth(self, url: str) -> int:
        """Visible + in-flight messages of a queue. A raw JSON-protocol call: polling
        with boto3 would take the GIL from the threads that send meanwhile."""
        status, data = raw_sqs_call(
            self.server.port,
            "GetQueueAttributes",
            {
                "QueueUrl": url,
                "AttributeNames": [
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            },
        )
        if status != 200:
            raise RuntimeError(f"GetQueueAttributes: HTTP {status}: {data[:200]!r}")
        attrs = json.loads(data).get("Attributes", {})
        return int(attrs.get("ApproximateNumberOfMessages", 0)) + int(
            attrs.get("ApproximateNumberOfMessagesNotVisible", 0)
        )

    def function(self, name: str, source: str, env: dict[str, str] | None = None) -> None:
        self.lam.create_function(
            FunctionName=name,
            Runtime=lambda_bench.RUNTIME,
            Role=lambda_bench.ROLE,
            Handler="index.handler",
            Code={"ZipFile": lambda_bench.zip_of(source)},
            MemorySize=lambda_bench.MEMORY_MB,
            Timeout=10,  # AWS: at most the queue's visibility timeout (30 s)
            Environment={"Variables": env or {}},
        )
        lambda_bench.wait_active(self.lam, name)

    def mapping(self, function: str, arn: str, batch: int, window: int) -> str:
        """An enabled SQS event source mapping; its UUID once its State is Enabled."""
        answer = self.lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=function,
            BatchSize=batch,
            MaximumBatchingWindowInSeconds=window,
            Enabled=True,
        )
        mapping_id = str(answer["UUID"])
        state = str(answer.get("State", ""))
        deadline = time.perf_counter() + STEP_BUDGET_S
        while state != "Enabled":
            if time.perf_counter() > deadline:
                raise RuntimeError(f"mapping {mapping_id} still {state!r} after {STEP_BUDGET_S} s")
            time.sleep(0.05)
            state = str(self.lam.get_event_source_mapping(UUID=mapping_id).get("State", ""))
        return mapping_id

    def unmap(self, mapping_id: str) -> None:
        with contextlib.suppress(Exception):
            self.lam.delete_event_source_mapping(UUID=mapping_id)


def wait_for(check: Callable[[], bool], deadline: float) -> float | None:
    """Poll check every POLL_S until it holds (the perf_counter time) or the deadline."""
    while True:
        if check():
            return time.perf_counter()
        if time.perf_counter() >= deadline:
            return None
        time.sleep(POLL_S)


def wait_empty(cloud: Cloud, url: str, budget_s: float) -> float | None:
    return wait_for(lambda: cloud.depth(url) == 0, time.perf_counter() + budget_s)


def run_together(bodies: Sequence[Callable[[], None]]) -> tuple[float, float]:
    """Run each body in its own thread, released together: (start, end) perf_counter."""
    barrier = threading.Barrier(len(bodies) + 1)

    def run(body: Callable[[], None]) -> None:
        barrier.wait()
        body()

    threads = [threading.Thread(target=run, args=(b,), daemon=True) for b in bodies]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    return started, time.perf_counter()


def body(tag: str, i: int, sent: float) -> str:
    return json.dumps({"tag": tag, "i": i, "t": sent})


def send_batches(sqs: Any, url: str, tag: str, first: int, count: int, errors: Errors) -> None:
    """count messages with SendMessageBatch, 10 per call."""
    for start in range(first, first + count, 10):
        ids = range(start, min(start + 10, first + count))
        now = time.time()
        entries = [{"Id": str(i), "MessageBody": body(tag, i, now)} for i in ids]
        try:
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        except Exception as exc:  # noqa: BLE001 - a target's failure is a result
            errors.exc(exc)
            continue
        for entry in failed:
            errors.add(f"SendMessageBatch entry failed: {entry}")
        errors.ok(len(entries) - len(failed))


def send_parallel(
    endpoint: str, url: str, tag: str, count: int, errors: Errors
) -> tuple[float, float]:
    """count messages from SENDERS threads, each with its own client: (start, end)."""
    clients = [client("sqs", endpoint) for _ in range(SENDERS)]
    share = -(-count // SENDERS // 10) * 10  # whole batches per thread
    bodies = [
        functools.partial(
            send_batches, c, url, tag, k * share, min(share, count - k * share), errors
        )
        for k, c in enumerate(clients)
    ]
    return run_together(bodies)


# --------------------------------------------------------------------------- probe results


@dataclass
class Probe:
    """The probe function, its results queue, and every batch it reported."""

    function: str
    results_url: str
    batches: list[list[tuple[str, int, float]]] = field(default_factory=list)

    def drain(self, cloud: Cloud, done: Callable[[], bool], budget_s: float) -> bool:
        """Collect reported batches until done() or the budget runs out."""
        deadline = time.perf_counter() + budget_s
        while not done():
            if time.perf_counter() >= deadline:
                return False
            answer = cloud.sqs.receive_message(
                QueueUrl=self.results_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            messages = answer.get("Messages", [])
            for message in messages:
                items = json.loads(message["Body"])["items"]
                self.batches.append([(str(t), int(i), float(d)) for t, i, d in items])
            if messages:
                cloud.sqs.delete_message_batch(
                    QueueUrl=self.results_url,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                        for n, m in enumerate(messages)
                    ],
                )
        return True

    def seen(self, tag: str) -> dict[int, float]:
        """Delay of each message of one tag (the first delivery of a duplicate)."""
        delays: dict[int, float] = {}
        for batch in self.batches:
            for t, i, delay in batch:
                if t == tag:
                    delays.setdefault(i, delay)
        return delays

    def batches_of(self, tag: str) -> list[list[tuple[str, int, float]]]:
        return [b for b in self.batches if any(t == tag for t, _, _ in b)]


def make_probe(cloud: Cloud) -> Probe:
    results_url, _ = cloud.queue("results")
    name = f"pipe-probe-{uuid.uuid4().hex[:6]}"
    results_name = results_url.rstrip("/").rsplit("/", 1)[1]
    cloud.function(name, PROBE_CODE, {"RESULTS_QUEUE": results_name})
    return Probe(name, results_url)


# --------------------------------------------------------------------------- measurements


def measure_throughput(cloud: Cloud, settings: Settings, result: TargetResult) -> None:
    """Messages/s from the first SendMessageBatch until the mapping has emptied the queue;
    then the drain rate of a queue filled before its mapping existed."""
    url, arn = cloud.queue("tput")
    function = f"pipe-noop-{uuid.uuid4().hex[:6]}"
    cloud.function(function, NOOP_CODE)
    mapping = cloud.mapping(function, arn, batch=10, window=0)
    errors = Errors()
    n = settings.esm_messages
    try:
        send_parallel(cloud.server.endpoint, url, "warm", settings.esm_warmup, Errors())
        if wait_empty(cloud, url, STEP_BUDGET_S) is None:
            raise RuntimeError(
                f"warm-up: {cloud.depth(url)} of {settings.esm_warmup} messages still in the "
                f"queue after {STEP_BUDGET_S:.0f} s"
            )
        cpu = time.process_time()
        started, sent = send_parallel(cloud.server.endpoint, url, "tput", n, errors)
        result.values["esm_cpu"] = (time.process_time() - cpu) / (sent - started)
        emptied = wait_empty(cloud, url, settings.esm_budget_s - (sent - started))
    finally:
        cloud.unmap(mapping)
    errors.report(result, "throughput: SendMessageBatch")
    result.values["esm_send"] = errors.sent / (sent - started)
    if emptied is None:
        result.problems.append(
            f"throughput: {cloud.depth(url):,} of {n:,} messages still in the queue "
            f"{settings.esm_budget_s:.0f} s after the first send"
        )
    else:
        seconds = emptied - started
        result.values["esm_rate"] = errors.sent / seconds
        result.values["esm_seconds"] = seconds
        log(
            f"[{result.name}] mapping: {errors.sent:,} messages in {seconds:.2f} s = "
            f"{errors.sent / seconds:,.0f}/s (sending took {sent - started:.2f} s)"
        )
    measure_drain(cloud, function, settings, result)


def measure_drain(cloud: Cloud, function: str, settings: Settings, result: TargetResult) -> None:
    """A queue filled first, then mapped to the (warm) function: messages/s from the
    CreateEventSourceMapping call until the queue is empty. No client sends meanwhile,
    so this is the mapping's own pace."""
    url, arn = cloud.queue("drain")
    errors = Errors()
    send_parallel(cloud.server.endpoint, url, "drain", settings.esm_messages, errors)
    errors.report(result, "drain: SendMessageBatch")
    started = time.perf_counter()
    mapping = cloud.mapping(function, arn, batch=10, window=0)
    try:
        emptied = wait_empty(cloud, url, settings.esm_budget_s)
    finally:
        cloud.unmap(mapping)
    if emptied is None:
        result.problems.append(
            f"drain: {cloud.depth(url):,} of {errors.sent:,} messages still in the queue "
            f"{settings.esm_budget_s:.0f} s after CreateEventSourceMapping"
        )
        return
    result.values["drain_rate"] = errors.sent / (emptied - started)
    log(
        f"[{result.name}] drain: {errors.sent:,} prefilled messages in "
        f"{emptied - started:.2f} s = {fmt(result.values['drain_rate'])}/s"
    )


def paced_send(cloud: Cloud, url: str, tag: str, seconds: float, errors: Errors) -> int:
    """LATENCY_RATE SendMessage calls a second for the duration, from PACERS threads (one
    boto3 call takes a few ms of client CPU); returns how many went."""
    count = round(seconds * LATENCY_RATE)
    clients = [client("sqs", cloud.server.endpoint) for _ in range(PACERS)]
    origin: list[float] = []

    def pace(sqs: Any, first: int) -> None:
        for i in range(first, count, PACERS):
            delay = origin[0] + i / LATENCY_RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                sqs.send_message(QueueUrl=url, MessageBody=body(tag, i, time.time()))
            except Exception as exc:  # noqa: BLE001
                errors.exc(exc)
                continue
            errors.ok(1)

    origin.append(time.perf_counter() + 0.01)  # every thread is waiting by then
    run_together([functools.partial(pace, c, k) for k, c in enumerate(clients)])
    return errors.sent


def measure_latency(cloud: Cloud, probe: Probe, settings: Settings, result: TargetResult) -> None:
    """Send → handler start, at a steady rate well below the mapping's capacity."""
    url, arn = cloud.queue("latency")
    mapping = cloud.mapping(probe.function, arn, batch=10, window=0)
    errors = Errors()
    try:
        paced_send(cloud, url, "lat-warm", settings.latency_warmup_s, Errors())
        wait_empty(cloud, url, STEP_BUDGET_S)
        started = time.perf_counter()
        sent = paced_send(cloud, url, "lat", settings.latency_seconds, errors)
        elapsed = time.perf_counter() - started
        probe.drain(cloud, lambda: len(probe.seen("lat")) >= sent, STEP_BUDGET_S)
    finally:
        cloud.unmap(mapping)
    errors.report(result, "latency: SendMessage")
    delays = list(probe.seen("lat").values())
    result.values["lat_rate"] = sent / elapsed
    if len(delays) < sent:
        result.problems.append(
            f"latency: only {len(delays)} of {sent} messages reached the handler"
        )
    if not delays:
        return
    batches = probe.batches_of("lat")
    result.values["lat_p50"] = percentile(delays, 50) * 1000
    result.values["lat_p99"] = percentile(delays, 99) * 1000
    result.values["lat_max"] = max(delays) * 1000
    result.values["lat_batch"] = statistics.mean(len(b) for b in batches)
    log(
        f"[{result.name}] latency: p50 {fmt(result.values['lat_p50'])} ms, p99 "
        f"{fmt(result.values['lat_p99'])} ms over {len(delays)} messages in {len(batches)} batches"
    )


def window_trial(cloud: Cloud, probe: Probe, url: str, tag: str, count: int) -> tuple[float, int]:
    """Send count messages at once; (delay to the handler that got the last, batches)."""
    sent = time.time()
    for first in range(0, count, 10):
        entries = [
            {"Id": str(i), "MessageBody": body(tag, i, sent)}
            for i in range(first, min(first + 10, count))
        ]
        cloud.sqs.send_message_batch(QueueUrl=url, Entries=entries)
    if not probe.drain(cloud, lambda: len(probe.seen(tag)) >= count, STEP_BUDGET_S):
        raise RuntimeError(f"{tag}: {len(probe.seen(tag))} of {count} messages reached the handler")
    batches = probe.batches_of(tag)
    return max(probe.seen(tag).values()), max(len(b) for b in batches)


def measure_window(cloud: Cloud, probe: Probe, settings: Settings, result: TargetResult) -> None:
    """BatchSize 100 with a 1 s batching window: when does the handler start?"""
    url, arn = cloud.queue("window")
    mapping = cloud.mapping(probe.function, arn, batch=100, window=WINDOW_S)
    delays, invocations = [], []
    try:
        for trial in range(settings.window_trials):
            tag = f"win{trial}"
            delay, _ = window_trial(cloud, probe, url, tag, WINDOW_MESSAGES)
            delays.append(delay)
            invocations.append(len(probe.batches_of(tag)))
            wait_empty(cloud, url, STEP_BUDGET_S)
        _, largest = window_trial(cloud, probe, url, "cap", CAP_MESSAGES)
    finally:
        cloud.unmap(mapping)
    result.values["win_delay"] = statistics.median(delays) * 1000
    result.values["win_dev"] = max(abs(d - WINDOW_S) for d in delays) * 1000
    result.values["win_invocations"] = statistics.mean(invocations)
    result.values["win_cap"] = largest
    log(
        f"[{result.name}] window: delays {', '.join(f'{d * 1000:.0f}' for d in delays)} ms; "
        f"{CAP_MESSAGES} sent at once arrived in batches of at most {largest}"
    )


SNS_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sns/aws4_request, "
    "SignedHeaders=host, Signature=0000"
)


class RawPublisher:
    """SNS Publish in the query protocol over one keep-alive HTTP connection, without an
    SDK (a SigV4-shaped Authorization header, not a valid signature)."""

    def __init__(self, port: int, topic: str) -> None:
        self.port = port
        self.topic = topic
        self.conn: http.client.HTTPConnection | None = None

    def publish(self, message: str) -> None:
        form = {"Action": "Publish", "Version": "2010-03-31", "TopicArn": self.topic}
        payload = urllib.parse.urlencode({**form, "Message": message}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": SNS_AUTHORIZATION,
            "X-Amz-Date": "20240101T000000Z",
        }
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            self.conn.request("POST", "/", body=payload, headers=headers)
            response = self.conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def measure_fanout(cloud: Cloud, settings: Settings, result: TargetResult) -> None:
    """SNS Publish from 4 threads to a topic with 4 raw-delivery SQS subscriptions: with
    boto3 clients, then with raw HTTP publishers (the server's pace, not boto3's)."""
    topic = str(cloud.sns.create_topic(Name=f"pipe-fanout-{uuid.uuid4().hex[:6]}")["TopicArn"])
    queues = [cloud.queue(f"fan{k}") for k in range(FANOUT_QUEUES)]
    for url, arn in queues:
        # As on AWS, where SNS may send to the queue only if its policy says so.
        cloud.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": sns_policy(arn, topic)})
        cloud.sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )
    urls = [url for url, _ in queues]
    check_raw_delivery(cloud, topic, urls[0], result)
    clients = [client("sns", cloud.server.endpoint) for _ in range(PUBLISHERS)]
    boto = [functools.partial(publish_boto3, c, topic) for c in clients]
    fanout_round(cloud, urls, boto, settings, result, "fan", "boto3 Publish")
    if shutil.which("wrk") is not None:
        fanout_wrk(cloud, urls, topic, settings, result)
        return
    result.notes.append("wrk not found: the server's-pace fan-out used 4 raw HTTP threads")
    raws = [RawPublisher(cloud.server.port, topic) for _ in range(PUBLISHERS)]
    try:
        publishes = [r.publish for r in raws]
        fanout_round(cloud, urls, publishes, settings, result, "fanraw", "raw-HTTP Publish")
    finally:
        for raw in raws:
            raw.close()


def fanout_wrk(
    cloud: Cloud, urls: list[str], topic: str, settings: Settings, result: TargetResult
) -> None:
    """wrk publishes the same message over WRK_CONNECTIONS connections for a few seconds
    (no client cost to speak of); deliveries/s from its start until 4× its successful
    publishes are in the queues. The queues are counted only once wrk is done."""

    def total() -> int:
        return sum(cloud.depth(url) for url in urls)

    baseline = total()
    form = {"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic}
    body = urllib.parse.urlencode({**form, "Message": json.dumps({"tag": "fanwrk"})})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": SNS_AUTHORIZATION,
        "X-Amz-Date": "20240101T000000Z",
    }
    script = cloud.server.tmp / "publish.lua"
    script.write_text(wrk_script(headers, body))
    started = time.perf_counter()
    load = run_wrk(cloud.server.endpoint, script, 2, WRK_CONNECTIONS, settings.fanout_wrk_s)
    published = time.perf_counter()
    what = f"wrk Publish, {WRK_CONNECTIONS} connections"
    if load.requests > load.ok or load.socket_errors:
        result.problems.append(
            f"fan-out, {what}: {load.requests - load.ok} non-2xx answers, "
            f"{load.socket_errors} socket errors"
        )
    wanted = baseline + FANOUT_QUEUES * load.ok
    reached = wait_for(lambda: total() >= wanted, published + settings.fanout_budget_s)
    result.values["fanraw_publish"] = load.ok / (published - started)
    result.values["fanraw_p50"] = load.p50_ms
    if reached is None:
        result.problems.append(
            f"fan-out, {what}: {total() - baseline:,} of {FANOUT_QUEUES * load.ok:,} "
            f"deliveries {settings.fanout_budget_s:.0f} s after wrk ended"
        )
        return
    seconds = reached - started
    result.values["fanraw_rate"] = FANOUT_QUEUES * load.ok / seconds
    result.values["fanraw_seconds"] = seconds
    result.values["fanraw_tail"] = reached - published
    # Publishes in flight when wrk stops are served but not counted: at most one per
    # connection. More than that would be duplicate deliveries.
    if (extra := total() - wanted) > FANOUT_QUEUES * WRK_CONNECTIONS:
        result.notes.append(f"fan-out, {what}: {extra} deliveries more than published")
    log(
        f"[{result.name}] fan-out, {what}: {FANOUT_QUEUES * load.ok:,} deliveries in "
        f"{seconds:.2f} s = {fmt(result.values['fanraw_rate'])}/s"
    )


def publish_boto3(sns: Any, topic: str, message: str) -> None:
    sns.publish(TopicArn=topic, Message=message)


def fanout_round(
    cloud: Cloud,
    urls: list[str],
    publishers: Sequence[Callable[[str], None]],
    settings: Settings,
    result: TargetResult,
    key: str,
    what: str,
) -> None:
    """M publishes shared by the publishers (one thread each); deliveries/s from the first
    Publish until all 4×M deliveries are in the queues."""

    def total() -> int:
        return sum(cloud.depth(url) for url in urls)

    m = settings.fanout_messages
    baseline = total()
    wanted = baseline + FANOUT_QUEUES * m
    errors = Errors()

    def publish(send: Callable[[str], None], k: int) -> None:
        for i in range(k, m, len(publishers)):
            try:
                send(body(key, i, time.time()))
            except Exception as exc:  # noqa: BLE001
                errors.exc(exc)
                continue
            errors.ok(1)

    done: list[float] = []

    def publish_all() -> None:
        run_together([functools.partial(publish, p, k) for k, p in enumerate(publishers)])
        done.extend((time.perf_counter(), time.process_time()))

    cpu = time.process_time()
    started = time.perf_counter()
    thread = threading.Thread(target=publish_all, daemon=True)
    thread.start()
    reached = wait_for(lambda: total() >= wanted, started + settings.fanout_budget_s)
    thread.join(timeout=settings.fanout_budget_s)
    errors.report(result, f"fan-out: {what}")
    if done:
        result.values[f"{key}_publish"] = errors.sent / (done[0] - started)
        result.values[f"{key}_cpu"] = (done[1] - cpu) / (done[0] - started)
    if reached is None:
        result.problems.append(
            f"fan-out, {what}: {total() - baseline:,} of {FANOUT_QUEUES * m:,} deliveries in "
            f"{settings.fanout_budget_s:.0f} s"
        )
        return
    seconds = reached - started
    result.values[f"{key}_rate"] = FANOUT_QUEUES * errors.sent / seconds
    result.values[f"{key}_seconds"] = seconds
    # Publishes in flight when wrk stops are served but not counted: at most one per
    # connection. More than that would be duplicate deliveries.
    if (extra := total() - wanted) > FANOUT_QUEUES * WRK_CONNECTIONS:
        result.notes.append(f"fan-out, {what}: {extra} deliveries more than published")
    log(
        f"[{result.name}] fan-out, {what}: {FANOUT_QUEUES * errors.sent:,} deliveries in "
        f"{seconds:.2f} s = {fmt(result.values[f'{key}_rate'])}/s"
    )


def sns_policy(queue_arn: str, topic_arn: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def check_raw_delivery(cloud: Cloud, topic: str, url: str, result: TargetResult) -> None:
    """Publish one warm-up message; the queue must get the bare body, no SNS envelope."""
    cloud.sns.publish(TopicArn=topic, Message="raw-check")
    answer: dict[str, Any] = {}
    deadline = time.perf_counter() + STEP_BUDGET_S
    while not answer.get("Messages") and time.perf_counter() < deadline:
        answer = cloud.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    messages = answer.get("Messages", [])
    if not messages:
        raise RuntimeError(f"a published message did not reach a queue in {STEP_BUDGET_S:.0f} s")
    if messages[0]["Body"] != "raw-check":
        result.problems.append(
            f"fan-out: RawMessageDelivery ignored, body was {messages[0]['Body'][:120]!r}"
        )
    cloud.sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])


# --------------------------------------------------------------------------- per target


def guarded(result: TargetResult, what: str, step: Callable[[], None]) -> None:
    """Run one measurement; a failure is recorded as a problem, not a crash."""
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - a target's failure is a result
        result.problems.append(f"{what} failed: {type(exc).__name__}: {str(exc)[:300]}")
        log(f"[{result.name}] {what} FAILED: {exc}")


def wait_quiet(name: str, limit_s: float) -> float:
    """Busy cores of other work, sampled a second at a time until at most BUSY_CORES or
    limit_s has passed (this machine is shared; other work skews every figure)."""
    deadline = time.perf_counter() + limit_s
    busy = float(lambda_bench.busy_cores())
    if busy > lambda_bench.BUSY_CORES and limit_s > 0:
        log(f"[{name}] other work keeps {busy:.2f} cores busy; waiting up to {limit_s:.0f} s")
    while busy > lambda_bench.BUSY_CORES and time.perf_counter() < deadline:
        busy = float(lambda_bench.busy_cores())
    return busy


def bench_target(target: Any, settings: Settings, quiet_wait_s: float) -> TargetResult:
    result = TargetResult(target.name)
    try:
        lambda_bench.ensure_venv(target)
    except subprocess.CalledProcessError as exc:
        result.problems.append(f"install failed: {exc}")
        return result
    result.version = lambda_bench.installed_version(target)
    result.busy_before = wait_quiet(target.name, quiet_wait_s)
    if result.busy_before is not None and result.busy_before > lambda_bench.BUSY_CORES:
        result.notes.append(
            f"other work kept {result.busy_before:.2f} cores busy in the second before this "
            "target started: it shared the cores, so these figures are pessimistic"
        )
    try:
        with lambda_bench.running(target) as (_, seconds):  # warms the bytecode cache
            log(f"[{target.name}] warm-up start: {seconds:.3f}s")
        with lambda_bench.running(target) as (server, seconds):
            log(f"[{target.name}] started in {seconds:.3f}s on port {server.port}")
            machine, own, started = lambda_bench.cpu_times(), time.process_time(), time.time()
            run_phases(Cloud.of(server), settings, result)
            result.busy_during = other_work(server, machine, own, started)
        if result.busy_during > lambda_bench.BUSY_CORES:
            result.notes.append(
                f"other work kept about {result.busy_during:.2f} cores busy on average while "
                "this target ran: it shared the cores, so these figures are pessimistic"
            )
    except StartError as exc:
        result.problems.append(f"did not start: {str(exc)[:500]}")
    return result


def tree_cpu_s(root: int) -> float:
    """CPU seconds used by a process tree: its live processes and the children they
    reaped (utime, stime, cutime, cstime of /proc/<pid>/stat)."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def other_work(server: Server, machine: tuple[int, int], own: float, started: float) -> float:
    """Average cores busy with work other than the server's tree and this process since
    the given readings: the machine's busy time minus ours."""
    busy0, total0 = machine
    busy1, total1 = lambda_bench.cpu_times()
    cores = os.cpu_count() or 1
    busy = (busy1 - busy0) / (total1 - total0) * cores if total1 > total0 else 0.0
    wall = max(time.time() - started, 1e-9)
    ours = (tree_cpu_s(server.process.pid) + time.process_time() - own) / wall
    return max(0.0, busy - ours)


def run_phases(cloud: Cloud, settings: Settings, result: TargetResult) -> None:
    guarded(result, "throughput", lambda: measure_throughput(cloud, settings, result))
    probes: list[Probe] = []
    guarded(result, "probe function", lambda: probes.append(make_probe(cloud)))
    if probes:
        probe = probes[0]
        guarded(result, "latency", lambda: measure_latency(cloud, probe, settings, result))
        guarded(result, "batching window", lambda: measure_window(cloud, probe, settings, result))
    guarded(result, "fan-out", lambda: measure_fanout(cloud, settings, result))


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    higher_is_better: bool | None  # None: a description, no ratio


def figures(settings: Settings) -> list[Figure]:
    n, m = settings.esm_messages, settings.fanout_messages
    rate = f"{LATENCY_RATE:.0f}/s for {settings.latency_seconds:g} s"
    return [
        Figure("esm_rate", f"SQS → Lambda, BatchSize 10, {n:,} msgs (msg/s)", True),
        Figure("esm_seconds", "  first send to empty queue (s)", False),
        Figure("esm_send", f"  send rate alone, SendMessageBatch x{SENDERS} (msg/s)", None),
        Figure("esm_cpu", "    cores used by the client process meanwhile", None),
        Figure("drain_rate", f"  drain of {n:,} prefilled msgs, from CreateESM (msg/s)", True),
        Figure("lat_p50", f"send → handler start p50, {rate} (ms)", False),
        Figure("lat_p99", "  p99 (ms)", False),
        Figure("lat_max", "  max (ms)", False),
        Figure("lat_batch", "  records per invocation (mean)", None),
        Figure("lat_rate", "  achieved send rate (msg/s)", None),
        Figure(
            "win_delay", f"window {WINDOW_S} s, BatchSize 100: send → handler, median (ms)", None
        ),
        Figure("win_dev", f"  worst distance from {WINDOW_S} s (ms)", False),
        Figure("win_invocations", f"  invocations per {WINDOW_MESSAGES} messages (mean)", None),
        Figure("win_cap", f"  largest batch of {CAP_MESSAGES} sent at once", None),
        Figure("fan_rate", f"SNS → {FANOUT_QUEUES} SQS raw, {m:,} publishes (deliveries/s)", True),
        Figure("fan_seconds", "  first Publish to all delivered (s)", False),
        Figure("fan_publish", f"  boto3 Publish rate, {PUBLISHERS} threads (msg/s)", True),
        Figure("fan_cpu", "  cores used by the client process", None),
        Figure(
            "fanraw_rate", f"  same with wrk, {WRK_CONNECTIONS} connections (deliveries/s)", True
        ),
        Figure("fanraw_seconds", "  first Publish to all delivered (s)", False),
        Figure("fanraw_tail", "    of which after the last Publish (s)", False),
        Figure("fanraw_publish", "  wrk Publish rate (msg/s)", True),
        Figure("fanraw_p50", "  wrk Publish p50 (ms)", False),
        Figure("fanraw_cpu", "  cores used by the client process", None),
    ]


def show(value: float | None) -> str:
    """fmt, with small whole numbers (counts, batch sizes) shown whole."""
    if value is not None and float(value).is_integer() and abs(value) < 1000:
        return str(int(value))
    return fmt(value)


def figure_table(rows: Sequence[Figure], results: Sequence[TargetResult]) -> str:
    """One row per figure, one column per target (shared by the benchmarks whose figures
    are `Figure`s)."""
    header = ["figure", *(f"{r.name} ({r.version})" for r in results)]
    return table(header, [[f.label, *(show(r.values.get(f.key)) for r in results)] for f in rows])


def figure_ratios(
    rows: Sequence[Figure],
    cloudlet: TargetResult,
    peers: Sequence[TargetResult],
    skip: Callable[[Figure], bool] = lambda f: False,
) -> str:
    """cloudlet / peer for every figure that has a better direction."""
    header = ["figure (cloudlet / peer)", "better", *(p.name for p in peers)]
    body = [
        [
            f.label,
            "higher" if f.higher_is_better else "lower",
            *(ratio(cloudlet.values.get(f.key), p.values.get(f.key)) for p in peers),
        ]
        for f in rows
        if f.higher_is_better is not None and not skip(f)
    ]
    return table(header, body)


def verdict(value: float | None, ok: Callable[[float], bool]) -> str:
    return "n/a" if value is None else ("PASS" if ok(value) else "FAIL")


def shown(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{fmt(value)}{unit}"


def target_table(cloudlet: TargetResult) -> str:
    values = cloudlet.values
    esm, fan, dev = values.get("esm_rate"), values.get("fan_rate"), values.get("win_dev")
    raw = values.get("fanraw_rate")
    rows = [
        [
            "SQS → Lambda messages/s (BatchSize 10)",
            f">= {ESM_GOAL:,.0f}/s",
            shown(esm, "/s"),
            verdict(esm, lambda v: v >= ESM_GOAL),
        ],
        [
            f"SNS → {FANOUT_QUEUES} SQS deliveries/s, wrk, {WRK_CONNECTIONS} connections",
            f">= {FANOUT_GOAL:,.0f}/s",
            shown(raw, "/s"),
            verdict(raw, lambda v: v >= FANOUT_GOAL),
        ],
        [
            f"  same from {PUBLISHERS} boto3 threads (bound by the client)",
            "-",
            shown(fan, "/s"),
            "-",
        ],
        [
            f"batching window {WINDOW_S} s honoured (worst distance)",
            f"<= {WINDOW_GOAL_MS:.0f} ms",
            shown(dev, " ms"),
            verdict(dev, lambda v: v <= WINDOW_GOAL_MS),
        ],
    ]
    return table(["cloudlet target", "goal", "measured", "verdict"], rows)


def report(results: list[TargetResult], settings: Settings) -> str:
    mode = "quick" if settings is QUICK else "full"
    loads = ", ".join(
        f"{r.name} {fmt(r.busy_before)} before, {fmt(r.busy_during)} during" for r in results
    )
    parts = [
        f"## Pipeline benchmark ({mode} run; {os.cpu_count()} cores, shared by the clients "
        f"and the server; cores busy with other work before and while each target ran: "
        f"{loads}; {lambda_bench.RUNTIME} handlers at {lambda_bench.MEMORY_MB} MB)",
        "",
        figure_table(figures(settings), results),
    ]
    by_name = {r.name: r for r in results}
    peers = [r for r in results if r.name != "cloudlet"]
    if "cloudlet" in by_name and peers:
        parts += [
            "",
            "### Ratios cloudlet / peer",
            "",
            figure_ratios(figures(settings), by_name["cloudlet"], peers),
        ]
    if "cloudlet" in by_name:
        parts += ["", "### cloudlet targets", "", target_table(by_name["cloudlet"])]
    notes = [
        f"- ministack: measured earlier (the issue): {MINISTACK_EARLIER:,.0f} messages/s end "
        "to end through an SQS mapping",
        *(f"- {name}: {why}" for name, why in NOT_RUN.items()),
    ]
    return "\n".join(parts + closing_sections(results, notes))


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    target_arguments(parser, lambda_bench.TARGETS, "cloudlet,ministack", quiet_wait=True)
    args = parser.parse_args(argv)
    chosen_targets(parser, args, lambda_bench.TARGETS, NOT_RUN)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    results = run_targets(
        args.targets,
        lambda name: bench_target(lambda_bench.TARGETS[name], settings, args.quiet_wait),
    )
    if results is None:
        return 130
    print(report(results, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
