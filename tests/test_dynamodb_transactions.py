"""BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems through boto3,
and the seed 001 atomic counter under concurrent writers."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from test_dynamodb_support import client, create_table, error_of, resource


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return client(endpoint)


@pytest.fixture(scope="module")
def name(ddb: Any) -> str:
    return create_table(ddb)


def key(pk: str, sk: str = "1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_batch_write_and_get(ddb: Any, name: str) -> None:
    other = create_table(ddb, ("id", "N"), None)
    out = ddb.batch_write_item(
        RequestItems={
            name: [
                {"PutRequest": {"Item": {**key(f"b{i}"), "v": {"N": str(i)}}}} for i in range(5)
            ],
            other: [{"PutRequest": {"Item": {"id": {"N": "7"}}}}],
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert out["UnprocessedItems"] == {}
    assert {c["TableName"] for c in out["ConsumedCapacity"]} == {name, other}
    got = ddb.batch_get_item(
        RequestItems={
            name: {
                "Keys": [key("b0"), key("b3"), key("missing")],
                "ProjectionExpression": "v",
            },
            other: {"Keys": [{"id": {"N": "7"}}]},
        }
    )
    assert sorted(i["v"]["N"] for i in got["Responses"][name]) == ["0", "3"]
    assert got["Responses"][other] == [{"id": {"N": "7"}}]
    assert got["UnprocessedKeys"] == {}
    ddb.batch_write_item(
        RequestItems={
            name: [{"DeleteRequest": {"Key": key("b0")}}, {"DeleteRequest": {"Key": key("b9")}}]
        }
    )
    assert "Item" not in ddb.get_item(TableName=name, Key=key("b0"))


def test_batch_validation(ddb: Any, name: str) -> None:
    code, message, _ = error_of(
        lambda: ddb.batch_write_item(
            RequestItems={
                name: [{"PutRequest": {"Item": key("dup")}}, {"DeleteRequest": {"Key": key("dup")}}]
            }
        )
    )
    assert message == "Provided list of item keys contains duplicates"
    code, message, _ = error_of(
        lambda: ddb.batch_get_item(RequestItems={name: {"Keys": [key("d"), key("d")]}})
    )
    assert message == "Provided list of item keys contains duplicates"
    code, message, _ = error_of(
        lambda: ddb.batch_get_item(
            RequestItems={name: {"Keys": [key(f"k{i}") for i in range(101)]}}
        )
    )
    assert code == "ValidationException"
    code, message, _ = error_of(
        lambda: ddb.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": key(f"k{i}")}} for i in range(26)]}
        )
    )
    assert code == "ValidationException"
    # One bad item fails the whole batch; nothing is written.
    code, message, _ = error_of(
        lambda: ddb.batch_write_item(
            RequestItems={
                name: [
                    {"PutRequest": {"Item": key("good")}},
                    {"PutRequest": {"Item": {"pk": {"S": "bad"}}}},
                ]
            }
        )
    )
    assert code == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=name, Key=key("good"))
    code, _, _ = error_of(
        lambda: ddb.batch_write_item(
            RequestItems={"missing-table": [{"PutRequest": {"Item": key("x")}}]}
        )
    )
    assert code == "ResourceNotFoundException"


def test_transaction_commits_all(ddb: Any, name: str) -> None:
    ddb.put_item(TableName=name, Item={**key("acct-a"), "balance": {"N": "100"}})
    ddb.put_item(TableName=name, Item={**key("acct-b"), "balance": {"N": "0"}})
    ddb.put_item(TableName=name, Item={**key("old"), "x": {"S": "y"}})
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": name,
                    "Key": key("acct-a"),
                    "UpdateExpression": "SET balance = balance - :amt",
                    "ConditionExpression": "balance >= :amt",
                    "ExpressionAttributeValues": {":amt": {"N": "30"}},
                }
            },
            {
                "Update": {
                    "TableName": name,
                    "Key": key("acct-b"),
                    "UpdateExpression": "SET balance = balance + :amt",
                    "ExpressionAttributeValues": {":amt": {"N": "30"}},
                }
            },
            {"Put": {"TableName": name, "Item": {**key("log"), "what": {"S": "transfer"}}}},
            {"Delete": {"TableName": name, "Key": key("old")}},
        ]
    )
    got = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": name, "Key": key("acct-a")}},
            {"Get": {"TableName": name, "Key": key("acct-b"), "ProjectionExpression": "balance"}},
            {"Get": {"TableName": name, "Key": key("old")}},
        ]
    )["Responses"]
    assert got[0]["Item"]["balance"] == {"N": "70"}
    assert got[1] == {"Item": {"balance": {"N": "30"}}}
    assert got[2] == {}
    assert "Item" in ddb.get_item(TableName=name, Key=key("log"))


def test_transaction_cancels_with_reasons(ddb: Any, name: str) -> None:
    ddb.put_item(TableName=name, Item={**key("stock"), "qty": {"N": "1"}})
    code, message, response = error_of(
        lambda: ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {**key("reservation"), "n": {"N": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": key("stock"),
                        "ConditionExpression": "qty >= :want",
                        "ExpressionAttributeValues": {":want": {"N": "5"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "TableName": name,
                        "Key": key("counter"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    )
    assert code == "TransactionCanceledException"
    assert message == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed, None]"
    )
    reasons = response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Item"] == {**key("stock"), "qty": {"N": "1"}}
    assert reasons[2] == {"Code": "None"}
    # Nothing was applied.
    assert "Item" not in ddb.get_item(TableName=name, Key=key("reservation"))
    assert "Item" not in ddb.get_item(TableName=name, Key=key("counter"))


def test_transaction_validation(ddb: Any, name: str) -> None:
    code, message, _ = error_of(
        lambda: ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": key("same")}},
                {"Delete": {"TableName": name, "Key": key("same")}},
            ]
        )
    )
    assert (code, message) == (
        "ValidationException",
        "Transaction request cannot include multiple operations on one item",
    )
    code, message, _ = error_of(
        lambda: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": name, "Item": key(f"k{i}")}} for i in range(101)]
        )
    )
    assert code == "ValidationException"
    code, _, _ = error_of(
        lambda: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": "no-such-table", "Item": key("x")}}]
        )
    )
    assert code == "ResourceNotFoundException"


def test_client_request_token_idempotency(ddb: Any, name: str) -> None:
    token = str(uuid.uuid4())
    request = {
        "TransactItems": [
            {
                "Update": {
                    "TableName": name,
                    "Key": key("idem"),
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        ],
        "ClientRequestToken": token,
    }
    ddb.transact_write_items(**request)
    ddb.transact_write_items(**request)  # a retry: answered, not applied again
    assert ddb.get_item(TableName=name, Key=key("idem"))["Item"]["n"] == {"N": "1"}
    different = dict(request)
    different["TransactItems"] = [{"Put": {"TableName": name, "Item": key("other")}}]
    code, _, _ = error_of(lambda: ddb.transact_write_items(**different))
    assert code == "IdempotentParameterMismatchException"
    assert "Item" not in ddb.get_item(TableName=name, Key=key("other"))


def test_atomic_counter_under_concurrent_writers(endpoint: str, ddb: Any, name: str) -> None:
    """Seed 001's fan-in: each of N chunk workers adds one; exactly one sees the total."""
    writers, per_writer = 8, 25
    total = writers * per_writer
    ddb.put_item(
        TableName=name,
        Item={
            **key("JOB#1", "META"),
            "completedChunks": {"N": "0"},
            "totalChunks": {"N": str(total)},
        },
    )
    finishers: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        table = resource(endpoint).Table(name)
        try:
            for _ in range(per_writer):
                updated = table.update_item(
                    Key={"pk": "JOB#1", "sk": "META"},
                    UpdateExpression="SET completedChunks = completedChunks + :one",
                    ExpressionAttributeValues={":one": 1},
                    ReturnValues="ALL_NEW",
                )["Attributes"]
                if updated["completedChunks"] == updated["totalChunks"]:
                    finishers.append(1)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    item = ddb.get_item(TableName=name, Key=key("JOB#1", "META"), ConsistentRead=True)["Item"]
    assert item["completedChunks"] == {"N": str(total)}
    assert finishers == [1]
