"""Sample events for `cloudlet invoke --generate KIND`: the shapes AWS documents for
what each service hands a function (SQS, SNS, API Gateway REST payload 1.0 and HTTP
API payload 2.0, S3, DynamoDB streams, EventBridge, scheduled events).

Pure functions. Where cloudlet already builds an event for real deliveries (SQS and
DynamoDB stream mappings, SNS subscriptions, HTTP APIs), the sample goes through the
same code, so a sample and a real delivery cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from cloudlet.dev import EVENT_KINDS
from cloudlet.gateway.execute_api import ApiRequest
from cloudlet.services.apigatewayv2.events import Call as HttpCall
from cloudlet.services.apigatewayv2.events import event_v2
from cloudlet.services.lambda_.esm_records import record as sqs_record
from cloudlet.services.lambda_.esm_stream_records import event_record as stream_record
from cloudlet.services.sns.messages import lambda_event as sns_event

Event = dict[str, Any]

SAMPLE_ACCOUNT = "123456789012"
SAMPLE_BODY = "Hello from Lambda!"


def _iso(epoch: float) -> str:
    """2019-01-02T12:45:07.000Z, the timestamp form S3 and SNS events use."""
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"
    )


def _iso_seconds(epoch: float) -> str:
    """2019-01-02T12:45:07Z, EventBridge's `time`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - SQS's own digest


def sqs(region: str, account: str, now: float) -> Event:
    """SQSEvent: one message of a standard queue, as an event source mapping delivers it."""
    body = "Test message."
    millis = str(int(now * 1000))
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": base64.b64encode(uuid.uuid4().bytes * 4).decode(),
        "Body": body,
        "MD5OfBody": _md5(body),
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": millis,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": millis,
        },
    }
    rec = sqs_record(message, f"arn:aws:sqs:{region}:{account}:my-queue")
    # A message without attributes has no md5OfMessageAttributes in AWS's sample.
    if rec.get("md5OfMessageAttributes") is None:
        rec.pop("md5OfMessageAttributes", None)
    return {"Records": [rec]}


def sns(region: str, account: str, now: float) -> Event:
    """SNSEvent: one notification of a topic with a subscribed function."""
    topic = f"arn:aws:sns:{region}:{account}:sns-lambda"
    message = {
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Subject": "TestInvoke",
        "Message": "Hello from SNS!",
        "Timestamp": _iso(now),
        "MessageAttributes": {
            "Test": {"DataType": "String", "StringValue": "TestString"},
            "TestBinary": {"DataType": "Binary", "BinaryValue": "TestBinary"},
        },
    }
    return sns_event(message, f"{topic}:{uuid.uuid4()}", f"https://sns.{region}.amazonaws.com")


def apigw_http(region: str, account: str, now: float) -> Event:
    """HTTP API payload format 2.0: POST /my/path on the `$default` route and stage."""
    api_id = "r3pmxmplak"
    headers = [
        ("header1", "value1"),
        ("header2", "value1"),
        ("header2", "value2"),
        ("content-type", "text/plain"),
        ("cookie", "cookie1; cookie2"),
        ("user-agent", "agent"),
    ]
    request = ApiRequest(
        api_id=api_id,
        stage="$default",
        path="/my/path",
        method="POST",
        query_string="parameter1=value1&parameter1=value2&parameter2=value",
        headers={name: value for name, value in headers},
        header_list=headers,
        body=SAMPLE_BODY.encode(),
        source_ip="192.0.2.1",
        host=f"{api_id}.execute-api.{region}.amazonaws.com:443",
        request_id=str(uuid.uuid4()),
        raw_path="/my/path",
    )
    call = HttpCall(request, account, region, "$default", "/my/path", "/my/path")
    call.epoch_ms = int(now * 1000)
    return event_v2(call)


