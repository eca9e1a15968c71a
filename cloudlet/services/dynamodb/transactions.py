"""TransactWriteItems and TransactGetItems.

A write transaction is checked whole (parameters, one action per item), then every
condition is evaluated against the current items; if any fails, nothing is written and
TransactionCanceledException lists a reason per action, in order. Otherwise all
writes apply in one SQLite transaction, without yielding to the event loop between
the checks and the writes. A ClientRequestToken makes the call idempotent for 10
minutes: the same request again answers as the first did without applying twice; a
different request with the same token is IdempotentParameterMismatchException.
"""

from __future__ import annotations

import hashlib
import marshal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb import writes
from cloudlet.services.dynamodb.common import find_table, validation
from cloudlet.services.dynamodb.compile import compile_request
from cloudlet.services.dynamodb.items import updated_item
from cloudlet.services.dynamodb.models import DynamoStore, Item, Key, Table
from cloudlet.services.dynamodb.schema import (
    capacity,
    check_item,
    check_key,
    collection_metrics,
    read_units,
    to_wire,
    write_units,
)
from cloudlet.services.dynamodb.values import item_size, validate_item

TOKEN_MS = 10 * 60 * 1000
_ONE_ITEM = "Transaction request cannot include multiple operations on one item"
_KINDS = ("ConditionCheck", "Put", "Delete", "Update")


@dataclass
class _Action:
    kind: str
    table: Table
    key: Key
    key_item: Item
    spec: dict[str, Any]
    compiled: Any
    item: Item | None = None  # Put's item


def _parse(ctx: RequestContext, store: DynamoStore, entries: list[dict[str, Any]]) -> list[_Action]:
    actions: list[_Action] = []
    seen: set[tuple[int, Key]] = set()
    for entry in entries:
        present = [k for k in _KINDS if entry.get(k) is not None]
        if len(present) != 1:
            raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
        kind = present[0]
        spec = entry[kind]
        table = find_table(ctx, store, spec["TableName"])
        item = None
        if kind == "Put":
            item = validate_item(spec["Item"])
            key, _ = check_item(table, item)
            key_item = table.key_item(item)
        else:
            key, key_item = check_key(table, spec["Key"])
        if kind == "ConditionCheck" and not spec.get("ConditionExpression"):
            raise validation(
                "1 validation error detected: Value null at "
                "'transactItems.member.conditionCheck.conditionExpression' failed to satisfy "
                "constraint: Member must not be null"
            )
        compiled = compile_request(spec, condition=True, update=kind == "Update")
        if (table.tid, key) in seen:
            raise validation(_ONE_ITEM)
        seen.add((table.tid, key))
        actions.append(_Action(kind, table, key, key_item, spec, compiled, item))
    return actions


def _digest(request: dict[str, Any]) -> str:
    # ReturnConsumedCapacity may differ between retries (AWS answers them with read units).
    body = {
        k: v
        for k, v in request.items()
        if k not in ("ClientRequestToken", "ReturnConsumedCapacity")
    }
    return hashlib.sha256(marshal.dumps(_canonical(body))).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_canonical(v) for v in value)
    return value


