"""Amazon SNS through boto3: topics, subscriptions, publish and every delivery protocol
(SQS, Lambda, local HTTP, recorded email/SMS), filter policies, FIFO, DLQs, restarts."""

from __future__ import annotations

import base64
import http.server
import json
import queue
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import make_client
from lambda_support import zipped

from cloudlet.testing import CloudletServer

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def sns(endpoint: str) -> Any:
    return make_client("sns", endpoint)


@pytest.fixture(scope="module")
def sqs_client(endpoint: str) -> Any:
    return make_client("sqs", endpoint)


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def make_queue(sqs: Any, name: str | None = None, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name or unique("q"), Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def receive(sqs: Any, url: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Exactly `count` messages, in the order received, deleted from the queue."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < count:
        assert time.monotonic() < deadline, f"got {len(found)} of {count} messages"
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        ).get("Messages", [])
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        found += batch
    assert len(found) == count
    return found


def subscribe_queue(sns: Any, topic: str, queue_arn: str, **attributes: str) -> str:
    response = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return str(response["SubscriptionArn"])


# -- topics -------------------------------------------------------------------------------


def test_create_topic_is_idempotent_and_checks_conflicts(sns: Any) -> None:
    name = unique()
    tags = [{"Key": "team", "Value": "a"}]
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "Hi"}, Tags=tags)["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "Hi"})["TopicArn"] == arn
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    code, message = error_of(
        lambda: sns.create_topic(Name=name, Attributes={"DisplayName": "other"})
    )
    assert (code, message) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
    )
    code, message = error_of(
        lambda: sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "b"}])
    )
    assert message == "Invalid parameter: Tags Reason: Topic already exists with different tags"
    for bad in ("has space", "dot.name", "x" * 257, "t.fifo"):
        assert error_of(lambda: sns.create_topic(Name=bad)) == (
            "InvalidParameter",
            "Invalid parameter: Topic Name",
        )
    code, message = error_of(
        lambda: sns.create_topic(Name=unique(), Attributes={"FifoTopic": "true"})
    )
    assert code == "InvalidParameter" and "Fifo Topic names must end with .fifo" in message


def test_topic_attributes(sns: Any) -> None:
    arn = sns.create_topic(Name=unique())["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == ACCOUNT
    assert attributes["DisplayName"] == ""
    for count in ("SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"):
        assert attributes[count] == "0"
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attributes

    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="News")
    delivery = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1}}}
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(delivery)
    )
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "News"
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])["http"]
    assert effective["defaultHealthyRetryPolicy"]["numRetries"] == 5
    assert effective["defaultHealthyRetryPolicy"]["maxDelayTarget"] == 20

    for name, value in (("FifoTopic", "true"), ("Owner", "1"), ("Nope", "x")):
        assert error_of(
            lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
        ) == ("InvalidParameter", "Invalid parameter: AttributeName")
    code, _ = error_of(
        lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue="{")
    )
    assert code == "InvalidParameter"
    assert error_of(lambda: sns.get_topic_attributes(TopicArn=arn + "-gone")) == (
        "NotFound",
        "Topic does not exist",
    )
    assert error_of(lambda: sns.get_topic_attributes(TopicArn="not-an-arn")) == (
        "InvalidParameter",
        "Invalid parameter: TopicArn",
    )


def test_permissions_and_data_protection_policy(sns: Any) -> None:
    arn = sns.create_topic(Name=unique())["TopicArn"]
    sns.add_permission(
        TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    added = statements["Statement"][-1]
    assert added["Sid"] == "pub" and added["Action"] == "SNS:Publish"
    assert added["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert error_of(
        lambda: sns.add_permission(
            TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"]
        )
    ) == ("InvalidParameter", "Invalid parameter: Statement already exists")
    sns.remove_permission(TopicArn=arn, Label="pub")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert [s["Sid"] for s in statements["Statement"]] == ["__default_statement_ID"]
    document = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=document)
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == document


def test_fifo_topic_attributes(sns: Any) -> None:
    name = unique() + ".fifo"
    arn = sns.create_topic(
        Name=name, Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    )["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="false"
    )
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["ContentBasedDeduplication"] == "false"
    standard = sns.create_topic(Name=unique())["TopicArn"]
    code, _ = error_of(
        lambda: sns.set_topic_attributes(
            TopicArn=standard, AttributeName="ContentBasedDeduplication", AttributeValue="true"
        )
    )
    assert code == "InvalidParameter"


