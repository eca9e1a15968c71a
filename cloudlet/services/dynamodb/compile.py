"""A request's expressions compiled once: condition, update, projection, filter, key
condition, from the expression parameters or the legacy ones (Expected, AttributeUpdates,
AttributesToGet, QueryFilter, ScanFilter, KeyConditions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlet.services.dynamodb.expressions import (
    Condition,
    Expressions,
    KeyCondition,
    Projection,
    Update,
    legacy,
)

_EXPRESSION_MEMBERS = frozenset(
    (
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "ConditionExpression",
        "UpdateExpression",
        "ProjectionExpression",
        "FilterExpression",
        "KeyConditionExpression",
        "Expected",
        "ConditionalOperator",
        "AttributeUpdates",
        "AttributesToGet",
        "QueryFilter",
        "ScanFilter",
        "KeyConditions",
    )
)


@dataclass
class Compiled:
    condition: Condition | None = None
    update: Update | None = None
    projection: Projection | None = None
    filter: Condition | None = None
    key: KeyCondition | None = None


def compile_request(
    request: dict[str, Any],
    *,
    condition: bool = False,
    update: bool = False,
    projection: bool = False,
    filter: str | None = None,
    key: tuple[str, str | None] | None = None,
) -> Compiled:
    """Compile the expressions `request` carries for this operation. `filter` names the
    legacy filter parameter (QueryFilter / ScanFilter); `key` is (hash, range) of the
    table or index a Query reads."""
    if not _EXPRESSION_MEMBERS.intersection(request):
        return Compiled()  # the common case of a plain read or write: nothing to compile
    legacy.check_mixing(request)
    exprs = Expressions(
        request.get("ExpressionAttributeNames"), request.get("ExpressionAttributeValues")
    )
    out = Compiled()
    if condition:
        text = request.get("ConditionExpression")
        if text is not None:
            out.condition = exprs.condition(text, "ConditionExpression")
        elif request.get("Expected"):
            out.condition = legacy.expected(request["Expected"], request.get("ConditionalOperator"))
    if update:
        text = request.get("UpdateExpression")
        if text is not None:
            out.update = exprs.update(text)
        elif request.get("AttributeUpdates"):
            out.update = legacy.attribute_updates(request["AttributeUpdates"])
    if projection:
        text = request.get("ProjectionExpression")
        if text is not None:
            out.projection = exprs.projection(text)
        elif request.get("AttributesToGet"):
            out.projection = legacy.attributes_to_get(request["AttributesToGet"])
    if filter is not None:
        text = request.get("FilterExpression")
        if text is not None:
            out.filter = exprs.condition(text, "FilterExpression")
        elif request.get(filter):
            out.filter = legacy.filter(request[filter], request.get("ConditionalOperator"))
    if key is not None:
        text = request.get("KeyConditionExpression")
        if text is not None:
            out.key = exprs.key_condition(text, key[0], key[1])
        elif request.get("KeyConditions"):
            out.key = legacy.key_conditions(request["KeyConditions"], key[0], key[1])
    exprs.check_unused()
    return out
