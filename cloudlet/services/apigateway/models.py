"""Models (JSON Schema draft 4 documents) and request validators, and checking a call
against them.

A method names a validator (`requestValidatorId`) and, per content type, a model
(`requestModels`); the validator says whether required request parameters
(`requestParameters` set to true) and the body (against the model) are checked.
Schemas may refer to other models of the API by
`https://apigateway.amazonaws.com/restapis/{api}/models/{name}`, as on AWS.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigateway import lookup, patch
from cloudlet.services.apigateway.lookup import bad_request, conflict, not_found
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

_NAME = re.compile(r"^[A-Za-z0-9]+$")
DEFAULT_MODELS = (
    (
        "Empty",
        "This is a default empty schema model",
        '{\n  "$schema": "http://json-schema.org/draft-04/schema#",\n  "title" : "Empty Schema",\n'
        '  "type" : "object"\n}',
    ),
    (
        "Error",
        "This is a default error schema model",
        '{\n  "$schema" : "http://json-schema.org/draft-04/schema#",\n  "title" : "Error Schema",\n'
        '  "type" : "object",\n  "properties" : {\n    "message" : { "type" : "string" }\n  }\n}',
    ),
)


def model_url(api_id: str, name: str) -> str:
    return f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"


def add_default_models(store: ApiGatewayStore, api_id: str) -> None:
    for name, description, schema in DEFAULT_MODELS:
        doc = {
            "id": store.unique_id("model", api_id, 6),
            "name": name,
            "description": description,
            "schema": schema,
            "contentType": "application/json",
        }
        store.put("model", api_id, name, doc)


def _check_schema(schema: str) -> None:
    try:
        value = orjson.loads(schema)
        if not isinstance(value, dict):
            raise ValueError("not an object")
        Draft4Validator.check_schema(value)
    except (orjson.JSONDecodeError, ValueError, SchemaError) as error:
        raise bad_request(
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model "
            f"schema specified. {str(error).splitlines()[0]}]"
        ) from None


def _model(store: ApiGatewayStore, api_id: str, name: str) -> Doc:
    doc = store.get("model", api_id, name)
    if doc is None:
        raise not_found(f"Invalid model name specified: {name}")
    return doc


# -- models --------------------------------------------------------------------------------------


def create_model(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    name = request["name"]
    if not _NAME.match(name):
        raise bad_request("Model name must be alphanumeric: " + name)
    if store.get("model", api["id"], name) is not None:
        raise conflict("Model name already exists for this REST API")
    if not request.get("contentType"):
        raise bad_request("Content type must be specified")
    doc: Doc = {"id": store.unique_id("model", api["id"], 6), "name": name}
    if request.get("description"):
        doc["description"] = request["description"]
    if request.get("schema") is not None:
        _check_schema(request["schema"])
        doc["schema"] = request["schema"]
    doc["contentType"] = request["contentType"]
    return store.put("model", api["id"], name, doc)


def get_model(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return _model(store, api["id"], request["modelName"])


def get_models(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return lookup.page(store.items("model", api["id"]), request)


def _schema(doc: Doc, op: str, _: list[str], value: str | None) -> None:
    _check_schema(patch.text(value))
    doc["schema"] = value


_MODEL_RULES = (
    patch.Rule("/schema", _schema),
    patch.Rule("/description", patch.field("description"), ("replace", "remove")),
)


def update_model(ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = _model(store, api["id"], request["modelName"])
    updated = patch.apply(doc, request.get("patchOperations") or [], _MODEL_RULES)
    return store.put("model", api["id"], doc["name"], updated)


def delete_model(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = _model(store, api["id"], request["modelName"])
    for resource in store.items("resource", api["id"]):
        for method in (resource.get("resourceMethods") or {}).values():
            if doc["name"] in (method.get("requestModels") or {}).values():
                raise conflict(
                    f"Cannot delete model '{doc['name']}', is referenced in method request: "
                    f"{resource['path']}/{method['httpMethod']}"
                )
    store.delete("model", api["id"], doc["name"])
    return {}


# -- request validators --------------------------------------------------------------------------


def _validator(store: ApiGatewayStore, api_id: str, validator_id: str) -> Doc:
    doc = store.get("validator", api_id, validator_id)
    if doc is None:
        raise not_found("Invalid Request Validator identifier specified")
    return doc


def create_request_validator(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc: Doc = {
        "id": store.unique_id("validator", api["id"], 6),
        "name": request.get("name") or "",
        "validateRequestBody": request.get("validateRequestBody", False),
        "validateRequestParameters": request.get("validateRequestParameters", False),
    }
    return store.put("validator", api["id"], doc["id"], doc)


def get_request_validator(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return _validator(store, api["id"], request["requestValidatorId"])


def get_request_validators(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return lookup.page(store.items("validator", api["id"]), request)


_VALIDATOR_RULES = (
    patch.Rule("/name", patch.field("name", optional=False)),
    patch.Rule(
        "/validateRequestBody",
        patch.field("validateRequestBody", convert=patch.boolean, optional=False),
    ),
    patch.Rule(
        "/validateRequestParameters",
        patch.field("validateRequestParameters", convert=patch.boolean, optional=False),
    ),
)


def update_request_validator(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = _validator(store, api["id"], request["requestValidatorId"])
    updated = patch.apply(doc, request.get("patchOperations") or [], _VALIDATOR_RULES)
    return store.put("validator", api["id"], doc["id"], updated)


def delete_request_validator(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    doc = _validator(store, api["id"], request["requestValidatorId"])
    for resource in store.items("resource", api["id"]):
        for method in (resource.get("resourceMethods") or {}).values():
            if method.get("requestValidatorId") == doc["id"]:
                raise conflict(
                    f"Cannot delete request validator '{doc['id']}', is referenced in method: "
                    f"{resource['path']}/{method['httpMethod']}"
                )
    store.delete("validator", api["id"], doc["id"])
    return {}


def check_method_references(store: ApiGatewayStore, api_id: str, method: Doc) -> None:
    """PutMethod/UpdateMethod: the models and validator a method names must exist."""
    for name in (method.get("requestModels") or {}).values():
        if store.get("model", api_id, name) is None:
            raise bad_request(f"Invalid model identifier specified: {name}")
    validator_id = method.get("requestValidatorId")
    if validator_id and store.get("validator", api_id, validator_id) is None:
        raise bad_request("Invalid Request Validator identifier specified")


# -- checking a call -----------------------------------------------------------------------------


class Schemas:
    """A deployment's models compiled into validators, on first use."""

    def __init__(self, api_id: str, models: dict[str, Doc]) -> None:
        self.api_id = api_id
        self.models = models
        self._validators: dict[str, Any] = {}
        resources = []
        for name, doc in models.items():
            try:
                contents = orjson.loads(doc.get("schema") or "{}")
            except orjson.JSONDecodeError:
                continue
            resources.append((model_url(api_id, name), DRAFT4.create_resource(contents)))
        self._registry: Registry[Any] = Registry().with_resources(resources)

    def validator(self, name: str) -> Any:
        """The compiled Draft4Validator of a model, or None when it has no schema."""
        if name not in self._validators:
            doc = self.models.get(name)
            found = None
            if doc is not None and doc.get("schema"):
                schema = orjson.loads(doc["schema"])
                found = Draft4Validator(schema, registry=self._registry)
            self._validators[name] = found
        return self._validators[name]

    def body_is_valid(self, name: str, body: bytes) -> bool:
        validator = self.validator(name)
        if validator is None:
            return True
        try:
            value = orjson.loads(body) if body.strip() else {}
            return bool(validator.is_valid(value))
        except (orjson.JSONDecodeError, Unresolvable):
            return False
