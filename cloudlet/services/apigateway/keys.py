"""API keys, usage plans and the keys in them.

Keys are enforced by the data plane (a method with apiKeyRequired needs an enabled key
in a usage plan of that API stage); throttle and quota are recorded, not enforced.
"""

from __future__ import annotations

import csv
import secrets
import string
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup, patch
from cloudlet.services.apigateway.lookup import account_scope, bad_request, conflict
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc, now, public

_KEY_ALPHABET = string.ascii_letters + string.digits
_PERIODS = ("DAY", "WEEK", "MONTH")


def _generated_value() -> str:
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(40))


def _key_view(doc: Doc, include_value: bool) -> Doc:
    out = public(doc)
    if not include_value:
        out.pop("value", None)
    return out


def _stage_keys(ctx: RequestContext, store: ApiGatewayStore, keys: list[Doc]) -> list[str]:
    out = []
    for item in keys:
        api_id, stage = item.get("restApiId"), item.get("stageName")
        if not api_id or not stage:
            raise bad_request("Invalid stage key: restApiId and stageName are required")
        lookup.rest_api(ctx, store, api_id)
        lookup.stage(store, api_id, stage)
        out.append(f"{api_id}/{stage}")
    return out


def _check_value(value: str) -> None:
    if len(value) < 20 or len(value) > 128:
        raise bad_request("API Key value should be at least 20 characters and at most 128")


# -- API keys --------------------------------------------------------------------------------


