"""Create/Get/Update/Delete/GetIntegrations: Lambda proxy (AWS_PROXY) and HTTP proxy."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from cloudlet.gateway.context import RequestContext
from cloudlet.services.apigatewayv2.common import (
    apply,
    bad_request,
    conflict,
    get_api,
    get_part,
    page,
)
from cloudlet.services.apigatewayv2.deploy import auto_deploy
from cloudlet.services.apigatewayv2.models import ApiStore, Doc, new_id, public

_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$"
)
_INVOCATION_ARN = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(.+)/invocations$"
)
_MEMBERS = (
    "ConnectionId",
    "ConnectionType",
    "CredentialsArn",
    "Description",
    "IntegrationMethod",
    "IntegrationSubtype",
    "IntegrationType",
    "IntegrationUri",
    "PayloadFormatVersion",
    "RequestParameters",
    "ResponseParameters",
    "TimeoutInMillis",
    "TlsConfig",
)
_METHODS = frozenset({"ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


def with_stage_variables(uri: str, variables: dict[str, str]) -> str:
    """The URI with `${stageVariables.name}` replaced by the stage's values."""
    if "${" not in uri:
        return uri
    return STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), uri)


def lambda_arn(uri: str) -> str | None:
    """The function ARN a Lambda integration or authorizer URI names: the ARN itself, or
    API Gateway's invocation ARN `arn:aws:apigateway:{region}:lambda:path/2015-03-31/
    functions/{arn}/invocations`."""
    found = _INVOCATION_ARN.match(uri)
    if found is not None:
        uri = found.group(1)
    return uri if _LAMBDA_ARN.match(uri) else None


def _validate(doc: Doc) -> None:
    kind = doc.get("IntegrationType")
    if kind not in ("AWS_PROXY", "HTTP_PROXY"):
        raise bad_request(
            f"Unsupported integration type {kind} for HTTP APIs: "
            "use AWS_PROXY (Lambda) or HTTP_PROXY"
        )
    version = doc.get("PayloadFormatVersion")
    if version not in ("1.0", "2.0"):
        raise bad_request("PayloadFormatVersion must be one of: 1.0, 2.0")
    uri = doc.get("IntegrationUri")
    if doc.get("IntegrationSubtype"):
        raise bad_request(
            "AWS service integrations (IntegrationSubtype) are not supported by cloudlet"
        )
    if kind == "AWS_PROXY":
        if not uri:
            raise bad_request("IntegrationUri is required for AWS_PROXY integrations")
        # Stage variables are filled in per stage when the API is called.
        if lambda_arn(STAGE_VARIABLE.sub("x", uri)) is None:
            raise bad_request(f"Invalid Lambda function ARN or invocation URI: {uri}")
    else:
        parts = urlsplit(uri or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"Invalid HTTP endpoint specified for URI: {uri}")
        if version != "1.0":
            raise bad_request("HTTP_PROXY integrations support only payload format 1.0")
        if not doc.get("IntegrationMethod"):
            raise bad_request("IntegrationMethod is required for HTTP_PROXY integrations")
    if doc.get("IntegrationMethod") not in _METHODS:
        raise bad_request(f"Invalid integration method: {doc.get('IntegrationMethod')}")
    timeout = doc.get("TimeoutInMillis", 30000)
    if not 50 <= timeout <= 30000:
        raise bad_request("Timeout must be between 50 ms and 30000 ms")
    if doc.get("ConnectionType", "INTERNET") != "INTERNET":
        raise bad_request("VPC_LINK connections are not supported by cloudlet")


def new_integration(request: dict[str, Any], managed: bool = False) -> Doc:
    doc: Doc = {"IntegrationId": new_id(7), "ConnectionType": "INTERNET"}
    apply(doc, request, _MEMBERS)
    if doc.get("IntegrationType") == "AWS_PROXY" and "PayloadFormatVersion" not in doc:
        # AWS: Lambda integrations made through the API must name their format.
        raise bad_request("PayloadFormatVersion is required for AWS_PROXY integrations")
    doc.setdefault("PayloadFormatVersion", "1.0")
    doc.setdefault("TimeoutInMillis", 30000)
    if doc.get("IntegrationType") == "AWS_PROXY":
        doc.setdefault("IntegrationMethod", "POST")
    if managed:
        doc["ApiGatewayManaged"] = True
    _validate(doc)
    return doc


def create_integration(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = new_integration(request)
    with store.db.transaction():
        store.put_part(api, "integrations", doc["IntegrationId"], doc)
        auto_deploy(store, api)
    return public(doc)


def get_integration(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return public(get_part(ctx, api, "integrations", request["IntegrationId"]))


def get_integrations(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    return page(
        request, sorted(api.parts["integrations"].values(), key=lambda d: d["IntegrationId"])
    )


def update_integration(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    doc = dict(get_part(ctx, api, "integrations", request["IntegrationId"]))
    apply(doc, request, _MEMBERS)
    if doc.get("IntegrationType") == "AWS_PROXY":
        doc.setdefault("IntegrationMethod", "POST")
    _validate(doc)
    with store.db.transaction():
        store.put_part(api, "integrations", doc["IntegrationId"], doc)
        auto_deploy(store, api)
    return public(doc)


def delete_integration(
    ctx: RequestContext, store: ApiStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = get_api(ctx, store, request["ApiId"])
    integration_id = request["IntegrationId"]
    get_part(ctx, api, "integrations", integration_id)
    target = f"integrations/{integration_id}"
    for route in api.parts["routes"].values():
        if route.get("Target") == target:
            raise conflict(
                f"Unable to delete integration {integration_id}: route "
                f"{route['RouteKey']} ({route['RouteId']}) targets it"
            )
    with store.db.transaction():
        store.delete_part(api, "integrations", integration_id)
        auto_deploy(store, api)
    return {}
