"""Deploy an app to a real cloudlet: create, no-change redeploy (no writes), a code
change (UpdateFunctionCode only), stages side by side, destroy (nothing left)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_client
from deploy_support import HANDLER, RecordingTarget, app_name, every, write_app

from cloudlet.app import load
from cloudlet.deploy import apply, destroy, plan

APP = """
from cloudlet.app import App

app = App("{name}")
dlq = app.queue("jobs-dlq")
jobs = app.queue("jobs", dlq=dlq, max_receive_count=4, visibility_timeout=20)
users = app.table("users", key=("userId", "S"), indexes={{"byEmail": ("email", "S")}})
events = app.topic("events")
events.subscribe(jobs, raw=True, filter_policy={{"kind": ["signup"]}})
worker = app.function("worker", code="functions/worker", handler="app.handler",
                      memory=256, timeout=10, environment={{"MODE": "test"}})
worker.link(users)
worker.link(events)
worker.consume(jobs, batch_size=5, batching_window=2)
app.output("jobs_url", jobs.url)
app.output("users_table", users.physical_name)
"""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, endpoint: str) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("lifecycle")
    name = app_name("life")
    file = write_app(folder, APP.format(name=name), {"worker": HANDLER})
    target = RecordingTarget(endpoint)
    first = plan(load(file), "dev", target)
    outputs = apply(first)
    return {"file": file, "name": name, "first": first, "outputs": outputs, "endpoint": endpoint}


def test_first_deploy_creates_everything(deployed: dict[str, Any]) -> None:
    actions = {(c.kind, c.logical): c.action for c in deployed["first"].changes}
    assert actions == {
        ("queue", "jobs-dlq"): "create",
        ("queue", "jobs"): "create",
        ("table", "users"): "create",
        ("topic", "events"): "create",
        ("subscription", "events->queue:jobs"): "create",
        ("role", "worker"): "create",
        ("function", "worker"): "create",
        ("esm", "worker<-queue:jobs"): "create",
    }


def test_resources_are_configured_as_declared(deployed: dict[str, Any]) -> None:
    name, endpoint = deployed["name"], deployed["endpoint"]
    prefix = f"{name}-dev-"
    lam = make_client("lambda", endpoint)
    fn = lam.get_function(FunctionName=prefix + "worker")
    config = fn["Configuration"]
    assert (config["MemorySize"], config["Timeout"], config["Handler"]) == (256, 10, "app.handler")
    env = config["Environment"]["Variables"]
    assert env["MODE"] == "test"
    assert env["USERS_TABLE_NAME"] == prefix + "users"
    assert env["EVENTS_TOPIC_ARN"] == f"arn:aws:sns:us-east-1:000000000000:{prefix}events"
    assert fn["Tags"] == {"cloudlet:app": name, "cloudlet:stage": "dev"}
    assert config["Role"].endswith(f"/cloudlet/{name}/dev/{prefix}worker")

    sqs = make_client("sqs", endpoint)
    url = sqs.get_queue_url(QueueName=prefix + "jobs")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "20"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(prefix + "jobs-dlq")
    assert int(redrive["maxReceiveCount"]) == 4
    assert deployed["outputs"].values == {"jobs_url": url, "users_table": prefix + "users"}

    mappings = lam.list_event_source_mappings(FunctionName=prefix + "worker")["EventSourceMappings"]
    assert [(m["BatchSize"], m["MaximumBatchingWindowInSeconds"]) for m in mappings] == [(5, 2)]
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    ddb = make_client("dynamodb", endpoint)
    table = ddb.describe_table(TableName=prefix + "users")["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byEmail"]

    iam = make_client("iam", endpoint)
    policy = iam.get_role_policy(RoleName=prefix + "worker", PolicyName="cloudlet")[
        "PolicyDocument"
    ]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert "dynamodb:PutItem" in statements["LinkUsersTable"]["Action"]
    assert statements["LinkEventsTopic"]["Action"] == ["sns:Publish"]
    assert "sqs:ReceiveMessage" in statements["ConsumeJobsQueue"]["Action"]

    written = json.loads((deployed["file"].parent / ".cloudlet/outputs/dev.json").read_text())
    assert written["outputs"]["jobs_url"] == url


def test_published_message_reaches_the_function_through_topic_and_queue(
    deployed: dict[str, Any],
) -> None:
    # The subscription's filter lets only "signup" through; raw delivery keeps the body.
    prefix, endpoint = f"{deployed['name']}-dev-", deployed["endpoint"]
    sns = make_client("sns", endpoint)
    sqs = make_client("sqs", endpoint)
    arn = f"arn:aws:sns:us-east-1:000000000000:{prefix}events"
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [s["Endpoint"].rsplit(":", 1)[-1] for s in subs] == [prefix + "jobs"]
    got = sns.get_subscription_attributes(SubscriptionArn=subs[0]["SubscriptionArn"])["Attributes"]
    assert json.loads(got["FilterPolicy"]) == {"kind": ["signup"]}
    assert got["RawMessageDelivery"] == "true"
    url = sqs.get_queue_url(QueueName=prefix + "jobs")["QueueUrl"]
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == arn


def test_second_deploy_changes_nothing_and_writes_nothing(deployed: dict[str, Any]) -> None:
    target = RecordingTarget(deployed["endpoint"])
    again = plan(load(deployed["file"]), "dev", target)
    assert again.empty, again.pending
    apply(again)
    assert target.writes() == []


def test_code_change_updates_only_that_functions_code(
    deployed: dict[str, Any], tmp_path: Path
) -> None:
    file: Path = deployed["file"]
    code = file.parent / "functions/worker/app.py"
    code.write_text(HANDLER.replace("v1", "v2"))
    target = RecordingTarget(deployed["endpoint"])
    changed = plan(load(file), "dev", target)
    assert [(c.kind, c.logical, c.action, c.reason) for c in changed.pending] == [
        ("function", "worker", "update", "code changed")
    ]
    apply(changed)
    assert target.writes() == [("lambda", "UpdateFunctionCode")]
    lam = make_client("lambda", deployed["endpoint"])
    result = lam.invoke(FunctionName=f"{deployed['name']}-dev-worker")
    assert json.loads(result["Payload"].read())["body"] == "v2"


def test_config_change_is_an_update_in_place(deployed: dict[str, Any]) -> None:
    file: Path = deployed["file"]
    file.write_text(file.read_text().replace('"MODE": "test"', '"MODE": "prod"'))
    target = RecordingTarget(deployed["endpoint"])
    changed = plan(load(file), "dev", target)
    assert [(c.kind, c.action, c.reason) for c in changed.pending] == [
        ("function", "update", "Environment changed")
    ]
    apply(changed)
    assert target.writes() == [("lambda", "UpdateFunctionConfiguration")]


def test_removed_resource_is_deleted(deployed: dict[str, Any]) -> None:
    file: Path = deployed["file"]
    source = file.read_text()
    file.write_text(source + '\napp.queue("extra")\n')
    apply(plan(load(file), "dev", RecordingTarget(deployed["endpoint"])))
    file.write_text(source)
    removed = plan(load(file), "dev", RecordingTarget(deployed["endpoint"]))
    assert [(c.kind, c.logical, c.action) for c in removed.pending] == [
        ("queue", "extra", "delete")
    ]
    apply(removed)
    sqs = make_client("sqs", deployed["endpoint"])
    names = [
        u.rsplit("/", 1)[-1]
        for u in sqs.list_queues(QueueNamePrefix=f"{deployed['name']}-dev-").get("QueueUrls", [])
    ]
    assert sorted(names) == sorted(
        [f"{deployed['name']}-dev-jobs", f"{deployed['name']}-dev-jobs-dlq"]
    )


def test_stages_live_side_by_side_and_destroy_leaves_nothing(deployed: dict[str, Any]) -> None:
    endpoint, name = deployed["endpoint"], deployed["name"]
    app = load(deployed["file"])
    apply(plan(app, "prod", RecordingTarget(endpoint)))
    lam = make_client("lambda", endpoint)
    names = {f["FunctionName"] for f in every(lam, "list_functions", "Functions")}
    assert {f"{name}-dev-worker", f"{name}-prod-worker"} <= names

    deleted = destroy(name, "prod", RecordingTarget(endpoint))
    assert sorted((c.kind, c.logical) for c in deleted) == sorted(
        [("queue", "jobs-dlq"), ("queue", "jobs"), ("table", "users"), ("topic", "events"),
         ("subscription", f"events->{name}-prod-jobs"), ("role", "worker"), ("function", "worker"),
         ("esm", f"worker<-{name}-prod-jobs")]
    )  # fmt: skip
    # dev is untouched by destroying prod
    assert plan(app, "dev", RecordingTarget(endpoint)).empty
    destroy(name, "dev", RecordingTarget(endpoint))
    assert _leftovers(endpoint, name) == []
    assert destroy(name, "dev", RecordingTarget(endpoint)) == []


def _leftovers(endpoint: str, name: str) -> list[str]:
    found: list[str] = []
    lam = make_client("lambda", endpoint)
    found += [
        f["FunctionName"]
        for f in every(lam, "list_functions", "Functions")
        if f["FunctionName"].startswith(name)
    ]
    sqs = make_client("sqs", endpoint)
    found += sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    ddb = make_client("dynamodb", endpoint)
    found += [t for t in every(ddb, "list_tables", "TableNames") if t.startswith(name)]
    sns = make_client("sns", endpoint)
    found += [t["TopicArn"] for t in every(sns, "list_topics", "Topics") if name in t["TopicArn"]]
    iam = make_client("iam", endpoint)
    found += [
        r["RoleName"] for r in every(iam, "list_roles", "Roles", PathPrefix=f"/cloudlet/{name}/")
    ]
    found += [
        m["UUID"]
        for m in every(lam, "list_event_source_mappings", "EventSourceMappings")
        if name in m["FunctionArn"] and m.get("State") != "Deleting"
    ]
    return found


PREFIXED = """
from cloudlet.app import App

