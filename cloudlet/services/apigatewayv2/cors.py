"""CORS answered by the gateway, from the API's CorsConfiguration, as AWS documents for
HTTP APIs: a preflight (OPTIONS with Origin and Access-Control-Request-Method) is
answered without invoking anything; other requests with an Origin get the configured
headers on the integration's response, and CORS headers the backend sent are dropped."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.protocol.wire import Headers


def _origin_pattern(origin: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in origin.lower().split("*")) + "$")


class Cors:
    def __init__(self, config: dict[str, Any]) -> None:
        origins = config.get("AllowOrigins") or []
        self.any_origin = "*" in origins
        self.origins = [_origin_pattern(o) for o in origins if o != "*"]
        methods = [m.upper() for m in config.get("AllowMethods") or []]
        self.any_method = "*" in methods
        self.methods = set(methods)
        self.methods_header = ",".join(methods).encode()
        headers = [h.lower() for h in config.get("AllowHeaders") or []]
        self.any_header = "*" in headers
        self.headers_header = ",".join(headers).encode()
        self.expose = ",".join(config.get("ExposeHeaders") or []).encode()
        max_age = config.get("MaxAge")
        self.max_age = None if max_age is None or max_age < 0 else str(max_age).encode()
        self.credentials = bool(config.get("AllowCredentials"))

    def allowed_origin(self, origin: str) -> bytes | None:
        if self.any_origin:
            return b"*"
        lowered = origin.lower()
        if any(p.match(lowered) for p in self.origins):
            return origin.encode("latin-1", "replace")
        return None

    def preflight(self, headers: dict[str, str]) -> tuple[int, Headers, bytes]:
        out: Headers = []
        allowed = self.allowed_origin(headers.get("origin", ""))
        method = headers.get("access-control-request-method", "").upper()
        if allowed is not None and (self.any_method or method in self.methods):
            out.append((b"access-control-allow-origin", allowed))
            out.append((b"access-control-allow-methods", self.methods_header))
            requested = headers.get("access-control-request-headers")
            if self.any_header and requested:
                out.append(
                    (b"access-control-allow-headers", requested.encode("latin-1", "replace"))
                )
            elif self.headers_header:
                out.append((b"access-control-allow-headers", self.headers_header))
            if self.max_age is not None:
                out.append((b"access-control-max-age", self.max_age))
            if self.credentials:
                out.append((b"access-control-allow-credentials", b"true"))
            if self.expose:
                out.append((b"access-control-expose-headers", self.expose))
        return 204, out, b""

    def decorate(self, origin: str | None, headers: Headers) -> Headers:
        kept = [(n, v) for n, v in headers if not n.lower().startswith(b"access-control-")]
        if origin is None:
            return kept
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return kept
        kept.append((b"access-control-allow-origin", allowed))
        if self.credentials:
            kept.append((b"access-control-allow-credentials", b"true"))
        if self.expose:
            kept.append((b"access-control-expose-headers", self.expose))
        return kept
