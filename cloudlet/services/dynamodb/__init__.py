"""Amazon DynamoDB: tables, items, the expression language, transactions, TTL."""

from __future__ import annotations

from typing import ClassVar

from cloudlet.services.base import Operation, Service

__all__ = ["DynamoDbService"]


class DynamoDbService(Service):
    name = "dynamodb"
    signing_name = "dynamodb"
    protocols = ("json",)
    operations: ClassVar[dict[str, Operation]] = {}
