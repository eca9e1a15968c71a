"""GetAccount / UpdateAccount: API Gateway's settings of an account in a region (the
CloudWatch role infrastructure tools set; stored, as logging is not sent anywhere)."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import patch
from cloudlet.services.apigateway.lookup import account_scope, bad_request
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

_ROLE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$")


def _current(ctx: RequestContext, store: ApiGatewayStore) -> Doc:
    found = store.get("account", account_scope(ctx), "settings")
    if found is not None:
        return found
    return {
        "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
        "features": ["UsagePlans"],
        "apiKeyVersion": "4",
    }


def get_account(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    return _current(ctx, store)


def _role(doc: Doc, op: str, _: list[str], value: str | None) -> None:
    if op == "remove" or not value:
        doc.pop("cloudwatchRoleArn", None)
        return
    if not _ROLE.match(value):
        raise bad_request(
            "The role ARN does not have required trust relationships or is not a valid role"
        )
    doc["cloudwatchRoleArn"] = value


_RULES = (patch.Rule("/cloudwatchRoleArn", _role, ("replace", "remove")),)


def update_account(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    updated = patch.apply(_current(ctx, store), request.get("patchOperations") or [], _RULES)
    return store.put("account", account_scope(ctx), "settings", updated)