def test_delete_topic_is_idempotent_and_removes_its_subscriptions(
    sns: Any, sqs_client: Any
) -> None:
    arn = sns.create_topic(Name=unique())["TopicArn"]
    _, queue_arn = make_queue(sqs_client)
    sub = subscribe_queue(sns, arn, queue_arn)
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    assert error_of(lambda: sns.get_topic_attributes(TopicArn=arn))[0] == "NotFound"
    assert error_of(lambda: sns.get_subscription_attributes(SubscriptionArn=sub))[0] == "NotFound"
    assert error_of(lambda: sns.delete_topic(TopicArn="arn:aws:sns:x"))[0] == "InvalidParameter"


def test_list_topics_pages_by_100(endpoint: str) -> None:
    # A fresh account, so the count is exact.
    own = boto3.client(
        "sns",
        endpoint_url=endpoint,
        region_name="eu-west-3",
        aws_access_key_id="123456789012",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )
    made = {own.create_topic(Name=f"p{i:03d}")["TopicArn"] for i in range(105)}
    first = own.list_topics()
    assert len(first["Topics"]) == 100 and first["NextToken"]
    second = own.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    listed = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert set(listed) == made and len(listed) == 105
    pages = own.get_paginator("list_topics").paginate()
    assert sum(len(p["Topics"]) for p in pages) == 105


