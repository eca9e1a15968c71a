"""One call to a deployed REST API, as the stages of its handling see it: the deployed
stage it reached, the matched resource and method, and the request's parameters in
the shapes API Gateway exposes them (single and multi-value headers and query strings,
path parameters, `$context`)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload
from urllib.parse import parse_qsl

from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.services.apigateway.models import Schemas
from cloudlet.services.apigateway.routes import RouteTable

Doc = dict[str, Any]
T = TypeVar("T")


class lazy(Generic[T]):
    """functools.cached_property without its per-access lock (Python 3.11 takes one):
    computed on first access, then a plain instance attribute."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> lazy[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> T | lazy[T]:
        if obj is None:
            return self
        value = self.compute(obj)
        obj.__dict__[self.name] = value
        return value


_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Deployed:
    """A stage's deployment, compiled; valid while the stage and deployment documents
    are the ones it was built from (`current`)."""

    api: Doc
    stage: Doc
    deployment: Doc
    routes: RouteTable
    authorizers: dict[str, Doc]
    binary_types: list[str]
    api_key_source: str
    gateway_responses: dict[str, Doc]
    """The customised gateway responses by type."""
    validators: dict[str, Doc]
    schemas: Schemas
    account: str
    region: str
    cache_policies: dict[str, Any] = field(default_factory=dict)
    """methodSettings with caching (`cache.Policy`), when the stage's cache is on."""
    log_levels: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """methodSettings with logging: `{path}/{METHOD}` or `*/*` -> (level, data trace)."""
    canary: Deployed | None = None
    """The stage's canary release, served to `canary_percent` % of the calls."""
    canary_percent: float = 0.0

    def setting(self, settings: dict[str, Any], resource_path: str, http_method: str) -> Any:
        """The method's entry of per-method settings, else the `*/*` one."""
        key = resource_path.replace("~", "~0").replace("/", "~1") + "/" + http_method
        return settings.get(key) or settings.get("*/*")

    def log_level(self, resource_path: str, http_method: str) -> tuple[str, bool] | None:
        """The execution logging of a method (INFO or ERROR, data trace), if any."""
        if not self.log_levels:
            return None
        key = resource_path.replace("~", "~0").replace("/", "~1") + "/" + http_method
        return self.log_levels.get(key) or self.log_levels.get("*/*")

    @property
    def variables(self) -> dict[str, str]:
        variables: dict[str, str] = self.stage.get("variables") or {}
        return variables


def substitute_stage_variables(text: str, variables: dict[str, str]) -> str:
    """`${stageVariables.name}` in an integration's URI, replaced by the stage's value."""
    if "${" not in text:
        return text
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def request_time(started: float) -> str:
    """`$context.requestTime`: 09/Apr/2015:12:34:56 +0000."""
    stamp = time.gmtime(started)
    return (
        f"{stamp.tm_mday:02d}/{_MONTHS[stamp.tm_mon - 1]}/{stamp.tm_year}:"
        f"{stamp.tm_hour:02d}:{stamp.tm_min:02d}:{stamp.tm_sec:02d} +0000"
    )


def media_type_matches(content_type: str, patterns: list[str]) -> bool:
    """Whether a Content-Type (or Accept) value is one of `patterns` (`image/*`, `*/*`)."""
    if not patterns or not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    major = kind.split("/", 1)[0]
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern in (kind, "*/*") or pattern == f"{major}/*":
            return True
    return False


