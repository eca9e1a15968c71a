"""Serving deployed REST APIs: from an `ApiRequest` to the response API Gateway sends.

The path of a call: the API (by id; not ours -> None), the stage (unknown -> 403
Forbidden), its deployment compiled once and cached while the stage document is the
same object (with its canary), the resource and method (none -> 403 Missing
Authentication Token), the authorizer, the API key, request validation, the stage
cache, then the integration; API Gateway's own refusals go through the API's gateway
responses; access and execution log lines are queued for CloudWatch Logs. Nothing here
touches SQLite.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.apigateway import (
    accesslog,
    cache,
    gatewayresponses,
    integrations,
    keys,
    proxy,
)
from cloudlet.services.apigateway.authorize import Authorizers
from cloudlet.services.apigateway.failures import (
    Failure,
    bad_gateway,
    forbidden,
    internal_error,
    message,
    missing_token,
    timed_out,
)
from cloudlet.services.apigateway.methods import DEFAULT_TIMEOUT_MS
from cloudlet.services.apigateway.models import Schemas
from cloudlet.services.apigateway.request import (
    Call,
    Deployed,
    media_type_matches,
    substitute_stage_variables,
)
from cloudlet.services.apigateway.routes import RouteTable
from cloudlet.services.apigateway.store import ApiGatewayStore, Doc
from cloudlet.services.logs.writer import LogWriter
from cloudlet.waits import settled

if TYPE_CHECKING:
    from cloudlet.services.base import Cloud

log = logging.getLogger("cloudlet.apigateway")

JSON = [(b"content-type", b"application/json")]
MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's limit on a request's body
LOG_FLUSH_S = 0.2  # access and execution log lines reach Logs within this
_FUNCTION = re.compile(r"/functions/(.+)/invocations$")


class Runtime:
    def __init__(self, store: ApiGatewayStore, cloud: Cloud) -> None:
        self.store = store
        self.cloud = cloud
        self._deployed: dict[tuple[str, str], Deployed] = {}
        self.authorizers = Authorizers(self)
        self.logs = LogWriter(cloud, LOG_FLUSH_S)
        self.cache = cache.ResponseCache()

    def reset(self) -> None:
        self._deployed.clear()
        self.authorizers.clear()
        self.logs.reset()
        self.cache.clear()

    # -- the stage ---------------------------------------------------------------------

    def deployed(self, api: Doc, stage_name: str) -> Deployed | None:
        key = (api["id"], stage_name)
        stage = self.store.get("stage", api["id"], stage_name)
        if stage is None:
            self._deployed.pop(key, None)
            return None
        cached = self._deployed.get(key)
        if cached is not None and cached.stage is stage:
            return cached
        deployment = self.store.get("deployment", api["id"], stage["deploymentId"])
        if deployment is None:
            return None
        compiled = compile_deployment(api, stage, deployment)
        canary = stage.get("canarySettings") or {}
        canary_deployment = self.store.get("deployment", api["id"], canary.get("deploymentId", ""))
        if canary_deployment is not None:
            variables = {
                **(stage.get("variables") or {}),
                **canary.get("stageVariableOverrides", {}),
            }
            canary_stage = dict(stage, variables=variables)
            compiled.canary = compile_deployment(api, canary_stage, canary_deployment)
            compiled.canary_percent = float(canary.get("percentTraffic", 0.0))
        self._deployed[key] = compiled
        return compiled

    # -- TestInvokeMethod ----------------------------------------------------------------

    async def test_invoke(
        self, deployed: Deployed, request: ApiRequest, resource: Doc, method: Doc
    ) -> Response:
        """One call of `method` as TestInvokeMethod runs it: on the API as it is now,
        without authorizer or API key; API Gateway's own refusals are answers too."""
        raw = request.path.lstrip("/")
        segments = [unquote(s) for s in raw.split("/")] if raw else []
        found = RouteTable([resource]).match(segments, method["httpMethod"])
        call = Call(
            request=request,
            deployed=deployed,
            stage_name=request.stage or "test-invoke-stage",
            path=request.path,
            resource=resource,
            method=method,
            path_params=found.path_params if found is not None else {},
            apigw_id=request.request_id,
            forwarded=False,
            trace=[],
            data_trace=True,
        )
        self._note_request(call)
        try:
            self._validate(call)
            return await self._integrate(call, method["methodIntegration"])
        except Failure as failure:
            call.note(f"Execution failed: {failure.text or failure.error_type}")
            return failure.status, [*JSON], failure.body
        finally:
            request.extra["log"] = "\n".join(call.trace or [])

    # -- a call ------------------------------------------------------------------------

    async def handle(self, request: ApiRequest) -> Response | None:
        api = self.store.get("api", "", request.api_id)
        if api is None:
            return None
        apigw_id = base64.b64encode(secrets.token_bytes(12)).decode()[:15] + "="
        ids = [
            (b"x-amzn-requestid", request.request_id.encode()),
            (b"x-amz-apigw-id", apigw_id.encode()),
        ]
        try:
            status, headers, body = await self._handle(api, request, apigw_id)
        except Failure as failure:
            status, body = failure.status, failure.body
            headers = [*JSON, (b"x-amzn-errortype", failure.error_type.encode())]
        headers = [
            _remapped(name, value) for name, value in headers if name.lower() not in _DROPPED
        ]
        if not any(name.lower() == b"content-type" for name, _ in headers):
            headers.append((b"content-type", b"application/json"))
        return status, headers + ids, body

    async def _handle(self, api: Doc, request: ApiRequest, apigw_id: str) -> Response:
        stage_name, path, raw_path = request.stage, request.path, request.raw_path or request.path
        if stage_name is None:  # host form: the stage is the first path segment
            stage_name, _, rest = path.lstrip("/").partition("/")
            path = "/" + rest
            raw_path = "/" + raw_path.lstrip("/").partition("/")[2]
        if api.get("disableExecuteApiEndpoint"):
            raise forbidden()
        if len(request.body) > MAX_PAYLOAD:
            raise Failure(
                413,
                b'{"message":"Request Too Long"}',
                "RequestTooLongException",
                "REQUEST_TOO_LARGE",
                "Request Too Long",
            )
        deployed = self.deployed(api, stage_name)
        if deployed is None:
            raise forbidden()
        if deployed.canary is not None and random.random() * 100 < deployed.canary_percent:
            deployed = deployed.canary
        started = time.time()
        calls: list[Call] = []
        failure: Failure | None = None
        response: Response | None = None
        try:
            response = await self._serve(
                deployed, request, stage_name, path, raw_path, apigw_id, calls
            )
        except Failure as refused:
            failure = refused
            if deployed.gateway_responses:
                response = gatewayresponses.customised(failure, deployed, request, stage_name)
        settings = deployed.stage.get("accessLogSettings")
        if settings and settings.get("destinationArn") and settings.get("format"):
            status, _, body = response if response is not None else (0, [], b"")
            if response is None and failure is not None:
                status, body = failure.status, failure.body
            context = (
                calls[0].request_context()
                if calls
                else gatewayresponses.request_context(request, deployed, stage_name)
            )
            context.update(
                status=status,
                responseLength=len(body),
                responseLatency=int((time.time() - started) * 1000),
                path=f"/{stage_name}{path}",
                error={
                    "message": failure.text if failure else None,
                    "responseType": failure.response_type if failure else None,
                },
            )
            line = accesslog.render(settings["format"], context, deployed.variables)
            where = accesslog.destination(settings["destinationArn"])
            if where is not None:
                self.logs.add((*where, f"{request.api_id}_{stage_name}"), [line])
        if calls and calls[0].trace:
            self._execution_log(calls[0], response, failure)
        if response is None:
            assert failure is not None
            raise failure
        return response

    @staticmethod
    def _note_request(call: Call) -> None:
        call.note(f"Extended Request Id: {call.apigw_id}")
        call.note(f"Starting execution for request: {call.request.request_id}")
        call.note(f"HTTP Method: {call.request.method}, Resource Path: {call.path}")
        call.note(f"Method request path: {call.path_params}")
        call.note(f"Method request query string: {call.query}")
        call.note_data(f"Method request headers: {call.headers}")
        call.note_data(
            f"Method request body before transformations: "
            f"{call.request.body.decode('utf-8', 'replace')}"
        )

    def _execution_log(
        self, call: Call, response: Response | None, failure: Failure | None
    ) -> None:
        """The call's execution log lines to `API-Gateway-Execution-Logs_{api}/{stage}`
        (all of them at INFO, only failed calls' at ERROR)."""
        status = response[0] if response is not None else failure.status if failure else 500
        if failure is not None:
            call.note(f"Execution failed: {failure.text or failure.error_type}")
        call.note(f"Method completed with status: {status}")
        level = call.deployed.log_level(call.resource["path"], call.method["httpMethod"])
        if level is not None and level[0] == "ERROR" and status < 400:
            return
        deployed = call.deployed
        group = f"API-Gateway-Execution-Logs_{call.request.api_id}/{call.stage_name}"
        key = (deployed.region, deployed.account, group, deployed.deployment["id"])
        self.logs.add(key, call.trace or [], create_group=True)

    async def _serve(
        self,
        deployed: Deployed,
        request: ApiRequest,
        stage_name: str,
        path: str,
        raw_path: str,
        apigw_id: str,
        calls: list[Call],
    ) -> Response:
        raw = raw_path.split("?", 1)[0].lstrip("/")
        segments = [unquote(s) for s in raw.split("/")] if raw else []
        found = deployed.routes.match(segments, request.method)
        if found is None:
            raise missing_token()
        call = Call(
            request=request,
            deployed=deployed,
            stage_name=stage_name,
            path=path,
            resource=found.resource,
            method=found.method,
            path_params=found.path_params,
            apigw_id=apigw_id,
        )
        calls.append(call)
        logging_level = deployed.log_level(found.resource["path"], found.method["httpMethod"])
        if logging_level is not None:
            call.trace, call.data_trace = [], logging_level[1]
            self._note_request(call)
        try:
            await self._authorize(call)
            self._check_api_key(call)
            self._validate(call)
            integration = found.method["methodIntegration"]
            if deployed.cache_policies:
                return await self._cached(call, integration)
            return await self._integrate(call, integration)
        except Failure as failure:
            failure.call = call  # for the gateway response's $context
            raise

    async def _integrate(self, call: Call, integration: Doc) -> Response:
        if integration["type"] == "AWS_PROXY":
            return await self._lambda_proxy(call, integration)
        return await integrations.run(self, call, integration)

    async def _cached(self, call: Call, integration: Doc) -> Response:
        """The integration's answer through the stage cache (cache.py)."""
        deployed = call.deployed
        policy = deployed.setting(
            deployed.cache_policies, call.resource["path"], call.method["httpMethod"]
        )
        if policy is None:
            return await self._integrate(call, integration)
        key = (
            call.request.api_id,
            call.stage_name,
            deployed.deployment["id"],
            call.request.method,
            call.resource["path"],
            *(
                integrations.request_value(call, name) or ""
                for name in integration.get("cacheKeyParameters") or ()
            ),
        )
        refresh = policy.honour_max_age_0 and "max-age=0" in call.request.headers.get(
            "cache-control", ""
        )
        found = None if refresh else self.cache.get(key)
        if found is not None:
            call.note("Sending cached response")
            return found[0], list(found[1]), found[2]
        response = await self._integrate(call, integration)
        if 200 <= response[0] < 300:
            self.cache.put(key, policy.ttl, (response[0], list(response[1]), response[2]))
        return response

    async def _authorize(self, call: Call) -> None:
        kind = call.method.get("authorizationType", "NONE")
        if kind == "CUSTOM":
            authorizer = call.deployed.authorizers.get(call.method.get("authorizerId") or "")
            if authorizer is None:
                raise internal_error()
            await self.authorizers.authorize(call, authorizer)
        elif kind == "AWS_IAM":
            # Signatures are not verified (as for the rest of cloudlet), but a request
            # must carry one.
            signed = call.request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256")
            if not signed and "X-Amz-Signature=" not in call.request.query_string:
                raise missing_token()
        elif kind == "COGNITO_USER_POOLS":
            authorizer = call.deployed.authorizers.get(call.method.get("authorizerId") or "")
            if authorizer is None:
                raise internal_error()
            self.authorizers.cognito(call, authorizer)

    def _check_api_key(self, call: Call) -> None:
        if not call.method.get("apiKeyRequired"):
            return
        deployed = call.deployed
        if deployed.api_key_source == "AUTHORIZER":
            value = call.usage_key
        else:
            value = call.header("x-api-key")
        if value:
            key_id = keys.key_allows(
                self.store,
                deployed.account,
                deployed.region,
                value,
                call.request.api_id,
                call.stage_name,
            )
            if key_id is not None:
                if call.trace is not None:
                    call.note(f"API Key {key_id} authorized for a usage plan of {call.stage_name}")
                call.api_key, call.api_key_id = value, key_id
                return
        raise forbidden("INVALID_API_KEY")

    def _validate(self, call: Call) -> None:
        """The method's request validator: required parameters, the body's model."""
        validator = call.deployed.validators.get(call.method.get("requestValidatorId") or "")
        if validator is None:
            return
        if validator.get("validateRequestParameters"):
            missing = [
                name.rpartition(".")[2]
                for name, required in (call.method.get("requestParameters") or {}).items()
                if required and not _present(call, name)
            ]
            if missing:
                raise message(
                    400,
                    f"Missing required request parameters: [{', '.join(missing)}]",
                    "BadRequestException",
                    "BAD_REQUEST_PARAMETERS",
                )
        if validator.get("validateRequestBody"):
            models = call.method.get("requestModels") or {}
            content_type = call.request.headers.get("content-type") or "application/json"
            media = content_type.split(";", 1)[0].strip().lower()
            name = models.get(media) or models.get("$default")
            if name and not call.deployed.schemas.body_is_valid(name, call.request.body):
                raise message(
                    400, "Invalid request body", "BadRequestException", "BAD_REQUEST_BODY"
                )

    # -- integrations ------------------------------------------------------------------

    def context(self, call: Call) -> RequestContext:
        return RequestContext(
            request_id=call.request.request_id,
            account_id=call.deployed.account,
            region=call.deployed.region,
            base_url=self.cloud.endpoint_url,
            host="",
            path="/",
        )

    async def invoke(
        self, call: Call, uri: str, payload: bytes, timeout_ms: int, kind: str = "RequestResponse"
    ) -> tuple[bytes, str | None]:
        """Run the Lambda function an integration or authorizer URI names; (payload,
        function error). Raises Failure: 500 when it cannot be invoked, 504 on time-out.
        `kind` "Event" queues the invocation (Lambda's asynchronous invoke)."""
        found = _FUNCTION.search(substitute_stage_variables(uri, call.stage_variables))
        if found is None:
            raise internal_error()
        request = {"FunctionName": found.group(1), "Payload": payload, "InvocationType": kind}
        if call.trace is not None:  # the texts cost: built only for a logged call
            call.note(f"Endpoint request URI: {uri}")
            call.note_data(f"Endpoint request body after transformations: {_text(payload)}")
        started = time.monotonic()
        # The invocation runs on when the integration times out (as the function does on
        # AWS): shielded, it is never cancelled half way through the Lambda pool.
        task = asyncio.get_running_loop().create_task(
            self.cloud.call(self.context(call), "lambda", "Invoke", request)
        )
        if not await settled(task, timeout_ms / 1000):
            task.add_done_callback(_ignore_result)
            raise timed_out()
        try:
            result = task.result()
        except ServiceError as error:
            log.warning(
                "API %s: invoking %s failed: %s %s",
                call.request.api_id,
                found.group(1),
                error.code,
                error.message,
            )
            raise internal_error() from None
        answer: bytes = result.get("Payload") or b""
        if call.trace is not None:
            call.note(
                f"Received response. Status: {result.get('StatusCode')}, Integration latency: "
                f"{int((time.monotonic() - started) * 1000)} ms"
            )
            call.note_data(f"Endpoint response body before transformations: {_text(answer)}")
        return answer, result.get("FunctionError")

    @staticmethod
    def _binary_answer(call: Call) -> bool:
        """Whether a binary (base64) answer is sent as bytes: the request's first Accept
        type must be one of the API's binaryMediaTypes."""
        accept = call.request.headers.get("accept", "").split(",", 1)[0]
        return media_type_matches(accept, call.deployed.binary_types)

    async def _lambda_proxy(self, call: Call, integration: Doc) -> Response:
        payload, error = await self.invoke(
            call,
            integration.get("uri") or "",
            proxy.event(call),
            integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS),
        )
        if error is not None:
            raise bad_gateway()
        try:
            return proxy.response(payload, self._binary_answer(call))
        except proxy.Malformed as why:
            log.info("API %s: malformed Lambda proxy response (%s)", call.request.api_id, why)
            raise bad_gateway() from None


