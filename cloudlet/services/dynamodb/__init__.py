"""Amazon DynamoDB: tables, items, the expression language, transactions, PartiQL, TTL."""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any, ClassVar

from cloudlet.config import Config
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.protocol import ServiceModel, load_service_model
from cloudlet.services.base import Operation, Service
from cloudlet.services.dynamodb import (
    batch,
    codec,
    items,
    partiql,
    reads,
    stream_records,
    tables,
    transactions,
    writes,
)
from cloudlet.services.dynamodb.models import PURGE_SLICE, DynamoStore, Key
from cloudlet.store import Database

__all__ = ["DynamoDbService"]

TTL_SWEEP_SECONDS = 2.0
TTL_SCAN_BUDGET = 5000
"""Items examined per table per sweep: a table of up to this many items is swept
completely every TTL_SWEEP_SECONDS; a larger one over several sweeps."""


class DynamoDbService(Service):
    name = "dynamodb"
    signing_name = "dynamodb"
    protocols = ("json",)
    operations: ClassVar[dict[str, Operation]] = {}  # filled below, wired by `_wired`

    @cached_property
    def model(self) -> ServiceModel:
        model = load_service_model(self.name, codec.OPAQUE_VALUES)
        model.check_constraints = self.model_constraints
        return model

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        stream_records.ensure(db)
        self.store = DynamoStore(db)
        self._ttl_cursor: dict[int, Key | None] = {}

    async def start(self) -> None:
        self.every(TTL_SWEEP_SECONDS, self._sweep, "TTL sweep")

    def reset(self) -> None:
        self.store.load()
        self._ttl_cursor = {}

    def _sweep(self) -> None:
        """Delete items past their TTL (a bounded slice of each table per round), each
        recorded in the stream as a deletion by the DynamoDB service."""
        now = time.time()
        store = self.store
        for table in store.all_tables():
            if table.ttl is None or table.ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            after = self._ttl_cursor.get(table.tid)
            expired, resume = store.expired(
                table, table.ttl["AttributeName"], now, after, TTL_SCAN_BUDGET
            )
            self._ttl_cursor[table.tid] = resume
            for item in expired:
                writes.delete(store, table, table.key_of(item), item, stream_records.TTL_IDENTITY)
        store.expire_tokens(int(now * 1000))
        store.purge(PURGE_SLICE)
        for table in store.all_tables():
            for name in list(table.backfills):
                with store.db.transaction():
                    tables.backfill_round(store, table, name)
                    store.save_table(table)


def _wired(name: str, operation: Operation) -> Operation:
    """The operation behind the codec: binary attribute values arrive as bytes (the
    gateway leaves attribute values alone, see codec.py)."""

    def run(ctx: RequestContext, store: Any, request: dict[str, Any]) -> Any:
        decode = codec.decoder(name)
        if decode is not None:
            decode(request)
        return operation(ctx, store, request)

    return run


_OPERATIONS: dict[str, Operation] = {
    "CreateTable": tables.create_table,
    "DescribeTable": tables.describe_table,
    "ListTables": tables.list_tables,
    "UpdateTable": tables.update_table,
    "DeleteTable": tables.delete_table,
    "UpdateTimeToLive": tables.update_time_to_live,
    "DescribeTimeToLive": tables.describe_time_to_live,
    "TagResource": tables.tag_resource,
    "UntagResource": tables.untag_resource,
    "ListTagsOfResource": tables.list_tags_of_resource,
    "DescribeEndpoints": tables.describe_endpoints,
    "DescribeLimits": tables.describe_limits,
    "PutItem": items.put_item,
    "GetItem": items.get_item,
    "UpdateItem": items.update_item,
    "DeleteItem": items.delete_item,
    "Query": reads.query,
    "Scan": reads.scan,
    "BatchGetItem": batch.batch_get_item,
    "BatchWriteItem": batch.batch_write_item,
    "TransactWriteItems": transactions.transact_write_items,
    "TransactGetItems": transactions.transact_get_items,
    "ExecuteStatement": partiql.execute_statement,
    "BatchExecuteStatement": partiql.batch_execute_statement,
    "ExecuteTransaction": partiql.execute_transaction,
}
DynamoDbService.operations.update({name: _wired(name, op) for name, op in _OPERATIONS.items()})
