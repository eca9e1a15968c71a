"""PartiQL through boto3: ExecuteStatement and BatchExecuteStatement for the simple
SELECT, INSERT, UPDATE and DELETE statements."""

from __future__ import annotations

from typing import Any

import pytest
from test_dynamodb_support import client, create_table, error_of


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return client(endpoint)


@pytest.fixture(scope="module")
def name(ddb: Any) -> str:
    table = create_table(ddb)
    for sk, n in (("a", 1), ("b", 2), ("c", 3)):
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "p"}, "sk": {"S": sk}, "n": {"N": str(n)}, "tag": {"S": f"t{n}"}},
        )
    ddb.put_item(TableName=table, Item={"pk": {"S": "q"}, "sk": {"S": "a"}, "n": {"N": "9"}})
    return table


def run(ddb: Any, statement: str, *params: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    out = (
        ddb.execute_statement(Statement=statement, Parameters=list(params), **extra)
        if params
        else ddb.execute_statement(Statement=statement, **extra)
    )
    items: list[dict[str, Any]] = out.get("Items", [])
    return items


def test_select(ddb: Any, name: str) -> None:
    items = run(ddb, f'SELECT * FROM "{name}" WHERE pk = ?', {"S": "p"})
    assert [i["sk"]["S"] for i in items] == ["a", "b", "c"]
    items = run(ddb, f"SELECT sk, n FROM \"{name}\" WHERE pk = 'p' AND n > 1")
    assert items == [{"sk": {"S": "b"}, "n": {"N": "2"}}, {"sk": {"S": "c"}, "n": {"N": "3"}}]
    items = run(ddb, f"SELECT * FROM \"{name}\" WHERE pk = 'p' AND sk = 'b'")
    assert [i["tag"]["S"] for i in items] == ["t2"]
    # OR binds looser than AND: this is not a read of partition 'p' alone.
    items = run(ddb, f"SELECT sk FROM \"{name}\" WHERE pk = 'p' AND sk = 'a' OR pk = 'q'")
    assert sorted(i["sk"]["S"] for i in items) == ["a", "a"]
    items = run(ddb, f'SELECT pk FROM "{name}" WHERE n >= 3')  # a scan
    assert sorted(i["pk"]["S"] for i in items) == ["p", "q"]
    items = run(
        ddb, f"SELECT sk FROM \"{name}\" WHERE pk = 'p' AND begins_with(tag, 't') AND n IN [1, 3]"
    )
    assert [i["sk"]["S"] for i in items] == ["a", "c"]
    items = run(
        ddb, f"SELECT sk FROM \"{name}\" WHERE pk = 'p' AND missing_attr IS MISSING AND n <> 2"
    )
    assert [i["sk"]["S"] for i in items] == ["a", "c"]


def test_select_pages(ddb: Any, name: str) -> None:
    first = ddb.execute_statement(Statement=f"SELECT * FROM \"{name}\" WHERE pk = 'p'", Limit=2)
    assert len(first["Items"]) == 2 and "NextToken" in first
    rest = ddb.execute_statement(
        Statement=f"SELECT * FROM \"{name}\" WHERE pk = 'p'", Limit=2, NextToken=first["NextToken"]
    )
    assert [i["sk"]["S"] for i in rest["Items"]] == ["c"]


def test_insert_update_delete(ddb: Any, name: str) -> None:
    run(
        ddb,
        f"INSERT INTO \"{name}\" VALUE {{'pk': 'w', 'sk': ?, 'n': 5, 'l': [1, 'x'], 's': <<'a', 'b'>>}}",
        {"S": "1"},
    )
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "w"}, "sk": {"S": "1"}})["Item"]
    assert item["n"] == {"N": "5"} and item["l"] == {"L": [{"N": "1"}, {"S": "x"}]}
    assert sorted(item["s"]["SS"]) == ["a", "b"]
    code, message, _ = error_of(
        lambda: run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'w', 'sk': '1'}}")
    )
    assert (code, message) == ("DuplicateItemException", "Duplicate primary key exists in table")
    run(
        ddb,
        f"UPDATE \"{name}\" SET n = n + 1 SET extra = ? REMOVE l WHERE pk = 'w' AND sk = '1'",
        {"S": "e"},
    )
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "w"}, "sk": {"S": "1"}})["Item"]
    assert item["n"] == {"N": "6"} and item["extra"] == {"S": "e"} and "l" not in item
    code, _, _ = error_of(
        lambda: run(ddb, f"UPDATE \"{name}\" SET n = 0 WHERE pk = 'w' AND sk = '1' AND n = 100")
    )
    assert code == "ConditionalCheckFailedException"
    code, message, _ = error_of(lambda: run(ddb, f"UPDATE \"{name}\" SET n = 0 WHERE pk = 'w'"))
    assert code == "ValidationException"
    run(ddb, f"DELETE FROM \"{name}\" WHERE pk = 'w' AND sk = '1'")
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "w"}, "sk": {"S": "1"}})


