"""Event wiring from an app: a function consuming a table's stream, a topic delivering
to a function, and table changes (index, stream, TTL) applied in place."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from conftest import make_client
from deploy_support import RecordingTarget, app_name, write_app

from cloudlet.app import load
from cloudlet.deploy import apply, destroy, plan

APP = """
from cloudlet.app import App

app = App("{name}")
orders = app.table("orders", key=("orderId", "S"))
seen = app.table("seen", key=(("source", "S"), ("id", "S")))
news = app.topic("news")
recorder = app.function("recorder", code="functions/recorder")
recorder.link(seen, access="write")
recorder.consume(orders, batch_size=10, starting_position="TRIM_HORIZON")
news.subscribe(recorder, filter_policy={{"kind": ["keep"]}})
"""
RECORDER = """
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["SEEN_TABLE_NAME"])

def handler(event, context):
    for record in event["Records"]:
        if "dynamodb" in record:
            key = record["dynamodb"]["Keys"]["orderId"]["S"]
            table.put_item(Item={"source": "stream", "id": key})
        else:
            table.put_item(Item={"source": "sns", "id": record["Sns"]["Message"]})
"""


def _wait_for_items(ddb: Any, table: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        items = ddb.scan(TableName=table)["Items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def test_stream_and_topic_deliver_to_the_function(tmp_path: Path, endpoint: str) -> None:
    name = app_name("ev")
    file = write_app(tmp_path, APP.format(name=name), {"recorder": RECORDER})
    first = plan(load(file), "dev", RecordingTarget(endpoint))
    assert {(c.kind, c.action) for c in first.changes} >= {
        ("esm", "create"),
        ("subscription", "create"),
    }
    apply(first)
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty
    prefix = f"{name}-dev-"

    ddb = make_client("dynamodb", endpoint)
    table = ddb.describe_table(TableName=prefix + "orders")["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    lam = make_client("lambda", endpoint)
    mapping = lam.list_event_source_mappings(FunctionName=prefix + "recorder")[
        "EventSourceMappings"
    ][0]
    assert mapping["EventSourceArn"] == table["LatestStreamArn"]
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    policy = json.loads(lam.get_policy(FunctionName=prefix + "recorder")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "sns.amazonaws.com"}

    ddb.put_item(TableName=prefix + "orders", Item={"orderId": {"S": "o-1"}})
    sns = make_client("sns", endpoint)
    topic = f"arn:aws:sns:us-east-1:000000000000:{prefix}news"
    attributes = {"kind": {"DataType": "String", "StringValue": "keep"}}
    sns.publish(TopicArn=topic, Message="m-1", MessageAttributes=attributes)
    sns.publish(TopicArn=topic, Message="m-2", MessageAttributes={"kind": {"DataType": "String", "StringValue": "drop"}})  # fmt: skip
    items = _wait_for_items(ddb, prefix + "seen", 2)
    assert sorted((i["source"]["S"], i["id"]["S"]) for i in items) == [
        ("sns", "m-1"),
        ("stream", "o-1"),
    ]
    destroy(name, "dev", RecordingTarget(endpoint))


TABLE = """
from cloudlet.app import App

app = App("{name}")
app.table("items", key=("id", "S"){options})
"""


def test_table_changes_are_applied_in_place(tmp_path: Path, endpoint: str) -> None:
    name = app_name("tb")
    file = write_app(tmp_path, TABLE.format(name=name, options=""))
    apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    ddb = make_client("dynamodb", endpoint)
    table_name = f"{name}-dev-items"
    ddb.put_item(TableName=table_name, Item={"id": {"S": "kept"}, "kind": {"S": "k"}})

    options = ', indexes={"byKind": ("kind", "S")}, stream="KEYS_ONLY", ttl="expires"'
    file.write_text(TABLE.format(name=name, options=options))
    target = RecordingTarget(endpoint)
    changed = plan(load(file), "dev", target)
    assert [(c.kind, c.action, c.reason) for c in changed.pending] == [
        ("table", "update", "Indexes, Stream, Ttl changed")
    ]
    apply(changed)
    assert ("dynamodb", "DeleteTable") not in target.calls
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byKind"]
    assert table["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
    ttl = ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires"
    assert ddb.get_item(TableName=table_name, Key={"id": {"S": "kept"}})["Item"]["kind"] == {
        "S": "k"
    }
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty

    file.write_text(TABLE.format(name=name, options="").replace('("id", "S")', '("id", "N")'))
    replaced = plan(load(file), "dev", RecordingTarget(endpoint))
    assert [(c.action, c.reason) for c in replaced.pending] == [
        ("replace", "Key changed (cannot be updated in place)")
    ]
    apply(replaced)
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "N"}]
    assert ddb.scan(TableName=table_name)["Items"] == []  # a new table: the old items went with it
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty
    destroy(name, "dev", RecordingTarget(endpoint))


FUNCTION = """
from cloudlet.app import App

app = App("{name}")
app.function("fn", code="functions/fn", layers={layers}, reserved_concurrency={reserved})
"""


def test_layers_and_reserved_concurrency(tmp_path: Path, endpoint: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/shared.py", "VALUE = 1\n")
    lam = make_client("lambda", endpoint)
    layer = lam.publish_layer_version(
        LayerName=app_name("layer"), Content={"ZipFile": buffer.getvalue()}
    )
    name = app_name("fx")
    file = write_app(
        tmp_path,
        FUNCTION.format(name=name, layers=[layer["LayerVersionArn"]], reserved=5),
        {"fn": RECORDER},
    )
    apply(plan(load(file), "dev", RecordingTarget(endpoint)))
    found = lam.get_function(FunctionName=f"{name}-dev-fn")
    assert [x["Arn"] for x in found["Configuration"]["Layers"]] == [layer["LayerVersionArn"]]
    assert found["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    assert plan(load(file), "dev", RecordingTarget(endpoint)).empty

    file.write_text(FUNCTION.format(name=name, layers=[], reserved=None))
    target = RecordingTarget(endpoint)
    changed = plan(load(file), "dev", target)
    assert [(c.kind, c.reason) for c in changed.pending] == [
        ("function", "Layers, ReservedConcurrency changed")
    ]
    apply(changed)
    assert sorted(target.writes()) == [
        ("lambda", "DeleteFunctionConcurrency"),
        ("lambda", "UpdateFunctionConfiguration"),
    ]
    found = lam.get_function(FunctionName=f"{name}-dev-fn")
    assert "Layers" not in found["Configuration"] or found["Configuration"]["Layers"] == []
    assert "Concurrency" not in found
    destroy(name, "dev", RecordingTarget(endpoint))
