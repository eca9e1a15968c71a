"""One item written or deleted, with its index entries and its stream record, together.

Every write path (PutItem, UpdateItem, DeleteItem, batches, transactions, PartiQL, the
TTL sweep) ends here, so a stream sees every change exactly once.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext

from cloudlet.services.dynamodb import stream_records
from cloudlet.services.dynamodb.models import DynamoStore, Item, Key, Table


def _atomic(store: DynamoStore, table: Table) -> AbstractContextManager[None]:
    # A lone INSERT is atomic already; index entries and stream records pair with it.
    if table.indexes or table.stream_enabled:
        return store.db.transaction()
    return nullcontext()


def put(
    store: DynamoStore, table: Table, key: Key, item: Item, size: int, old: Item | None
) -> None:
    with _atomic(store, table):
        store.put(table, key, item, size, old)
        if table.stream_enabled:
            stream_records.record(
                store.db,
                table_arn=table.arn,
                event_name="INSERT" if old is None else "MODIFY",
                keys=table.key_item(item),
                old_image=old,
                new_image=item,
                now_ms=int(time.time() * 1000),
            )


def delete(
    store: DynamoStore,
    table: Table,
    key: Key,
    old: Item,
    user_identity: dict[str, str] | None = None,
) -> None:
    with _atomic(store, table):
        store.delete(table, key, old)
        if table.stream_enabled:
            stream_records.record(
                store.db,
                table_arn=table.arn,
                event_name="REMOVE",
                keys=table.key_item(old),
                old_image=old,
                new_image=None,
                user_identity=user_identity,
                now_ms=int(time.time() * 1000),
            )
