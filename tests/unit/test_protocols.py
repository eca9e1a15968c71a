"""Round trips through botocore: botocore serializes a request and our parser must
recover the parameters; our serializer writes a response and botocore's parser must
recover the output. No server involved."""

from __future__ import annotations

import base64
import copy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.protocol.adapters import ADAPTERS
from cloudlet.gateway.protocol.model import load_service_model
from cloudlet.gateway.protocol.wire import RawRequest
from cloudlet.services.sqs import SqsService


def _boto_op(service: str, operation: str, protocol: str, overlay: Any = None) -> Any:
    """botocore's operation model built from our (overlaid) model, speaking `protocol`:
    SQS's query form exists only with the overlay's member names."""
    from botocore.model import ServiceModel as BotoModel

    model = load_service_model(service, overlay)
    op = model.operations[operation]
    spec: dict[str, Any] = {"name": operation, "http": op.http}
    if op.input_shape:
        spec["input"] = {"shape": op.input_shape}
    if op.output_shape:
        spec["output"] = {"shape": op.output_shape, "resultWrapper": f"{operation}Result"}
    raw_model = {
        "metadata": {**model.metadata, "protocol": protocol},
        "shapes": copy.deepcopy(model.shapes),
        "operations": {operation: spec},
    }
    return BotoModel(raw_model).operation_model(operation)


def _botocore_request(
    service: str, operation: str, params: dict[str, Any], protocol: str, overlay: Any = None
) -> RawRequest:
    op_model = _boto_op(service, operation, protocol, overlay)
    request = create_serializer(protocol).serialize_to_request(params, op_model)
    url = urlsplit(request["url_path"])
    query = {
        k: v if isinstance(v, list) else [str(v)]
        for k, v in (request["query_string"] or {}).items()
    }
    query.update(parse_qs(url.query, keep_blank_values=True))
    body = request["body"]
    if isinstance(body, dict):  # query protocol: botocore leaves the form as a dict
        params_flat = {k: str(v) for k, v in body.items()}
        body = b""
    else:
        params_flat = {}
    headers = {k.lower(): v for k, v in request["headers"].items()}
    raw = RawRequest(request["method"], url.path, query, headers, body or b"", "rid")
    raw.params = params_flat
    return raw


def _parse(
    service: str, operation: str, params: dict[str, Any], protocol: str, overlay: Any = None
) -> dict[str, Any]:
    model = load_service_model(service, overlay)
    raw = _botocore_request(service, operation, params, protocol, overlay)
    adapter = ADAPTERS[protocol]
    assert adapter.operation(model, raw) == operation
    return adapter.parse(model, model.operations[operation], raw)


def _botocore_parse(
    service: str,
    operation: str,
    response: tuple[int, list[tuple[bytes, bytes]], bytes],
    protocol: str,
) -> dict[str, Any]:
    status, headers, body = response
    op_model = _boto_op(service, operation, protocol)
    parsed: dict[str, Any] = create_parser(protocol).parse(
        {
            "status_code": status,
            "headers": {k.decode(): v.decode() for k, v in headers},
            "body": body,
        },
        op_model.output_shape,
    )
    return parsed


def test_rest_json_invoke_request_round_trip() -> None:
    params = {
        "FunctionName": "my-fn",
        "InvocationType": "Event",
        "LogType": "Tail",
        "Qualifier": "live",
        "Payload": b'{"a": 1}',
    }
    assert _parse("lambda", "Invoke", params, "rest-json") == params


def test_rest_json_body_and_blob_members() -> None:
    params = {
        "FunctionName": "f",
        "Role": "arn:aws:iam::000000000000:role/r",
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Code": {"ZipFile": b"PK\x03\x04zip"},
        "Timeout": 3,
        "Environment": {"Variables": {"STAGE": "1"}},
        "Publish": True,
    }
    assert _parse("lambda", "CreateFunction", params, "rest-json") == params


def test_rest_json_query_string_members() -> None:
    parsed = _parse("lambda", "ListFunctions", {"MaxItems": 5, "Marker": "m"}, "rest-json")
    assert parsed == {"MaxItems": 5, "Marker": "m"}


def test_rest_json_routes_the_most_specific_template() -> None:
    assert _parse("lambda", "GetFunctionConfiguration", {"FunctionName": "f"}, "rest-json") == {
        "FunctionName": "f"
    }
    assert _parse("lambda", "GetFunction", {"FunctionName": "f"}, "rest-json") == {
        "FunctionName": "f"
    }