def test_errors(ddb: Any, name: str) -> None:
    code, message, _ = error_of(lambda: run(ddb, "SELEKT * FROM x"))
    assert code == "ValidationException" and message.startswith("Statement wasn't well formed")
    code, _, _ = error_of(lambda: run(ddb, 'SELECT * FROM "no-such-table"'))
    assert code == "ResourceNotFoundException"
    code, message, _ = error_of(lambda: run(ddb, f'SELECT * FROM "{name}" WHERE pk = ?'))
    assert code == "ValidationException"
    code, message, _ = error_of(
        lambda: run(ddb, f"DELETE FROM \"{name}\" WHERE pk = 'p' AND sk = 'a' RETURNING ALL OLD *")
    )
    assert code == "ValidationException" and "does not support RETURNING" in message


def test_batch_execute_statement(ddb: Any, name: str) -> None:
    out = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'bx', 'sk': '1'}}"},
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'p', 'sk': 'a'}}"},
            {"Statement": f"UPDATE \"{name}\" SET v = 1 WHERE pk = 'p' AND sk = 'b'"},
        ]
    )["Responses"]
    assert "Error" not in out[0]
    assert out[1]["Error"]["Code"] == "DuplicateItem"
    assert "Error" not in out[2]
    reads = ddb.batch_execute_statement(
        Statements=[
            {
                "Statement": f'SELECT * FROM "{name}" WHERE pk = ? AND sk = ?',
                "Parameters": [{"S": "p"}, {"S": "b"}],
            },
            {"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 'nobody' AND sk = 'x'"},
        ]
    )["Responses"]
    assert reads[0]["Item"]["v"] == {"N": "1"}
    assert "Item" not in reads[1]


def test_execute_transaction(ddb: Any, name: str) -> None:
    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'tx', 'sk': '1', 'n': 1}}"},
            {"Statement": f"UPDATE \"{name}\" SET n = n + 10 WHERE pk = 'p' AND sk = 'c'"},
        ]
    )
    code, message, response = error_of(
        lambda: ddb.execute_transaction(
            TransactStatements=[
                {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'tx', 'sk': '2'}}"},
                {
                    "Statement": f"UPDATE \"{name}\" SET n = 0 WHERE pk = 'tx' AND sk = '1' AND n = 5"
                },
            ]
        )
    )
    assert code == "TransactionCanceledException"
    assert [r["Code"] for r in response["CancellationReasons"]] == [
        "None",
        "ConditionalCheckFailed",
    ]
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "tx"}, "sk": {"S": "2"}})
    code, message, _ = error_of(
        lambda: ddb.execute_transaction(
            TransactStatements=[
                {"Statement": f"DELETE FROM \"{name}\" WHERE pk = 'tx' AND sk = '1'"},
                {"Statement": f"UPDATE \"{name}\" SET n = 0 WHERE pk = 'tx' AND sk = '1'"},
            ]
        )
    )
    assert message == "Transaction request cannot include multiple operations on one item"
    reads = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"SELECT n FROM \"{name}\" WHERE pk = 'tx' AND sk = '1'"},
            {"Statement": f"SELECT n FROM \"{name}\" WHERE pk = 'p' AND sk = 'c'"},
        ]
    )["Responses"]
    assert reads == [{"Item": {"n": {"N": "1"}}}, {"Item": {"n": {"N": "13"}}}]
