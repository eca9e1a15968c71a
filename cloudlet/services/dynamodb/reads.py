"""Query and Scan: key ranges read from the B-tree in DynamoDB's order, a page at a time.

A page ends at Limit items read (before the filter, which is why ScannedCount can
exceed Count), at 1 MB of items read, or at the end of the range; LastEvaluatedKey is
the key of the last item read when the page ended early. Parallel Scan assigns each
partition key to segment crc32(key) % TotalSegments.
"""

from __future__ import annotations

import zlib
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.dynamodb.common import INVALID, table_of, validation
from cloudlet.services.dynamodb.compile import Compiled, compile_request
from cloudlet.services.dynamodb.keys import encode_key, successor
from cloudlet.services.dynamodb.models import DynamoStore, Index, Item, KeyAttr, Table
from cloudlet.services.dynamodb.schema import capacity, read_units
from cloudlet.services.dynamodb.values import compare, validate_item

PAGE_BYTES = 1024 * 1024
_CHUNK = 256


def _index_of(table: Table, request: dict[str, Any]) -> Index | None:
    name = request.get("IndexName")
    if name is None:
        return None
    index = table.indexes.get(name)
    if index is None:
        raise validation(f"The table does not have the specified index: {name}")
    if not index.ready:
        raise validation(f"Cannot read from backfilling global secondary index: {name}")
    if index.kind == "GSI" and request.get("ConsistentRead"):
        raise validation("Consistent reads are not supported on global secondary indexes")
    return index


def _select(request: dict[str, Any], table: Table, index: Index | None) -> str:
    has_projection = bool(request.get("ProjectionExpression") or request.get("AttributesToGet"))
    select: str | None = request.get("Select")
    if select is None:
        if has_projection:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
    if has_projection and select != "SPECIFIC_ATTRIBUTES":
        what = "ProjectionExpression" if request.get("ProjectionExpression") else "AttributesToGet"
        raise validation(INVALID + f"Cannot specify the {what} when choosing to get {select}")
    if select == "SPECIFIC_ATTRIBUTES" and not has_projection:
        raise validation(
            INVALID + "Must specify the AttributesToGet or ProjectionExpression when choosing "
            "to get SPECIFIC_ATTRIBUTES"
        )
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise validation(
            INVALID + "Select type ALL_PROJECTED_ATTRIBUTES is not supported for table "
            f"{table.name}; an index name is required"
        )
    if (
        select == "ALL_ATTRIBUTES"
        and index is not None
        and index.kind == "GSI"
        and index.projection != "ALL"
    ):
        raise validation(
            INVALID + f"Select type ALL_ATTRIBUTES is not supported for global secondary index "
            f"{index.name} because its projection type is not ALL"
        )
    return select


def _index_view(table: Table, index: Index) -> set[str] | None:
    """The attributes an index projects (None: all of them)."""
    if index.projection == "ALL":
        return None
    keep = set(table.key_names())
    keep.add(index.hash.name)
    if index.range is not None:
        keep.add(index.range.name)
    keep.update(index.non_key)
    return keep


def _projector(table: Table, index: Index | None, select: str, compiled: Compiled) -> Any:
    """item -> the attributes returned, per the index projection and the request. (A
    GSI holds only its projection; an LSI fetches other attributes from the table when
    ALL_ATTRIBUTES is asked for.)"""
    keep = None
    if index is not None and (index.kind == "GSI" or select != "ALL_ATTRIBUTES"):
        keep = _index_view(table, index)
    projection = compiled.projection

    def project(item: Item) -> Item:
        if keep is not None:
            item = {k: v for k, v in item.items() if k in keep}
        if projection is not None:
            item = projection.apply(item)
        return item

    return project


def _position(table: Table, index: Index | None, item: Item) -> Item:
    """LastEvaluatedKey of an item: the table's key, plus the index's key."""
    out = table.key_item(item)
    if index is not None:
        out[index.hash.name] = item[index.hash.name]
        if index.range is not None:
            out[index.range.name] = item[index.range.name]
    return out


def _start(
    table: Table, index: Index | None, raw: Any
) -> tuple[bytes, bytes] | tuple[bytes, bytes, bytes, bytes]:
    """Decode ExclusiveStartKey into a position in the table or index order."""
    key = validate_item(raw, "ExclusiveStartKey")
    attrs: list[KeyAttr] = [table.hash] + ([table.range] if table.range else [])
    if index is not None:
        attrs += [index.hash] + ([index.range] if index.range else [])
    names = {a.name for a in attrs}
    if set(key) != names or any(next(iter(key[a.name])) != a.type for a in attrs):
        raise validation(
            "The provided starting key is invalid: The provided key element does not match "
            "the schema"
        )
    thk, trk = table.key_of(key)
    if index is None:
        return thk, trk
    ihk = encode_key(key[index.hash.name])
    irk = encode_key(key[index.range.name]) if index.range is not None else b""
    return ihk, irk, thk, trk


def _check_key_type(value: dict[str, Any], attr: KeyAttr) -> bytes:
    if next(iter(value)) != attr.type:
        raise validation(INVALID + "Condition parameter type does not match schema type")
    return encode_key(value)


