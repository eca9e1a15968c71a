"""TestInvokeMethod: run a method as the API stands now (no deployment needed), as the
console's Test button does: no authorizer, no API key, with the caller's stage
variables, answering the method's response with a short execution log."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.services.apigateway import deployments, lookup
from cloudlet.services.apigateway.execute import compile_deployment
from cloudlet.services.apigateway.failures import Failure
from cloudlet.services.apigateway.request import Call
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc, now

STAGE = "test-invoke-stage"


def _headers(request: dict[str, Any]) -> list[tuple[str, str]]:
    out = [(k, v) for k, values in (request.get("multiValueHeaders") or {}).items() for v in values]
    multi = {k.lower() for k, _ in out}
    out += [(k, v) for k, v in (request.get("headers") or {}).items() if k.lower() not in multi]
    return out


async def test_invoke_method(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    api = lookup.rest_api(ctx, store, request["restApiId"])
    resource = lookup.resource(store, api["id"], request["resourceId"])
    method = lookup.method(resource, request["httpMethod"].upper())
    if "methodIntegration" not in method:
        raise lookup.bad_request("No integration defined for method")
    stage: Doc = {"stageName": STAGE, "variables": request.get("stageVariables") or {}}
    deployment: Doc = {
        "id": "test-invoke-deployment",
        "createdDate": now(),
        "_snapshot": deployments.snapshot(store, api, check=False),
    }
    deployed = compile_deployment(api, stage, deployment)
    target = request.get("pathWithQueryString") or resource["path"]
    path, _, query = target.partition("?")
    headers = _headers(request)
    api_request = ApiRequest(
        api_id=api["id"],
        stage=STAGE,
        path=unquote(path) or "/",
        method=method["httpMethod"] if method["httpMethod"] != "ANY" else "GET",
        query_string=query,
        headers={k.lower(): v for k, v in headers},
        header_list=headers,
        body=(request.get("body") or "").encode(),
        source_ip="test-invoke-source-ip",
        host=ctx.host,
        request_id=ctx.request_id,
        raw_path=path or "/",
    )
    started = time.monotonic()
    status, out_headers, body = await store.runtime().test_invoke(
        deployed, api_request, resource, method
    )
    latency = int((time.monotonic() - started) * 1000)
    multi: dict[str, list[str]] = {}
    for name, value in out_headers:
        multi.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    # The execution log, as the console's test shows it.
    log = (
        f"Execution log for request {ctx.request_id}\n"
        f"{api_request.extra.get('log', '')}\n"
        f"({ctx.request_id}) Method completed with status: {status}\n"
    )
    return {
        "status": status,
        "body": body.decode("utf-8", "replace"),
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "log": log,
        "latency": latency,
    }


async def test_invoke_authorizer(
    ctx: RequestContext, store: ApiGatewayStore, request: dict[str, Any]
) -> dict[str, Any]:
    """Run a Lambda authorizer on a made-up request, without its cache: the status a
    caller would get from it, the principal and the policy it answered."""
    api = lookup.rest_api(ctx, store, request["restApiId"])
    authorizer = lookup.authorizer(store, api["id"], request["authorizerId"])
    if authorizer["type"] == "COGNITO_USER_POOLS":
        raise lookup.bad_request("TestInvokeAuthorizer supports TOKEN and REQUEST authorizers")
    stage: Doc = {"stageName": STAGE, "variables": request.get("stageVariables") or {}}
    deployment: Doc = {
        "id": "test-invoke-deployment",
        "createdDate": now(),
        "_snapshot": deployments.snapshot(store, api, check=False),
    }
    deployed = compile_deployment(api, stage, deployment)
    target = request.get("pathWithQueryString") or "/"
    path, _, query = target.partition("?")
    headers = _headers(request)
    api_request = ApiRequest(
        api_id=api["id"],
        stage=STAGE,
        path=unquote(path) or "/",
        method="GET",
        query_string=query,
        headers={k.lower(): v for k, v in headers},
        header_list=headers,
        body=(request.get("body") or "").encode(),
        source_ip="test-invoke-source-ip",
        host=ctx.host,
        request_id=ctx.request_id,
        raw_path=path or "/",
    )
    call = Call(
        request=api_request,
        deployed=deployed,
        stage_name=STAGE,
        path=api_request.path,
        resource={"id": "", "path": api_request.path},
        method={"httpMethod": "GET", "authorizationType": "CUSTOM"},
        path_params={},
        apigw_id=ctx.request_id,
    )
    started = time.monotonic()
    status = 200
    try:
        await store.runtime().authorizers.authorize(call, authorizer, cache=False)
    except Failure as failure:
        status = failure.status
    out: dict[str, Any] = {
        "clientStatus": status,
        "latency": int((time.monotonic() - started) * 1000),
        "log": (
            f"Execution log for request {ctx.request_id}\n"
            f"Starting authorizer: {authorizer['id']} for request: {ctx.request_id}\n"
            f"Authorizer result: {status}\n"
        ),
    }
    if call.grant is not None:
        out["principalId"] = call.grant.principal_id
        out["policy"] = call.grant.policy
        out["authorization"] = {k: [str(v)] for k, v in (call.authorizer or {}).items()}
    return out
