"""PutItem, GetItem, UpdateItem, DeleteItem.

Each operation reads, checks and writes without yielding to the event loop, so
concurrent requests on one item (an atomic counter's ADD from many clients) apply one
after the other, as DynamoDB's per-item serialization does.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.dynamodb import writes
from cloudlet.services.dynamodb.common import INVALID, table_of, validation
from cloudlet.services.dynamodb.compile import compile_request
from cloudlet.services.dynamodb.expressions import Projection, Update
from cloudlet.services.dynamodb.models import DynamoStore, Item, Table
from cloudlet.services.dynamodb.schema import (
    capacity,
    check_item,
    check_key,
    collection_metrics,
    conditional_failed,
    index_write_units,
    read_units,
    write_units,
)
from cloudlet.services.dynamodb.values import item_size, validate_item

_RETURN_INVALID = "Return values set to invalid value"


def _with_capacity(
    out: dict[str, Any],
    request: dict[str, Any],
    table: Table,
    old: Item | None,
    new: Item | None,
    size: int,
) -> dict[str, Any]:
    """`size`: the written item's; the larger of old and new is charged. Units are
    worked out only when ReturnConsumedCapacity asks for them."""
    if request.get("ReturnConsumedCapacity", "NONE") != "NONE":
        if old is not None:
            size = max(size, item_size(old))
        indexes = index_write_units(table, old, new, size)
        consumed = capacity(request, table, write_units(size), True, indexes)
        if consumed is not None:
            out["ConsumedCapacity"] = consumed
    metrics = collection_metrics(request, table, old or new)
    if metrics is not None:
        out["ItemCollectionMetrics"] = metrics
    return out


def put_item(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    table = table_of(ctx, store, request)
    returns = request.get("ReturnValues", "NONE")
    if returns not in ("NONE", "ALL_OLD"):
        raise validation(_RETURN_INVALID)
    item = validate_item(request["Item"])
    key, size = check_item(table, item)
    compiled = compile_request(request, condition=True)
    old = store.get(table, key)
    if compiled.condition is not None and not compiled.condition.evaluate(old or {}):
        raise conditional_failed(old, request)
    writes.put(store, table, key, item, size, old)
    out: dict[str, Any] = {}
    if returns == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    return _with_capacity(out, request, table, old, item, size)


def get_item(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    table = table_of(ctx, store, request)
    key, _ = check_key(table, request["Key"])
    compiled = compile_request(request, projection=True)
    item = store.get(table, key)
    out: dict[str, Any] = {}
    if item is not None:
        out["Item"] = compiled.projection.apply(item) if compiled.projection else item
    if request.get("ReturnConsumedCapacity", "NONE") != "NONE":
        size = item_size(item) if item is not None else 0
        units = read_units(size, bool(request.get("ConsistentRead")))
        out["ConsumedCapacity"] = capacity(request, table, units, False)
    return out


def delete_item(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    table = table_of(ctx, store, request)
    returns = request.get("ReturnValues", "NONE")
    if returns not in ("NONE", "ALL_OLD"):
        raise validation(_RETURN_INVALID)
    key, _ = check_key(table, request["Key"])
    compiled = compile_request(request, condition=True)
    old = store.get(table, key)
    if compiled.condition is not None and not compiled.condition.evaluate(old or {}):
        raise conditional_failed(old, request)
    out: dict[str, Any] = {}
    if old is not None:
        writes.delete(store, table, key, old)
        if returns == "ALL_OLD":
            out["Attributes"] = old
    return _with_capacity(out, request, table, old, None, 0)


def updated_item(table: Table, key_item: Item, old: Item | None, update: Update | None) -> Item:
    """The item an update makes of `old` (or of the bare key, for a new item), refusing
    changes to key attributes."""
    base = dict(old) if old is not None else dict(key_item)
    if update is None:
        return base
    keys = table.key_names()
    for path in update.paths:
        top = path if isinstance(path, str) else path[0]
        if top in keys:
            raise validation(
                INVALID + f"Cannot update attribute {top}. This attribute is part of the key"
            )
    new: Item = update.apply(base)
    return new


def returned_values(
    returns: str, old: Item | None, new: Item, update: Update | None
) -> Item | None:
    """ReturnValues of an update: UPDATED_* give only the paths the update named, as
    they were before or are after it."""
    if returns == "ALL_OLD":
        return old
    if returns == "ALL_NEW":
        return new
    if returns not in ("UPDATED_OLD", "UPDATED_NEW") or update is None:
        return None
    source = old if returns == "UPDATED_OLD" else new
    picked = Projection(list(update.paths)).apply(source or {})
    return picked or None


def update_item(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    table = table_of(ctx, store, request)
    returns = request.get("ReturnValues", "NONE")
    key, key_item = check_key(table, request["Key"])
    compiled = compile_request(request, condition=True, update=True)
    old = store.get(table, key)
    if compiled.condition is not None and not compiled.condition.evaluate(old or {}):
        raise conditional_failed(old, request)
    new = updated_item(table, key_item, old, compiled.update)
    _, size = check_item(table, new)
    writes.put(store, table, key, new, size, old)
    out: dict[str, Any] = {}
    attributes = returned_values(returns, old, new, compiled.update)
    if attributes:
        out["Attributes"] = attributes
    return _with_capacity(out, request, table, old, new, size)