@dataclass
class Call:
    request: ApiRequest
    deployed: Deployed
    stage_name: str
    path: str
    """The resource path of the request as sent (after the stage), e.g. "/auth/signup"."""
    resource: Doc
    method: Doc
    path_params: dict[str, str]
    apigw_id: str
    started: float = field(default_factory=time.time)
    authorizer: dict[str, Any] | None = None
    principal_id: str | None = None
    grant: Any = None
    """The Lambda authorizer's answer (`authorize.Grant`), once it ran."""
    usage_key: str | None = None
    """The API key an authorizer named (`usageIdentifierKey`), for apiKeySource AUTHORIZER."""
    api_key: str | None = None
    api_key_id: str | None = None
    forwarded: bool = True
    """Whether API Gateway's X-Forwarded-* headers are added (not for test invocations)."""
    trace: list[str] | None = None
    """Execution log lines, when the method's logging level asks for them."""
    data_trace: bool = False
    """Whether the execution log has bodies and headers (`dataTraceEnabled`)."""

    def note(self, text: str) -> None:
        """A line of the execution log (nothing when the call is not logged)."""
        if self.trace is not None:
            self.trace.append(f"({self.request.request_id}) {text}")

    def note_data(self, text: str) -> None:
        """A line with request or response data, logged only with dataTraceEnabled."""
        if self.trace is not None and self.data_trace:
            self.trace.append(f"({self.request.request_id}) {text[:1024]}")

    @property
    def stage_variables(self) -> dict[str, str]:
        return self.deployed.variables

    @lazy
    def header_list(self) -> list[tuple[str, str]]:
        """The request's headers with those API Gateway adds: X-Forwarded-For (the
        caller's address appended), X-Forwarded-Port, X-Forwarded-Proto and
        X-Amzn-Trace-Id (not for test invocations, as on AWS)."""
        if not self.forwarded:
            return self.request.header_list
        items, chain, lower = [], [], set()
        for name, value in self.request.header_list:
            key = name.lower()
            if key == "x-forwarded-for":
                chain.append(value)
                continue
            lower.add(key)
            items.append((name, value))
        items.append(("X-Forwarded-For", ", ".join([*chain, self.request.source_ip])))
        if "x-forwarded-port" not in lower:
            port = self.request.host.rpartition(":")[2] if ":" in self.request.host else "80"
            items.append(("X-Forwarded-Port", port if port.isdigit() else "80"))
        if "x-forwarded-proto" not in lower:
            items.append(("X-Forwarded-Proto", "http"))
        if "x-amzn-trace-id" not in lower:
            trace = f"Root=1-{int(self.started):08x}-{secrets.token_hex(12)}"
            items.append(("X-Amzn-Trace-Id", trace))
        return items

    @lazy
    def headers(self) -> dict[str, str]:
        """Header names as sent; a repeated header keeps its last value (as AWS)."""
        return {name: value for name, value in self.header_list}

    @lazy
    def multi_headers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in self.header_list:
            out.setdefault(name, []).append(value)
        return out

    def multi_headers_ci(self, name: str) -> list[str]:
        lower = name.lower()
        return [value for key, value in self.header_list if key.lower() == lower]

    @lazy
    def _pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.request.query_string, keep_blank_values=True)

    @lazy
    def query(self) -> dict[str, str]:
        return dict(self._pairs)

    @lazy
    def multi_query(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in self._pairs:
            out.setdefault(name, []).append(value)
        return out

    @lazy
    def binary(self) -> bool:
        return media_type_matches(
            self.request.headers.get("content-type", ""), self.deployed.binary_types
        )

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name (its last value)."""
        found = None
        lower = name.lower()
        for key, value in self.header_list:
            if key.lower() == lower:
                found = value
        return found

    @property
    def domain_name(self) -> str:
        return (
            self.request.host.rsplit(":", 1)[0]
            if "]" not in self.request.host
            else self.request.host
        )

    def request_context(self) -> dict[str, Any]:
        """`requestContext` of the proxy event; also `$context` for templates."""
        request = self.request
        started = self.started
        request_time_text = request_time(started)
        domain = self.domain_name
        context: dict[str, Any] = {
            "resourceId": self.resource["id"],
            "resourcePath": self.resource["path"],
            "httpMethod": request.method,
            "extendedRequestId": self.apigw_id,
            "requestTime": request_time_text,
            "path": f"/{self.stage_name}{self.path}",
            "accountId": self.deployed.account,
            "protocol": "HTTP/1.1",
            "stage": self.stage_name,
            "domainPrefix": domain.split(".", 1)[0],
            "requestTimeEpoch": int(started * 1000),
            "requestId": request.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.headers.get("user-agent"),
                "user": None,
                "apiKey": self.api_key,
                "apiKeyId": self.api_key_id,
            },
            "domainName": domain,
            "deploymentId": self.deployed.deployment["id"],
            "apiId": request.api_id,
        }
        if self.authorizer is not None:
            context["authorizer"] = self.authorizer
        return context
