"""Gateway responses: what API Gateway answers when it refuses a call itself (missing
route, 401, 403, 415, integration failure, ...), customisable per response type.

Every type has a default (`defaultResponse: true`); PutGatewayResponse overrides the
status code, headers (`gatewayresponse.header.X`) and templates. Like everything else
they reach callers with the next deployment. DEFAULT_4XX and DEFAULT_5XX apply to the
types of their class that are not customised themselves, as on AWS.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

import orjson

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.apigateway import lookup, patch, vtl
from cloudlet.services.apigateway.failures import Failure
from cloudlet.services.apigateway.integrations import header, request_value
from cloudlet.services.apigateway.request import Call, Deployed, request_time
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
# AWS's default status code per type (DEFAULT_4XX/5XX have none of their own).
STATUS = {
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "RESOURCE_NOT_FOUND": "404",
    "UNAUTHORIZED": "401",
    "INVALID_API_KEY": "403",
    "ACCESS_DENIED": "403",
    "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "INVALID_SIGNATURE": "403",
    "EXPIRED_TOKEN": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504",
    "API_CONFIGURATION_ERROR": "500",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400",
    "REQUEST_TOO_LARGE": "413",
    "THROTTLED": "429",
    "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "403",
}


def default(response_type: str) -> Doc:
    doc: Doc = {
        "responseType": response_type,
        "responseParameters": {},
        "responseTemplates": {"application/json": DEFAULT_TEMPLATE},
        "defaultResponse": True,
    }
    if STATUS[response_type] is not None:
        doc["statusCode"] = STATUS[response_type]
    return doc


def _type(request: dict[str, Any]) -> str:
    response_type: str = request["responseType"]
    if response_type not in STATUS:
        raise lookup.bad_request(f"Invalid response type specified: {response_type}")
    return response_type


def _check(doc: Doc) -> None:
    status = doc.get("statusCode")
    if status is not None and not (str(status).isdigit() and 100 <= int(status) <= 599):
        raise lookup.bad_request(f"Invalid status code specified: {status}")
    for name in doc.get("responseParameters") or {}:
        if not name.startswith("gatewayresponse.header."):
            raise lookup.bad_request(
                f"Invalid mapping expression specified: Validation Result: warnings : [], "
                f"errors : [Invalid mapping expression specified: {name}]"
            )


def put_gateway_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    response_type = _type(request)
    doc: Doc = {
        "responseType": response_type,
        "responseParameters": request.get("responseParameters") or {},
        "responseTemplates": request.get("responseTemplates") or {},
        "defaultResponse": False,
    }
    status = request.get("statusCode") or STATUS[response_type]
    if status is not None:
        doc["statusCode"] = status
    _check(doc)
    return store.put("gatewayresponse", api["id"], response_type, doc)


def get_gateway_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    response_type = _type(request)
    return store.get("gatewayresponse", api["id"], response_type) or default(response_type)


def all_responses(store: ApiGatewayStore, api_id: str) -> list[Doc]:
    return [store.get("gatewayresponse", api_id, t) or default(t) for t in STATUS]


def get_gateway_responses(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    return lookup.page(all_responses(store, api["id"]), request, key="responseType")


_RULES = (
    patch.Rule("/statusCode", patch.field("statusCode"), ("replace", "remove")),
    patch.Rule(
        "/responseParameters/{}", patch.entry("responseParameters"), ("add", "replace", "remove")
    ),
    patch.Rule(
        "/responseTemplates/{}", patch.entry("responseTemplates"), ("add", "replace", "remove")
    ),
)


def update_gateway_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> Doc:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    response_type = _type(request)
    current = store.get("gatewayresponse", api["id"], response_type) or default(response_type)
    updated = patch.apply(current, request.get("patchOperations") or [], _RULES)
    updated.setdefault("responseParameters", {})
    updated.setdefault("responseTemplates", {})
    updated["defaultResponse"] = False
    _check(updated)
    return store.put("gatewayresponse", api["id"], response_type, updated)


def delete_gateway_response(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    response_type = _type(request)
    if store.get("gatewayresponse", api["id"], response_type) is None:
        raise lookup.not_found("Invalid Gateway Response identifier specified")
    store.delete("gatewayresponse", api["id"], response_type)
    return {}


# -- serving -------------------------------------------------------------------------------------


def customised(
    failure: Failure, deployed: Deployed, request: ApiRequest, stage_name: str
) -> Response:
    """The response for `failure` with the API's customised gateway response of its type,
    else DEFAULT_4XX/DEFAULT_5XX; raises `failure` when neither is customised."""
    responses = deployed.gateway_responses
    own = responses.get(failure.response_type)
    doc = own or responses.get("DEFAULT_5XX" if failure.status >= 500 else "DEFAULT_4XX")
    if doc is None:
        raise failure
    status = int(own["statusCode"]) if own is not None and own.get("statusCode") else failure.status
    call: Call | None = failure.call
    headers: list[tuple[bytes, bytes]] = [(b"x-amzn-errortype", failure.error_type.encode())]
    for target, source in (doc.get("responseParameters") or {}).items():
        value = _value(call, request, deployed, source)
        if value is not None:
            headers.append(header(target[len("gatewayresponse.header.") :], value))
    templates = doc.get("responseTemplates") or {}
    body = failure.body
    content_type = "application/json"
    if templates:
        content_type = (
            "application/json" if "application/json" in templates else next(iter(templates))
        )
        context = (
            call.request_context()
            if call is not None
            else request_context(request, deployed, stage_name)
        )
        context["error"] = {
            "message": failure.text,
            "messageString": orjson.dumps(failure.text).decode(),
            "responseType": failure.response_type,
        }
        try:
            body = vtl.render(
                templates[content_type],
                body="",
                params=_params(call, request),
                context=context,
                stage_variables=deployed.variables,
            ).encode()
        except vtl.TemplateError:
            pass  # a broken template leaves API Gateway's own body
    headers.append((b"content-type", content_type.encode()))
    return status, headers, body


def request_context(request: ApiRequest, deployed: Deployed, stage_name: str) -> dict[str, Any]:
    """`$context` before a method was matched."""
    return {
        "accountId": deployed.account,
        "apiId": request.api_id,
        "httpMethod": request.method,
        "requestId": request.request_id,
        "requestTime": request_time(time.time()),
        "requestTimeEpoch": int(time.time() * 1000),
        "protocol": "HTTP/1.1",
        "stage": stage_name,
        "identity": {"sourceIp": request.source_ip, "userAgent": request.headers.get("user-agent")},
        "domainName": request.host,
        "authorizer": {},
    }


def _params(call: Call | None, request: ApiRequest) -> dict[str, dict[str, str]]:
    if call is not None:
        return {"path": call.path_params, "querystring": call.query, "header": call.headers}
    return {
        "path": {},
        "querystring": dict(parse_qsl(request.query_string, keep_blank_values=True)),
        "header": {k: v for k, v in request.header_list},
    }


def _value(call: Call | None, request: ApiRequest, deployed: Deployed, source: str) -> str | None:
    if call is not None:
        return request_value(call, source)
    if len(source) >= 2 and source[0] == "'" and source[-1] == "'":
        return source[1:-1]
    if source.startswith("method.request.header."):
        return request.headers.get(source[len("method.request.header.") :].lower())
    if source.startswith("method.request.querystring."):
        query = dict(parse_qsl(request.query_string, keep_blank_values=True))
        return query.get(source[len("method.request.querystring.") :])
    if source.startswith("stageVariables."):
        return deployed.variables.get(source[len("stageVariables.") :])
    return None
