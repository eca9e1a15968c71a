"""MOCK (and CORS preflights with it), HTTP_PROXY and HTTP to a local server, AWS service
integrations (SQS SendMessage with a mapping template, Lambda without proxy), and the
request and response mapping around them."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import make_client
from test_apigateway_support import ACCOUNT, REGION, Builder, call, lambda_uri

# -- a backend for HTTP integrations --------------------------------------------------------------


class _Backend(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/b64"):
            payload = base64.b64encode(bytes([0, 1, 254, 255]))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2].split("?")[0])
        else:
            status = 200
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _integration(api: Builder, path: str, http_method: str, **integration: Any) -> str:
    resource = api.method(path, http_method)
    api.apigw.put_integration(
        restApiId=api.api_id, resourceId=resource, httpMethod=http_method, **integration
    )
    return resource


def _responses(api: Builder, path: str, http_method: str, status: str, **response: Any) -> None:
    key = {"restApiId": api.api_id, "resourceId": api.paths[path], "httpMethod": http_method}
    params = {
        name.replace("method.response.header.", "method.response.header."): False
        for name in response.get("responseParameters", {})
    }
    api.apigw.put_method_response(**key, statusCode=status, responseParameters=params)
    api.apigw.put_integration_response(**key, statusCode=status, **response)


# -- MOCK and CORS --------------------------------------------------------------------------------


def test_cors_preflight_through_an_options_mock(endpoint: str) -> None:
    api = Builder(endpoint, "cors")
    api.proxy("/items", api.function("def handler(e, c):\n    return {'statusCode': 200}\n"), "GET")
    _integration(
        api,
        "/items",
        "OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    _responses(
        api,
        "/items",
        "OPTIONS",
        "200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Origin": "'*'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
            "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
        },
        responseTemplates={"application/json": ""},
    )
    api.deploy("prod")
    reply = call(
        api.url("prod", "/items"),
        "OPTIONS",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
    )
    assert reply.status == 200
    assert reply.header("Access-Control-Allow-Origin") == "*"
    assert reply.header("Access-Control-Allow-Methods") == "GET,OPTIONS"
    assert reply.header("Access-Control-Allow-Headers") == "Content-Type,Authorization"
    assert reply.body == b""


def test_mock_selects_the_response_by_status_code(endpoint: str) -> None:
    api = Builder(endpoint, "mock")
    template = '#if($input.params("fail") == "yes"){"statusCode": 500}#else{"statusCode": 200}#end'
    _integration(api, "/m", "GET", type="MOCK", requestTemplates={"application/json": template})
    _responses(
        api,
        "/m",
        "GET",
        "200",
        responseTemplates={
            "application/json": '{"ok": true, "stage": "$context.stage", '
            '"who": "$input.params(\'who\')", "var": "$stageVariables.color"}'
        },
    )
    _responses(
        api,
        "/m",
        "GET",
        "500",
        selectionPattern="5\\d{2}",
        responseParameters={"method.response.header.X-Failed": "'true'"},
        responseTemplates={"application/json": '{"ok": false}'},
    )
    api.deploy("dev", variables={"color": "green"})
    ok = call(api.url("dev", "/m?who=ann"))
    assert ok.status == 200
    assert ok.json() == {"ok": True, "stage": "dev", "who": "ann", "var": "green"}
    assert ok.header("content-type") == "application/json"
    failed = call(api.url("dev", "/m?fail=yes"))
    assert (failed.status, failed.json()) == (500, {"ok": False})
    assert failed.header("X-Failed") == "true"


def test_passthrough_behavior(endpoint: str) -> None:
    api = Builder(endpoint, "passthrough")
    for path, behaviour in (("/never", "NEVER"), ("/templates", "WHEN_NO_TEMPLATES")):
        _integration(
            api,
            path,
            "POST",
            type="MOCK",
            passthroughBehavior=behaviour,
            requestTemplates={"application/json": '{"statusCode": 200}'},
        )
        _responses(api, path, "POST", "200", responseTemplates={"application/json": "{}"})
    api.deploy("s")
    for path in ("/never", "/templates"):
        refused = call(api.url("s", path), "POST", b"x", {"Content-Type": "text/plain"})
        assert (refused.status, refused.json()) == (415, {"message": "Unsupported Media Type"})
        accepted = call(api.url("s", path), "POST", b"{}", {"Content-Type": "application/json"})
        assert accepted.status == 200


def test_no_integration_response_is_a_500(endpoint: str) -> None:
    api = Builder(endpoint, "no-responses")
    _integration(api, "/x", "GET", type="MOCK", requestTemplates={"application/json": "{}"})
    api.deploy("s")
    reply = call(api.url("s", "/x"))
    assert (reply.status, reply.json()) == (500, {"message": "Internal server error"})


# -- HTTP -----------------------------------------------------------------------------------------


def test_http_proxy_forwards_everything(endpoint: str, backend: str) -> None:
    api = Builder(endpoint, "http-proxy")
    resource = api.method(
        "/svc/{proxy+}", "ANY", requestParameters={"method.request.path.proxy": True}
    )
    api.apigw.put_integration(
        restApiId=api.api_id,
        resourceId=resource,
        httpMethod="ANY",
        type="HTTP_PROXY",
        integrationHttpMethod="ANY",
        uri=f"{backend}/{{proxy}}",
        requestParameters={"integration.request.path.proxy": "method.request.path.proxy"},
    )
    api.deploy("p")
    reply = call(api.url("p", "/svc/a/b?x=1&x=2"), "PUT", b"payload", {"X-Custom": "c"})
    assert reply.status == 200
    assert reply.header("X-Backend") == "yes"
    seen = reply.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/a/b?x=1&x=2"
    assert seen["headers"]["x-custom"] == "c"
    assert seen["body"] == "payload"
    assert call(api.url("p", "/svc/status/418")).status == 418


def test_http_integration_with_mapping(endpoint: str, backend: str) -> None:
    api = Builder(endpoint, "http")
    resource = api.method(
        "/users/{id}",
        "POST",
        requestParameters={
            "method.request.path.id": True,
            "method.request.header.X-Tenant": False,
        },
    )
    api.apigw.put_integration(
        restApiId=api.api_id,
        resourceId=resource,
        httpMethod="POST",
        type="HTTP",
        integrationHttpMethod="POST",
        uri=f"{backend}/backend/{{userId}}",
        requestParameters={
            "integration.request.path.userId": "method.request.path.id",
            "integration.request.querystring.tenant": "method.request.header.X-Tenant",
            "integration.request.header.X-Static": "'fixed'",
        },
        requestTemplates={"application/json": '{"wrapped": $input.json("$")}'},
    )
    _responses(
        api,
        "/users/{id}",
        "POST",
        "200",
        responseParameters={
            "method.response.header.X-From": "integration.response.header.X-Backend"
        },
        responseTemplates={"application/json": '{"saw": $input.json("$.body")}'},
    )
    _responses(api, "/users/{id}", "POST", "404", selectionPattern="404")
    api.deploy("s")
    reply = call(
        api.url("s", "/users/7"),
        "POST",
        b'{"name": "ann"}',
        {"Content-Type": "application/json", "X-Tenant": "acme"},
    )
    assert reply.status == 200, reply.body
    assert reply.header("X-From") == "yes"
    assert json.loads(reply.json()["saw"]) == {"wrapped": {"name": "ann"}}


# -- AWS service integrations ---------------------------------------------------------------------


def test_sqs_send_message_with_a_mapping_template(endpoint: str) -> None:
    sqs = make_client("sqs", endpoint)
    queue_url = sqs.create_queue(QueueName="apigw-orders")["QueueUrl"]
    api = Builder(endpoint, "to-sqs")
    _integration(
        api,
        "/orders",
        "POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/apigw-orders",
        requestParameters={
            "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
        },
        requestTemplates={
            "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
        },
    )
    _responses(
        api,
        "/orders",
        "POST",
        "200",
        responseTemplates={
            "application/json": '{"queued": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}'
        },
    )
    api.deploy("prod")
    order = b'{"order": 42, "note": "a&b=c"}'
    reply = call(api.url("prod", "/orders"), "POST", order, {"Content-Type": "application/json"})
    assert reply.status == 200, reply.body
    message_id = reply.json()["queued"]
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    assert received[0]["Body"] == order.decode()
    assert received[0]["MessageId"] == message_id


def test_lambda_without_proxy_and_error_selection(endpoint: str) -> None:
    api = Builder(endpoint, "lambda-aws")
    fn = api.function(
        "def handler(event, context):\n"
        "    if event.get('fail'):\n"
        "        raise ValueError('Bad request: ' + event['fail'])\n"
        "    return {'sum': event['a'] + event['b']}\n"
    )
    _integration(
        api,
        "/add",
        "POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=lambda_uri(fn),
    )
    _responses(api, "/add", "POST", "200")
    _responses(
        api,
        "/add",
        "POST",
        "400",
        selectionPattern="Bad request: .*",
        responseTemplates={"application/json": '{"error": $input.json("$.errorMessage")}'},
    )
    api.deploy("s")
    ok = call(
        api.url("s", "/add"), "POST", b'{"a": 2, "b": 3}', {"Content-Type": "application/json"}
    )
    assert (ok.status, ok.json()) == (200, {"sum": 5})
    bad = call(api.url("s", "/add"), "POST", b'{"fail": "x"}', {"Content-Type": "application/json"})
    assert (bad.status, bad.json()) == (400, {"error": "Bad request: x"})


def test_content_handling_converts_binary_and_text(endpoint: str, backend: str) -> None:
    api = Builder(endpoint, "content-handling")
    api.apigw.update_rest_api(
        restApiId=api.api_id,
        patchOperations=[{"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"}],
    )
    _integration(
        api,
        "/upload",
        "POST",
        type="HTTP",
        integrationHttpMethod="POST",
        uri=f"{backend}/echo",
        contentHandling="CONVERT_TO_TEXT",
    )
    _responses(api, "/upload", "POST", "200")
    _integration(
        api, "/download", "GET", type="HTTP", integrationHttpMethod="GET", uri=f"{backend}/b64"
    )
    _responses(api, "/download", "GET", "200", contentHandling="CONVERT_TO_BINARY")
    api.deploy("s")
    data = bytes([0, 1, 2, 253, 254, 255])
    sent = call(api.url("s", "/upload"), "POST", data, {"Content-Type": "application/octet-stream"})
    assert sent.status == 200, sent.body
    assert base64.b64decode(sent.json()["body"]) == data
    got = call(api.url("s", "/download"))
    assert (got.status, got.body) == (200, bytes([0, 1, 254, 255]))


def test_query_services_through_the_action_form(endpoint: str) -> None:
    sqs = make_client("sqs", endpoint)
    sns = make_client("sns", endpoint)
    queue_url = sqs.create_queue(QueueName="apigw-action")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic = sns.create_topic(Name="apigw-topic")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    api = Builder(endpoint, "actions")
    _integration(
        api,
        "/send",
        "POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:sqs:action/SendMessage",
        requestParameters={
            "integration.request.querystring.QueueUrl": f"'{queue_url}'",
            "integration.request.querystring.MessageBody": "method.request.body",
        },
    )
    _responses(api, "/send", "POST", "200")
    _integration(
        api,
        "/publish",
        "POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:sns:action/Publish",
        requestParameters={
            "integration.request.querystring.TopicArn": f"'{topic}'",
            "integration.request.querystring.Message": "method.request.body",
        },
    )
    _responses(
        api,
        "/publish",
        "POST",
        "200",
        responseTemplates={
            "application/json": '{"id": "$input.path(\'$.PublishResponse.PublishResult.MessageId\')"}'
        },
    )
    api.deploy("s")
    sent = call(api.url("s", "/send"), "POST", b"direct", {"Content-Type": "text/plain"})
    assert sent.status == 200, sent.body
    published = call(api.url("s", "/publish"), "POST", b"fanned", {"Content-Type": "text/plain"})
    assert published.status == 200, published.body
    assert published.json()["id"]
    bodies: set[str] = set()
    deadline = time.monotonic() + 30
    while bodies != {"direct", "fanned"} and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            bodies.add(message["Body"])
    assert bodies == {"direct", "fanned"}


def test_lambda_invoked_asynchronously_through_the_invocation_type_header(endpoint: str) -> None:
    sqs = make_client("sqs", endpoint)
    queue_url = sqs.create_queue(QueueName="apigw-async")["QueueUrl"]
    api = Builder(endpoint, "lambda-async")
    fn = api.function(
        "import boto3, json, os\n"
        "def handler(event, context):\n"
        "    boto3.client('sqs').send_message(QueueUrl=os.environ['QUEUE'],\n"
        "                                     MessageBody=json.dumps(event))\n"
        "    return 'done'\n",
        Environment={"Variables": {"QUEUE": queue_url}},
    )
    _integration(
        api,
        "/later",
        "POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=lambda_uri(fn),
        requestParameters={"integration.request.header.X-Amz-Invocation-Type": "'Event'"},
    )
    _responses(
        api, "/later", "POST", "200", responseTemplates={"application/json": '{"queued": true}'}
    )
    api.deploy("s")
    reply = call(
        api.url("s", "/later"), "POST", b'{"job": 7}', {"Content-Type": "application/json"}
    )
    assert (reply.status, reply.json()) == (200, {"queued": True})
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=20).get("Messages", [])
    assert [json.loads(m["Body"]) for m in messages] == [{"job": 7}]


def test_dynamodb_put_get_and_query_with_mapping_templates(endpoint: str) -> None:
    ddb = make_client("dynamodb", endpoint)
    ddb.create_table(
        TableName="apigw-orders",
        KeySchema=[
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    api = Builder(endpoint, "to-dynamodb")

    def action(path: str, http_method: str, name: str, request: str, response: str) -> None:
        _integration(
            api,
            path,
            http_method,
            type="AWS",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{REGION}:dynamodb:action/{name}",
            requestTemplates={"application/json": request},
        )
        _responses(api, path, http_method, "200", responseTemplates={"application/json": response})
        _responses(
            api,
            path,
            http_method,
            "400",
            selectionPattern="4\\d\\d",
            responseTemplates={"application/json": '{"error": "$input.path(\'$.__type\')"}'},
        )

    action(
        "/orders",
        "POST",
        "PutItem",
        '{"TableName": "apigw-orders", "Item": {'
        '"customer": {"S": "$input.path(\'$.customer\')"}, "id": {"S": "$input.path(\'$.id\')"},'
        ' "note": {"S": "$util.escapeJavaScript($input.path(\'$.note\'))"}}}',
        '{"saved": true}',
    )
    action(
        "/orders/{customer}/{id}",
        "GET",
        "GetItem",
        '{"TableName": "apigw-orders", "Key": {"customer": {"S": "$input.params(\'customer\')"},'
        ' "id": {"S": "$input.params(\'id\')"}}}',
        '{"id": "$input.path(\'$.Item.id.S\')", "note": "$util.escapeJavaScript($input.path(\'$.Item.note.S\'))"}',
    )
    action(
        "/orders/{customer}",
        "GET",
        "Query",
        '{"TableName": "apigw-orders", "KeyConditionExpression": "customer = :c",'
        ' "ExpressionAttributeValues": {":c": {"S": "$input.params(\'customer\')"}}}',
        "#set($items = $input.path('$.Items'))"
        '{"ids": [#foreach($item in $items)"$item.id.S"#if($foreach.hasNext),#end#end]}',
    )
    api.deploy("s")
    json_type = {"Content-Type": "application/json"}
    for order, note in (("o1", 'say "hi"'), ("o2", "second")):
        body = json.dumps({"customer": "c1", "id": order, "note": note}).encode()
        saved = call(api.url("s", "/orders"), "POST", body, json_type)
        assert (saved.status, saved.json()) == (200, {"saved": True}), saved.body
    got = call(api.url("s", "/orders/c1/o1"))
    assert (got.status, got.json()) == (200, {"id": "o1", "note": 'say "hi"'})
    listed = call(api.url("s", "/orders/c1"))
    assert (listed.status, listed.json()) == (200, {"ids": ["o1", "o2"]})
    stored = ddb.get_item(
        TableName="apigw-orders", Key={"customer": {"S": "c1"}, "id": {"S": "o2"}}
    )
    assert stored["Item"]["note"] == {"S": "second"}
    missing_table = call(api.url("s", "/orders"), "POST", b'{"customer": ""}', json_type)
    assert missing_table.status == 400


def test_canary_release_and_promotion(endpoint: str) -> None:
    api = Builder(endpoint, "canary")
    _integration(
        api, "/v", "GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    key = {"restApiId": api.api_id, "resourceId": api.paths["/v"], "httpMethod": "GET"}

    def respond_with(label: str) -> None:
        template = f'{{"release": "{label}", "var": "$stageVariables.v"}}'
        api.apigw.put_integration_response(
            **key, statusCode="200", responseTemplates={"application/json": template}
        )

    api.apigw.put_method_response(**key, statusCode="200")
    respond_with("stable")
    api.deploy("prod", variables={"v": "base"})
    respond_with("next")
    canary = api.apigw.create_deployment(
        restApiId=api.api_id,
        stageName="prod",
        canarySettings={"percentTraffic": 100.0, "stageVariableOverrides": {"v": "override"}},
    )["id"]
    stage = api.apigw.get_stage(restApiId=api.api_id, stageName="prod")
    assert stage["canarySettings"]["deploymentId"] == canary
    assert stage["deploymentId"] != canary
    url = api.url("prod", "/v")
    assert call(url).json() == {"release": "next", "var": "override"}

    def set_percent(value: str) -> None:
        api.apigw.update_stage(
            restApiId=api.api_id,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/canarySettings/percentTraffic", "value": value}
            ],
        )

    set_percent("0")
    assert call(url).json() == {"release": "stable", "var": "base"}
    set_percent("50")
    seen = {call(url).json()["release"] for _ in range(200)}
    assert seen == {"stable", "next"}
    with pytest.raises(ClientError):
        set_percent("150")
    # Promotion: the canary's deployment becomes the stage's, the canary goes.
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": canary},
            {"op": "remove", "path": "/canarySettings"},
        ],
    )
    assert {call(url).json()["release"] for _ in range(5)} == {"next"}
    with pytest.raises(ClientError) as excinfo:
        api.apigw.create_deployment(
            restApiId=api.api_id, stageName="nostage", canarySettings={"percentTraffic": 10.0}
        )
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"


COUNTER = """
import json, uuid
RUN = uuid.uuid4().hex
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    return {"statusCode": 200, "body": json.dumps({"n": f"{RUN}:{COUNT}", "path": event["path"]})}
"""


def test_stage_cache_keys_and_flush(endpoint: str) -> None:
    api = Builder(endpoint, "cached")
    fn = api.function(COUNTER)
    resource = api.proxy(
        "/items/{id}", fn, "GET", requestParameters={"method.request.path.id": True}
    )
    api.deploy("prod")
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        ],
    )
    url = api.url("prod", "/items/{}")
    first = call(url.format(1)).json()
    assert call(url.format(1)).json() == first
    # No cache key parameters: another id gets the same cached answer, as on AWS.
    assert call(url.format(2)).json() == first
    api.apigw.flush_stage_cache(restApiId=api.api_id, stageName="prod")
    fresh = call(url.format(2)).json()
    assert fresh["n"] != first["n"] and fresh["path"] == "/items/2"
    # With the path parameter as a cache key, each id has its own entry.
    api.apigw.update_integration(
        restApiId=api.api_id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[{"op": "add", "path": "/cacheKeyParameters/method.request.path.id"}],
    )
    api.deploy("prod")
    one, two = call(url.format(1)).json(), call(url.format(2)).json()
    assert (one["path"], two["path"]) == ("/items/1", "/items/2")
    assert call(url.format(1)).json() == one
    # Caching off for the method: every call reaches the function.
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/caching/enabled", "value": "false"}],
    )
    assert call(url.format(1)).json()["n"] != call(url.format(1)).json()["n"]
