"""The query protocol (form-encoded requests, XML responses) that older SDKs still speak.

The same server state must be visible through both protocols.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from test_sqs_support import (
    ACCOUNT,
    XMLNS,
    SQSClient,
    attributes,
    create_queue,
    fake_sigv4_headers,
    md5_hex,
    md5_of_attributes,
    raw_post,
    receive_one,
)

Query = Callable[[dict[str, str]], Any]
VERSION = {"Version": "2012-11-05"}


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find_all(root: ET.Element, name: str) -> list[ET.Element]:
    """Elements named `name` anywhere below root, with or without the SQS namespace."""
    return [element for element in root.iter() if _local(element.tag) == name]


def _text(root: ET.Element, name: str) -> str:
    found = _find_all(root, name)
    assert found, f"<{name}> missing in {ET.tostring(root)[:500]!r}"
    return found[0].text or ""


def _name_values(parent: ET.Element, tag: str) -> dict[str, ET.Element]:
    """<Attribute><Name>n</Name><Value>v</Value></Attribute> children -> {n: <Value>}."""
    result = {}
    for element in parent:
        if _local(element.tag) == tag:
            name = next(c.text for c in element if _local(c.tag) == "Name")
            value = next(c for c in element if _local(c.tag) == "Value")
            result[name or ""] = value
    return result


def test_create_queue_with_attributes(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    response = sqs_query(
        {
            "Action": "CreateQueue",
            "QueueName": queue_name,
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "40",
            "Attribute.2.Name": "DelaySeconds",
            "Attribute.2.Value": "2",
            "Tag.1.Key": "env",
            "Tag.1.Value": "query",
            **VERSION,
        }
    )

    assert response.status_code == 200, response.text
    root = _xml(response.text)
    assert _local(root.tag) == "CreateQueueResponse"
    url = _text(root, "QueueUrl")
    assert url.endswith(f"/{ACCOUNT}/{queue_name}")
    assert _text(root, "RequestId")
    # The JSON protocol sees the same queue.
    assert attributes(sqs, url, "VisibilityTimeout", "DelaySeconds") == {
        "VisibilityTimeout": "40",
        "DelaySeconds": "2",
    }
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "query"}


def test_send_message_with_attributes(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    blob = b"\x00\x01binary\xff"

    response = sqs_query(
        {
            "Action": "SendMessage",
            "QueueUrl": url,
            "MessageBody": "hello & <world>",
            "MessageAttribute.1.Name": "color",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "blue",
            "MessageAttribute.2.Name": "size",
            "MessageAttribute.2.Value.DataType": "Number",
            "MessageAttribute.2.Value.StringValue": "42",
            "MessageAttribute.3.Name": "raw",
            "MessageAttribute.3.Value.DataType": "Binary",
            "MessageAttribute.3.Value.BinaryValue": base64.b64encode(blob).decode(),
            **VERSION,
        }
    )

    assert response.status_code == 200, response.text
    root = _xml(response.text)
    expected_attrs = {
        "color": {"DataType": "String", "StringValue": "blue"},
        "size": {"DataType": "Number", "StringValue": "42"},
        "raw": {"DataType": "Binary", "BinaryValue": blob},
    }
    assert _text(root, "MD5OfMessageBody") == md5_hex("hello & <world>")
    assert _text(root, "MD5OfMessageAttributes") == md5_of_attributes(expected_attrs)
    message = receive_one(sqs, url, MessageAttributeNames=["All"])
    assert message["MessageId"] == _text(root, "MessageId")
    assert message["Body"] == "hello & <world>"
    assert message["MessageAttributes"] == expected_attrs


def test_receive_message_with_all_attributes(
    sqs_query: Query, sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)
    attrs = {"note": {"DataType": "String.custom", "StringValue": "<&>"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="<b>bold</b>", MessageAttributes=attrs)

    response = sqs_query(
        {
            "Action": "ReceiveMessage",
            "QueueUrl": url,
            "AttributeName.1": "All",
            "MessageAttributeName.1": "All",
            "MaxNumberOfMessages": "10",
            "WaitTimeSeconds": "5",
            **VERSION,
        }
    )

    assert response.status_code == 200, response.text
    [message] = _find_all(_xml(response.text), "Message")
    assert _text(message, "MessageId") == sent["MessageId"]
    assert _text(message, "Body") == "<b>bold</b>"
    assert _text(message, "MD5OfBody") == md5_hex("<b>bold</b>")
    assert _text(message, "ReceiptHandle")
    assert _text(message, "MD5OfMessageAttributes") == md5_of_attributes(attrs)
    system = {name: value.text for name, value in _name_values(message, "Attribute").items()}
    assert system["ApproximateReceiveCount"] == "1"
    assert system["SentTimestamp"].isdigit()
    [note] = _name_values(message, "MessageAttribute").values()
    assert _text(note, "DataType") == "String.custom"
    assert _text(note, "StringValue") == "<&>"


def test_get_queue_attributes_all(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, {"VisibilityTimeout": "77"})

    response = sqs_query(
        {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All", **VERSION}
    )

    assert response.status_code == 200, response.text
    root = _xml(response.text)
    [result] = _find_all(root, "GetQueueAttributesResult")
    values = {name: value.text for name, value in _name_values(result, "Attribute").items()}
    assert values["VisibilityTimeout"] == "77"
    assert values["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_name}"
    assert values["ApproximateNumberOfMessages"] == "0"


def test_list_queues(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    response = sqs_query({"Action": "ListQueues", "QueueNamePrefix": queue_name, **VERSION})

    assert response.status_code == 200, response.text
    assert [e.text for e in _find_all(_xml(response.text), "QueueUrl")] == [url]


def test_send_message_batch(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    response = sqs_query(
        {
            "Action": "SendMessageBatch",
            "QueueUrl": url,
            "SendMessageBatchRequestEntry.1.Id": "first",
            "SendMessageBatchRequestEntry.1.MessageBody": "one",
            "SendMessageBatchRequestEntry.2.Id": "second",
            "SendMessageBatchRequestEntry.2.MessageBody": "two",
            "SendMessageBatchRequestEntry.2.DelaySeconds": "0",
            **VERSION,
        }
    )

    assert response.status_code == 200, response.text
    entries = _find_all(_xml(response.text), "SendMessageBatchResultEntry")
    assert sorted(_text(e, "Id") for e in entries) == ["first", "second"]
    for entry in entries:
        body = {"first": "one", "second": "two"}[_text(entry, "Id")]
        assert _text(entry, "MD5OfMessageBody") == md5_hex(body)


def test_delete_message(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url)

    response = sqs_query(
        {
            "Action": "DeleteMessage",
            "QueueUrl": url,
            "ReceiptHandle": message["ReceiptHandle"],
            **VERSION,
        }
    )

    assert response.status_code == 200, response.text
    assert _local(_xml(response.text).tag) == "DeleteMessageResponse"
    assert attributes(sqs, url, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "0"
    }


def test_unknown_queue_error_envelope(sqs_query: Query, endpoint: str, queue_name: str) -> None:
    response = sqs_query(
        {
            "Action": "SendMessage",
            "QueueUrl": f"{endpoint}/{ACCOUNT}/{queue_name}",
            "MessageBody": "x",
            **VERSION,
        }
    )

    assert response.status_code == 400
    root = _xml(response.text)
    assert _local(root.tag) == "ErrorResponse"
    [error] = _find_all(root, "Error")
    assert _text(error, "Type") == "Sender"
    assert _text(error, "Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert _text(error, "Message")
    assert _text(root, "RequestId")


def test_query_validation_error_envelope(sqs_query: Query, sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    response = sqs_query(
        {"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "11", **VERSION}
    )

    assert response.status_code == 400
    assert _text(_xml(response.text), "Code") == "InvalidParameterValue"


def test_query_request_to_queue_url_path(sqs: SQSClient, endpoint: str, queue_name: str) -> None:
    # The query API's documented form: the queue URL is the endpoint, no QueueUrl parameter.
    url = create_queue(sqs, queue_name)
    body = urlencode({"Action": "SendMessage", "MessageBody": "by path", **VERSION}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **fake_sigv4_headers()}

    status, _, payload = raw_post(endpoint, body, headers, path=urlsplit(url).path)

    assert status == 200, payload
    assert _text(_xml(payload.decode()), "MD5OfMessageBody") == md5_hex("by path")
    assert receive_one(sqs, url)["Body"] == "by path"


def test_query_response_uses_sqs_namespace(sqs_query: Query) -> None:
    response = sqs_query({"Action": "ListQueues", "QueueNamePrefix": "no-such-prefix-", **VERSION})

    assert response.status_code == 200, response.text
    assert _xml(response.text).tag == f"{XMLNS}ListQueuesResponse"
