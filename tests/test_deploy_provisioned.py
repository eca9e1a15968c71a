"""Provisioned concurrency: the function gets a `live` alias on a published version of
its current code, provisioned; its API routes and event source mapping invoke the
alias; a code change publishes a new version; dropping it removes the provisioning."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from conftest import make_client
from deploy_support import RecordingTarget, app_name, write_app

from cloudlet.app import load
from cloudlet.deploy import apply, destroy, plan

APP = """
from cloudlet.app import App

app = App("{name}")
jobs = app.queue("jobs")
fn = app.function("fn", code="functions/fn"{options})
fn.consume(jobs)
web = app.http_api("web")
web.route("GET", "/hi", fn)
app.output("url", web.url)
"""
CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': '%s'}\n"


def body(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode())


def test_provisioned_function_is_invoked_through_its_live_alias(
    tmp_path: Path, endpoint: str
) -> None:
    name = app_name("pc")
    file = write_app(
        tmp_path, APP.format(name=name, options=", provisioned_concurrency=2"), {"fn": CODE % "v1"}
    )
    outputs = apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    fn = f"{name}-dev-fn"
    alias = f"arn:aws:lambda:us-east-1:000000000000:function:{fn}:live"
    lam = make_client("lambda", endpoint)
    assert lam.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "1"
    config = lam.get_provisioned_concurrency_config(FunctionName=fn, Qualifier="live")
    assert config["RequestedProvisionedConcurrentExecutions"] == 2
    mapping = lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]
    assert [m["FunctionArn"] for m in mapping] == [alias]
    assert body(outputs.values["url"] + "/hi") == "v1"
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty

    (tmp_path / "functions/fn/app.py").write_text(CODE % "v2")
    target = RecordingTarget(endpoint)
    changed = plan(load(file), "dev", target)
    assert [(c.kind, c.action) for c in changed.pending] == [("function", "update")]
    apply(changed)
    ops = [op for _, op in target.writes()]
    assert ops == [
        "UpdateFunctionCode",
        "PublishVersion",
        "UpdateAlias",
        "PutProvisionedConcurrencyConfig",
    ]
    assert lam.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "2"
    assert body(outputs.values["url"] + "/hi") == "v2"

    file.write_text(APP.format(name=name, options=""))
    dropped = plan(load(file), "dev", RecordingTarget(endpoint))
    assert sorted((c.kind, c.action) for c in dropped.pending) == [
        ("esm", "replace"), ("function", "update"), ("http_api", "update"),
    ]  # fmt: skip
    apply(dropped)
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName=fn)["ProvisionedConcurrencyConfigs"]
        == []
    )
    mapping = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [m["FunctionArn"] for m in mapping if m["State"] != "Deleting"] == [
        f"arn:aws:lambda:us-east-1:000000000000:function:{fn}"
    ]
    assert body(outputs.values["url"] + "/hi") == "v2"
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty
    destroy(name, "dev", RecordingTarget(endpoint))
