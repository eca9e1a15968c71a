"""DynamoDB items through boto3: PutItem, GetItem, UpdateItem, DeleteItem, conditions,
ReturnValues, consumed capacity and the validation rules of keys and items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr
from test_dynamodb_support import client, create_table, error_of, resource

EMPTY_KEY = (
    "One or more parameter values are not valid. The AttributeValue for a key attribute "
    "cannot contain an empty string value. Key: pk"
)


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return client(endpoint)


@pytest.fixture(scope="module")
def table_name(ddb: Any) -> str:
    return create_table(
        ddb,
        defs={"gpk": "S"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@pytest.fixture(scope="module")
def table(endpoint: str, table_name: str) -> Any:
    return resource(endpoint).Table(table_name)


def test_put_get_round_trip_every_type(table: Any) -> None:
    item = {
        "pk": "types",
        "sk": "1",
        "s": "text",
        "n": Decimal("12345678901234567890123456789012345678"),
        "small": Decimal("-1E-130"),
        "b": b"\x00\xff",
        "ss": {"a", "b"},
        "ns": {Decimal(1), Decimal("2.5")},
        "bs": {b"x", b"y"},
        "m": {"nested": {"list": [1, "two", None, True]}},
        "l": [],
        "null": None,
        "bool": False,
    }
    table.put_item(Item=item)
    got = table.get_item(Key={"pk": "types", "sk": "1"}, ConsistentRead=True)["Item"]
    assert got["n"] == Decimal("12345678901234567890123456789012345678")
    assert got["small"] == Decimal("-1E-130")
    assert got["ss"] == {"a", "b"} and got["ns"] == {Decimal(1), Decimal("2.5")}
    assert got["bs"] == {b"x", b"y"}
    assert got["b"].value == b"\x00\xff"
    assert got["m"] == {"nested": {"list": [1, "two", None, True]}}
    assert got["null"] is None and got["bool"] is False and got["l"] == []


def test_numbers_are_canonical(ddb: Any, table_name: str) -> None:
    ddb.put_item(
        TableName=table_name,
        Item={"pk": {"S": "num"}, "sk": {"S": "1"}, "n": {"N": "01.500"}, "z": {"N": "-0"}},
    )
    item = ddb.get_item(TableName=table_name, Key={"pk": {"S": "num"}, "sk": {"S": "1"}})["Item"]
    assert item["n"] == {"N": "1.5"} and item["z"] == {"N": "0"}


def test_get_missing_item_and_projection(ddb: Any, table_name: str) -> None:
    out = ddb.get_item(TableName=table_name, Key={"pk": {"S": "none"}, "sk": {"S": "x"}})
    assert "Item" not in out
    ddb.put_item(
        TableName=table_name,
        Item={
            "pk": {"S": "proj"},
            "sk": {"S": "1"},
            "a": {"M": {"b": {"L": [{"S": "x"}, {"S": "y"}]}}},
            "c": {"S": "c"},
        },
    )
    out = ddb.get_item(
        TableName=table_name,
        Key={"pk": {"S": "proj"}, "sk": {"S": "1"}},
        ProjectionExpression="#a.b[1], c",
        ExpressionAttributeNames={"#a": "a"},
    )
    assert out["Item"] == {"a": {"M": {"b": {"L": [{"S": "y"}]}}}, "c": {"S": "c"}}


def test_key_validation(ddb: Any, table_name: str) -> None:
    code, message, _ = error_of(lambda: ddb.get_item(TableName=table_name, Key={"pk": {"S": "a"}}))
    assert (code, message) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )
    code, message, _ = error_of(
        lambda: ddb.get_item(TableName=table_name, Key={"pk": {"N": "1"}, "sk": {"S": "a"}})
    )
    assert message == "The provided key element does not match the schema"
    code, message, _ = error_of(
        lambda: ddb.get_item(
            TableName=table_name, Key={"pk": {"S": "a"}, "sk": {"S": "a"}, "x": {"S": "a"}}
        )
    )
    assert message == "The provided key element does not match the schema"
    code, message, _ = error_of(
        lambda: ddb.get_item(TableName=table_name, Key={"pk": {"S": ""}, "sk": {"S": "a"}})
    )
    assert message == EMPTY_KEY
    code, message, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item={"pk": {"S": ""}, "sk": {"S": "a"}})
    )
    assert message == EMPTY_KEY
    code, message, _ = error_of(lambda: ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}}))
    assert message == "One or more parameter values were invalid: Missing the key sk in the item"
    code, message, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item={"pk": {"N": "1"}, "sk": {"S": "a"}})
    )
    assert message == (
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    )
    code, message, _ = error_of(
        lambda: ddb.put_item(
            TableName=table_name,
            Item={"pk": {"S": "a"}, "sk": {"S": "a"}, "gpk": {"N": "1"}},
        )
    )
    assert message == (
        "One or more parameter values were invalid: Type mismatch for Index Key gpk "
        "Expected: S Actual: N IndexName: byG"
    )


def test_item_value_validation(ddb: Any, table_name: str) -> None:
    key = {"pk": {"S": "v"}, "sk": {"S": "1"}}
    code, message, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item={**key, "s": {"SS": ["a", "a"]}})
    )
    assert code == "ValidationException" and "contains duplicates" in message
    code, message, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item={**key, "n": {"N": "not a number"}})
    )
    assert code == "ValidationException"
    code, message, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item={**key, "big": {"S": "x" * 409_592}})
    )
    assert message == "Item size has exceeded the maximum allowed size"
    assert "Item" not in ddb.get_item(TableName=table_name, Key=key)
    # Exactly 400 KB (names and values: 9 bytes of names and keys here) is fine.
    ddb.put_item(TableName=table_name, Item={**key, "big": {"S": "x" * 409_591}})
    assert ddb.get_item(TableName=table_name, Key=key)["Item"]["big"]["S"] == "x" * 409_591


def test_conditional_put_seed_003_idempotency(table: Any) -> None:
    """Seed 003: an order is written once; a retry with the same id is refused."""
    order = {"pk": "ORDER#42", "sk": "META", "total": 100}
    table.put_item(Item=order, ConditionExpression="attribute_not_exists(pk)")
    code, message, response = error_of(
        lambda: table.put_item(
            Item={**order, "total": 999},
            ConditionExpression=Attr("pk").not_exists(),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )
    assert code == "ConditionalCheckFailedException"
    assert message == "The conditional request failed"
    assert response["Item"]["total"] == {"N": "100"}
    assert table.get_item(Key={"pk": "ORDER#42", "sk": "META"})["Item"]["total"] == 100


def test_return_values(ddb: Any, table_name: str) -> None:
    key = {"pk": {"S": "rv"}, "sk": {"S": "1"}}
    out = ddb.put_item(
        TableName=table_name, Item={**key, "a": {"N": "1"}, "b": {"S": "x"}}, ReturnValues="ALL_OLD"
    )
    assert "Attributes" not in out
    out = ddb.put_item(
        TableName=table_name, Item={**key, "a": {"N": "2"}, "b": {"S": "x"}}, ReturnValues="ALL_OLD"
    )
    assert out["Attributes"]["a"] == {"N": "1"}
    code, message, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item=key, ReturnValues="ALL_NEW")
    )
    assert message == "Return values set to invalid value"
    update = {
        "TableName": table_name,
        "Key": key,
        "UpdateExpression": "SET a = a + :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    assert ddb.update_item(**update, ReturnValues="UPDATED_OLD")["Attributes"] == {"a": {"N": "2"}}
    assert ddb.update_item(**update, ReturnValues="UPDATED_NEW")["Attributes"] == {"a": {"N": "4"}}
    new = ddb.update_item(**update, ReturnValues="ALL_NEW")["Attributes"]
    assert new == {**key, "a": {"N": "5"}, "b": {"S": "x"}}
    old = ddb.update_item(**update, ReturnValues="ALL_OLD")["Attributes"]
    assert old["a"] == {"N": "5"}
    assert "Attributes" not in ddb.update_item(**update, ReturnValues="NONE")
    out = ddb.delete_item(TableName=table_name, Key=key, ReturnValues="ALL_OLD")
    assert out["Attributes"]["a"] == {"N": "7"}
    assert "Attributes" not in ddb.delete_item(
        TableName=table_name, Key=key, ReturnValues="ALL_OLD"
    )


def test_update_item_expressions(table: Any) -> None:
    key = {"pk": "upd", "sk": "1"}
    table.update_item(
        Key=key,
        UpdateExpression="SET #n = :n, tags = :tags, hist = list_append(if_not_exists(hist, :empty), :h)",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": "first", ":tags": {"a", "b"}, ":empty": [], ":h": ["v1"]},
    )
    table.update_item(
        Key=key,
        UpdateExpression="ADD tags :c, visits :one REMOVE #n SET hist[0] = :v0",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":c": {"c"}, ":one": 1, ":v0": "v0"},
    )
    table.update_item(
        Key=key, UpdateExpression="DELETE tags :a", ExpressionAttributeValues={":a": {"a"}}
    )
    item = table.get_item(Key=key)["Item"]
    assert item == {**key, "tags": {"b", "c"}, "visits": 1, "hist": ["v0"]}
    code, message, _ = error_of(
        lambda: table.update_item(
            Key=key, UpdateExpression="SET pk = :x", ExpressionAttributeValues={":x": "y"}
        )
    )
    assert message == (
        "One or more parameter values were invalid: Cannot update attribute pk. "
        "This attribute is part of the key"
    )
    code, message, _ = error_of(
        lambda: table.update_item(
            Key=key, UpdateExpression="SET a = :x", ExpressionAttributeValues={":x": "y", ":z": "q"}
        )
    )
    assert (
        message == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:z}"
    )
    # UpdateItem on a missing item creates it.
    table.update_item(
        Key={"pk": "upd", "sk": "new"},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": 1},
    )
    assert table.get_item(Key={"pk": "upd", "sk": "new"})["Item"]["v"] == 1


def test_conditional_update_and_delete(table: Any) -> None:
    key = {"pk": "cond", "sk": "1"}
    table.put_item(Item={**key, "state": "open", "n": 3})
    code, _, response = error_of(
        lambda: table.update_item(
            Key=key,
            UpdateExpression="SET #s = :closed",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":closed": "closed", ":pending": "pending"},
        )
    )
    assert code == "ConditionalCheckFailedException" and "Item" not in response
    table.update_item(
        Key=key,
        UpdateExpression="SET #s = :closed",
        ConditionExpression="#s = :open AND n BETWEEN :lo AND :hi",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":closed": "closed", ":open": "open", ":lo": 1, ":hi": 5},
    )
    code, _, _ = error_of(lambda: table.delete_item(Key=key, ConditionExpression=Attr("n").gt(10)))
    assert code == "ConditionalCheckFailedException"
    table.delete_item(Key=key, ConditionExpression=Attr("state").eq("closed"))
    assert "Item" not in table.get_item(Key=key)


def test_consumed_capacity(ddb: Any, table_name: str) -> None:
    key = {"pk": {"S": "cap"}, "sk": {"S": "1"}}
    out = ddb.put_item(
        TableName=table_name,
        Item={**key, "gpk": {"S": "g"}, "data": {"S": "x" * 3000}},
        ReturnConsumedCapacity="INDEXES",
    )
    consumed = out["ConsumedCapacity"]
    assert consumed["TableName"] == table_name
    assert consumed["Table"]["CapacityUnits"] == 3.0
    assert consumed["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 3.0
    assert consumed["CapacityUnits"] == 6.0
    out = ddb.get_item(TableName=table_name, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {
        "TableName": table_name,
        "CapacityUnits": 0.5,
        "ReadCapacityUnits": 0.5,
    }
    out = ddb.get_item(
        TableName=table_name, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    )
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_updated_values_name_only_the_updated_paths(ddb: Any, table_name: str) -> None:
    key = {"pk": {"S": "nested"}, "sk": {"S": "1"}}
    ddb.put_item(
        TableName=table_name,
        Item={
            **key,
            "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
            "l": {"L": [{"S": "a"}, {"S": "b"}]},
        },
    )
    out = ddb.update_item(
        TableName=table_name,
        Key=key,
        UpdateExpression="SET m.x = :v, l[1] = :b",
        ExpressionAttributeValues={":v": {"N": "10"}, ":b": {"S": "B"}},
        ReturnValues="UPDATED_NEW",
    )
    assert out["Attributes"] == {
        "m": {"M": {"x": {"N": "10"}}},
        "l": {"L": [{"S": "B"}]},
    }
    out = ddb.update_item(
        TableName=table_name,
        Key=key,
        UpdateExpression="REMOVE m.y",
        ReturnValues="UPDATED_OLD",
    )
    assert out["Attributes"] == {"m": {"M": {"y": {"N": "2"}}}}


def test_legacy_write_parameters(ddb: Any, table_name: str) -> None:
    key = {"pk": {"S": "legacy"}, "sk": {"S": "1"}}
    ddb.put_item(
        TableName=table_name,
        Item={**key, "v": {"N": "1"}},
        Expected={"pk": {"Exists": False}},
    )
    code, _, _ = error_of(
        lambda: ddb.put_item(TableName=table_name, Item=key, Expected={"pk": {"Exists": False}})
    )
    assert code == "ConditionalCheckFailedException"
    out = ddb.update_item(
        TableName=table_name,
        Key=key,
        AttributeUpdates={
            "v": {"Action": "ADD", "Value": {"N": "5"}},
            "s": {"Action": "PUT", "Value": {"S": "x"}},
        },
        Expected={"v": {"Value": {"N": "1"}}},
        ReturnValues="ALL_NEW",
    )
    assert out["Attributes"] == {**key, "v": {"N": "6"}, "s": {"S": "x"}}
    got = ddb.get_item(TableName=table_name, Key=key, AttributesToGet=["s"])
    assert got["Item"] == {"s": {"S": "x"}}