app = App("{name}")
q = app.queue("jobs")
t = app.table("items", key=("id", "S"))
f = app.function("fn", code="functions/fn")
f.link(q)
web = app.http_api("web")
web.route("GET", "/", f)
"""


def test_destroy_spares_a_stage_whose_names_share_the_prefix(tmp_path: Path, endpoint: str) -> None:
    # Stage "a-b" names its resources "{app}-a-b-...", which also start with "{app}-a-".
    name = app_name("px")
    file = write_app(tmp_path, PREFIXED.format(name=name), {"fn": HANDLER})
    app = load(file)
    apply(plan(app, "a", RecordingTarget(endpoint)))
    apply(plan(app, "a-b", RecordingTarget(endpoint)))
    again = plan(app, "a", RecordingTarget(endpoint))
    assert again.empty, again.pending  # the other stage is not taken for leftovers
    deleted = destroy(name, "a", RecordingTarget(endpoint))
    assert {c.physical for c in deleted} >= {f"{name}-a-jobs", f"{name}-a-items", f"{name}-a-fn"}
    assert not [c for c in deleted if c.physical.startswith(f"{name}-a-b-")]
    assert plan(app, "a-b", RecordingTarget(endpoint)).empty
    destroy(name, "a-b", RecordingTarget(endpoint))
    assert _leftovers(endpoint, name) == []
