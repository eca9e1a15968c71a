"""REQUEST (Lambda) authorizers of HTTP APIs: the identity sources, the authorizer's
event (payload 2.0 or 1.0), its answer (a simple response or an IAM policy), and the
cache of answers by identity for authorizerResultTtlInSeconds."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from cloudlet.services.apigatewayv2.authorizers import IDENTITY
from cloudlet.services.apigatewayv2.events import (
    Call,
    query_pairs,
    v1_context,
    v1_headers,
    v2_common,
)

Answer = dict[str, Any]


class Unauthorized(Exception):
    """401: an identity source is missing."""


class Forbidden(Exception):
    """403: the authorizer denied the request."""


class AuthorizerFailed(Exception):
    """500: the authorizer failed or answered something unusable."""


@dataclass
class Decision:
    context: dict[str, Any]
    principal_id: str | None


def identity(call: Call, sources: list[str]) -> list[str] | None:
    """The identity source values in order, None if one is missing or empty."""
    values = []
    request = call.request
    for source in sources:
        found = IDENTITY.match(source)
        if found is None:
            return None
        where, name = found.groups()
        value: Any = None
        if where == "request.header":
            value = request.headers.get(name.lower())
        elif where == "request.querystring":
            value = _query_value(request.query_string, name)
        elif where == "stageVariables":
            value = call.stage_variables.get(name)
        else:
            value = _context_value(call, name)
        if value is None or value == "":
            return None
        values.append(str(value))
    return values


def _query_value(raw: str, name: str) -> str | None:
    found = [v for k, v in query_pairs(raw) if k == name]
    return ",".join(found) if found else None


def _context_value(call: Call, name: str) -> Any:
    known = {
        "routeKey": call.route_key,
        "stage": call.stage,
        "requestId": call.request.request_id,
        "apiId": call.request.api_id,
        "accountId": call.account,
        "domainName": call.domain_name,
        "httpMethod": call.request.method,
        "path": call.raw_path,
        "identity.sourceIp": call.request.source_ip,
        "identity.userAgent": call.request.headers.get("user-agent"),
    }
    return known.get(name)


def route_arn(call: Call) -> str:
    return (
        f"arn:aws:execute-api:{call.region}:{call.account}:{call.request.api_id}/"
        f"{call.stage}/{call.request.method}{call.path}"
    )


def event(call: Call, authorizer: dict[str, Any], values: list[str]) -> dict[str, Any]:
    if authorizer.get("AuthorizerPayloadFormatVersion") == "2.0":
        common = v2_common(call)
        body = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": route_arn(call),
            "identitySource": values,
        }
        return body | {k: v for k, v in common.items() if k != "version"}
    headers, multi = v1_headers(call)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs(call.request.query_string):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    joined = ",".join(values)
    return {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": route_arn(call),
        "identitySource": joined,
        "authorizationToken": joined,
        "resource": call.route_path,
        "path": call.raw_path,
        "httpMethod": call.request.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": v1_context(call),
        "pathParameters": call.path_params,
        "stageVariables": call.stage_variables,
    }


def decide(call: Call, authorizer: dict[str, Any], answer: Any) -> Decision:
    """Allow (the context to hand on) or raise Forbidden / AuthorizerFailed."""
    if not isinstance(answer, dict):
        raise AuthorizerFailed("the authorizer's answer is not an object")
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        raise AuthorizerFailed("context is not an object")
    if authorizer.get("EnableSimpleResponses"):
        allowed = answer.get("isAuthorized")
        if not isinstance(allowed, bool):
            raise AuthorizerFailed("isAuthorized is missing")
        if not allowed:
            raise Forbidden()
        return Decision(context, None)
    policy = answer.get("policyDocument")
    if not isinstance(policy, dict):
        raise AuthorizerFailed("policyDocument is missing")
    if not _allows(policy, route_arn(call)):
        raise Forbidden()
    principal = answer.get("principalId")
    return Decision(context, principal if isinstance(principal, str) else None)


def _allows(policy: dict[str, Any], arn: str) -> bool:
    """IAM's evaluation for execute-api:Invoke: an explicit Deny wins, else any Allow."""
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise AuthorizerFailed("policyDocument.Statement is missing")
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            raise AuthorizerFailed("malformed statement")
        actions = _listed(statement.get("Action"))
        resources = _listed(statement.get("Resource"))
        if not any(_wildcard(a, "execute-api:Invoke") for a in actions):
            continue
        if not any(_wildcard(r, arn) for r in resources):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return False
        if effect == "Allow":
            allowed = True
    return allowed


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _wildcard(pattern: str, value: str) -> bool:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        compiled = re.compile(f"^{regex}$", re.IGNORECASE if ":" not in pattern else 0)
        if len(_PATTERNS) < 4096:
            _PATTERNS[pattern] = compiled
    return compiled.match(value) is not None


class AnswerCache:
    """Authorizer answers by (api, stage, authorizer, identity values) until their TTL."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str, tuple[str, ...]], tuple[float, Any]] = {}

    def get(self, key: tuple[str, str, str, tuple[str, ...]]) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: tuple[str, str, str, tuple[str, ...]], ttl: int, answer: Any) -> None:
        if len(self._entries) > 10_000:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
        self._entries[key] = (time.monotonic() + ttl, answer)

    def forget_all(self) -> None:
        self._entries = {}

    def forget(self, api_id: str, stage: str | None) -> None:
        self._entries = {
            k: v
            for k, v in self._entries.items()
            if not (k[0] == api_id and (stage is None or k[1] == stage))
        }
