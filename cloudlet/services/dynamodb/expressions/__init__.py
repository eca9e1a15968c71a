"""DynamoDB's expression language: one request's expressions, compiled once.

    exprs = Expressions(request.get("ExpressionAttributeNames"),
                        request.get("ExpressionAttributeValues"))
    cond = exprs.condition(request["ConditionExpression"])
    upd = exprs.update(request["UpdateExpression"])
    exprs.check_unused()          # after every expression of the request is parsed
    if cond.evaluate(old_item): new_item = upd.apply(old_item)

Items are in wire form (`{"a": {"S": "x"}}`, binary as bytes). Every error is a
ValidationException with AWS's message.
"""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.expressions.condition import Condition, parse_condition
from cloudlet.services.dynamodb.expressions.keys import (
    KeyCondition,
    KeyConditionDraft,
    parse_key_condition,
    parse_key_condition_draft,
)
from cloudlet.services.dynamodb.expressions.paths import Path, Value, path_str
from cloudlet.services.dynamodb.expressions.projection import Projection, parse_projection
from cloudlet.services.dynamodb.expressions.update import Action, Update, parse_update
from cloudlet.services.dynamodb.values import validate_item

__all__ = [
    "Action",
    "Condition",
    "Expressions",
    "KeyCondition",
    "KeyConditionDraft",
    "Path",
    "Projection",
    "Update",
    "path_str",
]

_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


class Expressions:
    """The ExpressionAttributeNames/Values of one request and the expressions parsed
    with them; records which placeholders were used for `check_unused`."""

    def __init__(
        self,
        names: dict[str, str] | None,
        values: dict[str, Any] | None,
        *,
        older: bool = False,
    ) -> None:
        """`older`: the operation runs AWS's older value checks (BatchWriteItem,
        TransactWriteItems, TransactGetItems, Scan), which name the placeholder of a bad
        value ("ExpressionAttributeValues contains invalid value: ... for key :v")."""
        if names is not None:
            if not names:
                raise _invalid("ExpressionAttributeNames must not be empty")
            for key, name in names.items():
                if not _NAME_KEY.fullmatch(key):
                    raise _invalid(
                        f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"'
                    )
                if not name:
                    raise _invalid(
                        f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
                    )
        if values is not None:
            if not values:
                raise _invalid("ExpressionAttributeValues must not be empty")
            for key in values:
                if not _VALUE_KEY.fullmatch(key):
                    raise _invalid(
                        f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"'
                    )
        self.names: dict[str, str] = dict(names or {})
        self.values: dict[str, Value] = (
            validate_item(values, "ExpressionAttributeValues", older=older) if values else {}
        )
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.parsed = 0

    def condition(self, text: str, kind: str = "ConditionExpression") -> Condition:
        """A ConditionExpression or FilterExpression (`kind` names it in messages)."""
        self.parsed += 1
        return parse_condition(text, kind, self)

    def update(self, text: str) -> Update:
        self.parsed += 1
        return parse_update(text, self)

    def projection(self, text: str) -> Projection:
        self.parsed += 1
        return parse_projection(text, self)

    def key_condition(self, text: str, hash_key: str, range_key: str | None) -> KeyCondition:
        self.parsed += 1
        return parse_key_condition(text, hash_key, range_key, self)

    def key_condition_draft(self, text: str) -> KeyConditionDraft:
        """Parse a KeyConditionExpression before the table is known (AWS reports its
        errors ahead of a missing table); `.bind(hash_key, range_key)` finishes it."""
        self.parsed += 1
        return parse_key_condition_draft(text, self)

    def check_unused(self) -> None:
        """After all of the request's expressions are parsed: placeholders given but not
        used are AWS's errors (and so are placeholders given without any expression)."""
        if not self.parsed:
            if self.names:
                raise _invalid(
                    "ExpressionAttributeNames can only be specified when using expressions"
                )
            if self.values:
                raise _invalid(
                    "ExpressionAttributeValues can only be specified when using expressions"
                )
            return
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise _invalid(
                "Value provided in ExpressionAttributeNames unused in expressions: "
                f"keys: {{{', '.join(unused)}}}"
            )
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise _invalid(
                "Value provided in ExpressionAttributeValues unused in expressions: "
                f"keys: {{{', '.join(unused)}}}"
            )
