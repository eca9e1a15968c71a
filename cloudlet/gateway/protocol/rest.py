"""What rest-json and rest-xml share: routing by method and URI template, and the
members that live outside the body (uri, querystring, header, headers, statusCode).

A `RestRouter` compiles every operation's `requestUri` (`/2015-03-31/functions/
{FunctionName}/invocations`, `/{Bucket}/{Key+}?uploads`) once; a request matches the
most specific template: the most literal characters, then the fewest greedy labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

from cloudlet.gateway.protocol._values import parse_timestamp, violation
from cloudlet.gateway.protocol.model import OperationModel, ServiceModel

_LABEL = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    query_literals: tuple[tuple[str, str | None], ...]
    operation: OperationModel
    rank: tuple[int, int]


class RestRouter:
    def __init__(self, model: ServiceModel) -> None:
        routes = [self._compile(op) for op in model.operations.values() if op.http]
        self._routes = sorted(routes, key=lambda r: r.rank, reverse=True)

    @staticmethod
    def _compile(op: OperationModel) -> _Route:
        uri = op.http["requestUri"]
        path, _, query = uri.partition("?")
        regex, pos, literal, greedy = "", 0, 0, 0
        for match in _LABEL.finditer(path):
            regex += re.escape(path[pos : match.start()])
            literal += match.start() - pos
            name = re.sub(r"\W", "_", match.group(1))
            if match.group(2):
                greedy += 1
                regex += f"(?P<{name}>.+)"
            elif "arn" in name.lower() and match.end() == len(path):
                # A final ARN label (tag operations): clients percent-encode the ARN's
                # "/" (API Gateway's `arn:aws:apigateway:...::/apis/id`), and the path
                # arrives decoded.
                regex += f"(?P<{name}>.+)"
            else:
                regex += f"(?P<{name}>[^/]+)"
            pos = match.end()
        regex += re.escape(path[pos:])
        literal += len(path) - pos
        literals = []
        for part in filter(None, query.split("&")):
            key, eq, value = part.partition("=")
            literals.append((key, value if eq else None))
        pattern = re.compile(f"^{regex.rstrip('/') or ''}/?$")
        rank = (literal + 10 * len(literals), -greedy)
        return _Route(op.http["method"], pattern, tuple(literals), op, rank)

    def match(
        self, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[OperationModel, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found is None:
                continue
            if any(
                key not in query or (value is not None and value not in query[key])
                for key, value in route.query_literals
            ):
                continue
            return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def _from_text(model: ServiceModel, shape_name: str, raw: str, path: str) -> Any:
    kind = model.shapes[shape_name]["type"]
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "timestamp":
            try:
                return parse_timestamp(raw)
            except ValueError:
                return parsedate_to_datetime(raw).timestamp()
    except (ValueError, TypeError):
        raise violation(model, "type", path, f"{raw!r} is not a valid {kind}") from None
    return raw


def parse_located(
    model: ServiceModel,
    op: OperationModel,
    labels: dict[str, str],
    query: dict[str, list[str]],
    headers: dict[str, str],
) -> dict[str, Any]:
    """The input members bound to the URI, query string and headers."""
    if op.input_shape is None:
        return {}
    out: dict[str, Any] = {}
    for name, ref in model.shapes[op.input_shape].get("members", {}).items():
        location = ref.get("location")
        wire = ref.get("locationName", name)
        if location == "uri":
            key = re.sub(r"\W", "_", wire)
            if key in labels:
                out[name] = _from_text(model, ref["shape"], labels[key], name)
        elif location == "querystring":
            shape = model.shapes[ref["shape"]]
            if shape["type"] == "list" and wire in query:
                member = shape["member"]["shape"]
                out[name] = [_from_text(model, member, v, name) for v in query[wire]]
            elif shape["type"] == "map":
                out[name] = {k: v[-1] for k, v in query.items()}
            elif wire in query:
                out[name] = _from_text(model, ref["shape"], query[wire][-1], name)
        elif location == "header":
            value = headers.get(wire.lower())
            if value is not None:
                out[name] = _from_text(model, ref["shape"], value, name)
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                out[name] = found
    return out


def _header_text(model: ServiceModel, shape_name: str, value: Any) -> str:
    kind = model.shapes[shape_name]["type"]
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        if not isinstance(value, datetime):
            value = datetime.fromtimestamp(float(value), UTC)
        return format_datetime(value, usegmt=True)
    return str(value)


def serialize_located(
    model: ServiceModel, op: OperationModel, output: dict[str, Any]
) -> tuple[int | None, list[tuple[bytes, bytes]], dict[str, Any]]:
    """Split an output into (status override, headers, members left for the body)."""
    if op.output_shape is None:
        return None, [], {}
    status = None
    headers: list[tuple[bytes, bytes]] = []
    rest: dict[str, Any] = {}
    members = model.shapes[op.output_shape].get("members", {})
    for name, value in output.items():
        ref = members.get(name)
        if value is None or ref is None:
            continue
        location = ref.get("location")
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            text = _header_text(model, ref["shape"], value)
            headers.append(
                (ref.get("locationName", name).encode(), text.encode("latin-1", "replace"))
            )
        elif location == "headers":
            prefix = ref.get("locationName", "")
            headers += [(f"{prefix}{k}".encode(), str(v).encode()) for k, v in value.items()]
        else:
            rest[name] = value
    return status, headers, rest
