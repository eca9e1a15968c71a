"""Query and Scan through boto3: key conditions on tables, GSIs and LSIs, DynamoDB's
sort order for numbers, strings and binary, filters, pagination, Select, parallel scan,
and the seed 001 single-table design."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from test_dynamodb_support import client, create_table, error_of, resource


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return client(endpoint)


@pytest.fixture(scope="module")
def dyn(endpoint: str) -> Any:
    return resource(endpoint)


@pytest.fixture(scope="module")
def main_table(ddb: Any, dyn: Any) -> Any:
    """Seed 001's single table: users, their orders, orders' lines; GSI1 orders by date."""
    name = create_table(
        ddb,
        ("PK", "S"),
        ("SK", "S"),
        defs={"GSI1PK": "S", "GSI1SK": "S"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    table = dyn.Table(name)
    with table.batch_writer() as batch:
        batch.put_item(Item={"PK": "USER#u123", "SK": "METADATA", "name": "Ada", "email": "a@x"})
        for order, date, total in (
            ("o456", "2025-12-01T10:30:00Z", 30),
            ("o789", "2025-11-15T08:00:00Z", 12),
            ("o100", "2025-12-20T18:45:00Z", 99),
        ):
            batch.put_item(
                Item={
                    "PK": "USER#u123",
                    "SK": f"ORDER#{order}",
                    "GSI1PK": "USER#u123",
                    "GSI1SK": date,
                    "total": total,
                    "status": "PAID",
                }
            )
            batch.put_item(Item={"PK": f"ORDER#{order}", "SK": "METADATA", "userId": "u123"})
            for line in ("i001", "i002"):
                batch.put_item(Item={"PK": f"ORDER#{order}", "SK": f"ITEM#{line}", "qty": 1})
        batch.put_item(Item={"PK": "USER#u999", "SK": "METADATA", "name": "Bob"})
    return table


def test_seed_001_user_and_orders_in_one_query(main_table: Any) -> None:
    items = main_table.query(KeyConditionExpression=Key("PK").eq("USER#u123"))["Items"]
    metadata = [i for i in items if i["SK"] == "METADATA"]
    orders = [i for i in items if i["SK"].startswith("ORDER#")]
    assert metadata == [{"PK": "USER#u123", "SK": "METADATA", "name": "Ada", "email": "a@x"}]
    assert [o["SK"] for o in orders] == ["ORDER#o100", "ORDER#o456", "ORDER#o789"]
    lines = main_table.query(
        KeyConditionExpression=Key("PK").eq("ORDER#o456") & Key("SK").begins_with("ITEM#")
    )["Items"]
    assert [i["SK"] for i in lines] == ["ITEM#i001", "ITEM#i002"]


def test_seed_001_orders_by_date_through_gsi1(main_table: Any) -> None:
    newest_first = main_table.query(
        IndexName="GSI1",
        KeyConditionExpression=Key("GSI1PK").eq("USER#u123"),
        ScanIndexForward=False,
    )["Items"]
    assert [o["SK"] for o in newest_first] == ["ORDER#o100", "ORDER#o456", "ORDER#o789"]
    december = main_table.query(
        IndexName="GSI1",
        KeyConditionExpression=Key("GSI1PK").eq("USER#u123")
        & Key("GSI1SK").between("2025-12-01", "2025-12-31"),
    )["Items"]
    assert [o["GSI1SK"] for o in december] == ["2025-12-01T10:30:00Z", "2025-12-20T18:45:00Z"]
    page = main_table.query(
        IndexName="GSI1", KeyConditionExpression=Key("GSI1PK").eq("USER#u123"), Limit=2
    )
    assert page["LastEvaluatedKey"] == {
        "PK": "USER#u123",
        "SK": "ORDER#o456",
        "GSI1PK": "USER#u123",
        "GSI1SK": "2025-12-01T10:30:00Z",
    }
    rest = main_table.query(
        IndexName="GSI1",
        KeyConditionExpression=Key("GSI1PK").eq("USER#u123"),
        ExclusiveStartKey=page["LastEvaluatedKey"],
    )
    assert [o["SK"] for o in rest["Items"]] == ["ORDER#o100"]
    assert "LastEvaluatedKey" not in rest


def test_key_condition_operators(main_table: Any) -> None:
    def sks(condition: Any, **extra: Any) -> list[str]:
        items = main_table.query(
            KeyConditionExpression=Key("PK").eq("USER#u123") & condition, **extra
        )
        return [i["SK"] for i in items["Items"]]

    assert sks(Key("SK").eq("METADATA")) == ["METADATA"]
    assert sks(Key("SK").lt("ORDER#o456")) == ["METADATA", "ORDER#o100"]
    assert sks(Key("SK").lte("ORDER#o456")) == ["METADATA", "ORDER#o100", "ORDER#o456"]
    assert sks(Key("SK").gt("ORDER#o456")) == ["ORDER#o789"]
    assert sks(Key("SK").gte("ORDER#o456")) == ["ORDER#o456", "ORDER#o789"]
    assert sks(Key("SK").begins_with("ORDER#"), ScanIndexForward=False) == [
        "ORDER#o789",
        "ORDER#o456",
        "ORDER#o100",
    ]


def test_filter_counts_scanned_items(main_table: Any) -> None:
    out = main_table.query(
        KeyConditionExpression=Key("PK").eq("USER#u123"),
        FilterExpression=Attr("total").gt(20),
    )
    assert out["Count"] == 2 and out["ScannedCount"] == 4
    out = main_table.query(
        KeyConditionExpression=Key("PK").eq("USER#u123"),
        FilterExpression=Attr("total").gt(20),
        Limit=2,
    )
    # Limit bounds the items read, before the filter.
    assert out["ScannedCount"] == 2 and out["Count"] == 1
    assert "LastEvaluatedKey" in out


def test_select_and_projection(ddb: Any, main_table: Any) -> None:
    name = main_table.name
    values = {":pk": {"S": "USER#u123"}}
    out = ddb.query(
        TableName=name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=values,
        Select="COUNT",
    )
    assert out["Count"] == 4 and "Items" not in out
    out = ddb.query(
        TableName=name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=values,
        ProjectionExpression="SK, #t",
        ExpressionAttributeNames={"#t": "total"},
    )
    assert out["Items"][1] == {"SK": {"S": "ORDER#o100"}, "total": {"N": "99"}}
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=values,
            Select="SPECIFIC_ATTRIBUTES",
        )
    )
    assert code == "ValidationException"


def test_query_errors(ddb: Any, main_table: Any) -> None:
    name = main_table.name
    code, message, _ = error_of(lambda: ddb.query(TableName=name))
    assert message == (
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
        "the request."
    )
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=name,
            KeyConditionExpression="SK = :sk",
            ExpressionAttributeValues={":sk": {"S": "x"}},
        )
    )
    assert code == "ValidationException"
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"N": "1"}},
        )
    )
    assert message == (
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type"
    )
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=name,
            IndexName="GSI1",
            ConsistentRead=True,
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "x"}},
        )
    )
    assert message == "Consistent reads are not supported on global secondary indexes"


def test_number_ordering(dyn: Any, ddb: Any) -> None:
    table = dyn.Table(create_table(ddb, ("pk", "S"), ("n", "N")))
    numbers = [
        "9.9999999999999999999999999999999999999E+125",
        "10",
        "-0.5",
        "1E-130",
        "-1E-130",
        "0",
        "9.99999999999999999999999999999999999",
        "-10",
        "-9.9999999999999999999999999999999999999E+125",
        "0.5",
        "-0.55",
        "123456789012345678901234567890.12345678",
        "2",
    ]
    # The low-level client: boto3's Decimal context refuses 1E-130 (its Emin is -128).
    for text in numbers:
        ddb.put_item(TableName=table.name, Item={"pk": {"S": "n"}, "n": {"N": text}})

    def query(**extra: Any) -> list[Decimal]:
        out = ddb.query(
            TableName=table.name,
            KeyConditionExpression="pk = :pk" + extra.pop("range", ""),
            ExpressionAttributeValues={":pk": {"S": "n"}, **extra.pop("values", {})},
            **extra,
        )
        return [Decimal(i["n"]["N"]) for i in out["Items"]]

    assert query() == sorted(Decimal(t) for t in numbers)
    assert query(ScanIndexForward=False) == sorted((Decimal(t) for t in numbers), reverse=True)
    between = query(
        range=" AND n BETWEEN :lo AND :hi", values={":lo": {"N": "-0.5"}, ":hi": {"N": "10"}}
    )
    assert between == [
        Decimal("-0.5"),
        Decimal("-1E-130"),
        Decimal(0),
        Decimal("1E-130"),
        Decimal("0.5"),
        Decimal(2),
        Decimal("9.99999999999999999999999999999999999"),
        Decimal(10),
    ]


def test_binary_and_string_ordering(dyn: Any, ddb: Any) -> None:
    table = dyn.Table(create_table(ddb, ("pk", "S"), ("b", "B")))
    blobs = [b"\xff", b"\x00", b"\x00\x00", b"\x7f\x01", b"\x80", b"a", b"\x01\xff"]
    for blob in blobs:
        table.put_item(Item={"pk": "b", "b": blob})
    got = [i["b"].value for i in table.query(KeyConditionExpression=Key("pk").eq("b"))["Items"]]
    assert got == sorted(blobs)
    prefixed = table.query(KeyConditionExpression=Key("pk").eq("b") & Key("b").begins_with(b"\x00"))
    assert [i["b"].value for i in prefixed["Items"]] == [b"\x00", b"\x00\x00"]
    strings = dyn.Table(create_table(ddb))
    words = ["a", "B", "é", "z", "\U0001f600", "\uffff", "aa", ""[:0] + "Z"]
    for word in words:
        strings.put_item(Item={"pk": "s", "sk": word})
    got_words = [i["sk"] for i in strings.query(KeyConditionExpression=Key("pk").eq("s"))["Items"]]
    assert got_words == sorted(words, key=lambda w: w.encode("utf-8"))


def test_local_secondary_index(ddb: Any, dyn: Any) -> None:
    name = create_table(
        ddb,
        defs={"score": "N"},
        LocalSecondaryIndexes=[
            {
                "IndexName": "byScore",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "score", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    table = dyn.Table(name)
    for sk, score in (("a", 30), ("b", 10), ("c", 20)):
        table.put_item(Item={"pk": "p", "sk": sk, "score": score, "extra": "x"})
    out = table.put_item(Item={"pk": "p", "sk": "no-score"}, ReturnItemCollectionMetrics="SIZE")
    # sparse: not in the index; a table with LSIs reports its item collections
    assert out["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": "p"}
    assert len(out["ItemCollectionMetrics"]["SizeEstimateRangeGB"]) == 2
    out = table.query(
        IndexName="byScore", KeyConditionExpression=Key("pk").eq("p") & Key("score").gte(20)
    )
    assert out["Items"] == [
        {"pk": "p", "sk": "c", "score": 20},
        {"pk": "p", "sk": "a", "score": 30},
    ]
    # ALL_ATTRIBUTES on an LSI fetches from the table.
    out = table.query(
        IndexName="byScore", KeyConditionExpression=Key("pk").eq("p"), Select="ALL_ATTRIBUTES"
    )
    assert [i["extra"] for i in out["Items"]] == ["x", "x", "x"]
    # Moving an item's index key moves its entry.
    table.update_item(
        Key={"pk": "p", "sk": "b"},
        UpdateExpression="SET score = :s",
        ExpressionAttributeValues={":s": 40},
    )
    order = table.query(IndexName="byScore", KeyConditionExpression=Key("pk").eq("p"))["Items"]
    assert [i["sk"] for i in order] == ["c", "a", "b"]
    table.delete_item(Key={"pk": "p", "sk": "a"})
    order = table.query(IndexName="byScore", KeyConditionExpression=Key("pk").eq("p"))["Items"]
    assert [i["sk"] for i in order] == ["c", "b"]


def test_scan_pagination_and_segments(ddb: Any, dyn: Any) -> None:
    table = dyn.Table(create_table(ddb, ("pk", "S"), None))
    with table.batch_writer() as batch:
        for i in range(120):
            batch.put_item(Item={"pk": f"k{i:03d}", "n": i})
    seen: list[str] = []
    start: dict[str, Any] = {}
    while True:
        page = table.scan(Limit=25, **start)
        seen.extend(i["pk"] for i in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    assert sorted(seen) == [f"k{i:03d}" for i in range(120)]
    segments = [
        {i["pk"] for i in table.scan(Segment=s, TotalSegments=4)["Items"]} for s in range(4)
    ]
    assert set().union(*segments) == set(seen)
    assert sum(len(s) for s in segments) == 120
    filtered = table.scan(FilterExpression=Attr("n").lt(10))
    assert filtered["Count"] == 10 and filtered["ScannedCount"] == 120
    code, message, _ = error_of(lambda: table.scan(Segment=4, TotalSegments=4))
    assert message == (
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 4 is not less than TotalSegments: 4"
    )
    code, message, _ = error_of(lambda: table.scan(Segment=1))
    assert code == "ValidationException"


def test_one_megabyte_pages(ddb: Any, dyn: Any) -> None:
    table = dyn.Table(create_table(ddb))
    blob = "x" * 100_000
    with table.batch_writer() as batch:
        for i in range(25):
            batch.put_item(Item={"pk": "big", "sk": f"{i:02d}", "blob": blob})
    first = table.query(KeyConditionExpression=Key("pk").eq("big"))
    assert 10 <= first["Count"] < 25
    assert "LastEvaluatedKey" in first
    total = first["Count"]
    start = first["LastEvaluatedKey"]
    while start:
        page = table.query(KeyConditionExpression=Key("pk").eq("big"), ExclusiveStartKey=start)
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
    assert total == 25


def test_bad_exclusive_start_key(ddb: Any, main_table: Any) -> None:
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=main_table.name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "USER#u123"}},
            ExclusiveStartKey={"PK": {"S": "USER#u123"}},
        )
    )
    assert code == "ValidationException" and message.startswith(
        "The provided starting key is invalid"
    )


def test_legacy_parameters(ddb: Any, main_table: Any) -> None:
    """Older code still sends KeyConditions, QueryFilter, ScanFilter, AttributesToGet."""
    name = main_table.name
    out = ddb.query(
        TableName=name,
        KeyConditions={
            "PK": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "USER#u123"}]},
            "SK": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ORDER#"}]},
        },
        QueryFilter={"total": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "30"}]}},
        AttributesToGet=["SK", "total"],
    )
    assert out["Items"] == [
        {"SK": {"S": "ORDER#o100"}, "total": {"N": "99"}},
        {"SK": {"S": "ORDER#o456"}, "total": {"N": "30"}},
    ]
    assert out["ScannedCount"] == 3
    scanned = ddb.scan(
        TableName=name,
        ScanFilter={"name": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "Bob"}]}},
    )
    assert [i["PK"]["S"] for i in scanned["Items"]] == ["USER#u999"]
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=name,
            KeyConditions={
                "PK": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "USER#u123"}]}
            },
            FilterExpression="total > :t",
            ExpressionAttributeValues={":t": {"N": "1"}},
        )
    )
    assert message.startswith(
        "Can not use both expression and non-expression parameters in the same request"
    )


def test_gsi_projection_limits_what_queries_see(ddb: Any, dyn: Any) -> None:
    name = create_table(
        ddb,
        defs={"g": "S"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["shown"]},
            }
        ],
    )
    table = dyn.Table(name)
    table.put_item(Item={"pk": "a", "sk": "1", "g": "x", "shown": 1, "hidden": 2})
    table.put_item(Item={"pk": "b", "sk": "1", "shown": 1})  # no g: not in the index
    out = table.query(IndexName="byG", KeyConditionExpression=Key("g").eq("x"))
    assert out["Items"] == [{"pk": "a", "sk": "1", "g": "x", "shown": 1}]
    hidden = table.query(
        IndexName="byG",
        KeyConditionExpression=Key("g").eq("x"),
        FilterExpression=Attr("hidden").eq(2),
    )
    assert hidden["Count"] == 0 and hidden["ScannedCount"] == 1
    assert table.scan(IndexName="byG")["Count"] == 1


def test_start_key_outside_the_key_condition(ddb: Any, main_table: Any) -> None:
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=main_table.name,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :o)",
            ExpressionAttributeValues={":pk": {"S": "USER#u123"}, ":o": {"S": "ORDER#"}},
            ExclusiveStartKey={"PK": {"S": "USER#u123"}, "SK": {"S": "METADATA"}},
        )
    )
    assert message == (
        "The provided starting key is outside query boundaries based on provided conditions"
    )
    code, message, _ = error_of(
        lambda: ddb.query(
            TableName=main_table.name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "USER#u123"}},
            ExclusiveStartKey={"PK": {"S": "USER#u999"}, "SK": {"S": "METADATA"}},
        )
    )
    assert code == "ValidationException"
