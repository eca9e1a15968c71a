"""Queue lifecycle and queue attributes: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue,
Get/SetQueueAttributes and tags, against the AWS SQS API reference."""

from __future__ import annotations

import json
import time

import pytest
from test_sqs_support import (
    ACCOUNT,
    SQSClient,
    attributes,
    create_fifo_queue,
    create_queue,
    derived_name,
    fifo_name,
    queue_arn,
    receive_one,
    sqs_error,
    wait_until,
)

# -- CreateQueue / GetQueueUrl ------------------------------------------------------------------


def test_create_queue_returns_a_usable_url(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    assert url.endswith(f"/{ACCOUNT}/{queue_name}")
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert receive_one(sqs, url)["Body"] == "hello"


def test_get_queue_url_returns_the_created_url(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    assert sqs.get_queue_url(QueueName=queue_name)["QueueUrl"] == url


def test_get_queue_url_of_unknown_queue_fails(sqs: SQSClient, queue_name: str) -> None:
    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=queue_name)


def test_queue_names_are_case_sensitive(sqs: SQSClient, queue_name: str) -> None:
    create_queue(sqs, queue_name.lower() + "-abc")

    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=queue_name.lower() + "-ABC")


def test_create_queue_twice_with_same_attributes_returns_same_url(
    sqs: SQSClient, queue_name: str
) -> None:
    attrs = {"VisibilityTimeout": "45", "DelaySeconds": "3"}
    first = create_queue(sqs, queue_name, attrs)

    assert create_queue(sqs, queue_name, attrs) == first
    assert create_queue(sqs, queue_name, attrs) == first


def test_create_queue_twice_without_attributes_returns_same_url(
    sqs: SQSClient, queue_name: str
) -> None:
    assert create_queue(sqs, queue_name) == create_queue(sqs, queue_name)


def test_create_queue_with_different_attributes_fails(sqs: SQSClient, queue_name: str) -> None:
    create_queue(sqs, queue_name, {"VisibilityTimeout": "45"})

    with sqs_error("QueueAlreadyExists"):
        create_queue(sqs, queue_name, {"VisibilityTimeout": "46"})
    assert (
        attributes(sqs, sqs.get_queue_url(QueueName=queue_name)["QueueUrl"])["VisibilityTimeout"]
        == "45"
    )


def test_queue_name_exists_is_the_modelled_exception(sqs: SQSClient, queue_name: str) -> None:
    create_queue(sqs, queue_name, {"DelaySeconds": "1"})

    with pytest.raises(sqs.exceptions.QueueNameExists):
        create_queue(sqs, queue_name, {"DelaySeconds": "2"})


@pytest.mark.parametrize(
    "bad_name",
    ["", "a" * 81, "has space", "dot.name", "slash/name", "bang!", "emoji-\u2603"],
    ids=["empty", "81-chars", "space", "dot", "slash", "bang", "non-ascii"],
)
def test_create_queue_rejects_invalid_names(sqs: SQSClient, bad_name: str) -> None:
    # Names: 1-80 characters, alphanumerics, hyphens and underscores (CreateQueue, QueueName).
    with sqs_error("InvalidParameterValue"):
        sqs.create_queue(QueueName=bad_name)


def test_create_queue_accepts_80_character_names(sqs: SQSClient, queue_name: str) -> None:
    name = (queue_name + "_" + "x" * 80)[:80]

    url = create_queue(sqs, name)

    assert url.endswith("/" + name)


def test_create_queue_accepts_one_character_names(sqs: SQSClient) -> None:
    url = create_queue(sqs, "Q")

    assert url.endswith(f"/{ACCOUNT}/Q")


def test_fifo_queue_name_must_end_with_fifo(sqs: SQSClient, queue_name: str) -> None:
    with sqs_error("InvalidParameterValue"):
        sqs.create_queue(QueueName=queue_name, Attributes={"FifoQueue": "true"})
    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=queue_name)


def test_fifo_suffix_requires_fifo_queue_attribute(sqs: SQSClient, queue_name: str) -> None:
    with sqs_error("InvalidParameterValue"):
        sqs.create_queue(QueueName=fifo_name(queue_name))


def test_fifo_queue_name_limit_includes_suffix(sqs: SQSClient, queue_name: str) -> None:
    stem = (queue_name + "_" + "x" * 80)[:75]

    url = create_queue(sqs, stem + ".fifo", {"FifoQueue": "true"})
    assert url.endswith("/" + stem + ".fifo")
    with sqs_error("InvalidParameterValue"):
        sqs.create_queue(QueueName=stem + "y.fifo", Attributes={"FifoQueue": "true"})


