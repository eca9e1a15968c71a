"""API Gateway's template variables: `$input`, `$util`, and the overridable `$context`."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from cloudlet.services.apigateway.vtl.errors import InvalidJsonBodyError, TemplateError
from cloudlet.services.apigateway.vtl.jsonpath import MISSING, compile_path
from cloudlet.services.apigateway.vtl.runtime import NoSuchMethod, VtlObject, to_text


class HeaderMap(dict[str, Any]):
    """Request headers: iterated as received, looked up regardless of case."""

    def __init__(self, headers: dict[str, Any]) -> None:
        super().__init__(headers)
        self._lower = {name.lower(): value for name, value in headers.items()}

    def get(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        if isinstance(key, str):
            return self._lower.get(key.lower(), default)
        return default

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        return isinstance(key, str) and key.lower() in self._lower

    def __getitem__(self, key: Any) -> Any:
        if key in self:
            return self.get(key)
        raise KeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        if isinstance(key, str):
            self._lower[key.lower()] = value


class InputVariable(VtlObject):
    """`$input`: the payload (`body`, `json(path)`, `path(path)`) and `params()`.

    The payload is the method request's body in a request template and the
    integration's response body in a response template. An empty payload is `{}` to
    the JSONPath functions; a definite path that matches nothing gives `""` from
    `json()` and `path()` (a JSON null is `null` / null)."""

    __slots__ = ("body", "params", "_document")

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self.params = {
            "path": dict(params.get("path") or {}),
            "querystring": dict(params.get("querystring") or {}),
            "header": HeaderMap(dict(params.get("header") or {})),
        }
        self._document: Any = MISSING

    def document(self) -> Any:
        if self._document is MISSING:
            if not self.body.strip():
                self._document = {}
            else:
                try:
                    self._document = json.loads(self.body)
                except ValueError as error:
                    raise InvalidJsonBodyError(
                        f"Could not parse request body into json: {error}"
                    ) from None
        return self._document

    def select(self, path: Any) -> Any:
        if not isinstance(path, str):
            raise NoSuchMethod("String parameter")
        return compile_path(path).evaluate(self.document())

    def vtl_property(self, name: str) -> Any:
        return self.body if name == "body" else None

    def vtl_call(self, name: str, args: list[Any]) -> Any:
        if name == "json" and len(args) == 1:
            found = self.select(args[0])
            return (
                '""'
                if found is MISSING
                else json.dumps(found, ensure_ascii=False, separators=(",", ":"))
            )
        if name == "path" and len(args) == 1:
            found = self.select(args[0])
            # a copy of what matched: the template may change it, the payload stays
            return "" if found is MISSING else _copy(found)
        if name == "params" and not args:
            return self.params
        if name == "params" and len(args) == 1:
            return self.param(args[0])
        if name == "getBody" and not args:
            return self.body
        raise NoSuchMethod(name)

    def param(self, name: Any) -> str:
        """A parameter by name from the path, then the query string, then the headers."""
        if not isinstance(name, str):
            return ""
        for kind in ("path", "querystring", "header"):
            value = self.params[kind].get(name)
            if value is not None:
                return to_text(value)
        return ""


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def escape_javascript(text: str) -> str:
    """Commons Lang's StringEscapeUtils.escapeJavaScript, as API Gateway applies it:
    quotes, backslash and `/` get a backslash, control characters their short escape or
    \\u00XX, everything beyond ASCII \\uXXXX (UTF-16 units, upper-case hex)."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if 32 <= code < 0x7F:
            out.append(_JS_ESCAPES.get(char, char))
        elif code < 32:
            out.append(_JS_CONTROL.get(char) or f"\\u{code:04X}")
        elif code > 0xFFFF:
            encoded = char.encode("utf-16-be", "surrogatepass")
            out.append(f"\\u{encoded.hex()[:4].upper()}\\u{encoded.hex()[4:].upper()}")
        else:
            out.append(f"\\u{code:04X}")
    return "".join(out)