def create_api_key(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    scope = account_scope(ctx)
    value = request.get("value") or _generated_value()
    _check_value(value)
    if any(k["value"] == value for k in store.items("apikey", scope)):
        raise conflict("API Key already exists")
    stamp = now()
    key_id = store.unique_id("apikey", scope)
    doc: Doc = {
        "id": key_id,
        "value": value,
        "name": request.get("name") or key_id,
        "enabled": request.get("enabled", False),
        "createdDate": stamp,
        "lastUpdatedDate": stamp,
        "stageKeys": _stage_keys(ctx, store, request.get("stageKeys") or []),
    }
    for key in ("description", "customerId", "tags"):
        if request.get(key):
            doc[key] = request[key]
    return _key_view(store.put("apikey", scope, key_id, doc), True)


def get_api_key(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    doc = lookup.api_key(ctx, store, request["apiKey"])
    return _key_view(doc, request.get("includeValue", False))


def get_api_keys(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    items = store.items("apikey", account_scope(ctx))
    if request.get("nameQuery"):
        items = [k for k in items if k["name"].startswith(request["nameQuery"])]
    if request.get("customerId"):
        items = [k for k in items if k.get("customerId") == request["customerId"]]
    out = lookup.page(items, request)
    out["items"] = [_key_view(k, request.get("includeValues", False)) for k in out["items"]]
    return out


def _stage_key(doc: Doc, op: str, _: list[str], value: str | None) -> None:
    # "/stages" takes "{restApiId}/{stageName}"; checked against the APIs by the caller.
    patch.values("stageKeys")(doc, op, [], value)


_KEY_RULES = (
    patch.Rule("/name", patch.field("name", optional=False)),
    patch.Rule("/description", patch.field("description"), ("replace", "remove")),
    patch.Rule("/enabled", patch.field("enabled", convert=patch.boolean, optional=False)),
    patch.Rule("/customerId", patch.field("customerId"), ("replace", "remove")),
    patch.Rule("/stages", _stage_key, ("add", "remove")),
)


def update_api_key(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    doc = lookup.api_key(ctx, store, request["apiKey"])
    updated = patch.apply(doc, request.get("patchOperations") or [], _KEY_RULES)
    added = [s for s in updated.get("stageKeys", []) if s not in doc.get("stageKeys", [])]
    _stage_keys(
        ctx,
        store,
        [dict(zip(("restApiId", "stageName"), s.split("/", 1), strict=False)) for s in added],
    )
    updated.setdefault("stageKeys", [])
    updated["lastUpdatedDate"] = now()
    return _key_view(store.put("apikey", account_scope(ctx), doc["id"], updated), False)


def delete_api_key(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    doc = lookup.api_key(ctx, store, request["apiKey"])
    scope = account_scope(ctx)
    with store.db.transaction():
        for plan in store.items("usageplan", scope):
            if store.get("usageplankey", plan["id"], doc["id"]) is not None:
                store.delete("usageplankey", plan["id"], doc["id"])
        store.delete("apikey", scope, doc["id"])
    return {}


# -- usage plans -----------------------------------------------------------------------------


def _check_plan(ctx: RequestContext, store: ApiGatewayStore, doc: Doc) -> None:
    for stage in doc.get("apiStages") or []:
        if not stage.get("apiId") or not stage.get("stage"):
            raise bad_request("Invalid API stage: apiId and stage are required")
        api = store.get("api", "", stage["apiId"])
        if api is None or api["_account"] != ctx.account_id or api["_region"] != ctx.region:
            raise bad_request(f"Invalid API identifier specified {ctx.account_id}:{stage['apiId']}")
        if store.get("stage", stage["apiId"], stage["stage"]) is None:
            raise bad_request(
                f"Invalid stage identifier specified {ctx.account_id}:{stage['apiId']}:"
                f"{stage['stage']}"
            )
    quota = doc.get("quota")
    if quota:
        if quota.get("period") not in _PERIODS:
            raise bad_request(f"Invalid quota period specified: {quota.get('period')}")
        if quota.get("limit", 0) < 0:
            raise bad_request("Quota limit should be a non-negative integer")
    throttle = doc.get("throttle") or {}
    if throttle.get("rateLimit", 0) < 0 or throttle.get("burstLimit", 0) < 0:
        raise bad_request("Throttle limits should be non-negative")


def create_usage_plan(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    scope = account_scope(ctx)
    doc: Doc = {"id": store.unique_id("usageplan", scope, 6), "name": request["name"]}
    for key in ("description", "apiStages", "throttle", "quota", "tags"):
        if request.get(key):
            doc[key] = request[key]
    doc.setdefault("apiStages", [])
    _check_plan(ctx, store, doc)
    return store.put("usageplan", scope, doc["id"], doc)


def get_usage_plan(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    return lookup.usage_plan(ctx, store, request["usagePlanId"])


def get_usage_plans(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    items = store.items("usageplan", account_scope(ctx))
    key_id = request.get("keyId")
    if key_id:
        items = [p for p in items if store.get("usageplankey", p["id"], key_id) is not None]
    return lookup.page(items, request)


def _api_stage(doc: Doc, op: str, _: list[str], value: str | None) -> None:
    api_id, _sep, stage = patch.text(value).partition(":")
    stages: list[Doc] = doc.setdefault("apiStages", [])
    wanted = {"apiId": api_id, "stage": stage}
    found = [s for s in stages if s["apiId"] == api_id and s["stage"] == stage]
    if op == "add":
        if not found:
            stages.append(wanted)
    elif not found:
        raise bad_request(f"Invalid API stage specified: {value}")
    else:
        stages.remove(found[0])


def _stage_throttle(doc: Doc, op: str, captured: list[str], value: str | None) -> None:
    # /apiStages/{apiId:stage}/throttle/{resourcePath/method}/{rateLimit|burstLimit}
    target, method_path, setting = captured
    api_id, _sep, stage = target.partition(":")
    for item in doc.get("apiStages") or []:
        if item["apiId"] == api_id and item["stage"] == stage:
            throttle = item.setdefault("throttle", {})
            if op == "remove":
                throttle.pop(method_path, None)
            elif setting not in ("rateLimit", "burstLimit"):
                raise bad_request(f"Invalid throttle setting: {setting}")
            else:
                convert = patch.number if setting == "rateLimit" else patch.integer
                throttle.setdefault(method_path, {})[setting] = convert(value)
            return
    raise bad_request(f"Invalid API stage specified: {target}")


_PLAN_RULES = (
    patch.Rule("/name", patch.field("name", optional=False)),
    patch.Rule("/description", patch.field("description"), ("replace", "remove")),
    patch.Rule("/productCode", patch.field("productCode"), ("replace", "remove")),
    patch.Rule("/apiStages", _api_stage, ("add", "remove")),
    patch.Rule("/apiStages/{}/throttle/{}/{}", _stage_throttle, ("replace", "remove")),
    patch.Rule(
        "/throttle/burstLimit",
        patch.field("throttle", "burstLimit", convert=patch.integer),
        ("replace", "remove"),
    ),
    patch.Rule(
        "/throttle/rateLimit",
        patch.field("throttle", "rateLimit", convert=patch.number),
        ("replace", "remove"),
    ),
    patch.Rule("/throttle", patch.field("throttle"), ("remove",)),
    patch.Rule(
        "/quota/limit", patch.field("quota", "limit", convert=patch.integer), ("replace", "remove")
    ),
    patch.Rule(
        "/quota/offset",
        patch.field("quota", "offset", convert=patch.integer),
        ("replace", "remove"),
    ),
    patch.Rule("/quota/period", patch.field("quota", "period"), ("replace", "remove")),
    patch.Rule("/quota", patch.field("quota"), ("remove",)),
)


def update_usage_plan(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    doc = lookup.usage_plan(ctx, store, request["usagePlanId"])
    updated = patch.apply(doc, request.get("patchOperations") or [], _PLAN_RULES)
    updated.setdefault("apiStages", [])
    _check_plan(ctx, store, updated)
    return store.put("usageplan", account_scope(ctx), doc["id"], updated)


def delete_usage_plan(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    doc = lookup.usage_plan(ctx, store, request["usagePlanId"])
    with store.db.transaction():
        store.drop_scope(doc["id"])
        store.delete("usageplan", account_scope(ctx), doc["id"])
    return {}


# -- usage plan keys --------------------------------------------------------------------------


def _plan_key_view(key: Doc) -> Doc:
    return {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": key["name"]}


def create_usage_plan_key(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    plan = lookup.usage_plan(ctx, store, request["usagePlanId"])
    if request["keyType"] != "API_KEY":
        raise bad_request(f"Invalid key type specified: {request['keyType']}")
    key = lookup.api_key(ctx, store, request["keyId"])
    if store.get("usageplankey", plan["id"], key["id"]) is not None:
        raise conflict("Usage Plan Key already exists")
    mine = {(s["apiId"], s["stage"]) for s in plan.get("apiStages", [])}
    for other in store.items("usageplan", account_scope(ctx)):
        if other["id"] == plan["id"] or store.get("usageplankey", other["id"], key["id"]) is None:
            continue
        if mine & {(s["apiId"], s["stage"]) for s in other.get("apiStages", [])}:
            raise conflict(
                f"Usage Plan {plan['id']} cannot be added because API Key {key['id']} cannot "
                "reference multiple Usage Plans with the same API Stage"
            )
    store.put("usageplankey", plan["id"], key["id"], {"id": key["id"]})
    return _plan_key_view(key)


def _plan_keys(ctx: RequestContext, store: ApiGatewayStore, plan_id: str) -> list[Doc]:
    scope = account_scope(ctx)
    out = []
    for item in store.items("usageplankey", plan_id):
        key = store.get("apikey", scope, item["id"])
        if key is not None:
            out.append(_plan_key_view(key))
    return out


def get_usage_plan_key(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    plan = lookup.usage_plan(ctx, store, request["usagePlanId"])
    for item in _plan_keys(ctx, store, plan["id"]):
        if item["id"] == request["keyId"]:
            return item
    raise lookup.not_found("Invalid Usage Plan Key identifier specified")


def get_usage_plan_keys(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    plan = lookup.usage_plan(ctx, store, request["usagePlanId"])
    items = _plan_keys(ctx, store, plan["id"])
    if request.get("nameQuery"):
        items = [k for k in items if k["name"].startswith(request["nameQuery"])]
    return lookup.page(items, request)


def delete_usage_plan_key(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    plan = lookup.usage_plan(ctx, store, request["usagePlanId"])
    if store.get("usageplankey", plan["id"], request["keyId"]) is None:
        raise lookup.not_found("Invalid Usage Plan Key identifier specified")
    store.delete("usageplankey", plan["id"], request["keyId"])
    return {}


def key_allows(
    store: ApiGatewayStore, account: str, region: str, value: str, api_id: str, stage: str
) -> str | None:
    """The id of the key whose value is `value` when it is enabled and in a usage plan of
    this API stage, else None."""
    scope = f"{account}:{region}"
    key = next((k for k in store.items("apikey", scope) if k["value"] == value), None)
    if key is None or not key.get("enabled"):
        return None
    for plan in store.items("usageplan", scope):
        if store.get("usageplankey", plan["id"], key["id"]) is None:
            continue
        if any(s["apiId"] == api_id and s["stage"] == stage for s in plan.get("apiStages", [])):
            return str(key["id"])
    return None


# -- ImportApiKeys ------------------------------------------------------------------------------


def _csv_rows(text: str) -> list[list[str]]:
    """CSV rows; a field may be quoted with double or single quotes (AWS's format)."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        quote = "'" if "'" in line and '"' not in line else '"'
        rows.append([field.strip() for field in next(csv.reader([line], quotechar=quote))])
    return rows


def import_api_keys(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    """API keys from AWS's CSV format (`Name`, `Key` and optionally `Description`,
    `Enabled`, `UsagePlanIds` columns in any order and case); a key whose value exists is
    overwritten. Everything is checked before anything changes."""
    if request["format"] != "csv":
        raise bad_request(f"Invalid format specified: {request['format']}")
    try:
        rows = _csv_rows(bytes(request["body"]).decode("utf-8-sig"))
    except (UnicodeDecodeError, csv.Error):
        raise bad_request("Invalid API key file: not CSV text") from None
    if not rows:
        raise bad_request("Invalid API key file: empty")
    header = [name.lower() for name in rows[0]]
    if "key" not in header or "name" not in header:
        raise bad_request("Invalid API key file: the Name and Key columns are required")
    scope = account_scope(ctx)
    warnings: list[str] = []
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        values = dict(zip(header, row, strict=False))
        value, name = values.get("key", ""), values.get("name", "")
        if not 20 <= len(value) <= 128:
            raise bad_request(f"Invalid API key on line {number}: 20 to 128 characters")
        if not name or len(name) > 1024:
            raise bad_request(f"Invalid API key name on line {number}")
        enabled = values.get("enabled", "").lower() != "false"
        plans = [p.strip() for p in values.get("usageplanids", "").split(",") if p.strip()]
        for plan_id in plans:
            if store.get("usageplan", scope, plan_id) is None:
                warnings.append(f"Invalid usage plan id {plan_id} on line {number}: skipped")
        entries.append((value, name, values.get("description", ""), enabled, plans))
    if warnings and request.get("failOnWarnings"):
        raise bad_request("Warnings found during import:\n\t" + "\n\t".join(warnings))
    ids = []
    by_value = {k["value"]: k for k in store.items("apikey", scope)}
    with store.db.transaction():
        for value, name, description, enabled, plans in entries:
            stamp = now()
            existing = by_value.get(value)
            doc: Doc = (
                dict(existing)
                if existing is not None
                else {
                    "id": store.unique_id("apikey", scope),
                    "value": value,
                    "createdDate": stamp,
                    "stageKeys": [],
                }
            )
            doc.update(name=name, enabled=enabled, lastUpdatedDate=stamp)
            if description:
                doc["description"] = description
            by_value[value] = store.put("apikey", scope, doc["id"], doc)
            for plan_id in plans:
                if store.get("usageplan", scope, plan_id) is not None:
                    store.put("usageplankey", plan_id, doc["id"], {"id": doc["id"]})
            ids.append(doc["id"])
    return {"ids": ids, "warnings": warnings}