def test_failed_create_queue_creates_nothing(sqs: SQSClient, queue_name: str) -> None:
    with sqs_error("InvalidAttributeValue"):
        sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "43201"})

    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=queue_name)


def test_create_queue_with_unknown_attribute_fails(sqs: SQSClient, queue_name: str) -> None:
    with sqs_error("InvalidAttributeName"):
        sqs.create_queue(QueueName=queue_name, Attributes={"NoSuchAttribute": "1"})

    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=queue_name)


# -- queue attributes ----------------------------------------------------------------------


def test_new_queue_has_documented_defaults(sqs: SQSClient, queue_name: str) -> None:
    before = int(time.time())
    url = create_queue(sqs, queue_name)
    after = int(time.time())

    attrs = attributes(sqs, url)

    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "0"
    # CreatedTimestamp / LastModifiedTimestamp are epoch seconds.
    assert before - 5 <= int(attrs["CreatedTimestamp"]) <= after + 5
    assert int(attrs["LastModifiedTimestamp"]) >= int(attrs["CreatedTimestamp"])
    assert "RedrivePolicy" not in attrs
    assert "FifoQueue" not in attrs or attrs["FifoQueue"] == "false"


def test_queue_arn_has_aws_format(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    arn = attributes(sqs, url, "QueueArn")["QueueArn"]

    assert arn == f"arn:aws:sqs:us-east-1:000000000000:{queue_name}"


def test_create_queue_applies_every_settable_attribute(sqs: SQSClient, queue_name: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn(queue_name),
            }
        ],
    }
    url = create_queue(
        sqs,
        queue_name,
        {
            "DelaySeconds": "7",
            "MaximumMessageSize": "2048",
            "MessageRetentionPeriod": "3600",
            "ReceiveMessageWaitTimeSeconds": "2",
            "VisibilityTimeout": "99",
            "Policy": json.dumps(policy),
        },
    )

    attrs = attributes(sqs, url)

    assert attrs["DelaySeconds"] == "7"
    assert attrs["MaximumMessageSize"] == "2048"
    assert attrs["MessageRetentionPeriod"] == "3600"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "2"
    assert attrs["VisibilityTimeout"] == "99"
    assert json.loads(attrs["Policy"]) == policy


def test_get_queue_attributes_without_names_returns_nothing(
    sqs: SQSClient, queue_name: str
) -> None:
    # "if you don't specify values for this parameter, the request returns empty results"
    url = create_queue(sqs, queue_name)

    response = sqs.get_queue_attributes(QueueUrl=url)

    assert response.get("Attributes", {}) == {}


def test_get_queue_attributes_returns_only_requested_names(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    attrs = attributes(sqs, url, "VisibilityTimeout", "QueueArn")

    assert set(attrs) == {"VisibilityTimeout", "QueueArn"}


def test_get_queue_attributes_rejects_unknown_names(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchAttribute"])


def test_set_queue_attributes_changes_values(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    created = attributes(sqs, url)

    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": "120",
            "DelaySeconds": "15",
            "MaximumMessageSize": "4096",
            "MessageRetentionPeriod": "86400",
            "ReceiveMessageWaitTimeSeconds": "20",
        },
    )

    attrs = attributes(sqs, url)
    assert attrs["VisibilityTimeout"] == "120"
    assert attrs["DelaySeconds"] == "15"
    assert attrs["MaximumMessageSize"] == "4096"
    assert attrs["MessageRetentionPeriod"] == "86400"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "20"
    assert attrs["CreatedTimestamp"] == created["CreatedTimestamp"]
    assert int(attrs["LastModifiedTimestamp"]) >= int(created["LastModifiedTimestamp"])


def test_server_side_encryption_attributes_are_accepted(sqs: SQSClient, queue_name: str) -> None:
    sse_sqs = create_queue(sqs, derived_name(queue_name, "-sqs"), {"SqsManagedSseEnabled": "true"})
    sse_kms = create_queue(
        sqs,
        derived_name(queue_name, "-kms"),
        {"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600"},
    )

    assert attributes(sqs, sse_sqs, "SqsManagedSseEnabled")["SqsManagedSseEnabled"] == "true"
    kms = attributes(sqs, sse_kms, "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds")
    assert kms == {"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600"}

    sqs.set_queue_attributes(QueueUrl=sse_sqs, Attributes={"SqsManagedSseEnabled": "false"})
    assert attributes(sqs, sse_sqs, "SqsManagedSseEnabled")["SqsManagedSseEnabled"] == "false"


# Ranges from the CreateQueue / SetQueueAttributes reference.
RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
}