def test_rest_json_invoke_response_round_trip() -> None:
    model = load_service_model("lambda")
    raw = RawRequest("POST", "/", {}, {}, b"", "rid")
    output = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": base64.b64encode(b"log").decode(),
        "ExecutedVersion": "$LATEST",
        "Payload": b'{"errorMessage": "boom"}',
    }
    response = ADAPTERS["rest-json"].respond(model, model.operations["Invoke"], output, raw)
    parsed = _botocore_parse("lambda", "Invoke", response, "rest-json")
    parsed.pop("ResponseMetadata")
    payload = parsed["Payload"]
    assert (payload if isinstance(payload, bytes) else payload.encode()) == output.pop("Payload")
    parsed.pop("Payload")
    assert parsed == output


def test_rest_json_error_round_trip() -> None:
    model = load_service_model("lambda")
    raw = RawRequest("GET", "/", {}, {}, b"", "rid")
    error = ServiceError("ResourceNotFoundException", "Function not found: f")
    status = model.shapes["ResourceNotFoundException"]["error"]["httpStatusCode"]
    error.status = status
    response = ADAPTERS["rest-json"].error(model, error, None, raw)
    assert response[0] == 404
    op_model = _boto_op("lambda", "GetFunction", "rest-json")
    status, headers, body = response
    parsed = create_parser("rest-json").parse(
        {
            "status_code": status,
            "headers": {k.decode(): v.decode() for k, v in headers},
            "body": body,
        },
        op_model.output_shape,
    )
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == "Function not found: f"


SEND = {
    "QueueUrl": "http://127.0.0.1:4566/000000000000/q",
    "MessageBody": "hello",
    "DelaySeconds": 3,
    "MessageAttributes": {
        "s": {"DataType": "String", "StringValue": "v"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    },
}


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_sqs_send_message_round_trip(protocol: str) -> None:
    overlay = SqsService.query_overlay if protocol == "query" else None
    assert _parse("sqs", "SendMessage", SEND, protocol, overlay) == SEND


def test_sqs_query_batch_and_maps_round_trip() -> None:
    params = {
        "QueueUrl": "http://127.0.0.1:4566/000000000000/q",
        "Entries": [
            {"Id": "a", "MessageBody": "1", "MessageGroupId": "g"},
            {"Id": "b", "MessageBody": "2", "MessageAttributes": SEND["MessageAttributes"]},
        ],
    }
    assert _parse("sqs", "SendMessageBatch", params, "query", SqsService.query_overlay) == params
    create = {"QueueName": "q", "Attributes": {"VisibilityTimeout": "5"}, "tags": {"k": "v"}}
    assert _parse("sqs", "CreateQueue", create, "query", SqsService.query_overlay) == create


def test_sqs_query_response_round_trip() -> None:
    model = load_service_model("sqs", SqsService.query_overlay)
    raw = RawRequest("POST", "/", {}, {}, b"", "rid")
    output = {
        "Messages": [
            {
                "MessageId": "m",
                "ReceiptHandle": "r",
                "MD5OfBody": "x",
                "Body": "line\r\nnext <&>",
                "Attributes": {"SentTimestamp": "1"},
                "MessageAttributes": SEND["MessageAttributes"],
            }
        ]
    }
    response = ADAPTERS["query"].respond(model, model.operations["ReceiveMessage"], output, raw)
    op = _boto_op("sqs", "ReceiveMessage", "query", SqsService.query_overlay)
    status, headers, body = response
    parsed = create_parser("query").parse(
        {
            "status_code": status,
            "headers": {k.decode(): v.decode() for k, v in headers},
            "body": body,
        },
        op.output_shape,
    )
    parsed.pop("ResponseMetadata")
    assert parsed == output


def test_rest_json_body_members_use_their_wire_names() -> None:
    # API Gateway v2 names body members in camelCase on the wire (locationName).
    params = {
        "Name": "my-api",
        "ProtocolType": "HTTP",
        "RouteSelectionExpression": "$request.method",
    }
    raw = _botocore_request("apigatewayv2", "CreateApi", params, "rest-json")
    assert b'"name"' in raw.body
    assert _parse("apigatewayv2", "CreateApi", params, "rest-json") == params
    model = load_service_model("apigatewayv2")
    output = {"ApiId": "abc123", "Name": "my-api", "ProtocolType": "HTTP"}
    response = ADAPTERS["rest-json"].respond(model, model.operations["CreateApi"], output, raw)
    assert b'"apiId"' in response[2]
    parsed = _botocore_parse("apigatewayv2", "CreateApi", response, "rest-json")
    parsed.pop("ResponseMetadata")
    assert parsed == output
