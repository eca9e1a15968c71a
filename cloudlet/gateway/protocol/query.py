"""The `query` protocol: form-encoded `Action=...&Name.1.Key=...` in, XML out.

Member names, list and map layouts follow botocore's query serializer exactly: a
member's `locationName` renames it; flattened lists and maps drop the `.member` /
`.entry` level; map entries use the key/value `locationName`s.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.protocol._values import check, parse_timestamp, violation
from cloudlet.gateway.protocol.model import OperationModel, ServiceModel, Shape

CONTENT_TYPE = "text/xml"


# -- parsing ---------------------------------------------------------------------------


class _Params:
    """The flat parameters plus every dotted prefix, so presence checks are O(1)."""

    def __init__(self, flat: dict[str, str]) -> None:
        self.flat = flat
        self.prefixes: set[str] = set()
        for key in flat:
            parts = key.split(".")
            for i in range(1, len(parts) + 1):
                self.prefixes.add(".".join(parts[:i]))


def parse_request(
    model: ServiceModel, op: OperationModel, params: dict[str, str]
) -> dict[str, Any]:
    if op.input_shape is None:
        return {}
    shape = model.shapes[op.input_shape]
    value = _parse_structure(model, shape, _Params(params), "") or {}
    out: dict[str, Any] = check(model, shape, value, "")
    return out


def _member_prefix(ref: dict[str, Any], name: str, prefix: str) -> str:
    local = ref.get("locationName", name)
    return f"{prefix}.{local}" if prefix else local


def _parse(model: ServiceModel, ref: dict[str, Any], params: _Params, prefix: str) -> Any:
    shape = model.shapes[ref["shape"]]
    kind = shape["type"]
    if kind == "structure":
        return _parse_structure(model, shape, params, prefix)
    if kind == "list":
        return _parse_list(model, ref, shape, params, prefix)
    if kind == "map":
        return _parse_map(model, ref, shape, params, prefix)
    raw = params.flat.get(prefix)
    return None if raw is None else _scalar(model, kind, raw, prefix)


def _parse_structure(
    model: ServiceModel, shape: Shape, params: _Params, prefix: str
) -> dict[str, Any] | None:
    if prefix and prefix not in params.prefixes:
        return None
    out = {}
    for name, ref in shape.get("members", {}).items():
        value = _parse(model, ref, params, _member_prefix(ref, name, prefix))
        if value is not None:
            out[name] = value
    return out


def _flattened(ref: dict[str, Any], shape: Shape) -> bool:
    return bool(ref.get("flattened") or shape.get("flattened"))


def _parse_list(
    model: ServiceModel, ref: dict[str, Any], shape: Shape, params: _Params, prefix: str
) -> list[Any] | None:
    member = shape["member"]
    if _flattened(ref, shape):
        base = prefix
        if "locationName" in member:
            base = ".".join(prefix.split(".")[:-1] + [member["locationName"]])
    else:
        base = f"{prefix}.{member.get('locationName', 'member')}"
    if base not in params.prefixes:
        return [] if params.flat.get(prefix) == "" else None
    items = []
    i = 1
    while f"{base}.{i}" in params.prefixes:
        items.append(_parse(model, member, params, f"{base}.{i}"))
        i += 1
    return items


def _parse_map(
    model: ServiceModel, ref: dict[str, Any], shape: Shape, params: _Params, prefix: str
) -> dict[str, Any] | None:
    base = prefix if _flattened(ref, shape) else f"{prefix}.entry"
    if base not in params.prefixes:
        return None
    key_name = shape["key"].get("locationName", "key")
    value_name = shape["value"].get("locationName", "value")
    out = {}
    i = 1
    while f"{base}.{i}" in params.prefixes:
        key = params.flat.get(f"{base}.{i}.{key_name}")
        if key is None:
            raise violation(model, "missing", f"{base}.{i}.{key_name}")
        out[key] = _parse(model, shape["value"], params, f"{base}.{i}.{value_name}")
        i += 1
    return out


def _scalar(model: ServiceModel, kind: str, raw: str, path: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind in ("float", "double"):
            return float(raw)
        if kind == "blob":
            return base64.b64decode(raw, validate=True)
        if kind == "timestamp":
            return parse_timestamp(raw)
    except (ValueError, binascii.Error):
        raise violation(model, "type", path, f"{raw!r} is not a valid {kind}") from None
    return raw


# -- serializing -----------------------------------------------------------------------


def escape_text(value: str) -> str:
    """Escape character data. Carriage returns are kept as references: an XML parser
    would otherwise normalise them away."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return base64.b64encode(value).decode()
    if kind == "timestamp":
        if not isinstance(value, datetime):
            value = datetime.fromtimestamp(float(value), UTC)
        stamp: str = value.strftime("%Y-%m-%dT%H:%M:%S.")
        return stamp + f"{value.microsecond // 1000:03d}Z"
    return escape_text(str(value))


def _element(
    model: ServiceModel, ref: dict[str, Any], name: str, value: Any, out: list[str]
) -> None:
    shape = model.shapes[ref["shape"]]
    kind = shape["type"]
    if kind == "list":
        member = shape["member"]
        if _flattened(ref, shape):
            item_name = member.get("locationName", name)
            for item in value:
                _element(model, member, item_name, item, out)
        else:
            out.append(f"<{name}>")
            for item in value:
                _element(model, member, member.get("locationName", "member"), item, out)
            out.append(f"</{name}>")
        return
    if kind == "map":
        key_name = shape["key"].get("locationName", "key")
        value_name = shape["value"].get("locationName", "value")
        flat = _flattened(ref, shape)
        if not flat:
            out.append(f"<{name}>")
        for key, item in value.items():
            out.append(f"<{name}>" if flat else "<entry>")
            out.append(f"<{key_name}>{escape_text(str(key))}</{key_name}>")
            _element(model, shape["value"], value_name, item, out)
            out.append(f"</{name}>" if flat else "</entry>")
        if not flat:
            out.append(f"</{name}>")
        return
    if kind == "structure":
        out.append(f"<{name}>")
        _members(model, shape, value, out)
        out.append(f"</{name}>")
        return
    out.append(f"<{name}>{_scalar_text(kind, value)}</{name}>")


def _members(model: ServiceModel, shape: Shape, value: dict[str, Any], out: list[str]) -> None:
    for name, ref in shape.get("members", {}).items():
        item = value.get(name)
        if item is not None:
            _element(model, ref, ref.get("locationName", name), item, out)


def _namespace(model: ServiceModel) -> str:
    ns = model.metadata.get("xmlNamespace")
    return f' xmlns="{ns}"' if ns else ""


def serialize_response(
    model: ServiceModel, op: OperationModel, output: dict[str, Any], request_id: str
) -> bytes:
    out = [f'<?xml version="1.0"?><{op.name}Response{_namespace(model)}>']
    if op.output_shape is not None:
        wrapper = op.result_wrapper or f"{op.name}Result"
        out.append(f"<{wrapper}>")
        _members(model, model.shapes[op.output_shape], output, out)
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    out.append(f"</{op.name}Response>")
    return "".join(out).encode()


def serialize_error(
    model: ServiceModel, error: ServiceError, query_code: str | None, request_id: str
) -> bytes:
    kind = "Sender" if error.sender_fault else "Receiver"
    return (
        f'<?xml version="1.0"?><ErrorResponse{_namespace(model)}><Error><Type>{kind}</Type>'
        f"<Code>{escape_text(query_code or error.code)}</Code>"
        f"<Message>{escape_text(error.message)}</Message>"
        f"<Detail/></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