@pytest.mark.parametrize("name", sorted(RANGES))
def test_set_queue_attributes_accepts_range_bounds(
    sqs: SQSClient, queue_name: str, name: str
) -> None:
    url = create_queue(sqs, queue_name)
    low, high = RANGES[name]

    for value in (low, high):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: str(value)})
        assert attributes(sqs, url, name)[name] == str(value)


@pytest.mark.parametrize("name", sorted(RANGES))
def test_set_queue_attributes_rejects_out_of_range(
    sqs: SQSClient, queue_name: str, name: str
) -> None:
    url = create_queue(sqs, queue_name)
    original = attributes(sqs, url, name)[name]
    low, high = RANGES[name]

    for value in (str(low - 1), str(high + 1), "not-a-number"):
        with sqs_error("InvalidAttributeValue"):
            sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})

    assert attributes(sqs, url, name)[name] == original


@pytest.mark.parametrize("name", sorted(RANGES))
def test_create_queue_rejects_out_of_range(sqs: SQSClient, queue_name: str, name: str) -> None:
    low, high = RANGES[name]

    for value in (str(low - 1), str(high + 1)):
        with sqs_error("InvalidAttributeValue"):
            sqs.create_queue(QueueName=queue_name, Attributes={name: value})


def test_set_queue_attributes_is_all_or_nothing(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidAttributeValue"):
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"VisibilityTimeout": "100", "DelaySeconds": "901"}
        )

    assert attributes(sqs, url, "VisibilityTimeout", "DelaySeconds") == {
        "VisibilityTimeout": "30",
        "DelaySeconds": "0",
    }


def test_set_queue_attributes_rejects_unknown_name(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidAttributeName"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"NoSuchAttribute": "1"})


def test_fifo_only_attributes_are_unknown_on_standard_queues(
    sqs: SQSClient, queue_name: str
) -> None:
    url = create_queue(sqs, queue_name)

    with sqs_error("InvalidAttributeName"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})


def test_redrive_policy_round_trips_as_json(sqs: SQSClient, queue_name: str) -> None:
    dlq_name = derived_name(queue_name, "-dlq")
    create_queue(sqs, dlq_name)
    url = create_queue(sqs, queue_name)

    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": queue_arn(dlq_name), "maxReceiveCount": "4"}
            )
        },
    )

    policy = json.loads(attributes(sqs, url, "RedrivePolicy")["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == queue_arn(dlq_name)
    assert int(policy["maxReceiveCount"]) == 4


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        json.dumps({"maxReceiveCount": 3}),
        json.dumps({"deadLetterTargetArn": queue_arn("some-dlq"), "maxReceiveCount": 0}),
        json.dumps({"deadLetterTargetArn": queue_arn("some-dlq"), "maxReceiveCount": 1001}),
    ],
    ids=["not-json", "no-target", "count-0", "count-1001"],
)
def test_invalid_redrive_policy_is_rejected(sqs: SQSClient, queue_name: str, policy: str) -> None:
    # maxReceiveCount is documented as 1..1000. Only the bad-ARN case below has a known AWS
    # error code, so these accept either spelling of "invalid value".
    url = create_queue(sqs, queue_name)

    with sqs_error(("InvalidParameterValue", "InvalidAttributeValue")):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})

    assert "RedrivePolicy" not in attributes(sqs, url)


def test_redrive_policy_with_invalid_target_arn_is_invalid_parameter(
    sqs: SQSClient, queue_name: str
) -> None:
    # As AWS answers: "Value {...} for parameter RedrivePolicy is invalid. Reason: Invalid
    # value for deadLetterTargetArn." with code InvalidParameterValue.
    url = create_queue(sqs, queue_name)
    policy = json.dumps({"deadLetterTargetArn": "dummy", "maxReceiveCount": 42})

    with sqs_error("InvalidParameterValue"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})

    assert "RedrivePolicy" not in attributes(sqs, url)


def test_queue_type_cannot_be_changed(sqs: SQSClient, queue_name: str) -> None:
    # "You can provide this attribute only during queue creation."
    url = create_queue(sqs, queue_name)

    with sqs_error(("InvalidAttributeName", "InvalidAttributeValue")):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})

    assert attributes(sqs, url).get("FifoQueue", "false") == "false"


