"""Helpers shared by the DynamoDB integration tests (the test_dynamodb_*.py modules).

Everything goes through boto3, as a user's program would. The module holds no tests.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

T = TypeVar("T")


def client(endpoint: str) -> Any:
    config = Config(retries={"max_attempts": 1}, read_timeout=60)
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION, config=config, **CREDENTIALS
    )


def resource(endpoint: str) -> Any:
    config = Config(retries={"max_attempts": 1}, read_timeout=60)
    return boto3.resource(
        "dynamodb", endpoint_url=endpoint, region_name=REGION, config=config, **CREDENTIALS
    )


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(call: Callable[[], Any]) -> tuple[str, str, dict[str, Any]]:
    with pytest.raises(ClientError) as info:
        call()
    response: dict[str, Any] = info.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response


def wait_until(fn: Callable[[], T], timeout: float = 30, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)


def create_table(
    ddb: Any,
    hash_key: tuple[str, str] = ("pk", "S"),
    range_key: tuple[str, str] | None = ("sk", "S"),
    name: str | None = None,
    **extra: Any,
) -> str:
    """A PAY_PER_REQUEST table; extra attribute definitions come from `defs` in extra."""
    name = name or unique("tbl")
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    defs = {hash_key[0]: hash_key[1]}
    if range_key is not None:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        defs[range_key[0]] = range_key[1]
    defs.update(extra.pop("defs", {}))
    ddb.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": v} for k, v in defs.items()],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return name
