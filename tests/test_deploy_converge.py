"""A deploy that stops half way, or a cloud changed behind the deployer's back,
converges on the next deploy."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import make_client
from deploy_support import HANDLER, RecordingTarget, app_name, write_app

from cloudlet.app import load
from cloudlet.deploy import Change, apply, destroy, plan

APP = """
from cloudlet.app import App

app = App("{name}")
dlq = app.queue("dlq")
jobs = app.queue("jobs", dlq=dlq)
worker = app.function("worker", code="functions/worker")
worker.link(jobs)
worker.consume(jobs, batch_size=3)
api = app.rest_api("api")
api.proxy("/work", worker)
"""


class Interrupted(Exception):
    pass


def test_interrupted_deploy_converges(tmp_path: Path, endpoint: str) -> None:
    name = app_name("conv")
    file = write_app(tmp_path, APP.format(name=name), {"worker": HANDLER})
    done: list[str] = []

    def stop_after_role(change: Change, state: str) -> None:
        if state == "done":
            done.append(f"{change.kind}:{change.logical}")
            if change.kind == "role":
                raise Interrupted

    with pytest.raises(Interrupted):
        apply(plan(load(file), "dev", RecordingTarget(endpoint)), progress=stop_after_role)
    assert "role:worker" in done and "function:worker" not in done

    resumed = plan(load(file), "dev", RecordingTarget(endpoint))
    pending = {(c.kind, c.logical): c.action for c in resumed.pending}
    assert pending == {
        ("queue", "jobs"): "create",
        ("function", "worker"): "create",
        ("esm", "worker<-queue:jobs"): "create",
        ("rest_api", "api"): "create",
    }
    apply(resumed)
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty
    destroy(name, "dev", RecordingTarget(endpoint))


def test_changes_made_behind_the_deployers_back_are_repaired(tmp_path: Path, endpoint: str) -> None:
    name = app_name("drift")
    file = write_app(tmp_path, APP.format(name=name), {"worker": HANDLER})
    apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    prefix = f"{name}-dev-"
    lam = make_client("lambda", endpoint)
    mapping = lam.list_event_source_mappings(FunctionName=prefix + "worker")["EventSourceMappings"][
        0
    ]
    # As on AWS, a mapping still being created cannot be deleted: wait for it to settle.
    deadline = time.monotonic() + 60
    while lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Creating":
        assert time.monotonic() < deadline, "the mapping stayed Creating"
        time.sleep(0.05)
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    lam.update_function_configuration(FunctionName=prefix + "worker", MemorySize=512)
    sqs = make_client("sqs", endpoint)
    url = sqs.get_queue_url(QueueName=prefix + "jobs")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})

    repaired = plan(load(file), "dev", RecordingTarget(endpoint))
    assert {(c.kind, c.action, c.reason) for c in repaired.pending} == {
        ("esm", "create", "does not exist"),
        ("function", "update", "MemorySize changed"),
        ("queue", "update", "RedrivePolicy changed"),
    }
    apply(repaired)
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty
    config = lam.get_function_configuration(FunctionName=prefix + "worker")
    assert config["MemorySize"] == 128
    destroy(name, "dev", RecordingTarget(endpoint))
