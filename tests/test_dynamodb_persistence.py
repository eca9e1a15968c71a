"""DynamoDB durability and time to live: tables, indexes and items survive kill -9 and
restarts; expired items are deleted by the TTL sweep."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_dynamodb_support import client, create_table, wait_until

from cloudlet.testing import CloudletServer


@pytest.fixture
def durable_server(tmp_path: Path) -> Iterator[CloudletServer]:
    instance = CloudletServer(data_dir=tmp_path / "data", ephemeral=False)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def test_tables_and_items_survive_kill_9(durable_server: CloudletServer) -> None:
    ddb = client(durable_server.endpoint_url)
    name = create_table(
        ddb,
        defs={"g": "N"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        Tags=[{"Key": "k", "Value": "v"}],
    )
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    for i in range(20):
        ddb.put_item(
            TableName=name,
            Item={
                "pk": {"S": "p"},
                "sk": {"S": f"{i:02d}"},
                "g": {"N": str(i % 2)},
                "b": {"B": b"\x00"},
            },
        )
    ddb.update_item(
        TableName=name,
        Key={"pk": {"S": "p"}, "sk": {"S": "00"}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )

    durable_server.kill()
    durable_server.start()

    ddb = client(durable_server.endpoint_url)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 20
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "byG"
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [
        {"Key": "k", "Value": "v"}
    ]
    assert (
        ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["AttributeName"] == "ttl"
    )
    items = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )["Items"]
    assert [i["sk"]["S"] for i in items] == [f"{i:02d}" for i in range(20)]
    assert items[0]["n"] == {"N": "1"} and items[0]["b"] == {"B": b"\x00"}
    odd = ddb.query(
        TableName=name,
        IndexName="byG",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"N": "1"}},
    )
    assert odd["Count"] == 10

    durable_server.stop()
    durable_server.start()
    ddb = client(durable_server.endpoint_url)
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 20


def test_expired_items_are_deleted(endpoint: str) -> None:
    ddb = client(endpoint)
    name = create_table(ddb)
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    now = int(time.time())
    items = {
        "past": {"N": str(now - 60)},
        "future": {"N": str(now + 3600)},
        "text": {"S": str(now - 60)},  # not a number: never expires
        "ancient": {"N": str(now - 6 * 365 * 24 * 3600)},  # over five years old: ignored
    }
    for sk, expires in items.items():
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}, "expires": expires})
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "no-ttl"}})

    def remaining() -> list[str] | None:
        got = ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
        )["Items"]
        sks = sorted(i["sk"]["S"] for i in got)
        return sks if "past" not in sks else None

    assert wait_until(remaining, timeout=60) == ["ancient", "future", "no-ttl", "text"]