def test_redrive_allow_policy_round_trips_as_json(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    source = queue_arn(derived_name(queue_name, "-src"))
    by_queue = {"redrivePermission": "byQueue", "sourceQueueArns": [source]}

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": json.dumps(by_queue)})
    assert json.loads(attributes(sqs, url, "RedriveAllowPolicy")["RedriveAllowPolicy"]) == by_queue

    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})},
    )
    allow = json.loads(attributes(sqs, url, "RedriveAllowPolicy")["RedriveAllowPolicy"])
    assert allow["redrivePermission"] == "denyAll"


def test_fifo_queue_reports_fifo_attributes(sqs: SQSClient, queue_name: str) -> None:
    url = create_fifo_queue(sqs, queue_name)

    attrs = attributes(sqs, url)

    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["QueueArn"] == queue_arn(fifo_name(queue_name))


# -- ListQueues ----------------------------------------------------------------------------


def test_list_queues_filters_by_prefix(sqs: SQSClient, queue_name: str) -> None:
    prefix = derived_name(queue_name, "-p")
    urls = {create_queue(sqs, f"{prefix}{i}") for i in range(3)}
    other = create_queue(sqs, derived_name(queue_name, "-other"))

    listed = set(sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []))

    assert listed == urls
    assert other not in listed


def test_list_queues_with_unmatched_prefix_is_empty(sqs: SQSClient, queue_name: str) -> None:
    response = sqs.list_queues(QueueNamePrefix=queue_name + "-nothing-here")

    assert response.get("QueueUrls", []) == []


def test_list_queues_includes_new_queue(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    assert url in sqs.list_queues(QueueNamePrefix=queue_name).get("QueueUrls", [])


def test_list_queues_paginates_with_max_results(sqs: SQSClient, queue_name: str) -> None:
    prefix = derived_name(queue_name, "-p")
    urls = {create_queue(sqs, f"{prefix}{i}") for i in range(5)}

    first = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert len(first["QueueUrls"]) == 2
    assert first.get("NextToken")

    seen = list(first["QueueUrls"])
    token = first["NextToken"]
    while token:
        page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=token)
        assert 1 <= len(page["QueueUrls"]) <= 2
        seen.extend(page["QueueUrls"])
        token = page.get("NextToken")

    assert sorted(seen) == sorted(urls)


def test_list_queues_without_max_results_has_no_next_token(sqs: SQSClient, queue_name: str) -> None:
    prefix = derived_name(queue_name, "-p")
    for i in range(3):
        create_queue(sqs, f"{prefix}{i}")

    response = sqs.list_queues(QueueNamePrefix=prefix)

    assert len(response["QueueUrls"]) == 3
    assert "NextToken" not in response


def test_list_queues_paginator_walks_every_page(sqs: SQSClient, queue_name: str) -> None:
    prefix = derived_name(queue_name, "-p")
    urls = {create_queue(sqs, f"{prefix}{i}") for i in range(4)}

    paginator = sqs.get_paginator("list_queues")
    pages = paginator.paginate(QueueNamePrefix=prefix, PaginationConfig={"PageSize": 3})

    assert {url for page in pages for url in page.get("QueueUrls", [])} == urls


# -- DeleteQueue -------------------------------------------------------------------------------


def test_delete_queue_removes_it(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)
    sqs.send_message(QueueUrl=url, MessageBody="gone with the queue")

    sqs.delete_queue(QueueUrl=url)

    def gone() -> bool:
        try:
            sqs.get_queue_url(QueueName=queue_name)
        except sqs.exceptions.QueueDoesNotExist:
            return True
        return False

    wait_until(gone)
    assert url not in sqs.list_queues(QueueNamePrefix=queue_name).get("QueueUrls", [])


def test_delete_unknown_queue_fails(sqs: SQSClient, endpoint: str, queue_name: str) -> None:
    with sqs_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.delete_queue(QueueUrl=f"{endpoint}/{ACCOUNT}/{queue_name}")


# -- tags ----------------------------------------------------------------------------------


def test_create_queue_with_tags(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, tags={"env": "test", "team": "core"})

    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test", "team": "core"}


def test_untagged_queue_lists_no_tags(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == {}


def test_tag_queue_adds_and_overwrites(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, tags={"env": "test"})

    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "owner": "me"})

    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "owner": "me"}


def test_untag_queue_removes_keys(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name, tags={"a": "1", "b": "2", "c": "3"})

    sqs.untag_queue(QueueUrl=url, TagKeys=["a", "c", "not-there"])

    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"b": "2"}


def test_tags_are_case_sensitive(sqs: SQSClient, queue_name: str) -> None:
    url = create_queue(sqs, queue_name)

    sqs.tag_queue(QueueUrl=url, Tags={"Key": "upper", "key": "lower"})

    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"Key": "upper", "key": "lower"}
