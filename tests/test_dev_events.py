"""`cloudlet invoke --generate`: each sample event has the members, types and values of
the event AWS documents for that source."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudlet.dev import EVENT_KINDS
from cloudlet.dev.events import KINDS, generate

NOW = 1_546_433_107.25  # 2019-01-02T12:45:07.250Z


def event(kind: str) -> Any:
    value = generate(kind, region="eu-west-1", account="111122223333", now=NOW)
    return json.loads(json.dumps(value))  # what the function receives: plain JSON


def test_every_kind_has_a_generator_and_the_cli_offers_exactly_them() -> None:
    assert KINDS == EVENT_KINDS
    assert set(KINDS) == {"sqs", "sns", "apigw-rest", "apigw-http", "s3", "dynamodb",
                          "eventbridge", "schedule"}  # fmt: skip
    with pytest.raises(KeyError, match="unknown event kind 'kinesis'; one of: sqs, sns"):
        generate("kinesis")


def test_sqs() -> None:
    (record,) = event("sqs")["Records"]
    assert list(record) == ["messageId", "receiptHandle", "body", "attributes",
                            "messageAttributes", "md5OfBody", "eventSource", "eventSourceARN",
                            "awsRegion"]  # fmt: skip
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:111122223333:my-queue"
    assert record["awsRegion"] == "eu-west-1"
    assert record["body"] == "Test message."
    assert record["md5OfBody"] == "e4e68fb7bd0e697a0ae8f1bb342846b3"  # MD5 of the body
    assert record["attributes"] == {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1546433107250",
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "1546433107250",
    }


def test_sns() -> None:
    (record,) = event("sns")["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    topic = "arn:aws:sns:eu-west-1:111122223333:sns-lambda"
    assert record["EventSubscriptionArn"].startswith(topic + ":")
    sns = record["Sns"]
    assert sns["Type"] == "Notification"
    assert sns["TopicArn"] == topic
    assert sns["Subject"] == "TestInvoke"
    assert sns["Message"] == "Hello from SNS!"
    assert sns["Timestamp"] == "2019-01-02T12:45:07.250Z"
    assert sns["SignatureVersion"] == "1"
    assert sns["MessageAttributes"] == {
        "Test": {"Type": "String", "Value": "TestString"},
        "TestBinary": {"Type": "Binary", "Value": "TestBinary"},
    }
    assert {"Signature", "SigningCertUrl", "UnsubscribeUrl", "MessageId"} <= set(sns)


def test_apigw_rest_payload_1_0() -> None:
    e = event("apigw-rest")
    assert set(e) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                      "queryStringParameters", "multiValueQueryStringParameters",
                      "pathParameters", "stageVariables", "requestContext", "body",
                      "isBase64Encoded"}  # fmt: skip
    assert (e["resource"], e["path"], e["httpMethod"]) == ("/{proxy+}", "/hello/world", "POST")
    assert e["pathParameters"] == {"proxy": "hello/world"}
    assert e["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert e["queryStringParameters"] == {"name": "me"}
    assert json.loads(e["body"]) == {"test": "body"}
    assert e["isBase64Encoded"] is False
    context = e["requestContext"]
    assert context["accountId"] == "111122223333"
    assert context["stage"] == "prod"
    assert context["path"] == "/prod/hello/world"
    assert context["resourcePath"] == "/{proxy+}"
    assert context["requestTime"] == "02/Jan/2019:12:45:07 +0000"
    assert context["requestTimeEpoch"] == 1546433107250
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["domainName"] == "1234567890.execute-api.eu-west-1.amazonaws.com"


def test_apigw_http_payload_2_0() -> None:
    e = event("apigw-http")
    assert e["version"] == "2.0"
    assert e["routeKey"] == "$default"
    assert e["rawPath"] == "/my/path"
    assert e["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert e["cookies"] == ["cookie1", "cookie2"]
    # Repeated headers and query parameters are joined with commas in 2.0.
    assert e["headers"]["header2"] == "value1,value2"
    assert e["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert e["body"] == "Hello from Lambda!"
    assert e["isBase64Encoded"] is False
    context = e["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/my/path",
        "protocol": "HTTP/1.1",
        "sourceIp": "192.0.2.1",
        "userAgent": "agent",
    }
    assert context["accountId"] == "111122223333"
    assert context["domainName"] == "r3pmxmplak.execute-api.eu-west-1.amazonaws.com"
    assert context["domainPrefix"] == "r3pmxmplak"
    assert context["stage"] == "$default"
    assert context["time"] == "02/Jan/2019:12:45:07 +0000"
    assert context["timeEpoch"] == 1546433107250
    assert "multiValueHeaders" not in e and "httpMethod" not in e


def test_s3() -> None:
    (record,) = event("s3")["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"] == "2019-01-02T12:45:07.250Z"
    assert record["awsRegion"] == "eu-west-1"
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0"
    assert s3["bucket"]["arn"] == "arn:aws:s3:::example-bucket"
    assert s3["object"]["key"] == "test%2Fkey"  # keys are URL-encoded in S3 events
    assert isinstance(s3["object"]["size"], int)


def test_dynamodb_stream() -> None:
    records = event("dynamodb")["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    for record in records:
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["eventSourceARN"].startswith(
            "arn:aws:dynamodb:eu-west-1:111122223333:table/ExampleTableWithStream/stream/"
        )
        assert record["dynamodb"]["ApproximateCreationDateTime"] == 1546433107
        assert record["dynamodb"]["Keys"] == {"Id": {"N": "101"}}
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert "OldImage" not in insert and "NewImage" in insert
    assert modify["OldImage"] == insert["NewImage"]
    assert "NewImage" not in remove and remove["OldImage"] == modify["NewImage"]


def test_eventbridge_and_schedule() -> None:
    for kind in ("eventbridge", "schedule"):
        e = event(kind)
        assert list(e) == ["version", "id", "detail-type", "source", "account", "time",
                           "region", "resources", "detail"]  # fmt: skip
        assert e["version"] == "0"
        assert e["account"] == "111122223333"
        assert e["region"] == "eu-west-1"
        assert e["time"] == "2019-01-02T12:45:07Z"
    scheduled = event("schedule")
    assert scheduled["detail-type"] == "Scheduled Event"
    assert scheduled["source"] == "aws.events"
    assert scheduled["resources"] == ["arn:aws:events:eu-west-1:111122223333:rule/my-schedule"]
    assert scheduled["detail"] == {}


def test_each_call_is_a_new_event() -> None:
    first, second = generate("sqs"), generate("sqs")
    assert first["Records"][0]["messageId"] != second["Records"][0]["messageId"]
