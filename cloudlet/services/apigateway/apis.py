"""REST APIs and their resources (the path tree)."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup, models, patch
from cloudlet.services.apigateway.lookup import bad_request, conflict
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc, now, public

_PATH_PART = re.compile(r"^(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\+?\})$")
_ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")


# -- REST APIs ---------------------------------------------------------------------------


def create_rest_api(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    name = request["name"]
    if not name.strip():
        raise bad_request("Invalid name specified")
    api_id = store.unique_id("api", "")
    root_id = store.unique_id("resource", api_id)
    types = (request.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    if len(types) != 1 or types[0] not in _ENDPOINT_TYPES:
        raise bad_request("Invalid endpoint configuration type specified")
    doc: Doc = {
        "id": api_id,
        "name": name,
        "createdDate": now(),
        "apiKeySource": request.get("apiKeySource", "HEADER"),
        "endpointConfiguration": {"types": types},
        "disableExecuteApiEndpoint": request.get("disableExecuteApiEndpoint", False),
        "rootResourceId": root_id,
        "_account": ctx.account_id,
        "_region": ctx.region,
    }
    for key in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
        if request.get(key) is not None:
            doc[key] = request[key]
    if request.get("tags"):
        doc["tags"] = request["tags"]
    source = request.get("cloneFrom")
    with store.db.transaction():
        if source:
            cloned = lookup.rest_api(ctx, store, source)
            _clone_resources(store, cloned, doc)
            for model in store.items("model", cloned["id"]):
                store.put("model", api_id, model["name"], dict(model))
            for validator in store.items("validator", cloned["id"]):
                store.put("validator", api_id, validator["id"], dict(validator))
        else:
            store.put("resource", api_id, root_id, {"id": root_id, "path": "/"})
            models.add_default_models(store, api_id)
        store.put("api", "", api_id, doc)
    return public(doc)


def _clone_resources(store: ApiGatewayStore, source: Doc, doc: Doc) -> None:
    ids = {
        r["id"]: store.unique_id("resource", doc["id"])
        for r in store.items("resource", source["id"])
    }
    for item in store.items("resource", source["id"]):
        copy = dict(item, id=ids[item["id"]])
        if "parentId" in item:
            copy["parentId"] = ids[item["parentId"]]
        store.put("resource", doc["id"], copy["id"], copy)
    doc["rootResourceId"] = ids[source["rootResourceId"]]
    for key in ("binaryMediaTypes", "apiKeySource", "minimumCompressionSize"):
        if key in source and key not in doc:
            doc[key] = source[key]


def get_rest_api(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    return public(lookup.rest_api(ctx, store, request["restApiId"]))


def get_rest_apis(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    mine = [
        doc
        for doc in store.items("api", "")
        if doc["_account"] == ctx.account_id and doc["_region"] == ctx.region
    ]
    return lookup.page(mine, request)


def delete_rest_api(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    doc = lookup.rest_api(ctx, store, request["restApiId"])
    with store.db.transaction():
        store.drop_scope(doc["id"])
        store.delete("api", "", doc["id"])
    return {}


def _endpoint_type(doc: Doc, op: str, _: list[str], value: str | None) -> None:
    if value not in _ENDPOINT_TYPES:
        raise bad_request("Invalid endpoint configuration type specified")
    doc["endpointConfiguration"] = {"types": [value]}


def _api_key_source(doc: Doc, op: str, _: list[str], value: str | None) -> None:
    if value not in ("HEADER", "AUTHORIZER"):
        raise bad_request(f"Invalid API key source specified: {value}")
    doc["apiKeySource"] = value


_API_RULES = (
    patch.Rule("/name", patch.field("name", optional=False)),
    patch.Rule("/description", patch.field("description"), ("replace", "remove")),
    patch.Rule("/version", patch.field("version"), ("replace", "remove")),
    patch.Rule("/policy", patch.field("policy"), ("replace", "remove")),
    patch.Rule("/apiKeySource", _api_key_source),
    patch.Rule(
        "/minimumCompressionSize",
        patch.field("minimumCompressionSize", convert=patch.integer),
        ("replace", "remove"),
    ),
    patch.Rule(
        "/disableExecuteApiEndpoint",
        patch.field("disableExecuteApiEndpoint", convert=patch.boolean, optional=False),
    ),
    patch.Rule(
        "/binaryMediaTypes/{}", patch.member("binaryMediaTypes"), ("add", "remove", "replace")
    ),
    patch.Rule("/endpointConfiguration/types/{}", _endpoint_type),
)


def update_rest_api(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    doc = lookup.rest_api(ctx, store, request["restApiId"])
    updated = patch.apply(doc, request.get("patchOperations") or [], _API_RULES)
    if not str(updated.get("name", "")).strip():
        raise bad_request("Invalid name specified")
    return public(store.put("api", "", doc["id"], updated))


# -- resources ---------------------------------------------------------------------------


def _check_part(
    store: ApiGatewayStore, api_id: str, parent: Doc, part: str, own_id: str = ""
) -> None:
    if not _PATH_PART.match(part):
        raise bad_request(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
            "and the end and an optional plus sign before the closing brace."
        )
    if (parent.get("pathPart") or "").endswith("+}"):
        raise bad_request(
            f"Cannot create a child of a resource with a greedy path variable: {parent['path']}"
        )
    for sibling in store.items("resource", api_id):
        if sibling.get("parentId") != parent["id"] or sibling["id"] == own_id:
            continue
        other = sibling["pathPart"]
        if other == part:
            raise conflict(f"Another resource with the same parent already has this name: {part}")
        if other.startswith("{") and part.startswith("{"):
            raise bad_request(
                f"A sibling ({other}) of this resource already has a variable path part -- "
                "only one is allowed"
            )


def _child_path(parent: Doc, part: str) -> str:
    return f"{parent['path'].rstrip('/')}/{part}"


def create_resource(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    parent = lookup.resource(store, api["id"], request["parentId"])
    part = request["pathPart"]
    _check_part(store, api["id"], parent, part)
    resource_id = store.unique_id("resource", api["id"])
    doc = {
        "id": resource_id,
        "parentId": parent["id"],
        "pathPart": part,
        "path": _child_path(parent, part),
    }
    return store.put("resource", api["id"], resource_id, doc)


def resource_view(doc: Doc, embed: bool) -> Doc:
    """A resource as Get* answer it: its methods in full with embed=methods, else only
    their names."""
    methods = doc.get("resourceMethods")
    if not methods or embed:
        return doc
    return dict(doc, resourceMethods={name: {} for name in methods})


def get_resource(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.resource(store, api["id"], request["resourceId"])
    return resource_view(doc, "methods" in (request.get("embed") or ()))


def get_resources(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    embed = "methods" in (request.get("embed") or ())
    items = [resource_view(doc, embed) for doc in store.items("resource", api["id"])]
    return lookup.page(items, request)


def _descendants(store: ApiGatewayStore, api_id: str, root: str) -> list[Doc]:
    """The resources under `root`, parents before children."""
    by_parent: dict[str, list[Doc]] = {}
    for doc in store.items("resource", api_id):
        by_parent.setdefault(doc.get("parentId", ""), []).append(doc)
    out, queue = [], list(by_parent.get(root, []))
    while queue:
        doc = queue.pop(0)
        out.append(doc)
        queue.extend(by_parent.get(doc["id"], []))
    return out


def update_resource(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.resource(store, api["id"], request["resourceId"])
    if "parentId" not in doc:
        raise bad_request("Cannot update the root resource")
    rules = (
        patch.Rule("/pathPart", patch.field("pathPart", optional=False)),
        patch.Rule("/parentId", patch.field("parentId", optional=False)),
    )
    updated = patch.apply(doc, request.get("patchOperations") or [], rules)
    parent = lookup.resource(store, api["id"], updated["parentId"])
    below = _descendants(store, api["id"], doc["id"])
    if parent["id"] == doc["id"] or any(d["id"] == parent["id"] for d in below):
        raise bad_request("Cannot move a resource under itself")
    _check_part(store, api["id"], parent, updated["pathPart"], own_id=doc["id"])
    updated["path"] = _child_path(parent, updated["pathPart"])
    with store.db.transaction():
        store.put("resource", api["id"], doc["id"], updated)
        for child in below:  # parents come first, so each sees its parent's new path
            parent_doc = store.get("resource", api["id"], child["parentId"])
            assert parent_doc is not None
            moved = dict(child, path=_child_path(parent_doc, child["pathPart"]))
            store.put("resource", api["id"], child["id"], moved)
    return resource_view(updated, False)


def delete_resource(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = lookup.resource(store, api["id"], request["resourceId"])
    if "parentId" not in doc:
        raise bad_request("Cannot delete root resource")
    with store.db.transaction():
        for child in _descendants(store, api["id"], doc["id"]):
            store.delete("resource", api["id"], child["id"])
        store.delete("resource", api["id"], doc["id"])
    return {}
