"""One adapter per wire protocol, all with the same four steps, so the gateway's
pipeline does not care which protocol a request speaks:

    operation(model, raw) -> name      which operation the request calls
    parse(model, op, raw) -> dict      its input, checked against the model
    respond(model, op, output, raw)    the serialized result
    error(model, err, code, raw)       the serialized error (code: query-style, if any)
"""

from __future__ import annotations

from typing import Any, Protocol

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.protocol import json_, query, rest_json
from cloudlet.gateway.protocol.model import OperationModel, ServiceModel
from cloudlet.gateway.protocol.rest import RestRouter
from cloudlet.gateway.protocol.wire import RawRequest, Response


class Unroutable(Exception):
    """The request names no operation the service has."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Adapter(Protocol):
    name: str

    def operation(self, model: ServiceModel, raw: RawRequest) -> str: ...

    def parse(self, model: ServiceModel, op: OperationModel, raw: RawRequest) -> dict[str, Any]: ...

    def respond(
        self, model: ServiceModel, op: OperationModel, output: dict[str, Any], raw: RawRequest
    ) -> Response: ...

    def error(
        self, model: ServiceModel, error: ServiceError, code: str | None, raw: RawRequest
    ) -> Response: ...


def _rid(raw: RawRequest) -> tuple[bytes, bytes]:
    return (b"x-amzn-requestid", raw.request_id.encode())


class JsonAdapter:
    name = "json"

    def operation(self, model: ServiceModel, raw: RawRequest) -> str:
        name = raw.headers.get("x-amz-target", "").rpartition(".")[2]
        if name not in model.operations:
            raise Unroutable("UnknownOperationException", f"Unknown operation {name}")
        return name

    def parse(self, model: ServiceModel, op: OperationModel, raw: RawRequest) -> dict[str, Any]:
        return json_.parse_request(model, op, raw.body)

    @staticmethod
    def _type(model: ServiceModel) -> bytes:
        return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}".encode()

    def respond(
        self, model: ServiceModel, op: OperationModel, output: dict[str, Any], raw: RawRequest
    ) -> Response:
        body = json_.serialize_response(model, op, output)
        return 200, [(b"content-type", self._type(model)), _rid(raw)], body

    def error(
        self, model: ServiceModel, error: ServiceError, code: str | None, raw: RawRequest
    ) -> Response:
        body, extra = json_.serialize_error(model, error, code)
        headers = [(b"content-type", self._type(model)), _rid(raw)]
        headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        return error.status or 400, headers, body


class QueryAdapter:
    name = "query"

    def operation(self, model: ServiceModel, raw: RawRequest) -> str:
        action = raw.params.get("Action", "")
        if action not in model.operations:
            raise Unroutable(
                "InvalidAction", f"The action {action} is not valid for this endpoint."
            )
        return action

    def parse(self, model: ServiceModel, op: OperationModel, raw: RawRequest) -> dict[str, Any]:
        return query.parse_request(model, op, raw.params)

    def respond(
        self, model: ServiceModel, op: OperationModel, output: dict[str, Any], raw: RawRequest
    ) -> Response:
        body = query.serialize_response(model, op, output, raw.request_id)
        return 200, [(b"content-type", b"text/xml"), _rid(raw)], body

    def error(
        self, model: ServiceModel, error: ServiceError, code: str | None, raw: RawRequest
    ) -> Response:
        body = query.serialize_error(model, error, code, raw.request_id)
        return error.status or 400, [(b"content-type", b"text/xml"), _rid(raw)], body


class RestJsonAdapter:
    name = "rest-json"

    def __init__(self) -> None:
        self._routers: dict[int, RestRouter] = {}

    def operation(self, model: ServiceModel, raw: RawRequest) -> str:
        router = self._routers.get(id(model))
        if router is None:
            router = self._routers[id(model)] = RestRouter(model)
        found = router.match(raw.method, raw.path, raw.query)
        if found is None:
            raise Unroutable(
                "UnknownOperationException", f"No operation matches {raw.method} {raw.path}", 404
            )
        op, raw.labels = found
        return op.name

    def parse(self, model: ServiceModel, op: OperationModel, raw: RawRequest) -> dict[str, Any]:
        return rest_json.parse_request(model, op, raw.labels, raw.query, raw.headers, raw.body)

    def respond(
        self, model: ServiceModel, op: OperationModel, output: dict[str, Any], raw: RawRequest
    ) -> Response:
        status, headers, body = rest_json.serialize_response(model, op, output)
        return status, headers + [_rid(raw)], body

    def error(
        self, model: ServiceModel, error: ServiceError, code: str | None, raw: RawRequest
    ) -> Response:
        headers, body = rest_json.serialize_error(error)
        return error.status or 400, headers + [_rid(raw)], body


ADAPTERS: dict[str, Adapter] = {
    "json": JsonAdapter(),
    "query": QueryAdapter(),
    "rest-json": RestJsonAdapter(),
}