def _range_bounds(
    condition: Any, attr: KeyAttr | None
) -> tuple[tuple[bytes, bool] | None, tuple[bytes, bool] | None]:
    spec = condition.range
    if spec is None or attr is None:
        return None, None
    op = spec[0]
    if op == "BETWEEN":
        lo, hi = spec[1], spec[2]
        low = _check_key_type(lo, attr)
        high = _check_key_type(hi, attr)
        if (compare(lo, hi) or 0) > 0:
            raise validation(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
                "greater than or equal to lower bound; lower bound operand: AttributeValue: "
                f"{{{attr.type}:{next(iter(lo.values()))}}}, upper bound operand: AttributeValue: "
                f"{{{attr.type}:{next(iter(hi.values()))}}}"
            )
        return (low, True), (high, True)
    if op == "begins_with":
        if attr.type == "N":
            raise validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or "
                "function; operator or function: begins_with, operand type: N"
            )
        prefix = _check_key_type(spec[1], attr)
        upper = successor(prefix)
        return (prefix, True), (None if upper is None else (upper, False))
    value = _check_key_type(spec[1], attr)
    if op == "=":
        return (value, True), (value, True)
    if op == "<":
        return None, (value, False)
    if op == "<=":
        return None, (value, True)
    if op == ">":
        return (value, False), None
    return (value, True), None  # >=


def read_page(
    store: DynamoStore,
    table: Table,
    index: Index | None,
    request: dict[str, Any],
    compiled: Compiled,
    select: str,
    hk: bytes | None,
    low: tuple[bytes, bool] | None,
    high: tuple[bytes, bool] | None,
    forward: bool,
    segment: tuple[int, int] | None,
) -> dict[str, Any]:
    limit: int | None = request.get("Limit")
    after: Any = None
    if request.get("ExclusiveStartKey") is not None:
        after = _start(table, index, request["ExclusiveStartKey"])
        if hk is not None and after[0] != hk:
            raise validation("The provided starting key does not match the range key predicate")
        if hk is not None and not _within(after[1], low, high):
            raise validation(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
    project = _projector(table, index, select, compiled)
    check = compiled.filter
    # A GSI's filter sees only what the index holds.
    view = _index_view(table, index) if index is not None and index.kind == "GSI" else None
    items: list[Item] = []
    scanned = 0
    read = 0
    last: Item | None = None
    done = False
    while not done:
        # Rows of other segments do not count toward Limit: read whole chunks then.
        want = _CHUNK if limit is None or segment is not None else min(_CHUNK, limit - scanned)
        rows: list[tuple[Any, ...]]
        if index is None:
            rows = store.table_range(table, hk, low, high, forward, after, want)
        else:
            rows = store.index_range(table, index, hk, low, high, forward, after, want)
        for row in rows:
            item: Item = row[-1]
            after = row[:2] if index is None else row[:4]
            if segment is not None and zlib.crc32(row[0]) % segment[1] != segment[0]:
                continue
            scanned += 1
            read += row[-2]
            if view is not None:
                item = {k: v for k, v in item.items() if k in view}
            last = item
            if check is None or check.evaluate(item):
                items.append(item)
            if (limit is not None and scanned >= limit) or read >= PAGE_BYTES:
                done = True
                break
        else:
            if len(rows) < want:
                last = None
                break
    out: dict[str, Any] = {"Count": len(items), "ScannedCount": scanned}
    if select != "COUNT":
        out["Items"] = [project(item) for item in items]
    if done and last is not None:
        out["LastEvaluatedKey"] = _position(table, index, last)
    consistent = bool(request.get("ConsistentRead"))
    units = read_units(read, consistent) if read else (0.5 if not consistent else 1.0)
    indexes = {index.name: units} if index is not None else None
    consumed = capacity(request, table, 0.0 if index is not None else units, False, indexes)
    if consumed is not None:
        out["ConsumedCapacity"] = consumed
    return out


def _within(rk: bytes, low: tuple[bytes, bool] | None, high: tuple[bytes, bool] | None) -> bool:
    if low is not None and (rk < low[0] or (rk == low[0] and not low[1])):
        return False
    return high is None or rk < high[0] or (rk == high[0] and high[1])


def query(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    table = table_of(ctx, store, request)
    index = _index_of(table, request)
    hash_attr = index.hash if index is not None else table.hash
    range_attr = index.range if index is not None else table.range
    select = _select(request, table, index)
    compiled = compile_request(
        request,
        projection=True,
        filter="QueryFilter",
        key=(hash_attr.name, range_attr.name if range_attr is not None else None),
    )
    if compiled.key is None:
        raise validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified "
            "in the request."
        )
    hk = _check_key_type(compiled.key.hash_value, hash_attr)
    low, high = _range_bounds(compiled.key, range_attr)
    forward = request.get("ScanIndexForward", True)
    return read_page(store, table, index, request, compiled, select, hk, low, high, forward, None)


def scan(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    table = table_of(ctx, store, request)
    index = _index_of(table, request)
    select = _select(request, table, index)
    segment_no = request.get("Segment")
    total = request.get("TotalSegments")
    segment = None
    if segment_no is not None or total is not None:
        if total is None:
            raise validation(
                "The TotalSegments parameter is required but was not present in the request "
                "when Segment parameter is present"
            )
        if segment_no is None:
            raise validation(
                "The Segment parameter is required but was not present in the request when "
                "parameter TotalSegments is present"
            )
        if segment_no >= total:
            raise validation(
                "The Segment parameter is zero-based and must be less than parameter "
                f"TotalSegments: Segment: {segment_no} is not less than TotalSegments: {total}"
            )
        segment = (segment_no, total)
    compiled = compile_request(request, projection=True, filter="ScanFilter")
    return read_page(
        store, table, index, request, compiled, select, None, None, None, True, segment
    )
