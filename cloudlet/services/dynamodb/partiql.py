"""PartiQL for DynamoDB, the simple statements: ExecuteStatement, BatchExecuteStatement
and ExecuteTransaction (statements are read by `partiql_syntax`).

A SELECT whose WHERE fixes the partition key with `=` reads that key range (and one
item when it fixes the sort key too); otherwise it scans. UPDATE and DELETE must fix
the whole primary key; their other conditions must hold. Other PartiQL (RETURNING,
ORDER BY, functions beyond DynamoDB's, nested SELECTs) is refused with a message
saying so.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb import writes
from cloudlet.services.dynamodb.common import find_table, validation
from cloudlet.services.dynamodb.compile import Compiled
from cloudlet.services.dynamodb.expressions import Expressions
from cloudlet.services.dynamodb.items import updated_item
from cloudlet.services.dynamodb.keys import encode_key
from cloudlet.services.dynamodb.models import DynamoStore, Index, Item, Table
from cloudlet.services.dynamodb.partiql_syntax import Statement, key_equalities, parse
from cloudlet.services.dynamodb.reads import read_page
from cloudlet.services.dynamodb.schema import check_item, check_key, to_wire
from cloudlet.services.dynamodb.transactions import idempotent
from cloudlet.services.dynamodb.values import validate_value

# -- running a statement ------------------------------------------------------------------


def _exprs(statement: Statement) -> Expressions:
    assert statement.reader is not None
    out = statement.reader.out
    return Expressions(out.names or None, out.values or None)


def _full_key(table: Table, statement: Statement) -> tuple[Any, Item]:
    assert statement.reader is not None
    pinned = key_equalities(statement.where or "", statement.reader.out)
    key = {name: pinned[name] for name in table.key_names() if name in pinned}
    if len(key) != len(table.key_names()):
        raise validation("Where clause does not contain a mandatory equality on all key attributes")
    return check_key(table, key)


def execute(
    ctx: RequestContext,
    store: DynamoStore,
    statement: Statement,
    request: dict[str, Any],
) -> dict[str, Any]:
    table = find_table(ctx, store, statement.table)
    exprs = _exprs(statement)
    if statement.kind == "SELECT":
        return _run_select(store, table, statement, exprs, request)
    if statement.kind == "INSERT":
        assert statement.item is not None
        item = {k: validate_value(v) for k, v in statement.item.items()}
        key, size = check_item(table, item)
        if store.get(table, key) is not None:
            raise ServiceError("DuplicateItemException", "Duplicate primary key exists in table")
        writes.put(store, table, key, item, size, None)
        return {}
    key, key_item = _full_key(table, statement)
    condition = exprs.condition(statement.where or "", "ConditionExpression")
    update = exprs.update(statement.update) if statement.update else None
    old = store.get(table, key)
    if old is None or not condition.evaluate(old):
        if statement.kind == "DELETE" and old is None:
            return {}
        error = ServiceError("ConditionalCheckFailedException", "The conditional request failed")
        if old is not None and request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            error.with_fields(Item=to_wire(old))
        raise error
    if statement.kind == "DELETE":
        writes.delete(store, table, key, old)
        return {}
    new = updated_item(table, key_item, old, update)
    _, size = check_item(table, new)
    writes.put(store, table, key, new, size, old)
    return {}


def _run_select(
    store: DynamoStore,
    table: Table,
    statement: Statement,
    exprs: Expressions,
    request: dict[str, Any],
) -> dict[str, Any]:
    assert statement.reader is not None
    index: Index | None = None
    if statement.index is not None:
        index = table.indexes.get(statement.index)
        if index is None:
            raise validation(f"The table does not have the specified index: {statement.index}")
        if not index.ready:
            raise validation(
                f"Cannot read from backfilling global secondary index: {statement.index}"
            )
    compiled = Compiled()
    if statement.where:
        compiled.filter = exprs.condition(statement.where, "FilterExpression")
    if statement.projection:
        compiled.projection = exprs.projection(statement.projection)
    pinned = key_equalities(statement.where or "", statement.reader.out)
    hash_attr = index.hash if index is not None else table.hash
    hk = None
    low = high = None
    value = pinned.get(hash_attr.name)
    if value is not None and next(iter(value)) == hash_attr.type:
        hk = encode_key(value)
        range_attr = index.range if index is not None else table.range
        if range_attr is not None:
            ranged = pinned.get(range_attr.name)
            if ranged is not None and next(iter(ranged)) == range_attr.type:
                low = high = (encode_key(ranged), True)
    page: dict[str, Any] = {"ConsistentRead": request.get("ConsistentRead")}
    if request.get("Limit") is not None:
        page["Limit"] = request["Limit"]
    if request.get("NextToken"):
        page["ExclusiveStartKey"] = _decode_token(request["NextToken"])
    select = "SPECIFIC_ATTRIBUTES" if compiled.projection is not None else "ALL_ATTRIBUTES"
    result = read_page(store, table, index, page, compiled, select, hk, low, high, True, None)
    out: dict[str, Any] = {"Items": result["Items"]}
    if "LastEvaluatedKey" in result:
        out["NextToken"] = _encode_token(result["LastEvaluatedKey"])
        out["LastEvaluatedKey"] = result["LastEvaluatedKey"]
    return out


def _encode_token(key: Item) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(to_wire(key))).decode()


def _decode_token(token: str) -> Item:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise validation("Invalid NextToken") from None
    if not isinstance(raw, dict):
        raise validation("Invalid NextToken")
    out: Item = {}
    for name, value in raw.items():
        if isinstance(value, dict) and "B" in value and isinstance(value["B"], str):
            value = {"B": base64.b64decode(value["B"])}
        out[name] = value
    return out


# -- operations ---------------------------------------------------------------------------


def execute_statement(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    statement = parse(request["Statement"], request.get("Parameters") or [])
    return execute(ctx, store, statement, request)


_BATCH_CODES = {
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
    "ValidationException": "ValidationError",
    "ResourceNotFoundException": "ResourceNotFound",
}


def batch_execute_statement(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    statements = [
        (entry, parse(entry["Statement"], entry.get("Parameters") or []))
        for entry in request["Statements"]
    ]
    kinds = {s.kind == "SELECT" for _, s in statements}
    if len(kinds) > 1:
        raise validation("Batch execute statement cannot mix read and write operations")
    responses: list[dict[str, Any]] = []
    for entry, statement in statements:
        try:
            if statement.kind == "SELECT":
                table = find_table(ctx, store, statement.table)
                key, _ = _full_key(table, statement)
                result = execute(ctx, store, statement, entry)
                response: dict[str, Any] = {"TableName": table.name}
                if result["Items"]:
                    response["Item"] = result["Items"][0]
                responses.append(response)
            else:
                execute(ctx, store, statement, entry)
                responses.append({"TableName": statement.table})
        except ServiceError as error:
            code = _BATCH_CODES.get(error.code)
            if code is None:
                raise
            failure: dict[str, Any] = {"Code": code, "Message": error.message}
            if "Item" in error.fields:
                failure["Item"] = error.fields["Item"]
            responses.append({"TableName": statement.table, "Error": failure})
    return {"Responses": responses}


class _Cancelled(Exception):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("cancelled")
        self.reasons = reasons


_REASON_CODES = {
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
    "ValidationException": "ValidationError",
}


def _statement_key(ctx: RequestContext, store: DynamoStore, statement: Statement) -> Any:
    table = find_table(ctx, store, statement.table)
    if statement.kind == "INSERT":
        assert statement.item is not None
        item = {k: validate_value(v) for k, v in statement.item.items()}
        return table.tid, check_item(table, item)[0]
    return table.tid, _full_key(table, statement)[0]


def execute_transaction(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    """All the statements or none: reads (each naming one item) or writes, at most one
    per item, up to 100; a failed condition cancels them all with a reason per
    statement, as TransactWriteItems does."""
    entries = request["TransactStatements"]
    statements = [(e, parse(e["Statement"], e.get("Parameters") or [])) for e in entries]
    if len({s.kind == "SELECT" for _, s in statements}) > 1:
        raise validation("Transaction statements cannot mix read and write operations")
    seen: set[Any] = set()
    for _, statement in statements:
        key = _statement_key(ctx, store, statement)
        if key in seen:
            raise validation("Transaction request cannot include multiple operations on one item")
        seen.add(key)
    if statements[0][1].kind == "SELECT":
        responses = []
        for entry, statement in statements:
            items = execute(ctx, store, statement, entry)["Items"]
            responses.append({"Item": items[0]} if items else {})
        return {"Responses": responses}

    def run() -> dict[str, Any]:
        try:
            with store.db.transaction():
                reasons: list[dict[str, Any]] = []
                for entry, statement in statements:
                    try:
                        execute(ctx, store, statement, entry)
                        reasons.append({"Code": "None"})
                    except ServiceError as error:
                        code = _REASON_CODES.get(error.code)
                        if code is None:
                            raise
                        reason: dict[str, Any] = {"Code": code, "Message": error.message}
                        if "Item" in error.fields:
                            reason["Item"] = error.fields["Item"]
                        reasons.append(reason)
                if any(r["Code"] != "None" for r in reasons):
                    raise _Cancelled(reasons)
        except _Cancelled as cancelled:
            codes = ", ".join(r["Code"] for r in cancelled.reasons)
            raise ServiceError(
                "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons "
                f"[{codes}]",
            ).with_fields(CancellationReasons=cancelled.reasons) from None
        return {}

    return idempotent(ctx, store, request, run)
