"""What every DynamoDB operation shares: finding a table, AWS's common errors."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.models import DynamoStore, Table

_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]+)")

INVALID = "One or more parameter values were invalid: "


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def not_found(message: str = "Requested resource not found") -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def check_name(name: str, member: str = "tableName") -> None:
    """AWS's constraint messages for a table or index name."""
    problems = []
    if len(name) < 3:
        problems.append(
            f"Value '{name}' at '{member}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3"
        )
    if len(name) > 255:
        problems.append(
            f"Value '{name}' at '{member}' failed to satisfy constraint: "
            "Member must have length less than or equal to 255"
        )
    if not _NAME.fullmatch(name):
        problems.append(
            f"Value '{name}' at '{member}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    if problems:
        noun = "error" if len(problems) == 1 else "errors"
        raise validation(f"{len(problems)} validation {noun} detected: " + "; ".join(problems))


def locate(ctx: RequestContext, name: str) -> tuple[str, str, str]:
    """(account, region, table name) named by a table name or a table ARN."""
    if name.startswith("arn:"):
        match = _ARN.fullmatch(name)
        if match is None:
            raise validation(f"Invalid TableArn: {name}")
        return match.group(2), match.group(1), match.group(3)
    check_name(name)
    return ctx.account_id, ctx.region, name


def find_table(
    ctx: RequestContext, store: DynamoStore, name: str, message: str | None = None
) -> Table:
    account, region, table_name = locate(ctx, name)
    table = store.table(account, region, table_name)
    if table is None:
        raise not_found(message or "Requested resource not found")
    return table


def table_of(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> Table:
    """The table of a data-plane request (AWS's message names no table)."""
    return find_table(ctx, store, request["TableName"])
