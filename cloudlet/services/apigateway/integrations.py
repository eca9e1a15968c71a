"""The non-Lambda-proxy integrations: MOCK, HTTP, HTTP_PROXY and AWS.

Request side: the integration's requestParameters map the method request onto the
integration request (`integration.request.header.X = method.request.querystring.y`,
`'static'`, `stageVariables.v`, `context.v`); for HTTP, MOCK and AWS a request template
chosen by Content-Type rewrites the body, and passthroughBehavior decides what happens
without one (415 when the template set does not allow passing the body through).
Response side (HTTP, MOCK, AWS): the integration response whose selectionPattern
matches the backend's status code (or, for a Lambda function, its error message), else
the default one, maps status, headers (responseParameters) and body (a response
template chosen by Accept).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import orjson

from cloudlet import httpclient
from cloudlet.gateway.protocol.model import load_service_model
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.apigateway import vtl
from cloudlet.services.apigateway.failures import (
    bad_gateway,
    internal_error,
    message,
    timed_out,
)
from cloudlet.services.apigateway.methods import DEFAULT_TIMEOUT_MS
from cloudlet.services.apigateway.request import (
    Call,
    media_type_matches,
    substitute_stage_variables,
)
from cloudlet.services.apigateway.vtl.jsonpath import MISSING, compile_path

if TYPE_CHECKING:
    from cloudlet.services.apigateway.execute import Runtime

Doc = dict[str, Any]
Headers = list[tuple[bytes, bytes]]
_HOP = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "transfer-encoding",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-connection",
    }
)
_AWS_URI = re.compile(r"^arn:aws[a-zA-Z-]*:apigateway:([^:]*):([a-zA-Z0-9.-]+):(path|action)/(.+)$")
_LAMBDA_PATH = re.compile(r"^2015-03-31/functions/(.+)/invocations$")
# The services whose ARN name differs from botocore's.
_BOTOCORE_NAMES = {
    "states": "stepfunctions",
    "monitoring": "cloudwatch",
    "email": "ses",
    "execute-api": "apigateway",
}


# -- values named by mapping expressions --------------------------------------------------------


def _body_path(body: bytes, path: str) -> str | None:
    try:
        document = orjson.loads(body)
        found = compile_path(path).evaluate(document)
    except (orjson.JSONDecodeError, vtl.TemplateError):
        return None
    if found is MISSING or found is None:
        return None
    return found if isinstance(found, str) else orjson.dumps(found).decode()


def request_value(call: Call, source: str) -> str | None:
    """The value of `method.request.*`, `'static'`, `stageVariables.*` or `context.*`."""
    if len(source) >= 2 and source[0] == "'" and source[-1] == "'":
        return source[1:-1]
    if source.startswith("method.request."):
        where, _, name = source[len("method.request.") :].partition(".")
        if where == "path":
            return call.path_params.get(name)
        if where == "querystring":
            return call.query.get(name)
        if where == "multivaluequerystring":
            items = call.multi_query.get(name)
            return ",".join(items) if items else None
        if where == "header":
            return call.header(name)
        if where == "multivalueheader":
            return ",".join(call.multi_headers_ci(name)) or None
        if where == "body":
            if not name:
                return call.request.body.decode("utf-8", "replace")
            return _body_path(call.request.body, name)
        return None
    if source.startswith("stageVariables."):
        return call.stage_variables.get(source[len("stageVariables.") :])
    if source.startswith("context."):
        value: Any = _template_context(call)
        for part in source[len("context.") :].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def _mapped(call: Call, integration: Doc) -> dict[str, dict[str, str]]:
    """integration.request.{path,querystring,header}.* from requestParameters."""
    out: dict[str, dict[str, str]] = {"path": {}, "querystring": {}, "header": {}}
    for target, source in (integration.get("requestParameters") or {}).items():
        where, _, name = target[len("integration.request.") :].partition(".")
        where = {"multivaluequerystring": "querystring", "multivalueheader": "header"}.get(
            where, where
        )
        value = request_value(call, source)
        if value is not None and where in out:
            out[where][name] = value
    return out


def _template_context(call: Call) -> dict[str, Any]:
    context = call.request_context()
    context.setdefault("authorizer", {})
    return context


def _params(call: Call) -> dict[str, dict[str, str]]:
    return {"path": call.path_params, "querystring": call.query, "header": call.headers}


# -- the request ----------------------------------------------------------------------------------


def _request_body(call: Call, integration: Doc) -> tuple[bytes, str | None, vtl.Overrides | None]:
    """(body, content type, template overrides) after the request template; 415 when
    passthroughBehavior forbids passing an unmapped body."""
    content_type = call.request.headers.get("content-type") or "application/json"
    media = content_type.split(";", 1)[0].strip().lower()
    templates = integration.get("requestTemplates") or {}
    template = next((t for ct, t in templates.items() if ct.lower() == media), None)
    body = _convert(call.request.body, integration.get("contentHandling"), call.binary)
    if template is None:
        behaviour = integration.get("passthroughBehavior", "WHEN_NO_MATCH")
        if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
            raise message(
                415,
                "Unsupported Media Type",
                "UnsupportedMediaTypeException",
                "UNSUPPORTED_MEDIA_TYPE",
            )
        return body, call.request.headers.get("content-type"), None
    if not template:
        return b"", content_type, None
    text, overrides = _render(call, template, body)
    if call.trace is not None:
        call.note_data(f"Endpoint request body after transformations: {text}")
    return text.encode(), content_type, overrides


def _convert(body: bytes, handling: str | None, binary: bool) -> bytes:
    """contentHandling: CONVERT_TO_TEXT base64-encodes a binary payload,
    CONVERT_TO_BINARY decodes a text payload from base64; unset passes it through."""
    if handling == "CONVERT_TO_TEXT" and binary:
        return base64.b64encode(body)
    if handling == "CONVERT_TO_BINARY" and not binary:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise internal_error() from None
    return body


def _render(
    call: Call, template: str, body: bytes, request_side: bool = True
) -> tuple[str, vtl.Overrides]:
    try:
        return vtl.render_with_overrides(
            template,
            body=body.decode("utf-8", "replace"),
            params=_params(call),
            context=_template_context(call),
            stage_variables=call.stage_variables,
        )
    except vtl.InvalidJsonBodyError as error:
        if not request_side:  # the backend's body: API Gateway's own fault to the caller
            raise internal_error() from None
        raise message(400, error.message, "BadRequestException", "BAD_REQUEST_BODY") from None
    except vtl.TemplateError:
        raise internal_error() from None


# -- the response ---------------------------------------------------------------------------------


def _select(integration: Doc, outcome: str | None) -> Doc | None:
    """The integration response whose selectionPattern matches `outcome` (a status code
    or a Lambda error message; None for a function that succeeded), else the default
    one (no pattern)."""
    responses: list[Doc] = list((integration.get("integrationResponses") or {}).values())
    default: Doc | None = None
    for response in responses:
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
        elif outcome is not None and re.fullmatch(pattern, outcome, re.DOTALL) is not None:
            return response
    return default


def _response_value(
    call: Call, source: str, headers: list[tuple[str, str]], body: bytes
) -> str | None:
    if source.startswith("integration.response.header."):
        name = source[len("integration.response.header.") :].lower()
        found = [v for k, v in headers if k.lower() == name]
        return found[-1] if found else None
    if source.startswith("integration.response.multivalueheader."):
        name = source[len("integration.response.multivalueheader.") :].lower()
        return ",".join(v for k, v in headers if k.lower() == name) or None
    if source == "integration.response.body":
        return body.decode("utf-8", "replace")
    if source.startswith("integration.response.body."):
        return _body_path(body, source[len("integration.response.body.") :])
    return request_value(call, source)


def respond(
    call: Call, integration: Doc, outcome: str | None, headers: list[tuple[str, str]], body: bytes
) -> Response:
    """The method response for a backend answer (status/`outcome`, headers, body)."""
    chosen = _select(integration, outcome)
    if chosen is None:  # AWS: "No match for output mapping and no default output mapping"
        call.note(
            "Execution failed due to configuration error: No match for output mapping and no "
            "default output mapping configured."
        )
        raise internal_error()
    status = int(chosen["statusCode"])
    out: Headers = []
    for target, source in (chosen.get("responseParameters") or {}).items():
        if not target.startswith("method.response.header."):
            continue
        value = _response_value(call, source, headers, body)
        if value is not None:
            out.append(header(target[len("method.response.header.") :], value))
    handling = chosen.get("contentHandling")
    if handling == "CONVERT_TO_BINARY":
        body = _convert(body, handling, binary=False)
    elif handling == "CONVERT_TO_TEXT":
        body = _convert(body, handling, binary=True)
    templates = chosen.get("responseTemplates") or {}
    content_type = "application/json"
    if templates and handling != "CONVERT_TO_BINARY":  # binary bodies are not templated
        accept = call.request.headers.get("accept", "")
        wanted = next((ct for ct in templates if media_type_matches(accept, [ct])), None)
        content_type = wanted or (
            "application/json" if "application/json" in templates else next(iter(templates))
        )
        template = templates[content_type]
        if template:
            text, overrides = _render(call, template, body, request_side=False)
            body = text.encode()
            if overrides.status is not None:
                status = overrides.status
            out += [header(k, v) for k, v in overrides.response_headers.items()]
    if not any(name.lower() == b"content-type" for name, _ in out):
        out.append((b"content-type", content_type.encode()))
    if call.trace is not None:
        call.note_data(f"Method response body after transformations: {_text(body)}")
        shown = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in out]
        call.note_data(f"Method response headers: {shown}")
    return status, out, body


def header(name: str, value: str) -> tuple[bytes, bytes]:
    """A response header from mapped values: line breaks, which would split the
    response, become spaces."""
    name = name.strip().replace("\r", "").replace("\n", "")
    value = value.replace("\r", " ").replace("\n", " ")
    return name.encode("latin-1", "replace"), value.encode("latin-1", "replace")


# -- running each type ---------------------------------------------------------------------------


async def run(runtime: Runtime, call: Call, integration: Doc) -> Response:
    kind = integration["type"]
    if kind == "HTTP_PROXY":
        return await _http_proxy(call, integration)
    body, content_type, overrides = _request_body(call, integration)
    if kind == "MOCK":
        return _mock(call, integration, body)
    mapped = _mapped(call, integration)
    if overrides is not None:
        mapped["header"].update(overrides.request_headers)
        mapped["path"].update(overrides.request_path)
        mapped["querystring"].update(overrides.request_querystring)
    if content_type and not any(k.lower() == "content-type" for k in mapped["header"]):
        mapped["header"]["Content-Type"] = content_type
    if kind == "HTTP":
        return await _http(call, integration, body, mapped)
    return await _aws(runtime, call, integration, body, mapped)


def _mock(call: Call, integration: Doc, body: bytes) -> Response:
    """A MOCK integration answers with the integration response the request template's
    `statusCode` selects (200 without one)."""
    call.note("Mock integration")
    status = "200"
    try:
        value = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        raise internal_error() from None
    if isinstance(value, dict) and "statusCode" in value:
        status = str(value["statusCode"])
    return respond(call, integration, status, [], b"")


def _url(
    call: Call, integration: Doc, path_values: dict[str, str], query: list[tuple[str, str]]
) -> str:
    url = substitute_stage_variables(integration["uri"], call.stage_variables)

    def fill(found: re.Match[str]) -> str:
        # Slashes stay: a greedy {proxy+} value mapped into the URI is a sub-path.
        name = found.group(1)
        value = path_values.get(name, call.path_params.get(name.rstrip("+"), ""))
        return quote(value, safe="/")

    url = re.sub(r"\{([A-Za-z0-9._-]+\+?)\}", fill, url)
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return url


async def _exchange(
    call: Call,
    integration: Doc,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> tuple[int, list[tuple[str, str]], bytes]:
    timeout = integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS) / 1000
    if call.trace is not None:
        call.note(f"Endpoint request URI: {url}")
        call.note_data(f"Endpoint request headers: {dict(headers)}")
        call.note_data(f"Endpoint request body after transformations: {_text(body)}")
        call.note(f"Sending request to {url}")
    started = time.monotonic()
    try:
        answer = await httpclient.request(method, url, headers, body, timeout=timeout)
    except TimeoutError:
        raise timed_out() from None
    except httpclient.HttpError as error:
        call.note(f"Execution failed due to a network error: {error}")
        raise bad_gateway() from None
    _note_received(call, answer[0], started, answer[2])
    return answer


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _note_received(call: Call, status: int, started: float, body: bytes) -> None:
    if call.trace is None:
        return
    latency = int((time.monotonic() - started) * 1000)
    call.note(f"Received response. Status: {status}, Integration latency: {latency} ms")
    call.note_data(f"Endpoint response body before transformations: {_text(body)}")


async def _http_proxy(call: Call, integration: Doc) -> Response:
    mapped = _mapped(call, integration)
    query = [(k, v) for k, values in call.multi_query.items() for v in values]
    query = [(k, v) for k, v in query if k not in mapped["querystring"]]
    query += list(mapped["querystring"].items())
    headers = [(k, v) for k, v in call.header_list if k.lower() not in _HOP]
    replaced = {k.lower() for k in mapped["header"]}
    headers = [(k, v) for k, v in headers if k.lower() not in replaced]
    headers += list(mapped["header"].items())
    method = integration.get("httpMethod") or call.request.method
    if method == "ANY":
        method = call.request.method
    url = _url(call, integration, mapped["path"], query)
    status, answer, body = await _exchange(
        call, integration, method, url, headers, call.request.body
    )
    return (
        status,
        [(k.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in answer],
        body,
    )


async def _http(
    call: Call, integration: Doc, body: bytes, mapped: dict[str, dict[str, str]]
) -> Response:
    method = integration.get("httpMethod") or call.request.method
    if method == "ANY":
        method = call.request.method
    url = _url(call, integration, mapped["path"], list(mapped["querystring"].items()))
    status, headers, answer = await _exchange(
        call, integration, method, url, list(mapped["header"].items()), body
    )
    return respond(call, integration, str(status), headers, answer)


async def _aws(
    runtime: Runtime,
    call: Call,
    integration: Doc,
    body: bytes,
    mapped: dict[str, dict[str, str]],
) -> Response:
    uri = substitute_stage_variables(integration.get("uri") or "", call.stage_variables)
    found = _AWS_URI.match(uri)
    if found is None:
        raise internal_error()
    region, service, form, rest = found.groups()
    region = region or call.deployed.region
    service = service.rsplit(".", 1)[-1]  # "{subdomain}.{service}"
    lambda_path = _LAMBDA_PATH.match(rest) if service == "lambda" and form == "path" else None
    if lambda_path is not None:
        return await _lambda(runtime, call, integration, uri, body, mapped["header"])
    name = _BOTOCORE_NAMES.get(service, service)
    try:
        metadata = load_service_model(name).metadata
    except Exception:
        raise internal_error() from None
    headers = dict(mapped["header"])
    query = list(mapped["querystring"].items())
    path = "/"
    if form == "action":
        protocol = metadata.get("protocol", "")
        # Services that still speak the query protocol (SQS: awsQueryCompatible) get it,
        # as API Gateway sends them `Action=...`.
        if protocol == "json" and "awsQueryCompatible" not in metadata:
            headers["X-Amz-Target"] = f"{metadata['targetPrefix']}.{rest}"
            version = metadata.get("jsonVersion", "1.0")
            headers["Content-Type"] = f"application/x-amz-json-{version}"
        else:
            query.insert(0, ("Action", rest))
    else:
        path = "/" + rest
        for key, value in mapped["path"].items():
            path = path.replace("{" + key + "}", quote(value, safe=""))
    signing = metadata.get("signingName") or metadata.get("endpointPrefix") or name
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={call.deployed.account}/20200101/{region}/{signing}/"
        "aws4_request, SignedHeaders=host, Signature=0"
    )
    method = integration.get("httpMethod") or "POST"
    if call.trace is not None:
        call.note(f"Endpoint request URI: {uri} ({method} {path})")
        call.note_data(f"Endpoint request body after transformations: {_text(body)}")
    started = time.monotonic()
    status, raw_headers, answer = await runtime.cloud.internal_request(
        method, path, urlencode(query), headers, body
    )
    _note_received(call, status, started, answer)
    decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers]
    if any(k.lower() == "content-type" and "xml" in v for k, v in decoded):
        answer = _xml_as_json(answer)
    return respond(call, integration, str(status), decoded, answer)


def _xml_as_json(body: bytes) -> bytes:
    """A query-protocol service's XML answer in the JSON form those services give API
    Gateway (which asks for JSON): `{"SendMessageResponse": {"SendMessageResult": ...}}`."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return body

    def convert(element: ElementTree.Element) -> Any:
        children = list(element)
        if not children:
            return element.text or ""
        out: dict[str, Any] = {}
        for child in children:
            name = child.tag.rpartition("}")[2]
            value = convert(child)
            if name in out:
                if not isinstance(out[name], list):
                    out[name] = [out[name]]
                out[name].append(value)
            else:
                out[name] = value
        return out

    return orjson.dumps({root.tag.rpartition("}")[2]: convert(root)})


async def _lambda(
    runtime: Runtime,
    call: Call,
    integration: Doc,
    uri: str,
    body: bytes,
    headers: dict[str, str],
) -> Response:
    """A Lambda function behind a (non-proxy) AWS integration: its result is the
    integration response body; an error's errorMessage selects the response. The mapped
    header `X-Amz-Invocation-Type: 'Event'` invokes it asynchronously (an empty body)."""
    kind = next((v for k, v in headers.items() if k.lower() == "x-amz-invocation-type"), "")
    if kind not in ("Event", "DryRun"):
        kind = "RequestResponse"
    payload, error = await runtime.invoke(
        call, uri, body or b"{}", integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS), kind
    )
    if error is None:
        return respond(call, integration, None, [], payload)
    try:
        text = orjson.loads(payload).get("errorMessage") or ""
    except (orjson.JSONDecodeError, AttributeError):
        text = ""
    return respond(call, integration, str(text), [], payload)