# Response headers an integration may not set: the length and framing are the server's
# (dropped); the others API Gateway renames to x-amzn-Remapped-<name>, as AWS documents.
_DROPPED = frozenset({b"content-length"})
_REMAPPED = frozenset(
    {
        b"authorization", b"connection", b"content-md5", b"date", b"expect", b"host",
        b"max-forwards", b"proxy-authenticate", b"server", b"te", b"transfer-encoding",
        b"trailer", b"upgrade", b"user-agent", b"via", b"warn", b"www-authenticate",
    }
)  # fmt: skip


def _remapped(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if name.lower() in _REMAPPED:
        return b"x-amzn-Remapped-" + name, value
    return name, value


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _ignore_result(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _present(call: Call, parameter: str) -> bool:
    """Whether `method.request.{where}.{name}` has a value in the call."""
    where, _, name = parameter[len("method.request.") :].partition(".")
    if where == "path":
        return bool(call.path_params.get(name))
    if where in ("querystring", "multivaluequerystring"):
        return name in call.query
    if where in ("header", "multivalueheader"):
        return call.header(name) is not None
    return True


def _log_levels(stage: Doc) -> dict[str, tuple[str, bool]]:
    levels = {}
    for key, setting in (stage.get("methodSettings") or {}).items():
        level = str(setting.get("loggingLevel", "OFF")).upper()
        if level in ("INFO", "ERROR"):
            levels[key] = (level, bool(setting.get("dataTraceEnabled")))
    return levels


def compile_deployment(api: Doc, stage: Doc, deployment: Doc) -> Deployed:
    """A deployment (its `_snapshot`) compiled for serving on `stage`."""
    snapshot = deployment["_snapshot"]
    return Deployed(
        cache_policies=cache.policies(stage),
        log_levels=_log_levels(stage),
        api=api,
        stage=stage,
        deployment=deployment,
        routes=RouteTable(snapshot["resources"]),
        authorizers=snapshot["authorizers"],
        binary_types=snapshot["binaryMediaTypes"],
        api_key_source=snapshot["apiKeySource"],
        gateway_responses=snapshot.get("gatewayResponses") or {},
        validators=snapshot.get("validators") or {},
        schemas=Schemas(api["id"], snapshot.get("models") or {}),
        account=snapshot["account"],
        region=snapshot["region"],
    )