def test_tags(sns: Any) -> None:
    arn = sns.create_topic(Name=unique(), Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "3"), ("b", "2")]
    sns.untag_resource(ResourceArn=arn, TagKeys=["a", "zzz"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = arn + "-gone"
    assert error_of(lambda: sns.list_tags_for_resource(ResourceArn=missing)) == (
        "ResourceNotFound",
        "Resource does not exist",
    )
    assert error_of(lambda: sns.tag_resource(ResourceArn=missing, Tags=[]))[0] == (
        "ResourceNotFound"
    )
    duplicated = [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
    assert error_of(lambda: sns.tag_resource(ResourceArn=arn, Tags=duplicated)) == (
        "InvalidParameter",
        "Invalid parameter: Duplicated keys are not allowed.",
    )
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert error_of(lambda: sns.tag_resource(ResourceArn=arn, Tags=many))[0] == ("TagLimitExceeded")


# -- subscriptions ------------------------------------------------------------------------


def test_subscribe_sqs_is_confirmed_and_idempotent(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, queue_arn = make_queue(sqs_client)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    assert subscribe_queue(sns, topic, queue_arn) == sub
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "true"
    assert attributes["RawMessageDelivery"] == "false"
    assert attributes["Protocol"] == "sqs" and attributes["Endpoint"] == queue_arn
    assert attributes["TopicArn"] == topic and attributes["Owner"] == ACCOUNT
    assert "FilterPolicy" not in attributes and "EffectiveDeliveryPolicy" not in attributes
    code, message = error_of(
        lambda: subscribe_queue(sns, topic, queue_arn, RawMessageDelivery="true")
    )
    assert message == (
        "Invalid parameter: Attributes Reason: Subscription already exists with different "
        "attributes"
    )
    topic_attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert topic_attributes["SubscriptionsConfirmed"] == "1"


def test_subscribe_errors(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, fifo_queue = make_queue(sqs_client, unique("q") + ".fifo", FifoQueue="true")
    cases = [
        (
            {"Protocol": "carrier-pigeon", "Endpoint": "x"},
            "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
        ),
        ({"Protocol": "sqs", "Endpoint": "not-an-arn"}, "Invalid parameter: SQS endpoint ARN"),
        ({"Protocol": "lambda", "Endpoint": "nope"}, "Invalid parameter: Lambda endpoint ARN"),
        (
            {"Protocol": "http", "Endpoint": "https://127.0.0.1/"},
            "Invalid parameter: Endpoint must match the specified protocol",
        ),
        ({"Protocol": "email", "Endpoint": "no-at-sign"}, "Invalid parameter: Email address"),
        (
            {"Protocol": "sqs", "Endpoint": fifo_queue},
            "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
            "subscribed to standard SNS topics",
        ),
    ]
    for params, message in cases:
        assert error_of(lambda: sns.subscribe(TopicArn=topic, **params)) == (
            "InvalidParameter",
            message,
        )
    _, queue_arn = make_queue(sqs_client)
    bad_attributes = [
        ({"Nope": "1"}, "Invalid parameter: Attributes Reason: AttributeName"),
        (
            {"RawMessageDelivery": "maybe"},
            "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [maybe]. "
            "Must be true or false.",
        ),
        (
            {"FilterPolicyScope": "Body"},
            "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [Body]. "
            "Please use either MessageBody or MessageAttributes",
        ),
        (
            {"RedrivePolicy": json.dumps({"deadLetterTargetArn": "nope"})},
            "Invalid parameter: Attributes Reason: RedrivePolicy: deadLetterTargetArn is an "
            "invalid arn",
        ),
    ]
    for attributes, message in bad_attributes:
        assert error_of(lambda: subscribe_queue(sns, topic, queue_arn, **attributes)) == (
            "InvalidParameter",
            message,
        )
    missing = topic + "-gone"
    assert error_of(lambda: subscribe_queue(sns, missing, queue_arn))[0] == "NotFound"


def test_subscription_attributes_and_listing(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, queue_arn = make_queue(sqs_client)
    _, dlq_arn = make_queue(sqs_client)
    sub = subscribe_queue(sns, topic, queue_arn)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn})
    policy = json.dumps({"color": ["red"]})
    for name, value in (
        ("RawMessageDelivery", "True"),
        ("RedrivePolicy", redrive),
        ("FilterPolicy", policy),
    ):
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName=name, AttributeValue=value
        )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["RedrivePolicy"] == redrive
    assert attributes["FilterPolicy"] == policy
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy")
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]

    set_bad = [
        ("Nope", "x", "Invalid parameter: AttributeName"),
        ("FilterPolicy", "{", "Invalid parameter: FilterPolicy: failed to parse JSON."),
        ("FilterPolicy", '{"a": "b"}', None),
        ("DeliveryPolicy", "{}", None),
    ]
    for name, value, message in set_bad:
        code, text = error_of(
            lambda: sns.set_subscription_attributes(
                SubscriptionArn=sub, AttributeName=name, AttributeValue=value
            )
        )
        assert code == "InvalidParameter"
        assert message is None or text == message
    gone = topic + ":" + str(uuid.uuid4())
    assert error_of(lambda: sns.get_subscription_attributes(SubscriptionArn=gone)) == (
        "NotFound",
        "Subscription does not exist",
    )

    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [
        {
            "SubscriptionArn": sub,
            "Owner": ACCOUNT,
            "Protocol": "sqs",
            "Endpoint": queue_arn,
            "TopicArn": topic,
        }
    ]
    pages = sns.get_paginator("list_subscriptions").paginate().build_full_result()
    assert sub in [s["SubscriptionArn"] for s in pages["Subscriptions"]]


def test_unsubscribe(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, queue_arn = make_queue(sqs_client)
    sub = subscribe_queue(sns, topic, queue_arn)
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert attributes["SubscriptionsDeleted"] == "1"
    assert error_of(lambda: sns.unsubscribe(SubscriptionArn="a:b")) == (
        "InvalidParameter",
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 2",
    )
    assert error_of(lambda: sns.unsubscribe(SubscriptionArn=topic)) == (
        "InvalidParameter",
        "Invalid parameter: SubscriptionId",
    )


# -- publish to SQS -----------------------------------------------------------------------


ATTRIBUTES = {
    "text": {"DataType": "String", "StringValue": "hello"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    "list": {"DataType": "String.Array", "StringValue": '["a", 1, true]'},
}


def test_notification_document_has_aws_fields(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, queue_arn = make_queue(sqs_client)
    sub = subscribe_queue(sns, topic, queue_arn)
    message_id = sns.publish(
        TopicArn=topic, Message="hello world", Subject="Greeting", MessageAttributes=ATTRIBUTES
    )["MessageId"]
    (received,) = receive(sqs_client, url, 1)
    assert "MessageAttributes" not in received
    body = received["Body"]
    assert body.startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')
    document = json.loads(body)
    assert list(document) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert document["MessageId"] == message_id
    assert document["TopicArn"] == topic
    assert document["Subject"] == "Greeting" and document["Message"] == "hello world"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", document["Timestamp"])
    assert document["SignatureVersion"] == "1"
    assert len(base64.b64decode(document["Signature"])) == 256
    assert document["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub}")
    assert document["MessageAttributes"] == {
        "text": {"Type": "String", "Value": "hello"},
        "count": {"Type": "Number", "Value": "42"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\xff").decode()},
        "list": {"Type": "String.Array", "Value": '["a", 1, true]'},
    }
    sns.publish(TopicArn=topic, Message="no subject")
    (plain,) = receive(sqs_client, url, 1)
    document = json.loads(plain["Body"])
    assert "Subject" not in document and "MessageAttributes" not in document

    # The UnsubscribeURL works, unsigned, like AWS's.
    with urllib.request.urlopen(document["UnsubscribeURL"], timeout=10) as response:
        assert response.status == 200 and b"UnsubscribeResponse" in response.read()
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_raw_message_delivery(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, queue_arn = make_queue(sqs_client)
    subscribe_queue(sns, topic, queue_arn, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="just this", Subject="s", MessageAttributes=ATTRIBUTES)
    (received,) = receive(sqs_client, url, 1)
    assert received["Body"] == "just this"
    assert received["MessageAttributes"] == {
        "text": {"DataType": "String", "StringValue": "hello"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        "list": {"DataType": "String.Array", "StringValue": '["a", 1, true]'},
    }


def test_message_structure_json_picks_the_protocols_message(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, queue_arn = make_queue(sqs_client)
    subscribe_queue(sns, topic, queue_arn, RawMessageDelivery="true")
    structured = {"default": "for everyone", "sqs": "for queues", "email": "for people"}
    sns.publish(TopicArn=topic, Message=json.dumps(structured), MessageStructure="json")
    sns.publish(TopicArn=topic, Message=json.dumps({"default": "d"}), MessageStructure="json")
    bodies = [m["Body"] for m in receive(sqs_client, url, 2)]
    assert sorted(bodies) == ["d", "for queues"]
    for message, text in (
        ("{", "Invalid parameter: Message Structure - JSON message body failed to parse"),
        ('{"sqs": "x"}', "Invalid parameter: Message Structure - No default entry in JSON message body"),
    ):  # fmt: skip
        assert error_of(
            lambda: sns.publish(TopicArn=topic, Message=message, MessageStructure="json")
        ) == ("InvalidParameter", text)


def test_publish_errors(sns: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"Message": ""}, "InvalidParameter", "Invalid parameter: Empty message"),
        ({"Message": "x", "Subject": ""}, "InvalidParameter", "Invalid parameter: Subject"),
        ({"Message": "x", "Subject": "a\nb"}, "InvalidParameter", "Invalid parameter: Subject"),
        ({"Message": "x" * (256 * 1024 + 1)}, "InvalidParameter", "Invalid parameter: Message too long"),
        (
            {"Message": "x", "MessageDeduplicationId": "d"},
            "InvalidParameter",
            "Invalid parameter: MessageDeduplicationId Reason: The request includes "
            "MessageDeduplicationId parameter that is not valid for this topic type",
        ),
        (
            {"Message": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}},
            "ParameterValueInvalid",
            "Could not cast message attribute 'n' value to number.",
        ),
        (
            {"Message": "x", "MessageAttributes": {"a": {"DataType": "Bogus", "StringValue": "1"}}},
            "ParameterValueInvalid",
            "The message attribute 'a' has an invalid message attribute type, the set of "
            "supported type prefixes is Binary, Number, and String.",
        ),
        (
            {"Message": "x", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
            "ParameterValueInvalid",
            "The message attribute 'a' must contain non-empty message attribute value for "
            "message attribute type 'String'.",
        ),
        (
            {"Message": "x", "MessageAttributes": {".a": {"DataType": "String", "StringValue": "v"}}},
            "ParameterValueInvalid",
            "Invalid message attribute name starting with character '.' was found.",
        ),
    ]  # fmt: skip
    for params, code, message in cases:
        assert error_of(lambda: sns.publish(TopicArn=topic, **params)) == (code, message)
    # 256 KB exactly is allowed.
    assert sns.publish(TopicArn=topic, Message="x" * (256 * 1024))["MessageId"]
    assert error_of(lambda: sns.publish(Message="x")) == (
        "InvalidParameter",
        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
    )
    assert error_of(lambda: sns.publish(TopicArn=topic + "-gone", Message="x")) == (
        "NotFound",
        "Topic does not exist",
    )
    assert sns.publish(TargetArn=topic, Message="x")["MessageId"]


def test_fan_out_to_four_queues_with_one_broken(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    queues = [make_queue(sqs_client) for _ in range(4)]
    dlq_url, dlq_arn = make_queue(sqs_client)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn})
    for _, arn in queues:
        subscribe_queue(sns, topic, arn, RedrivePolicy=redrive)
    sqs_client.delete_queue(QueueUrl=queues[2][0])
    sent = [sns.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(5)]
    for index, (url, _) in enumerate(queues):
        if index == 2:
            continue
        bodies = [json.loads(m["Body"]) for m in receive(sqs_client, url, 5)]
        assert sorted(b["MessageId"] for b in bodies) == sorted(sent)
    dead = [json.loads(m["Body"]) for m in receive(sqs_client, dlq_url, 5)]
    assert sorted(d["MessageId"] for d in dead) == sorted(sent)
    assert {d["Type"] for d in dead} == {"Notification"}
    assert {d["Message"] for d in dead} == {f"m{i}" for i in range(5)}


def test_messages_too_large_for_the_queue_go_to_the_dlq_and_the_rest_arrive(
    sns: Any, sqs_client: Any
) -> None:
    # Deliveries to a queue go out together; one the queue refuses (over its
    # MaximumMessageSize: a client-side error) is dead-lettered alone.
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = make_queue(sqs_client, MaximumMessageSize="1024")
    dlq_url, dlq_arn = make_queue(sqs_client)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn})
    subscribe_queue(sns, topic, arn, RawMessageDelivery="true", RedrivePolicy=redrive)
    big = {3, 7}
    entries = [
        {"Id": f"e{i}", "Message": ("x" * 2000 if i in big else "") + f"m{i}"} for i in range(10)
    ]
    assert not sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)["Failed"]
    arrived = sorted(m["Body"] for m in receive(sqs_client, url, 8))
    assert arrived == sorted(f"m{i}" for i in range(10) if i not in big)
    dead = sorted(m["Body"][-2:] for m in receive(sqs_client, dlq_url, 2))
    assert dead == ["m3", "m7"]


def test_failed_delivery_without_dlq_is_dropped(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    broken_url, broken_arn = make_queue(sqs_client)
    url, arn = make_queue(sqs_client)
    subscribe_queue(sns, topic, broken_arn)
    subscribe_queue(sns, topic, arn)
    sqs_client.delete_queue(QueueUrl=broken_url)
    sns.publish(TopicArn=topic, Message="one")
    receive(sqs_client, url, 1)
    # Re-created under the same name, the queue still gets nothing from the lost message.
    sqs_client.create_queue(QueueName=broken_url.rsplit("/", 1)[1])
    sns.publish(TopicArn=topic, Message="two")
    receive(sqs_client, url, 1)
    assert [json.loads(m["Body"])["Message"] for m in receive(sqs_client, broken_url, 1)] == ["two"]


def test_filter_policy_on_attributes(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = make_queue(sqs_client)
    policy = {"color": ["red", "blue"], "size": [{"numeric": [">", 10]}]}
    subscribe_queue(sns, topic, arn, FilterPolicy=json.dumps(policy), RawMessageDelivery="true")

    def publish(text: str, color: str, size: str) -> None:
        attributes = {
            "color": {"DataType": "String", "StringValue": color},
            "size": {"DataType": "Number", "StringValue": size},
        }
        sns.publish(TopicArn=topic, Message=text, MessageAttributes=attributes)

    publish("green", "green", "20")
    publish("small", "red", "5")
    sns.publish(TopicArn=topic, Message="no attributes")
    publish("match", "blue", "11")
    # Deliveries to one subscription go in publish order: the rejected ones would be first.
    assert [m["Body"] for m in receive(sqs_client, url, 1)] == ["match"]


def test_filter_policy_on_body(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = make_queue(sqs_client)
    policy = {"order": {"status": ["paid"], "total": [{"numeric": [">=", 100]}]}}
    subscribe_queue(
        sns,
        topic,
        arn,
        FilterPolicy=json.dumps(policy),
        FilterPolicyScope="MessageBody",
        RawMessageDelivery="true",
    )
    sns.publish(TopicArn=topic, Message="not json")
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"status": "open", "total": 500}}))
    matching = json.dumps({"order": {"status": "paid", "total": 120}})
    sns.publish(TopicArn=topic, Message=matching)
    assert [m["Body"] for m in receive(sqs_client, url, 1)] == [matching]


def test_invalid_filter_policies(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, arn = make_queue(sqs_client)
    nested = json.dumps({"a": {"b": ["c"]}})
    code, message = error_of(lambda: subscribe_queue(sns, topic, arn, FilterPolicy=nested))
    assert code == "InvalidParameter"
    reason = "Filter policy scope MessageAttributes does not support nested filter policy"
    assert message == f"Invalid parameter: Attributes Reason: {reason}"
    sub = subscribe_queue(sns, topic, arn)
    code, message = error_of(
        lambda: sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested
        )
    )
    assert message == f"Invalid parameter: {reason}"
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested
    )


# -- FIFO -----------------------------------------------------------------------------------


def test_fifo_topic_to_fifo_queue_keeps_order_and_deduplicates(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(
        Name=unique() + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    url, arn = make_queue(sqs_client, unique("q") + ".fifo", FifoQueue="true")
    subscribe_queue(sns, topic, arn)
    results = [sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g") for i in range(10)]
    again = sns.publish(TopicArn=topic, Message="m3", MessageGroupId="g")
    assert again["MessageId"] == results[3]["MessageId"]
    assert again["SequenceNumber"] == results[3]["SequenceNumber"]
    sequence = [int(r["SequenceNumber"]) for r in results]
    assert sequence == sorted(sequence) and len(set(sequence)) == 10
    assert all(len(r["SequenceNumber"]) == 20 for r in results)
    received = receive(sqs_client, url, 10)
    documents = [json.loads(m["Body"]) for m in received]
    assert [d["Message"] for d in documents] == [f"m{i}" for i in range(10)]
    assert [d["SequenceNumber"] for d in documents] == [r["SequenceNumber"] for r in results]
    assert "Signature" not in documents[0] and "SigningCertURL" not in documents[0]
    assert {m["Attributes"]["MessageGroupId"] for m in received} == {"g"}

    explicit = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})
    cases = [
        ({"Message": "x"}, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"),
        (
            {"Message": "x", "MessageGroupId": "g"},
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled "
            "or MessageDeduplicationId provided explicitly",
        ),
    ]  # fmt: skip
    for params, message in cases:
        assert error_of(lambda: sns.publish(TopicArn=explicit["TopicArn"], **params)) == (
            "InvalidParameter",
            message,
        )
    lam_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
    assert error_of(lambda: sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=lam_arn))[
        0
    ] == ("InvalidParameter")


def test_publish_batch(sns: Any, sqs_client: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = make_queue(sqs_client)
    subscribe_queue(sns, topic, arn, RawMessageDelivery="true")
    entries = [{"Id": f"e{i}", "Message": f"batch {i}"} for i in range(9)]
    entries.append({"Id": "bad", "Message": ""})
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert [s["Id"] for s in result["Successful"]] == [f"e{i}" for i in range(9)]
    assert result["Failed"] == [
        {
            "Id": "bad",
            "Code": "InvalidParameter",
            "Message": "Invalid parameter: Empty message",
            "SenderFault": True,
        }
    ]
    bodies = sorted(m["Body"] for m in receive(sqs_client, url, 9))
    assert bodies == sorted(f"batch {i}" for i in range(9))

    def batch(items: list[dict[str, Any]]) -> tuple[str, str]:
        return error_of(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=items))

    one = {"Id": "a", "Message": "x"}
    assert batch([])[0] == "EmptyBatchRequest"
    assert batch([{**one, "Id": f"i{i}"} for i in range(11)]) == (
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
    )
    assert batch([one, one]) == (
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    )
    assert batch([{**one, "Id": "no spaces"}])[0] == "InvalidBatchEntryId"
    big = "x" * (150 * 1024)
    assert batch([{"Id": "a", "Message": big}, {"Id": "b", "Message": big}])[0] == (
        "BatchRequestTooLong"
    )

    fifo = sns.create_topic(
        Name=unique() + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    result = sns.publish_batch(
        TopicArn=fifo,
        PublishBatchRequestEntries=[
            {"Id": "a", "Message": "1", "MessageGroupId": "g"},
            {"Id": "b", "Message": "2"},
        ],
    )
    assert result["Successful"][0]["SequenceNumber"]
    assert result["Failed"][0]["Id"] == "b" and result["Failed"][0]["Code"] == "InvalidParameter"


# -- Lambda -------------------------------------------------------------------------------

FORWARDER = """
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
"""


def test_lambda_receives_the_sns_event(endpoint: str, sns: Any, sqs_client: Any) -> None:
    lam = make_client("lambda", endpoint)
    out_url, _ = make_queue(sqs_client)
    name = unique("fn")
    function_arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/r",
        Handler="app.handler",
        Code={"ZipFile": zipped({"app.py": FORWARDER})},
        Environment={"Variables": {"OUT": out_url}},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    topic = sns.create_topic(Name=unique())["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn)["SubscriptionArn"]
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    message_id = sns.publish(TopicArn=topic, Message="to lambda", MessageAttributes=attributes)[
        "MessageId"
    ]
    (received,) = receive(sqs_client, out_url, 1, timeout=30)
    event = json.loads(received["Body"])
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    assert set(record["Sns"]) == {
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertUrl",
        "UnsubscribeUrl",
        "MessageAttributes",
    }
    sns_part = record["Sns"]
    assert sns_part["MessageId"] == message_id and sns_part["Message"] == "to lambda"
    assert sns_part["Subject"] is None and sns_part["Type"] == "Notification"
    assert sns_part["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    code, _ = error_of(
        lambda: sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true"
        )
    )
    assert code == "InvalidParameter"


# -- HTTP -------------------------------------------------------------------------------


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: str
    status: int


@dataclass
class Endpoint:
    url: str
    requests: queue.Queue[Request]
    statuses: list[int] = field(default_factory=list)

    def next(self, timeout: float = 10.0) -> Request:
        return self.requests.get(timeout=timeout)


@pytest.fixture
def http_endpoint() -> Iterator[Endpoint]:
    """A tiny HTTP server on 127.0.0.1 that records every POST; it answers with the
    statuses queued in `statuses`, then 200."""
    received: queue.Queue[Request] = queue.Queue()
    statuses: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            status = statuses.pop(0) if statuses else 200
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            received.put(Request(self.path, headers, body, status))

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{server.server_address[1]}/sns", received, statuses)
    finally:
        server.shutdown()
        server.server_close()


def test_http_subscription_confirmation_and_notifications(
    sns: Any, http_endpoint: Endpoint
) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    response = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    assert response["SubscriptionArn"] == "pending confirmation"
    request = http_endpoint.next()
    headers, body = request.headers, request.body
    assert request.path == "/sns"
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in headers
    confirmation = json.loads(body)
    assert confirmation["Type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-message-id"] == confirmation["MessageId"]
    assert confirmation["TopicArn"] == topic
    assert confirmation["SubscribeURL"].endswith(
        f"?Action=ConfirmSubscription&TopicArn={topic}&Token={confirmation['Token']}"
    )
    for key in ("Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"):
        assert confirmation[key]
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed[0]["SubscriptionArn"] == "PendingConfirmation"
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["SubscriptionsPending"] == "1"
    sns.publish(TopicArn=topic, Message="before confirmation")  # not delivered: pending

    assert error_of(lambda: sns.confirm_subscription(TopicArn=topic, Token="nope")) == (
        "InvalidParameter",
        "Invalid parameter: Token",
    )
    other = sns.create_topic(Name=unique())["TopicArn"]
    assert error_of(
        lambda: sns.confirm_subscription(TopicArn=other, Token=confirmation["Token"])
    ) == ("InvalidParameter", "Invalid parameter: Topic")
    sub = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert (
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
        == sub
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["healthyRetryPolicy"]["numRetries"] == 3

    sns.publish(TopicArn=topic, Message="after", Subject="S")
    request = http_endpoint.next()
    headers, document = request.headers, json.loads(request.body)
    assert document["Message"] == "after" and document["Subject"] == "S"
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == document["MessageId"]
    assert headers["x-amz-sns-subscription-arn"] == sub
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert http_endpoint.requests.empty()

    # Raw delivery, and a server error retried as the delivery policy says.
    policy = {"healthyRetryPolicy": {"numRetries": 1, "numNoDelayRetries": 1}}
    for name, value in (("RawMessageDelivery", "true"), ("DeliveryPolicy", json.dumps(policy))):
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName=name, AttributeValue=value
        )
    http_endpoint.statuses.append(500)
    sns.publish(TopicArn=topic, Message="raw")
    first, second = http_endpoint.next(), http_endpoint.next()
    assert (first.status, second.status) == (500, 200)
    assert first.body == second.body == "raw"
    assert second.headers["x-amz-sns-rawdelivery"] == "true"


def test_http_confirmation_through_the_subscribe_url(sns: Any, http_endpoint: Endpoint) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    confirmation = json.loads(http_endpoint.next().body)
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as response:
        assert b"ConfirmSubscriptionResponse" in response.read()
    (listed,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed["SubscriptionArn"].startswith(topic + ":")


def test_http_failure_goes_to_the_dlq_after_retries(
    sns: Any, sqs_client: Any, http_endpoint: Endpoint
) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    dlq_url, dlq_arn = make_queue(sqs_client)
    sub = sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=http_endpoint.url,
        ReturnSubscriptionArn=True,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn}),
            "DeliveryPolicy": json.dumps(
                {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2}}
            ),
        },
    )["SubscriptionArn"]
    token = json.loads(http_endpoint.next().body)["Token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    http_endpoint.statuses.extend([503, 503, 503])
    sns.publish(TopicArn=topic, Message="doomed")
    attempts = [http_endpoint.next() for _ in range(3)]
    assert {a.body for a in attempts} == {attempts[0].body}
    assert [a.status for a in attempts] == [503, 503, 503]
    (dead,) = receive(sqs_client, dlq_url, 1)
    document = json.loads(dead["Body"])
    assert document["Message"] == "doomed"
    assert document["UnsubscribeURL"].endswith(sub)


# -- recorded endpoints (email, SMS) ----------------------------------------------------------


def test_email_and_sms_are_recorded(endpoint: str, sns: Any) -> None:
    def outbox() -> list[dict[str, Any]]:
        with urllib.request.urlopen(endpoint + "/_sns/messages", timeout=10) as response:
            messages: list[dict[str, Any]] = json.loads(response.read())["messages"]
            return messages

    topic = sns.create_topic(Name=unique())["TopicArn"]
    address = f"{unique('u')}@example.com"
    assert (
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)["SubscriptionArn"]
        == "pending confirmation"
    )
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100")

    def confirmation_for_address() -> list[dict[str, Any]]:
        return [m for m in outbox() if m["Endpoint"] == address]

    (record,) = wait_until(confirmation_for_address)
    assert record["Type"] == "SubscriptionConfirmation" and record["Protocol"] == "email"
    token = json.loads(record["Message"])["Token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    sns.publish(TopicArn=topic, Message="hello people")
    sns.publish(PhoneNumber="+15555550101", Message="direct text")

    def delivered() -> list[dict[str, Any]]:
        return [
            m
            for m in outbox()
            if m["Type"] == "Notification"
            and m["Endpoint"] in (address, "+15555550100", "+15555550101")
        ]

    records = wait_until(lambda: len(delivered()) == 3 and delivered())
    by_endpoint = {m["Endpoint"]: m["Message"] for m in records}
    assert by_endpoint == {
        address: "hello people",
        "+15555550100": "hello people",
        "+15555550101": "direct text",
    }
    assert error_of(lambda: sns.publish(PhoneNumber="12ab", Message="x"))[0] == ("InvalidParameter")


# -- durability -------------------------------------------------------------------------------


def test_pending_deliveries_survive_a_restart(tmp_path: Any, http_endpoint: Endpoint) -> None:
    """Deliveries stored before Publish answered are sent after kill -9 and a restart."""
    delivered: set[str] = set()

    def drain(until: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline
            request = http_endpoint.next(timeout=timeout)
            kind = request.headers.get("x-amz-sns-message-type")
            if kind == "Notification" and request.status == 200:
                delivered.add(json.loads(request.body)["Message"])
            failures.append(request.status)

    failures: list[int] = []
    with CloudletServer(data_dir=tmp_path) as first:
        client = make_client("sns", first.endpoint_url)
        topic = client.create_topic(Name="durable")["TopicArn"]
        client.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
        token = json.loads(http_endpoint.next().body)["Token"]
        sub = client.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
        retry = {"numRetries": 3, "minDelayTarget": 1, "maxDelayTarget": 1, "numMinDelayRetries": 3}
        client.set_subscription_attributes(
            SubscriptionArn=sub,
            AttributeName="DeliveryPolicy",
            AttributeValue=json.dumps({"healthyRetryPolicy": retry}),
        )
        http_endpoint.statuses.extend([500] * 5)
        for i in range(5):
            client.publish(TopicArn=topic, Message=f"keep {i}")
        drain(lambda: failures.count(500) == 5)  # each failed once, retries are 1 s away
        first.kill()
    with CloudletServer(data_dir=tmp_path):
        drain(lambda: len(delivered) == 5)
    assert delivered == {f"keep {i}" for i in range(5)}


def test_outbox_answers_before_sns_is_first_used() -> None:
    with CloudletServer(ephemeral=True) as fresh:
        with urllib.request.urlopen(f"{fresh.endpoint_url}/_sns/messages", timeout=30) as answer:
            assert json.loads(answer.read()) == {"messages": []}
