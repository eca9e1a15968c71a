"""Running authorizers for a call: Lambda TOKEN and REQUEST authorizers with result
caching, and Cognito user pool authorizers (token required, claims not verified).

A Lambda authorizer answers `{"principalId", "policyDocument", "context",
"usageIdentifierKey"}`; the policy is cached for `authorizerResultTtlInSeconds` under
the identity source values and evaluated against each call's method ARN, so a cached
policy that names one method denies another, exactly the behaviour AWS users meet.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.services.apigateway.authorizers import DEFAULT_TTL, sources
from cloudlet.services.apigateway.failures import (
    access_denied,
    authorizer_configuration,
    unauthorized,
)
from cloudlet.services.apigateway.request import Call

if TYPE_CHECKING:
    from cloudlet.services.apigateway.execute import Runtime

Doc = dict[str, Any]
_CACHE_LIMIT = 10_000
_AUTHORIZER_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Grant:
    principal_id: str
    statements: tuple[tuple[bool, tuple[re.Pattern[str], ...]], ...]
    """(allow?, resource patterns) for each statement about execute-api:Invoke."""
    context: dict[str, Any]
    usage_key: str | None
    policy: str = ""
    """The policy document as the function returned it (JSON), for TestInvokeAuthorizer."""


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grant(payload: bytes) -> Grant:
    """The authorizer's answer, or AuthorizerConfigurationException (500)."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise authorizer_configuration() from None
    if not isinstance(value, dict) or not isinstance(value.get("policyDocument"), dict):
        raise authorizer_configuration()
    principal = value.get("principalId")
    if principal is None or isinstance(principal, (dict, list)):
        raise authorizer_configuration()
    statements = []
    for statement in _as_list(value["policyDocument"].get("Statement") or []):
        if not isinstance(statement, dict):
            raise authorizer_configuration()
        actions = [str(a) for a in _as_list(statement.get("Action") or [])]
        if not any(_glob(a).fullmatch("execute-api:Invoke") for a in actions):
            continue
        effect = str(statement.get("Effect", "")).lower()
        resources = tuple(_glob(str(r)) for r in _as_list(statement.get("Resource") or []))
        statements.append((effect == "allow", resources))
    context: dict[str, Any] = {}
    for key, item in (value.get("context") or {}).items():
        if isinstance(item, (dict, list)):
            raise authorizer_configuration()  # AWS accepts only strings, numbers and booleans
        context[key] = ("true" if item else "false") if isinstance(item, bool) else str(item)
    usage = value.get("usageIdentifierKey")
    return Grant(
        str(principal),
        tuple(statements),
        context,
        str(usage) if usage else None,
        orjson.dumps(value["policyDocument"]).decode(),
    )


def _method_arn(call: Call) -> str:
    deployed = call.deployed
    return (
        f"arn:aws:execute-api:{deployed.region}:{deployed.account}:{call.request.api_id}/"
        f"{call.stage_name}/{call.request.method}{call.path}"
    )


