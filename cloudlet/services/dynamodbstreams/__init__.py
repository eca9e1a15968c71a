"""Amazon DynamoDB Streams: the change records of tables with a stream."""

from __future__ import annotations

from typing import ClassVar

from cloudlet.services.base import Operation, Service

__all__ = ["DynamoDbStreamsService"]


class DynamoDbStreamsService(Service):
    name = "dynamodbstreams"
    signing_name = "dynamodb"
    protocols = ("json",)
    operations: ClassVar[dict[str, Operation]] = {}