_JS_ESCAPES = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/"}
_JS_CONTROL = {"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}
_URL_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def url_encode(text: str) -> str:
    """java.net.URLEncoder.encode(text, "UTF-8"): `+` for space, `%XX` for the rest."""
    out: list[str] = []
    for byte in text.encode("utf-8", "replace"):
        if byte in _URL_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def url_decode(text: str) -> str:
    """java.net.URLDecoder.decode(text, "UTF-8"); a bad `%` escape is an error."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "+":
            out.append(0x20)
            index += 1
        elif char == "%":
            digits = text[index + 1 : index + 3]
            if len(digits) < 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise TemplateError(
                    f"URLDecoder: Illegal hex characters in escape (%) pattern: {digits!r}"
                )
            out.append(int(digits, 16))
            index += 3
        else:
            out.extend(char.encode("utf-8", "replace"))
            index += 1
    return out.decode("utf-8", "replace")


def base64_decode(text: str) -> str:
    compact = "".join(text.split())
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise TemplateError(f"Illegal base64 input: {text[:40]!r}") from None
    return raw.decode("utf-8", "replace")


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise TemplateError(f"$util.parseJson: invalid JSON: {error}") from None


class UtilVariable(VtlObject):
    """`$util`: escapeJavaScript, parseJson, urlEncode/Decode, base64Encode/Decode."""

    FUNCTIONS = {
        "escapeJavaScript": escape_javascript,
        "parseJson": parse_json,
        "urlEncode": url_encode,
        "urlDecode": url_decode,
        "base64Encode": lambda text: base64.b64encode(text.encode("utf-8", "replace")).decode(),
        "base64Decode": base64_decode,
    }

    def vtl_call(self, name: str, args: list[Any]) -> Any:
        function = self.FUNCTIONS.get(name)
        if function is None or len(args) != 1 or args[0] is None:
            raise NoSuchMethod(name)
        value = args[0]
        return function(value if isinstance(value, str) else to_text(value))


UTIL = UtilVariable()


@dataclass
class Overrides:
    """What a template set in `$context.requestOverride` / `$context.responseOverride`.

    `status` is the response status override (None when not set, or not a status
    code); the dicts hold header, path and query string overrides as strings."""

    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    request_headers: dict[str, str] = field(default_factory=dict)
    request_path: dict[str, str] = field(default_factory=dict)
    request_querystring: dict[str, str] = field(default_factory=dict)


class OverrideMap(dict[str, Any]):
    """An override map: "Overrides are final ... Trying to override the same parameter
    multiple times will result in 5XX responses" (API Gateway developer guide)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            raise TemplateError(f"The override of {key!r} was set more than once")
        super().__setitem__(key, value)


def prepare_context(context: dict[str, Any]) -> dict[str, Any]:
    """A copy of `context` the template may change, with empty override maps."""
    prepared: dict[str, Any] = _copy(context)
    prepared["requestOverride"] = {
        "header": OverrideMap(),
        "path": OverrideMap(),
        "querystring": OverrideMap(),
    }
    response = OverrideMap()
    dict.__setitem__(response, "header", OverrideMap())
    prepared["responseOverride"] = response
    return prepared


def read_overrides(context: Any) -> Overrides:
    overrides = Overrides()
    if not isinstance(context, dict):
        return overrides
    response = context.get("responseOverride")
    if isinstance(response, dict):
        overrides.status = _status(response.get("status"))
        overrides.response_headers = _strings(response.get("header"))
    request = context.get("requestOverride")
    if isinstance(request, dict):
        overrides.request_headers = _strings(request.get("header"))
        overrides.request_path = _strings(request.get("path"))
        overrides.request_querystring = _strings(request.get("querystring"))
    return overrides


def _status(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    text = to_text(value).strip()
    if text.isdigit() and 100 <= int(text) <= 599:
        return int(text)
    return None


def _strings(values: Any) -> dict[str, str]:
    if not isinstance(values, dict):
        return {}
    return {to_text(k): to_text(v) for k, v in values.items() if v is not None}