def idempotent(
    ctx: RequestContext,
    store: DynamoStore,
    request: dict[str, Any],
    run: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run a write transaction once per ClientRequestToken (for 10 minutes): the same
    request again gets the first answer; a different one with the token is refused."""
    token = request.get("ClientRequestToken")
    if token is None:
        return run()
    now_ms = int(time.time() * 1000)
    digest = _digest(request)
    previous = store.token(ctx.account_id, token, now_ms)
    if previous is not None:
        if previous[0] != digest:
            raise ServiceError(
                "IdempotentParameterMismatchException",
                "Request uses the same ClientRequestToken as a previous, but non-identical request",
            )
        answer: dict[str, Any] = marshal.loads(previous[1])
        return answer
    with store.db.transaction():
        out = run()
        store.save_token(ctx.account_id, token, digest, marshal.dumps(out), now_ms + TOKEN_MS)
    return out


def transact_write_items(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    return idempotent(ctx, store, request, lambda: _transact_write(ctx, store, request))


def _transact_write(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    actions = _parse(ctx, store, request["TransactItems"])
    reasons: list[dict[str, Any]] = []
    failed = False
    results: list[tuple[_Action, Item | None, Item | None, int]] = []
    for action in actions:
        old = store.get(action.table, action.key)
        condition = action.compiled.condition
        if condition is not None and not condition.evaluate(old or {}):
            reason: dict[str, Any] = {
                "Code": "ConditionalCheckFailed",
                "Message": "The conditional request failed",
            }
            if (
                old is not None
                and action.spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            ):
                reason["Item"] = to_wire(old)
            reasons.append(reason)
            failed = True
            continue
        try:
            new: Item | None
            size = 0
            if action.kind == "Put":
                new = action.item
                assert new is not None
                size = item_size(new)
            elif action.kind == "Update":
                new = updated_item(action.table, action.key_item, old, action.compiled.update)
                _, size = check_item(action.table, new)
            elif action.kind == "Delete":
                new = None
            else:
                new = old
        except ServiceError as error:
            if error.code != "ValidationException":
                raise
            reasons.append({"Code": "ValidationError", "Message": error.message})
            failed = True
            continue
        reasons.append({"Code": "None"})
        results.append((action, old, new, size))
    if failed:
        codes = ", ".join(r["Code"] for r in reasons)
        raise ServiceError(
            "TransactionCanceledException",
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        ).with_fields(CancellationReasons=reasons)
    used: dict[str, tuple[Table, float]] = {}
    metrics: dict[str, list[dict[str, Any]]] = {}
    with store.db.transaction():
        for action, old, new, size in results:
            table = action.table
            metric = collection_metrics(request, table, new or old)
            if metric is not None and action.kind != "ConditionCheck":
                metrics.setdefault(table.name, []).append(metric)
            if action.kind in ("Put", "Update"):
                assert new is not None
                writes.put(store, table, action.key, new, size, old)
            elif action.kind == "Delete" and old is not None:
                writes.delete(store, table, action.key, old)
            written = max(size, item_size(old) if old is not None else 0)
            units = (
                2 * write_units(written)
                if action.kind != "ConditionCheck"
                else read_units(written, True) * 2
            )
            prior = used.get(table.name, (table, 0.0))[1]
            used[table.name] = (table, prior + units)
        out: dict[str, Any] = {}
        consumed = [
            c for table, units in used.values() if (c := capacity(request, table, units, True))
        ]
        if consumed:
            out["ConsumedCapacity"] = consumed
        if request.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = metrics
    return out


def transact_get_items(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    plan = []
    seen: set[tuple[int, Key]] = set()
    for entry in request["TransactItems"]:
        spec = entry["Get"]
        table = find_table(ctx, store, spec["TableName"])
        key, _ = check_key(table, spec["Key"])
        compiled = compile_request(spec, projection=True)
        if (table.tid, key) in seen:
            raise validation(_ONE_ITEM)
        seen.add((table.tid, key))
        plan.append((table, key, compiled.projection))
    responses: list[dict[str, Any]] = []
    used: dict[str, tuple[Table, float]] = {}
    for table, key, projection in plan:
        item = store.get(table, key)
        size = item_size(item) if item is not None else 0
        prior = used.get(table.name, (table, 0.0))[1]
        used[table.name] = (table, prior + 2 * read_units(size, True))
        if item is None:
            responses.append({})
        else:
            responses.append({"Item": projection.apply(item) if projection is not None else item})
    out: dict[str, Any] = {"Responses": responses}
    consumed = [
        c for table, units in used.values() if (c := capacity(request, table, units, False))
    ]
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out
