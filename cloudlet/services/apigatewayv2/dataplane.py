"""Calls to deployed HTTP APIs: stage, route, authorizer, integration, CORS.

The hot path touches no SQL: the API and its stages are in the store's dicts, and each
deployment's snapshot is compiled once (router, integrations, authorizers, CORS) and
kept until the store changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson

from cloudlet import httpclient, ids
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol.wire import Headers, Response
from cloudlet.services.apigatewayv2 import jwt
from cloudlet.services.apigatewayv2 import lambda_authorizer as lauth
from cloudlet.services.apigatewayv2.cors import Cors
from cloudlet.services.apigatewayv2.events import (
    BadResponse,
    Call,
    event_v1,
    event_v2,
    response_v1,
    response_v2,
)
from cloudlet.services.apigatewayv2.integrations import lambda_arn, with_stage_variables
from cloudlet.services.apigatewayv2.models import Api, ApiStore, Doc
from cloudlet.services.apigatewayv2.routing import Router
from cloudlet.waits import settled

log = logging.getLogger("cloudlet.apigatewayv2")

_JSON = (b"content-type", b"application/json")
NOT_FOUND: Response = (404, [_JSON], b'{"message":"Not Found"}')
_AUTHORIZER_TIMEOUT = 10.0


def _message(status: int, text: str, *extra: tuple[bytes, bytes]) -> Response:
    return status, [_JSON, *extra], orjson.dumps({"message": text})


def _unauthorized(description: str | None = None) -> Response:
    if description is None:
        return _message(401, "Unauthorized")
    header = f'Bearer scope="" error="invalid_token" error_description="{description}"'
    return _message(401, "Unauthorized", (b"www-authenticate", header.encode()))


_FORBIDDEN = _message(403, "Forbidden")
_INTERNAL = _message(500, "Internal Server Error")
_UNAVAILABLE = _message(503, "Service Unavailable")


@dataclass
class Deployed:
    router: Router
    integrations: dict[str, Doc]
    authorizers: dict[str, Doc]
    cors: Cors | None


class _Timeout(Exception):
    pass


class DataPlane:
    def __init__(self, store: ApiStore, cloud: Callable[[], Any]) -> None:
        self.store = store
        self._cloud = cloud
        self._deployed: dict[tuple[str, str], Deployed] = {}
        self._generation = -1
        self.jwt = jwt.JwtVerifier(store)
        self.answers = lauth.AnswerCache()

    # -- stage and snapshot -------------------------------------------------------------

    def _pick_stage(self, api: Api, request: ApiRequest) -> tuple[Doc, str, str] | None:
        """(stage, resource path, raw path after the stage)."""
        stages = api.parts["stages"]
        raw = request.raw_path or request.path
        if request.stage is not None:
            stage = stages.get(request.stage)
            if stage is not None:
                return stage, request.path, raw
            default = stages.get("$default")
            if default is None:
                return None
            # The segment was no stage: a path on the `$default` stage.
            prefix = "/" + request.stage
            path = prefix if request.path == "/" else prefix + request.path
            return default, path, prefix if raw == "/" else prefix + raw
        first, _, rest = request.path[1:].partition("/")
        if first and first != "$default":
            stage = stages.get(first)
            if stage is not None and stage.get("DeploymentId"):
                raw_rest = raw[1:].partition("/")[2]
                return stage, "/" + rest, "/" + raw_rest
        default = stages.get("$default")
        return None if default is None else (default, request.path, raw)

    def _snapshot(self, api: Api, deployment_id: str) -> Deployed | None:
        if self._generation != self.store.generation:
            self._deployed.clear()
            self._generation = self.store.generation
        key = (api.id, deployment_id)
        deployed = self._deployed.get(key)
        if deployed is None:
            deployment = api.parts["deployments"].get(deployment_id)
            if deployment is None:
                return None
            snap = deployment["_snapshot"]
            cors = snap.get("cors")
            deployed = Deployed(
                Router(snap["routes"]),
                snap["integrations"],
                snap["authorizers"],
                Cors(cors) if cors else None,
            )
            self._deployed[key] = deployed
        return deployed

    # -- a request ----------------------------------------------------------------------

    async def execute(self, request: ApiRequest) -> Response | None:
        api = self.store.apis.get(request.api_id)
        if api is None:
            return None
        if api.doc.get("DisableExecuteApiEndpoint"):
            return _copy(_FORBIDDEN)  # AWS: only custom domain names reach the API
        picked = self._pick_stage(api, request)
        if picked is None:
            return _copy(NOT_FOUND)
        stage, path, raw_after = picked
        deployed = self._snapshot(api, stage.get("DeploymentId") or "")
        if deployed is None:
            return _copy(NOT_FOUND)
        cors = deployed.cors
        headers = request.headers
        origin = headers.get("origin")
        if (
            cors is not None
            and request.method == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in headers
        ):
            response = cors.preflight(headers)
        else:
            stage_name = stage["StageName"]
            raw_path = raw_after if stage_name == "$default" else f"/{stage_name}{raw_after}"
            parts = None
            if "%" in raw_after:  # match segment by segment, each decoded on its own
                parts = [] if raw_after == "/" else [unquote(p) for p in raw_after[1:].split("/")]
            response = await self._route(
                api, deployed, stage, stage_name, path, raw_path, request, parts
            )
            if cors is not None:
                response = (response[0], cors.decorate(origin, response[1]), response[2])
        response[1].append((b"apigw-requestid", request.request_id.encode()))
        return response

    async def _route(
        self,
        api: Api,
        deployed: Deployed,
        stage: Doc,
        stage_name: str,
        path: str,
        raw_path: str,
        request: ApiRequest,
        parts: list[str] | None,
    ) -> Response:
        matched = deployed.router.match(request.method, path, parts)
        if matched is None:
            return _copy(NOT_FOUND)
        route, params = matched
        route_key = route["RouteKey"]
        call = Call(
            request,
            api.account,
            api.region,
            stage_name,
            path,
            raw_path,
            route_key=route_key,
            route_path=route_key.partition(" ")[2] or route_key,
            path_params=params,
            stage_variables=stage.get("StageVariables") or {},
        )
        auth = route.get("AuthorizationType", "NONE")
        if auth == "JWT" or auth == "CUSTOM":
            authorizer = deployed.authorizers.get(route.get("AuthorizerId") or "")
            if authorizer is None:
                return _copy(_INTERNAL)
            denied = await (
                self._jwt(call, route, authorizer)
                if auth == "JWT"
                else self._lambda_authorizer(call, authorizer)
            )
            if denied is not None:
                return _copy(denied)
        target = route.get("Target") or ""
        integration = deployed.integrations.get(target.partition("/")[2])
        if integration is None:
            return _copy(NOT_FOUND)
        if integration["IntegrationType"] == "AWS_PROXY":
            return await self._invoke_lambda(call, integration)
        return await self._forward(call, integration)

    # -- authorizers --------------------------------------------------------------------

    async def _jwt(self, call: Call, route: Doc, authorizer: Doc) -> Response | None:
        values = lauth.identity(call, authorizer.get("IdentitySource") or [])
        if not values:
            return _unauthorized()
        token = values[0].strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        config = authorizer.get("JwtConfiguration") or {}
        try:
            claims = await self.jwt.verify(
                token, config.get("Issuer", ""), config.get("Audience") or []
            )
            jwt.check_scopes(claims, route.get("AuthorizationScopes") or [])
        except jwt.InvalidToken as error:
            return _unauthorized(str(error))
        except jwt.InsufficientScope:
            header = b'Bearer scope="" error="insufficient_scope" error_description="the token does not have the required scopes"'
            return _message(403, "Forbidden", (b"www-authenticate", header))
        scopes = jwt.token_scopes(claims)
        call.authorizer = {
            "jwt": {"claims": jwt.claims_for_event(claims), "scopes": scopes or None}
        }
        return None

    async def _lambda_authorizer(self, call: Call, authorizer: Doc) -> Response | None:
        sources = authorizer.get("IdentitySource") or []
        values: list[str] = []
        if sources:
            found = lauth.identity(call, sources)
            if found is None:
                return _unauthorized()
            values = found
        ttl = authorizer.get("AuthorizerResultTtlInSeconds") or 0
        key = (call.request.api_id, call.stage, authorizer["AuthorizerId"], tuple(values))
        answer = self.answers.get(key) if ttl > 0 else None
        if answer is None:
            function = lambda_arn(authorizer.get("AuthorizerUri", ""))
            if function is None:
                return _INTERNAL
            payload = orjson.dumps(lauth.event(call, authorizer, values))
            try:
                result = await self._call_lambda(call, function, payload, _AUTHORIZER_TIMEOUT)
            except _Timeout:
                log.warning("authorizer %s timed out", function)
                return _INTERNAL
            if isinstance(result, tuple):
                return result
            try:
                answer = orjson.loads(result)
            except orjson.JSONDecodeError:
                log.warning("authorizer %s answered something that is not JSON", function)
                return _INTERNAL
            if ttl > 0:
                self.answers.put(key, ttl, answer)
        try:
            decision = lauth.decide(call, authorizer, answer)
        except lauth.Forbidden:
            return _FORBIDDEN
        except lauth.AuthorizerFailed as error:
            log.warning("authorizer %s: %s", authorizer["AuthorizerId"], error)
            return _INTERNAL
        call.authorizer = {"lambda": decision.context}
        call.principal_id = decision.principal_id
        return None

    # -- integrations -------------------------------------------------------------------

    async def _call_lambda(
        self, call: Call, function: str, payload: bytes, timeout: float
    ) -> bytes | Response:
        """The function's payload, or the response for a failed invocation; raises
        _Timeout when the integration timeout passes first (the invocation goes on)."""
        parts = function.split(":")
        cloud = self._cloud()
        ctx = RequestContext(
            request_id=ids.uuid4(),
            account_id=parts[4],
            region=parts[3],
            base_url=cloud.endpoint_url,
            host="",
            path="/",
        )
        task = asyncio.ensure_future(
            cloud.call(ctx, "lambda", "Invoke", {"FunctionName": function, "Payload": payload})
        )
        if not await settled(task, timeout):
            task.add_done_callback(_consume)
            raise _Timeout()
        try:
            result: dict[str, Any] = task.result()
        except ServiceError as error:
            # Throttling included: API Gateway answers a throttled function with 500.
            log.warning("invoking %s failed: %s %s", function, error.code, error.message)
            return _INTERNAL
        except Exception:
            log.exception("invoking %s failed", function)
            return _INTERNAL
        if result.get("FunctionError"):
            return _INTERNAL
        data: bytes = result.get("Payload") or b""
        return data

    async def _invoke_lambda(self, call: Call, integration: Doc) -> Response:
        function = lambda_arn(
            with_stage_variables(integration["IntegrationUri"], call.stage_variables)
        )
        if function is None:
            return _copy(_INTERNAL)
        version = integration.get("PayloadFormatVersion", "1.0")
        event = event_v2(call) if version == "2.0" else event_v1(call)
        timeout = (integration.get("TimeoutInMillis") or 30000) / 1000
        try:
            result = await self._call_lambda(call, function, orjson.dumps(event), timeout)
        except _Timeout:
            return _copy(_UNAVAILABLE)
        if isinstance(result, tuple):
            return _copy(result)
        try:
            return response_v2(result) if version == "2.0" else response_v1(result)
        except BadResponse as error:
            log.warning("%s answered a malformed response (%s)", function, error)
            return _copy(_INTERNAL)

    async def _forward(self, call: Call, integration: Doc) -> Response:
        uri = with_stage_variables(integration["IntegrationUri"], call.stage_variables)
        for name, value in call.path_params.items():
            uri = uri.replace("{" + name + "+}", value).replace("{" + name + "}", value)
        if call.request.query_string:
            uri += ("&" if "?" in uri else "?") + call.request.query_string
        method = integration.get("IntegrationMethod") or "ANY"
        if method == "ANY":
            method = call.request.method
        headers = [(n, v) for n, v in call.request.header_list if n.lower() != "host"]
        headers.append(("X-Forwarded-For", call.request.source_ip))
        timeout = (integration.get("TimeoutInMillis") or 30000) / 1000
        try:
            status, out, body = await httpclient.request(
                method, uri, headers, call.request.body, timeout
            )
        except TimeoutError:
            return _copy(_UNAVAILABLE)
        except httpclient.HttpError as error:
            log.warning("HTTP_PROXY to %s failed: %s", uri, error)
            return _copy(_INTERNAL)
        encoded: Headers = [
            (n.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for n, v in out
        ]
        return status, encoded, body


def _copy(response: Response) -> Response:
    """A response whose header list the caller may extend."""
    return response[0], list(response[1]), response[2]


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