class Authorizers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._cache: dict[tuple[str, ...], tuple[float, Grant]] = {}
        self.invocations = 0

    def clear(self) -> None:
        self._cache.clear()

    def flush(self, api_id: str, stage: str) -> None:
        """FlushStageAuthorizersCache."""
        for key in [k for k in self._cache if k[0] == api_id and k[1] == stage]:
            del self._cache[key]

    async def authorize(self, call: Call, authorizer: Doc, cache: bool = True) -> Grant:
        """Set the call's authorizer context, or raise the Failure AWS answers.
        `cache` False: neither use nor keep a cached answer (TestInvokeAuthorizer)."""
        method_arn = _method_arn(call)
        if authorizer["type"] == "TOKEN":
            header = sources(authorizer)[0].rsplit(".", 1)[1]
            token = call.header(header)
            if not token:
                raise unauthorized()
            expression = authorizer.get("identityValidationExpression")
            if expression and re.fullmatch(expression, token) is None:
                raise unauthorized()
            identity: tuple[str, ...] = (token,)
            event: dict[str, Any] = {
                "type": "TOKEN",
                "authorizationToken": token,
                "methodArn": method_arn,
            }
        else:
            identity = self._request_identity(call, authorizer)
            event = self._request_event(call, method_arn)
        ttl = authorizer.get("authorizerResultTtlInSeconds", DEFAULT_TTL) if cache else 0
        key = (call.request.api_id, call.stage_name, authorizer["id"], *identity)
        grant = self._cached(key) if ttl and identity else None
        started = time.monotonic()
        if call.trace is not None:
            call.note(f"Starting authorizer: {authorizer['id']}")
            if grant is not None:
                call.note(f"Using valid authorizer policy for methodArn: {method_arn}")
        if grant is None:
            grant = await self._invoke(call, authorizer, event)
            if ttl and identity:
                self._remember(key, time.monotonic() + ttl, grant)
        latency = int((time.monotonic() - started) * 1000)
        call.grant = grant
        if call.trace is not None:
            call.note(f"Authorizer principal: {grant.principal_id}, policy: {grant.policy}")
        allowed = False
        for allow, patterns in grant.statements:
            if any(p.fullmatch(method_arn) for p in patterns):
                if not allow:
                    raise access_denied(explicit=True)
                allowed = True
        if not allowed:
            raise access_denied(explicit=False)
        call.principal_id = grant.principal_id
        call.authorizer = {
            **grant.context,
            "principalId": grant.principal_id,
            "integrationLatency": latency,
        }
        if grant.usage_key:
            call.usage_key = grant.usage_key
        return grant

    def _request_identity(self, call: Call, authorizer: Doc) -> tuple[str, ...]:
        """The values of a REQUEST authorizer's identity sources; a missing one is 401."""
        values = []
        for source in sources(authorizer):
            value: str | None
            if source.startswith("method.request.header."):
                value = call.header(source[len("method.request.header.") :])
            elif source.startswith("method.request.multivalueheader."):
                found = call.multi_headers_ci(source[len("method.request.multivalueheader.") :])
                value = ",".join(found) if found else None
            elif source.startswith("method.request.querystring."):
                value = call.query.get(source[len("method.request.querystring.") :])
            elif source.startswith("method.request.multivaluequerystring."):
                items = call.multi_query.get(source[len("method.request.multivaluequerystring.") :])
                value = ",".join(items) if items else None
            elif source.startswith("stageVariables."):
                value = call.stage_variables.get(source[len("stageVariables.") :])
            else:  # context.<name>
                value = _context_value(call.request_context(), source[len("context.") :])
            if not value:
                raise unauthorized()
            values.append(value)
        return tuple(values)

    @staticmethod
    def _request_event(call: Call, method_arn: str) -> dict[str, Any]:
        return {
            "type": "REQUEST",
            "methodArn": method_arn,
            "resource": call.resource["path"],
            "path": call.path,
            "httpMethod": call.request.method,
            "headers": call.headers,
            "multiValueHeaders": call.multi_headers,
            "queryStringParameters": call.query,
            "multiValueQueryStringParameters": call.multi_query,
            "pathParameters": call.path_params,
            "stageVariables": call.stage_variables,
            "requestContext": call.request_context(),
        }

    async def _invoke(self, call: Call, authorizer: Doc, event: dict[str, Any]) -> Grant:
        self.invocations += 1
        payload, error = await self.runtime.invoke(
            call,
            authorizer.get("authorizerUri") or "",
            orjson.dumps(event),
            _AUTHORIZER_TIMEOUT_MS,
        )
        if error is not None:
            try:
                text = orjson.loads(payload).get("errorMessage")
            except (orjson.JSONDecodeError, AttributeError):
                text = None
            if text == "Unauthorized":  # the documented way for a function to say 401
                raise unauthorized()
            raise authorizer_configuration()
        return _grant(payload)

    def _cached(self, key: tuple[str, ...]) -> Grant | None:
        found = self._cache.get(key)
        if found is None:
            return None
        expires, grant = found
        if expires <= time.monotonic():
            del self._cache[key]
            return None
        return grant

    def _remember(self, key: tuple[str, ...], expires: float, grant: Grant) -> None:
        if len(self._cache) >= _CACHE_LIMIT:
            moment = time.monotonic()
            for old in [k for k, (e, _) in self._cache.items() if e <= moment]:
                del self._cache[old]
            while len(self._cache) >= _CACHE_LIMIT:
                del self._cache[next(iter(self._cache))]
        self._cache[key] = (expires, grant)

    def cognito(self, call: Call, authorizer: Doc) -> None:
        """A Cognito user pool token must be present and be a JWT; cloudlet has no user
        pools to verify it against, so its claims are passed on unverified."""
        names = sources(authorizer) or ["method.request.header.Authorization"]
        token = call.header(names[0].rsplit(".", 1)[1])
        if not token:
            raise unauthorized()
        token = token.removeprefix("Bearer ").strip()
        parts = token.split(".")
        try:
            if len(parts) != 3:
                raise ValueError(token)
            padded = parts[1] + "=" * (-len(parts[1]) % 4)
            claims = orjson.loads(base64.urlsafe_b64decode(padded))
            if not isinstance(claims, dict):
                raise ValueError(token)
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            raise unauthorized() from None
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp < time.time():
            raise unauthorized()
        call.authorizer = {"claims": {k: str(v) for k, v in claims.items()}}
        call.principal_id = str(claims.get("sub", ""))


def _context_value(context: dict[str, Any], dotted: str) -> str | None:
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return None if value is None else str(value)