def apigw_rest(region: str, account: str, now: float) -> Event:
    """REST API proxy integration, payload format 1.0: POST /hello/world through the
    `/{proxy+}` resource of stage `prod`."""
    api_id = "1234567890"
    single = {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Content-Type": "application/json",
        "Host": f"{api_id}.execute-api.{region}.amazonaws.com",
        "User-Agent": "Custom User Agent String",
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    request_time = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
    return {
        "resource": "/{proxy+}",
        "path": "/hello/world",
        "httpMethod": "POST",
        "headers": single,
        "multiValueHeaders": {name: [value] for name, value in single.items()},
        "queryStringParameters": {"name": "me"},
        "multiValueQueryStringParameters": {"name": ["me"]},
        "pathParameters": {"proxy": "hello/world"},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "123456",
            "resourcePath": "/{proxy+}",
            "httpMethod": "POST",
            "extendedRequestId": "request-id",
            "requestTime": request_time,
            "path": "/prod/hello/world",
            "accountId": account,
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": api_id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": "127.0.0.1",
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": "Custom User Agent String",
                "user": None,
            },
            "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
            "apiId": api_id,
        },
        "body": '{"test":"body"}',
        "isBase64Encoded": False,
    }


def s3(region: str, account: str, now: float) -> Event:
    """S3 event notification: ObjectCreated:Put of one object."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": _iso(now),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": "EXAMPLE123456789",
                    "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "testConfigRule",
                    "bucket": {
                        "name": "example-bucket",
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": "arn:aws:s3:::example-bucket",
                    },
                    "object": {
                        "key": "test%2Fkey",
                        "size": 1024,
                        "eTag": "0123456789abcdef0123456789abcdef",
                        "sequencer": "0A1B2C3D4E5F678901",
                    },
                },
            }
        ]
    }


def dynamodb(region: str, account: str, now: float) -> Event:
    """DynamoDB stream event: an INSERT, a MODIFY and a REMOVE of one item, stream view
    NEW_AND_OLD_IMAGES."""
    arn = f"arn:aws:dynamodb:{region}:{account}:table/ExampleTableWithStream/stream/2015-06-27T00:48:05.899"
    keys = {"Id": {"N": "101"}}
    old = {"Message": {"S": "New item!"}, "Id": {"N": "101"}}
    new = {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}}
    changes = [("INSERT", None, old, 26), ("MODIFY", old, new, 59), ("REMOVE", new, None, 38)]
    records = []
    for number, (name, before, after, size) in enumerate(changes, start=1):
        body: dict[str, Any] = {"ApproximateCreationDateTime": now, "Keys": keys}
        if after is not None:
            body["NewImage"] = after
        if before is not None:
            body["OldImage"] = before
        body["SequenceNumber"] = f"{number}11"
        body["SizeBytes"] = size
        body["StreamViewType"] = "NEW_AND_OLD_IMAGES"
        raw = {
            "eventID": uuid.uuid4().hex,
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": body,
        }
        records.append(stream_record(raw, arn))
    return {"Records": records}


def eventbridge(region: str, account: str, now: float) -> Event:
    """An EventBridge event as a rule's target receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Order Placed",
        "source": "com.example.orders",
        "account": account,
        "time": _iso_seconds(now),
        "region": region,
        "resources": [],
        "detail": {"orderId": "1234", "amount": 42},
    }


def schedule(region: str, account: str, now: float) -> Event:
    """A scheduled event (an EventBridge rule with a schedule expression)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": _iso_seconds(now),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/my-schedule"],
        "detail": {},
    }


GENERATORS: dict[str, Callable[[str, str, float], Event]] = {
    "sqs": sqs,
    "sns": sns,
    "apigw-rest": apigw_rest,
    "apigw-http": apigw_http,
    "s3": s3,
    "dynamodb": dynamodb,
    "eventbridge": eventbridge,
    "schedule": schedule,
}
KINDS = tuple(GENERATORS)
assert KINDS == EVENT_KINDS, "cloudlet.dev.EVENT_KINDS must list the generators"


def generate(
    kind: str,
    region: str = "us-east-1",
    account: str = SAMPLE_ACCOUNT,
    now: float | None = None,
) -> Event:
    """A sample event of `kind` (one of KINDS); KeyError names an unknown kind."""
    if kind not in GENERATORS:
        raise KeyError(f"unknown event kind {kind!r}; one of: {', '.join(KINDS)}")
    return GENERATORS[kind](region, account, time.time() if now is None else now)
