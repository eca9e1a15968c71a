"""Items and keys checked against a table's key schema, in AWS's words; wire form for
error bodies; consumed capacity."""

from __future__ import annotations

import base64
import math
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.common import INVALID, validation
from cloudlet.services.dynamodb.models import Item, Key, Table
from cloudlet.services.dynamodb.values import MAX_ITEM_SIZE, item_size, validate_item

_EMPTY_KEY = (
    "One or more parameter values are not valid. The AttributeValue for a key attribute "
    "cannot contain an empty {kind} value. Key: {name}"
)
_EMPTY_INDEX_KEY = (
    "One or more parameter values are not valid. A value specified for a secondary index "
    "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
    "{kind} value. IndexName: {index}, IndexKey: {name}"
)
NO_MATCH = "The provided key element does not match the schema"


def _type(value: dict[str, Any]) -> str:
    return next(iter(value), "")


def _empty(value: dict[str, Any], kind: str) -> bool:
    return kind in ("S", "B") and len(value[kind]) == 0


def check_item(table: Table, item: Item) -> tuple[Key, int]:
    """Validate a whole item for a write (values already validated): its key attributes,
    its index key attributes, its size. Return its key and size."""
    for attr in (table.hash, table.range):
        if attr is None:
            continue
        value = item.get(attr.name)
        if value is None:
            raise validation(INVALID + f"Missing the key {attr.name} in the item")
        kind = _type(value)
        if kind != attr.type:
            raise validation(
                INVALID + f"Type mismatch for key {attr.name} expected: {attr.type} actual: {kind}"
            )
        if _empty(value, kind):
            word = "string" if kind == "S" else "binary"
            raise validation(_EMPTY_KEY.format(kind=word, name=attr.name))
    for index in table.indexes.values():
        for attr in (index.hash, index.range):
            if attr is None:
                continue
            value = item.get(attr.name)
            if value is None:
                continue
            kind = _type(value)
            if kind != attr.type:
                raise validation(
                    INVALID + f"Type mismatch for Index Key {attr.name} Expected: {attr.type} "
                    f"Actual: {kind} IndexName: {index.name}"
                )
            if _empty(value, kind):
                word = "string" if kind == "S" else "binary"
                raise validation(
                    _EMPTY_INDEX_KEY.format(kind=word, index=index.name, name=attr.name)
                )
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise validation("Item size has exceeded the maximum allowed size")
    return table.key_of(item), size


def check_key(table: Table, raw: Any) -> tuple[Key, Item]:
    """Validate a Key parameter: exactly the table's key attributes, of their types.
    Return the encoded key and the key item (numbers canonical)."""
    key = validate_item(raw, "Key")
    names = table.key_names()
    if len(key) != len(names) or any(n not in key for n in names):
        raise validation(NO_MATCH)
    for attr in (table.hash, table.range):
        if attr is None:
            continue
        value = key[attr.name]
        kind = _type(value)
        if kind != attr.type:
            raise validation(NO_MATCH)
        if _empty(value, kind):
            word = "string" if kind == "S" else "binary"
            raise validation(_EMPTY_KEY.format(kind=word, name=attr.name))
    return table.key_of(key), key


def to_wire(item: Item) -> Item:
    """An item as JSON can carry it (binary as base64), for error bodies the gateway
    serializes without the model."""
    return {k: _wire_value(v) for k, v in item.items()}


def _wire_value(value: dict[str, Any]) -> dict[str, Any]:
    kind = _type(value)
    raw = value[kind]
    if kind == "B":
        return {"B": base64.b64encode(raw).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(m).decode() for m in raw]}
    if kind == "M":
        return {"M": to_wire(raw)}
    if kind == "L":
        return {"L": [_wire_value(v) for v in raw]}
    return value


def conditional_failed(old: Item | None, request: dict[str, Any]) -> ServiceError:
    error = ServiceError("ConditionalCheckFailedException", "The conditional request failed")
    if old is not None and request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
        error.with_fields(Item=to_wire(old))
    return error


# -- consumed capacity ----------------------------------------------------------------


def read_units(size: int, consistent: bool) -> float:
    units = float(max(1, math.ceil(size / 4096)))
    return units if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def capacity(
    request: dict[str, Any],
    table: Table,
    units: float,
    write: bool,
    indexes: dict[str, float] | None = None,
) -> dict[str, Any] | None:
    """The ConsumedCapacity member ReturnConsumedCapacity asks for, or None."""
    mode = request.get("ReturnConsumedCapacity", "NONE")
    if mode == "NONE":
        return None
    kind = "WriteCapacityUnits" if write else "ReadCapacityUnits"
    indexes = indexes or {}
    total = units + sum(indexes.values())
    out: dict[str, Any] = {"TableName": table.name, "CapacityUnits": total, kind: total}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": units, kind: units}
        for name, used in indexes.items():
            member = (
                "GlobalSecondaryIndexes"
                if table.indexes[name].kind == "GSI"
                else "LocalSecondaryIndexes"
            )
            out.setdefault(member, {})[name] = {"CapacityUnits": used, kind: used}
    return out


def index_write_units(
    table: Table, old: Item | None, new: Item | None, size: int
) -> dict[str, float]:
    """Write units each secondary index consumes for one item write: one write for an
    entry added or removed, two when the entry's key changes."""
    out: dict[str, float] = {}
    for index in table.indexes.values():
        before = index.key(old) if old is not None else None
        after = index.key(new) if new is not None else None
        if before is None and after is None:
            continue
        writes = 2 if before is not None and after is not None and before != after else 1
        out[index.name] = writes * write_units(size)
    return out


def collection_metrics(
    request: dict[str, Any], table: Table, item: Item | None
) -> dict[str, Any] | None:
    """ItemCollectionMetrics of a write, when asked for (SIZE) on a table with local
    secondary indexes: the item collection's key and AWS's size estimate range (the
    10 GB collection limit is not enforced, so the estimate is its lowest bracket)."""
    if request.get("ReturnItemCollectionMetrics") != "SIZE" or item is None:
        return None
    if not any(index.kind == "LSI" for index in table.indexes.values()):
        return None
    return {
        "ItemCollectionKey": {table.hash.name: item[table.hash.name]},
        "SizeEstimateRangeGB": [0.0, 1.0],
    }
