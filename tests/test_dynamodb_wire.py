"""DynamoDB on the wire: requests no SDK would send (boto3 validates before sending)
get AWS's 4xx errors and change nothing; binary values travel as base64."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import raw_request
from test_dynamodb_support import client, create_table

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0000"
)


@pytest.fixture(scope="module")
def send(endpoint: str) -> Any:
    def call(operation: str, body: Any) -> tuple[int, dict[str, Any]]:
        response = raw_request(
            endpoint + "/",
            json.dumps(body).encode(),
            {
                "X-Amz-Target": f"DynamoDB_20120810.{operation}",
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": AUTH,
            },
        )
        return response.status_code, json.loads(response.text)

    return call


@pytest.fixture(scope="module")
def name(endpoint: str) -> str:
    return create_table(client(endpoint), ("pk", "B"), None)


def test_binary_values_travel_as_base64(send: Any, name: str) -> None:
    item = {
        "pk": {"B": "AAE="},
        "bs": {"BS": ["AAI=", "/w=="]},
        "m": {"M": {"l": {"L": [{"B": "AAM="}]}}},
    }
    status, _ = send("PutItem", {"TableName": name, "Item": item})
    assert status == 200
    status, body = send("GetItem", {"TableName": name, "Key": {"pk": {"B": "AAE="}}})
    assert status == 200 and body["Item"] == item
    status, body = send(
        "Query",
        {
            "TableName": name,
            "KeyConditionExpression": "pk = :k",
            "ExpressionAttributeValues": {":k": {"B": "AAE="}},
        },
    )
    assert body["Items"] == [item]


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"pk": {"B": "not base64!"}}, "SerializationException"),
        ({"pk": {"B": 5}}, "ValidationException"),
        ({"pk": "AAE="}, "ValidationException"),
        ({"pk": {}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"S": 5}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"SS": "a"}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"BS": ["AA==", 3]}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"M": [1]}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"L": {"a": 1}}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"N": "1e999"}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"BOOL": "true"}}, "ValidationException"),
        ({"pk": {"B": "AAE="}, "s": {"S": "a", "N": "1"}}, "ValidationException"),
        ({"pk": {"B": ""}}, "ValidationException"),
    ],
)
def test_malformed_items_are_refused(send: Any, name: str, item: Any, code: str) -> None:
    before = send("Scan", {"TableName": name, "Select": "COUNT"})[1]["Count"]
    status, body = send("PutItem", {"TableName": name, "Item": item})
    assert status == 400 and body["__type"] == code
    assert send("Scan", {"TableName": name, "Select": "COUNT"})[1]["Count"] == before


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("PutItem", {"TableName": "abc", "Item": [1]}),
        ("GetItem", {"TableName": "nope!", "Key": {"pk": {"B": "AAE="}}}),
        (
            "Query",
            {
                "TableName": "{name}",
                "KeyConditionExpression": "pk = :k",
                "ExpressionAttributeValues": {":k": "x"},
            },
        ),
        (
            "Query",
            {
                "TableName": "{name}",
                "KeyConditionExpression": "pk = :k",
                "ExpressionAttributeValues": {":k": {"B": "@@"}},
            },
        ),
        ("BatchGetItem", {"RequestItems": {"{name}": {"Keys": ["x"]}}}),
        ("BatchWriteItem", {"RequestItems": {"{name}": [{}]}}),
        ("TransactWriteItems", {"TransactItems": [{}]}),
        ("ExecuteStatement", {"Statement": "SELECT * FROM x WHERE pk = ?", "Parameters": ["x"]}),
        ("ExecuteStatement", {"Statement": "'"}),
        (
            "Scan",
            {
                "TableName": "{name}",
                "ScanFilter": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": ["bad"]}},
            },
        ),
        (
            "UpdateItem",
            {
                "TableName": "{name}",
                "Key": {"pk": {"B": "AAE="}},
                "AttributeUpdates": {"z": {"Value": "bad"}},
            },
        ),
        ("CreateTable", {"TableName": "abc", "KeySchema": [], "AttributeDefinitions": []}),
    ],
)
def test_bad_requests_get_4xx(send: Any, name: str, operation: str, body: dict[str, Any]) -> None:
    text = json.dumps(body).replace("{name}", name)
    status, answer = send(operation, json.loads(text))
    assert 400 <= status < 500, answer
    assert answer["__type"] in (
        "ValidationException",
        "SerializationException",
        "ResourceNotFoundException",
    )
