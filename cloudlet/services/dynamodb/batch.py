"""BatchGetItem and BatchWriteItem.

The whole request is checked before anything is read or written (a bad key anywhere
fails the call, as AWS); writes then apply in one SQLite transaction. Nothing is
throttled locally, so UnprocessedItems is always empty; UnprocessedKeys holds the keys
left when a BatchGetItem answer reaches 16 MB.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.dynamodb import writes
from cloudlet.services.dynamodb.common import INVALID, find_table, validation
from cloudlet.services.dynamodb.compile import compile_request
from cloudlet.services.dynamodb.models import DynamoStore, Item, Key, Table
from cloudlet.services.dynamodb.schema import (
    capacity,
    check_item,
    check_key,
    collection_metrics,
    index_write_units,
    read_units,
    write_units,
)
from cloudlet.services.dynamodb.values import item_size, validate_item

MAX_GET_KEYS = 100
MAX_WRITES = 25
MAX_GET_BYTES = 16 * 1024 * 1024
_DUPLICATES = "Provided list of item keys contains duplicates"


def batch_get_item(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    requested = request["RequestItems"]
    if not requested:
        raise validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    if sum(len(spec["Keys"]) for spec in requested.values()) > MAX_GET_KEYS:
        raise validation("Too many items requested for the BatchGetItem call")
    plans: list[tuple[str, Table, dict[str, Any], Any, list[tuple[Key, Item]]]] = []
    for name, spec in requested.items():
        table = find_table(ctx, store, name)
        compiled = compile_request(spec, projection=True)
        keys: list[tuple[Key, Item]] = []
        seen: set[Key] = set()
        for raw in spec["Keys"]:
            key, key_item = check_key(table, raw)
            if key in seen:
                raise validation(_DUPLICATES)
            seen.add(key)
            keys.append((key, key_item))
        plans.append((name, table, spec, compiled.projection, keys))
    responses: dict[str, list[Item]] = {}
    unprocessed: dict[str, Any] = {}
    consumed: list[dict[str, Any]] = []
    total = 0
    for name, table, spec, projection, keys in plans:
        found: list[Item] = responses.setdefault(name, [])
        read = 0
        for position, (key, key_item) in enumerate(keys):
            if total >= MAX_GET_BYTES:
                rest = dict(spec)
                rest["Keys"] = [k for _, k in keys[position:]]
                unprocessed[name] = rest
                break
            item = store.get(table, key)
            if item is None:
                continue
            size = item_size(item)
            total += size
            read += size
            found.append(projection.apply(item) if projection is not None else item)
        units = read_units(read, bool(spec.get("ConsistentRead"))) if read else 0.0
        used = capacity(request, table, units, False)
        if used is not None:
            consumed.append(used)
    out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out


def batch_write_item(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    requested = request["RequestItems"]
    if not requested:
        raise validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    if sum(len(reqs) for reqs in requested.values()) > MAX_WRITES:
        raise validation("Too many items requested for the BatchWriteItem call")
    # (table, key, new item or None for a delete, size)
    plan: list[tuple[Table, Key, Item | None, int]] = []
    for name, reqs in requested.items():
        table = find_table(ctx, store, name)
        seen: set[Key] = set()
        for req in reqs:
            put, delete = req.get("PutRequest"), req.get("DeleteRequest")
            if (put is None) == (delete is None):
                raise validation(
                    INVALID + "A WriteRequest must contain exactly one of PutRequest or "
                    "DeleteRequest"
                )
            if put is not None:
                item = validate_item(put["Item"])
                key, size = check_item(table, item)
                entry: tuple[Table, Key, Item | None, int] = (table, key, item, size)
            else:
                key, _ = check_key(table, delete["Key"])
                entry = (table, key, None, 0)
            if key in seen:
                raise validation(_DUPLICATES)
            seen.add(key)
            plan.append(entry)
    used: dict[str, tuple[Table, float, dict[str, float]]] = {}
    metrics: dict[str, list[dict[str, Any]]] = {}
    with store.db.transaction():
        for table, key, new, size in plan:
            old = store.get(table, key)
            metric = collection_metrics(request, table, new or old)
            if metric is not None:
                metrics.setdefault(table.name, []).append(metric)
            if new is not None:
                writes.put(store, table, key, new, size, old)
                written = max(size, item_size(old)) if old is not None else size
            elif old is not None:
                writes.delete(store, table, key, old)
                written = item_size(old)
            else:
                written = 0
            _, units, per_index = used.get(table.name, (table, 0.0, {}))
            for index, n in index_write_units(table, old, new, written).items():
                per_index[index] = per_index.get(index, 0.0) + n
            used[table.name] = (table, units + write_units(written), per_index)
    out: dict[str, Any] = {"UnprocessedItems": {}}
    consumed = [
        c
        for table, units, per_index in used.values()
        if (c := capacity(request, table, units, True, per_index)) is not None
    ]
    if consumed:
        out["ConsumedCapacity"] = consumed
    if request.get("ReturnItemCollectionMetrics") == "SIZE":
        out["ItemCollectionMetrics"] = metrics
    return out
