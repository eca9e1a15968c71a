"""DynamoDB control plane through boto3: tables, indexes, TTL, tags, limits."""

from __future__ import annotations

from typing import Any

import pytest
from test_dynamodb_support import client, create_table, error_of, unique


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return client(endpoint)


def test_create_describe_and_waiter(ddb: Any) -> None:
    name = unique("orders")
    created = ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
            {"AttributeName": "GSI1PK", "AttributeType": "S"},
            {"AttributeName": "GSI1SK", "AttributeType": "S"},
            {"AttributeName": "LSK", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "LSI1",
                "KeySchema": [
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "LSK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        Tags=[{"Key": "team", "Value": "orders"}],
    )["TableDescription"]
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ItemCount"] == 0 and table["TableSizeBytes"] == 0
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert "BillingModeSummary" not in table
    gsi = table["GlobalSecondaryIndexes"][0]
    assert gsi["IndexName"] == "GSI1" and gsi["IndexStatus"] == "ACTIVE"
    assert gsi["IndexArn"].endswith(f"table/{name}/index/GSI1")
    assert table["LocalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "orders"}]
    # Describing by ARN works too.
    assert ddb.describe_table(TableName=table["TableArn"])["Table"]["TableName"] == name


def test_item_counts_and_sizes(ddb: Any) -> None:
    name = create_table(ddb)
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": str(i)}})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 3
    assert table["TableSizeBytes"] == 3 * (len("pk") + 1 + len("sk") + 1)
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_create_errors(ddb: Any) -> None:
    name = create_table(ddb)
    code, message, _ = error_of(lambda: create_table(ddb, name=name))
    assert code == "ResourceInUseException" and message == f"Table already exists: {name}"
    code, message, _ = error_of(
        lambda: ddb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert code == "ValidationException"
    assert "Some index key attributes are not defined in AttributeDefinitions" in message
    code, message, _ = error_of(
        lambda: ddb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "x", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert "Number of attributes in KeySchema does not exactly match" in message
    code, message, _ = error_of(
        lambda: ddb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )
    )
    assert "ReadCapacityUnits and WriteCapacityUnits must both be specified" in message
    code, message, _ = error_of(
        lambda: ddb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert message == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
    code, message, _ = error_of(
        lambda: ddb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "l", "AttributeType": "S"},
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "LSI1",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "l", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert "Table KeySchema does not have a range key" in message
    code, message, _ = error_of(lambda: ddb.describe_table(TableName="ab"))
    assert code == "ValidationException"
    assert "Member must have length greater than or equal to 3" in message
    assert len(ddb.list_tables(Limit=100)["TableNames"]) >= 1


def test_missing_tables(ddb: Any) -> None:
    code, message, _ = error_of(lambda: ddb.describe_table(TableName="no-such-table"))
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found: Table: no-such-table not found"
    code, message, _ = error_of(lambda: ddb.delete_table(TableName="no-such-table"))
    assert code == "ResourceNotFoundException"
    code, _, _ = error_of(lambda: ddb.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}}))
    assert code == "ResourceNotFoundException"


def test_list_tables_pagination(endpoint: str) -> None:
    ddb = client(endpoint)
    names = sorted(create_table(ddb, name=unique("page")) for _ in range(5))
    seen: list[str] = []
    start: dict[str, Any] = {}
    while True:
        page = ddb.list_tables(Limit=2, **start)
        assert len(page["TableNames"]) <= 2
        seen.extend(page["TableNames"])
        if "LastEvaluatedTableName" not in page:
            break
        start = {"ExclusiveStartTableName": page["LastEvaluatedTableName"]}
    assert seen == sorted(seen)
    assert set(names) <= set(seen)
    paginated = [n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]]
    assert set(names) <= set(paginated)


def test_update_table_gsi_lifecycle(ddb: Any) -> None:
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "email": {"S": "x@y"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "sk": {"S": "1"}})
    updated = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byEmail",
                    "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )["TableDescription"]
    assert updated["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    # The existing items were indexed (backfill).
    found = ddb.query(
        TableName=name,
        IndexName="byEmail",
        KeyConditionExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": "x@y"}},
    )
    assert found["Items"] == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "email": {"S": "x@y"}}]
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 1
    code, message, _ = error_of(
        lambda: ddb.update_table(
            TableName=name,
            GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}],
        )
    )
    assert code == "ResourceNotFoundException"
    ddb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byEmail"}}]
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert "GlobalSecondaryIndexes" not in table
    assert [d["AttributeName"] for d in table["AttributeDefinitions"]] == ["pk", "sk"]
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=name,
            IndexName="byEmail",
            KeyConditionExpression="email = :e",
            ExpressionAttributeValues={":e": {"S": "x@y"}},
        )
    )
    assert message == "The table does not have the specified index: byEmail"


def test_update_table_billing_and_nothing(ddb: Any) -> None:
    name = create_table(ddb)
    out = ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )["TableDescription"]
    assert out["TableStatus"] == "UPDATING"
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    code, _, _ = error_of(lambda: ddb.update_table(TableName=name))
    assert code == "ValidationException"


def test_delete_table_and_protection(ddb: Any) -> None:
    name = create_table(ddb, DeletionProtectionEnabled=True)
    code, message, _ = error_of(lambda: ddb.delete_table(TableName=name))
    assert code == "ValidationException" and "protected against deletion" in message
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    assert name not in ddb.list_tables()["TableNames"]
    # A new table of the same name starts empty.
    create_table(ddb, name=name)
    assert ddb.scan(TableName=name)["Count"] == 0


def test_time_to_live_settings(ddb: Any) -> None:
    name = create_table(ddb)
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    out = ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires",
    }
    code, message, _ = error_of(
        lambda: ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "x"}
        )
    )
    assert code == "ValidationException" and message == "TimeToLive is already enabled"
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"}
    )
    assert (
        ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"]
        == "DISABLED"
    )


def test_tags(ddb: Any) -> None:
    name = create_table(ddb)
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = arn.replace(name, "missing-table")
    code, _, _ = error_of(lambda: ddb.list_tags_of_resource(ResourceArn=missing))
    assert code == "ResourceNotFoundException"


def test_endpoints_and_limits(ddb: Any) -> None:
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints[0]["CachePeriodInMinutes"] == 1440
    limits = ddb.describe_limits()
    assert limits["TableMaxWriteCapacityUnits"] == 40000
    assert limits["AccountMaxReadCapacityUnits"] == 80000


def test_aws_cli(aws_cli: Any) -> None:
    name = unique("cli")
    created = aws_cli(
        "dynamodb",
        "create-table",
        "--table-name",
        name,
        "--attribute-definitions",
        "AttributeName=id,AttributeType=S",
        "--key-schema",
        "AttributeName=id,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    assert created["TableDescription"]["TableName"] == name
    aws_cli("dynamodb", "wait", "table-exists", "--table-name", name)
    aws_cli(
        "dynamodb",
        "put-item",
        "--table-name",
        name,
        "--item",
        '{"id": {"S": "a"}, "n": {"N": "1"}}',
    )
    got = aws_cli("dynamodb", "get-item", "--table-name", name, "--key", '{"id": {"S": "a"}}')
    assert got["Item"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    scanned = aws_cli("dynamodb", "scan", "--table-name", name)
    assert scanned["Count"] == 1
