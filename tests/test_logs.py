"""CloudWatch Logs through boto3, as a user's program calls it: log groups and streams,
PutLogEvents' batch rules, GetLogEvents' two-way paging, FilterLogEvents with filter
patterns, retention and tags, with AWS's error codes and messages."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import CREDENTIALS, make_client

from cloudlet.testing import CloudletServer

ACCOUNT = "000000000000"
REGION = "us-east-1"
DAY_MS = 86_400_000

LogsClient = Any  # boto3 clients are generated at run time


@pytest.fixture(scope="module")
def logs(endpoint: str) -> LogsClient:
    return make_client("logs", endpoint)


@pytest.fixture(scope="module")
def unchecked(endpoint: str) -> LogsClient:
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return other_client(endpoint, parameter_validation=False)


def other_client(endpoint: str, region: str = REGION, **config: Any) -> LogsClient:
    return boto3.client(
        "logs",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 1}, **config),
        **CREDENTIALS,
    )


@pytest.fixture
def group(logs: LogsClient) -> str:
    name = f"/test/{uuid.uuid4().hex}"
    logs.create_log_group(logGroupName=name)
    return name


@pytest.fixture
def stream(logs: LogsClient, group: str) -> str:
    logs.create_log_stream(logGroupName=group, logStreamName="main")
    return "main"


def now_ms() -> int:
    return int(time.time() * 1000)


def group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def put(logs: LogsClient, group: str, stream: str, messages: list[str], start: int = 0) -> int:
    """Put messages 1 ms apart from `start` (default: now); return the first timestamp."""
    first = start or now_ms()
    events = [{"timestamp": first + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    return first


def describe_group(logs: LogsClient, name: str) -> dict[str, Any]:
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next(g for g in found if g["logGroupName"] == name)


def describe_stream(logs: LogsClient, group: str, name: str) -> dict[str, Any]:
    found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=name)
    return next(s for s in found["logStreams"] if s["logStreamName"] == name)


def messages(response: dict[str, Any]) -> list[str]:
    return [e["message"] for e in response["events"]]


@contextmanager
def logs_error(code: str, message: str | None = None) -> Iterator[None]:
    with pytest.raises(ClientError) as info:
        yield
    error = info.value.response["Error"]
    assert error["Code"] == code, info.value.response
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if message is not None:
        assert error["Message"] == message


GROUP_MISSING = "The specified log group does not exist."
STREAM_MISSING = "The specified log stream does not exist."


# -- log groups -----------------------------------------------------------------------------


def test_create_log_group_is_described_as_aws_does(logs: LogsClient) -> None:
    name = f"/aws/lambda/{uuid.uuid4().hex}"
    before = now_ms()
    logs.create_log_group(logGroupName=name)

    found = describe_group(logs, name)
    assert found["arn"] == group_arn(name) + ":*"
    assert found["logGroupArn"] == group_arn(name)
    assert before - 1000 <= found["creationTime"] <= now_ms() + 1000
    assert found["storedBytes"] == 0
    assert found["metricFilterCount"] == 0
    assert found["logGroupClass"] == "STANDARD"
    assert "retentionInDays" not in found


def test_create_log_group_keeps_class_and_kms_key(logs: LogsClient) -> None:
    name = f"ia-{uuid.uuid4().hex}"
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid4()}"
    logs.create_log_group(logGroupName=name, logGroupClass="INFREQUENT_ACCESS", kmsKeyId=key)

    found = describe_group(logs, name)
    assert found["logGroupClass"] == "INFREQUENT_ACCESS"
    assert found["kmsKeyId"] == key


def test_create_existing_log_group_fails(logs: LogsClient, group: str) -> None:
    with logs_error("ResourceAlreadyExistsException", "The specified log group already exists"):
        logs.create_log_group(logGroupName=group)


@pytest.mark.parametrize(
    "name",
    [
        "has space",
        "colon:name",
        "star*",
        "aws/reserved",
    ],
)
def test_create_log_group_with_invalid_name_fails(logs: LogsClient, name: str) -> None:
    with logs_error("InvalidParameterException"):
        logs.create_log_group(logGroupName=name)


def test_log_groups_are_per_region(logs: LogsClient, endpoint: str, group: str) -> None:
    other = other_client(endpoint, region="eu-west-1")
    assert other.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    other.create_log_group(logGroupName=group)  # the same name is free there


def test_delete_log_group(logs: LogsClient, group: str, stream: str) -> None:
    put(logs, group, stream, ["gone soon"])
    logs.delete_log_group(logGroupName=group)

    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


def test_describe_log_groups_by_prefix_and_pattern(logs: LogsClient) -> None:
    tag = uuid.uuid4().hex
    names = [f"/app/{tag}/api", f"/app/{tag}/worker", f"/other/{tag}/API"]
    for name in names:
        logs.create_log_group(logGroupName=name)

    by_prefix = logs.describe_log_groups(logGroupNamePrefix=f"/app/{tag}/")["logGroups"]
    assert [g["logGroupName"] for g in by_prefix] == names[:2]
    by_pattern = logs.describe_log_groups(logGroupNamePattern=f"{tag}/api")["logGroups"]
    assert by_pattern == [
        {
            "logGroupName": names[0],
            "creationTime": by_pattern[0]["creationTime"],
            "arn": group_arn(names[0]) + ":*",
        }
    ]
    with logs_error("InvalidParameterException"):
        logs.describe_log_groups(logGroupNamePrefix="/app", logGroupNamePattern="api")


def test_describe_log_groups_by_identifiers(logs: LogsClient, group: str) -> None:
    found = logs.describe_log_groups(logGroupIdentifiers=[group_arn(group), "/no/such/group"])
    assert [g["logGroupName"] for g in found["logGroups"]] == [group]


def test_describe_log_groups_pages(logs: LogsClient) -> None:
    prefix = f"/paged/{uuid.uuid4().hex}/"
    names = [f"{prefix}{i:02d}" for i in range(7)]
    for name in names:
        logs.create_log_group(logGroupName=name)

    first = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=3)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:3]
    second = logs.describe_log_groups(
        logGroupNamePrefix=prefix, limit=3, nextToken=first["nextToken"]
    )
    assert [g["logGroupName"] for g in second["logGroups"]] == names[3:6]
    pages = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 2}
    )
    assert [g["logGroupName"] for g in pages.build_full_result()["logGroups"]] == names


@pytest.mark.parametrize("limit", [0, 51])
def test_describe_limits_are_checked(unchecked: LogsClient, group: str, limit: int) -> None:
    with logs_error("InvalidParameterException"):
        unchecked.describe_log_groups(limit=limit)
    with logs_error("InvalidParameterException"):
        unchecked.describe_log_streams(logGroupName=group, limit=limit)


def test_bad_next_token_is_rejected(logs: LogsClient, group: str) -> None:
    with logs_error("InvalidParameterException"):
        logs.describe_log_groups(nextToken="not-a-token")
    with logs_error("InvalidParameterException"):
        logs.filter_log_events(logGroupName=group, nextToken="bm9wZQ==")


# -- retention ------------------------------------------------------------------------------


def test_retention_policy_round_trip(logs: LogsClient, group: str) -> None:
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    assert describe_group(logs, group)["retentionInDays"] == 30

    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in describe_group(logs, group)


@pytest.mark.parametrize("days", [0, 2, 10, 4000])
def test_retention_must_be_an_allowed_value(logs: LogsClient, group: str, days: int) -> None:
    with logs_error("InvalidParameterException"):
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)


def test_retention_of_missing_group_fails(logs: LogsClient) -> None:
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.put_retention_policy(logGroupName="/no/such/group", retentionInDays=1)
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.delete_retention_policy(logGroupName="/no/such/group")


def test_retention_drops_old_events(logs: LogsClient, group: str, stream: str) -> None:
    put(logs, group, stream, ["three days old"], start=now_ms() - 3 * DAY_MS)
    put(logs, group, stream, ["fresh"])
    assert describe_group(logs, group)["storedBytes"] == len("three days old") + len("fresh")

    logs.put_retention_policy(logGroupName=group, retentionInDays=1)

    assert messages(logs.get_log_events(logGroupName=group, logStreamName=stream)) == ["fresh"]
    assert messages(logs.filter_log_events(logGroupName=group)) == ["fresh"]
    assert describe_group(logs, group)["storedBytes"] == len("fresh")


def test_events_older_than_retention_are_rejected(
    logs: LogsClient, group: str, stream: str
) -> None:
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    now = now_ms()
    hour = 3_600_000
    events = [
        {"timestamp": now - 25 * hour, "message": "expired"},
        {"timestamp": now - 23 * hour, "message": "kept"},
    ]
    response = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    assert response["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    assert messages(logs.get_log_events(logGroupName=group, logStreamName=stream)) == ["kept"]


# -- log streams ----------------------------------------------------------------------------


def test_create_log_stream_is_described(logs: LogsClient, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="2024/01/01/[$LATEST]abc")

    found = describe_stream(logs, group, "2024/01/01/[$LATEST]abc")
    assert found["arn"] == f"{group_arn(group)}:log-stream:2024/01/01/[$LATEST]abc"
    assert found["storedBytes"] == 0
    assert abs(found["creationTime"] - now_ms()) < 5000
    for absent in ("firstEventTimestamp", "lastEventTimestamp", "uploadSequenceToken"):
        assert absent not in found


def test_stream_reports_its_events(logs: LogsClient, group: str, stream: str) -> None:
    first = put(logs, group, stream, ["a", "b"])
    response = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": first + 5, "message": "c"}],
        sequenceToken="anything: tokens are ignored, as on AWS",
    )

    found = describe_stream(logs, group, stream)
    assert found["firstEventTimestamp"] == first
    assert found["lastEventTimestamp"] == first + 5
    assert abs(found["lastIngestionTime"] - now_ms()) < 5000
    assert found["uploadSequenceToken"] == response["nextSequenceToken"]


def test_create_existing_log_stream_fails(logs: LogsClient, group: str, stream: str) -> None:
    with logs_error("ResourceAlreadyExistsException", "The specified log stream already exists"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)


def test_create_log_stream_in_missing_group_fails(logs: LogsClient) -> None:
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.create_log_stream(logGroupName="/no/such/group", logStreamName="s")


@pytest.mark.parametrize("name", ["with:colon", "with*star"])
def test_create_log_stream_with_invalid_name_fails(logs: LogsClient, group: str, name: str) -> None:
    with logs_error("InvalidParameterException"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)


def test_delete_log_stream(logs: LogsClient, group: str, stream: str) -> None:
    put(logs, group, stream, ["x"])
    logs.delete_log_stream(logGroupName=group, logStreamName=stream)

    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    assert describe_group(logs, group)["storedBytes"] == 0
    with logs_error("ResourceNotFoundException", STREAM_MISSING):
        logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.delete_log_stream(logGroupName="/no/such/group", logStreamName=stream)


def test_describe_log_streams_orders_and_pages(logs: LogsClient, group: str) -> None:
    base = now_ms() - 10_000
    for name, offset in [("b", 3), ("a", 1), ("c", 2), ("d", 0)]:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        put(logs, group, name, [name], start=base + offset)

    def names(**kwargs: Any) -> list[str]:
        found = logs.describe_log_streams(logGroupName=group, **kwargs)["logStreams"]
        return [s["logStreamName"] for s in found]

    assert names() == ["a", "b", "c", "d"]
    assert names(descending=True) == ["d", "c", "b", "a"]
    assert names(orderBy="LastEventTime") == ["d", "a", "c", "b"]
    assert names(orderBy="LastEventTime", descending=True) == ["b", "c", "a", "d"]
    assert names(logStreamNamePrefix="c") == ["c"]
    first = logs.describe_log_streams(logGroupName=group, limit=3)
    assert len(first["logStreams"]) == 3
    rest = logs.describe_log_streams(logGroupName=group, limit=3, nextToken=first["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["d"]
    assert "nextToken" not in rest
    with logs_error(
        "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix."
    ):
        logs.describe_log_streams(
            logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a"
        )


def test_describe_log_streams_by_identifier(logs: LogsClient, group: str, stream: str) -> None:
    for identifier in (group, group_arn(group)):
        found = logs.describe_log_streams(logGroupIdentifier=identifier)["logStreams"]
        assert [s["logStreamName"] for s in found] == [stream]
    with logs_error("InvalidParameterException"):
        logs.describe_log_streams(logGroupName=group, logGroupIdentifier=group)
    with logs_error("InvalidParameterException"):
        logs.describe_log_streams()
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.describe_log_streams(logGroupName="/no/such/group")
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.describe_log_streams(
            logGroupIdentifier=f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{group}"
        )


# -- PutLogEvents ---------------------------------------------------------------------------


def test_put_log_events_stores_messages_exactly(logs: LogsClient, group: str, stream: str) -> None:
    texts = ["plain", "unicode: héllo ✓ 日本", "multi\nline\ttext", " padded "]
    first = put(logs, group, stream, texts)

    response = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert messages(response) == texts
    assert [e["timestamp"] for e in response["events"]] == [first + i for i in range(4)]
    assert all(abs(e["ingestionTime"] - now_ms()) < 5000 for e in response["events"])
    utf8 = sum(len(t.encode()) for t in texts)
    assert describe_group(logs, group)["storedBytes"] == utf8


def test_put_log_events_accepts_equal_timestamps(logs: LogsClient, group: str, stream: str) -> None:
    now = now_ms()
    events = [{"timestamp": now, "message": f"m{i}"} for i in range(5)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    got = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert messages(got) == [f"m{i}" for i in range(5)]


def test_put_log_events_must_be_chronological(logs: LogsClient, group: str, stream: str) -> None:
    now = now_ms()
    events = [{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}]
    with logs_error(
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
    ):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


def test_too_old_and_too_new_events_are_rejected(logs: LogsClient, group: str, stream: str) -> None:
    now = now_ms()
    hour = 3_600_000
    events = [  # a batch may span at most 24 hours
        {"timestamp": now - 14 * DAY_MS - 2 * hour, "message": "old 1"},
        {"timestamp": now - 14 * DAY_MS - 60_000, "message": "old 2"},
        {"timestamp": now - 14 * DAY_MS + 2 * hour, "message": "kept 1"},
        {"timestamp": now - 14 * DAY_MS + 2 * hour + 1, "message": "kept 2"},
    ]
    response = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    assert response["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}

    events = [
        {"timestamp": now, "message": "kept 3"},
        {"timestamp": now + 3 * hour, "message": "future 1"},
        {"timestamp": now + 4 * hour, "message": "future 2"},
    ]
    response = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    assert response["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}

    stored = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert messages(stored) == ["kept 1", "kept 2", "kept 3"]


def test_put_log_events_to_missing_group_or_stream(logs: LogsClient, group: str) -> None:
    event = [{"timestamp": now_ms(), "message": "x"}]
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.put_log_events(logGroupName="/no/such/group", logStreamName="s", logEvents=event)
    with logs_error("ResourceNotFoundException", STREAM_MISSING):
        logs.put_log_events(logGroupName=group, logStreamName="missing", logEvents=event)


def test_put_log_events_takes_10000_events(logs: LogsClient, group: str, stream: str) -> None:
    now = now_ms()
    events = [{"timestamp": now, "message": f"m{i}"} for i in range(10_000)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    assert len(logs.filter_log_events(logGroupName=group)["events"]) == 10_000


def test_put_log_events_batch_count_limit(unchecked: LogsClient, group: str, stream: str) -> None:
    events = [{"timestamp": now_ms(), "message": "x"} for _ in range(10_001)]
    with logs_error("InvalidParameterException"):
        unchecked.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    with logs_error("InvalidParameterException"):
        unchecked.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[])


def test_put_log_events_batch_size_counts_26_bytes_per_event(
    logs: LogsClient, group: str, stream: str
) -> None:
    now = now_ms()
    fits = [
        {"timestamp": now, "message": "x" * (1_048_576 - 26 * 2 - 1)},
        {"timestamp": now, "message": "y"},
    ]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=fits)

    too_big = [
        {"timestamp": now, "message": "x" * (1_048_576 - 26 * 2)},
        {"timestamp": now, "message": "y"},
    ]
    with logs_error(
        "InvalidParameterException", "Upload too large: 1048577 bytes exceeds limit of 1048576"
    ):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=too_big)


def test_put_log_events_batch_cannot_span_a_day(logs: LogsClient, group: str, stream: str) -> None:
    now = now_ms()
    events = [
        {"timestamp": now - DAY_MS - 1000, "message": "a"},
        {"timestamp": now, "message": "b"},
    ]
    with logs_error("InvalidParameterException"):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


# -- GetLogEvents ---------------------------------------------------------------------------


@pytest.fixture
def numbered(logs: LogsClient, group: str, stream: str) -> int:
    """Ten events "0".."9" in the stream, 1 ms apart; returns the first timestamp."""
    return put(logs, group, stream, [str(i) for i in range(10)], start=now_ms() - 60_000)


def test_get_log_events_returns_the_newest_by_default(
    logs: LogsClient, group: str, stream: str, numbered: int
) -> None:
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3)
    assert messages(tail) == ["7", "8", "9"]
    head = logs.get_log_events(
        logGroupName=group, logStreamName=stream, limit=3, startFromHead=True
    )
    assert messages(head) == ["0", "1", "2"]


def test_get_log_events_pages_forward_to_a_repeated_token(
    logs: LogsClient, group: str, stream: str, numbered: int
) -> None:
    seen: list[str] = []
    kwargs: dict[str, Any] = {"startFromHead": True}
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=4, **kwargs)
        seen += messages(page)
        if page["nextForwardToken"] == kwargs.get("nextToken"):
            break
        kwargs = {"nextToken": page["nextForwardToken"]}
    assert seen == [str(i) for i in range(10)]
    assert page["events"] == []
    assert page["nextBackwardToken"].startswith("b/")


def test_get_log_events_pages_backward(
    logs: LogsClient, group: str, stream: str, numbered: int
) -> None:
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=4)
    assert messages(page) == ["6", "7", "8", "9"]
    page = logs.get_log_events(
        logGroupName=group, logStreamName=stream, limit=4, nextToken=page["nextBackwardToken"]
    )
    assert messages(page) == ["2", "3", "4", "5"]
    page = logs.get_log_events(
        logGroupName=group, logStreamName=stream, limit=4, nextToken=page["nextBackwardToken"]
    )
    assert messages(page) == ["0", "1"]
    end = logs.get_log_events(
        logGroupName=group, logStreamName=stream, limit=4, nextToken=page["nextBackwardToken"]
    )
    assert end["events"] == [] and end["nextBackwardToken"] == page["nextBackwardToken"]
    forward = logs.get_log_events(
        logGroupName=group, logStreamName=stream, limit=4, nextToken=end["nextForwardToken"]
    )
    assert messages(forward) == ["0", "1", "2", "3"]


def test_get_log_events_time_window(
    logs: LogsClient, group: str, stream: str, numbered: int
) -> None:
    window = logs.get_log_events(
        logGroupName=group,
        logStreamName=stream,
        startTime=numbered + 2,
        endTime=numbered + 5,
        startFromHead=True,
    )
    # startTime is inclusive, endTime exclusive.
    assert messages(window) == ["2", "3", "4"]


def test_get_log_events_follows_a_stream(logs: LogsClient, group: str, stream: str) -> None:
    empty = logs.get_log_events(logGroupName=group, logStreamName=stream)
    assert empty["events"] == []
    put(logs, group, stream, ["first", "second"])

    update = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=empty["nextForwardToken"]
    )
    assert messages(update) == ["first", "second"]
    put(logs, group, stream, ["third"])
    later = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=update["nextForwardToken"]
    )
    assert messages(later) == ["third"]


def test_get_log_events_by_group_identifier(
    logs: LogsClient, group: str, stream: str, numbered: int
) -> None:
    page = logs.get_log_events(logGroupIdentifier=group_arn(group), logStreamName=stream, limit=1)
    assert messages(page) == ["9"]


def test_get_log_events_errors(logs: LogsClient, group: str, stream: str) -> None:
    with logs_error("ResourceNotFoundException", STREAM_MISSING):
        logs.get_log_events(logGroupName=group, logStreamName="missing")
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.get_log_events(logGroupName="/no/such/group", logStreamName=stream)
    with logs_error("InvalidParameterException", "The specified nextToken is invalid."):
        logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken="x/123")


def test_event_limits_are_checked(unchecked: LogsClient, group: str, stream: str) -> None:
    with logs_error("InvalidParameterException"):
        unchecked.get_log_events(logGroupName=group, logStreamName=stream, limit=10_001)
    with logs_error("InvalidParameterException"):
        unchecked.filter_log_events(logGroupName=group, limit=0)


# -- FilterLogEvents ------------------------------------------------------------------------


def test_filter_log_events_interleaves_streams(logs: LogsClient, group: str) -> None:
    base = now_ms() - 60_000
    for name in ("app-1", "app-2", "other"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    put(logs, group, "app-1", ["a0"], start=base)
    put(logs, group, "app-1", ["a2"], start=base + 2)
    put(logs, group, "app-1", ["a10"], start=base + 10)
    put(logs, group, "app-2", ["b1"], start=base + 1)
    put(logs, group, "other", ["o5"], start=base + 5)

    everything = logs.filter_log_events(logGroupName=group)
    assert messages(everything) == ["a0", "b1", "a2", "o5", "a10"]
    assert everything["searchedLogStreams"] == []
    event = everything["events"][1]
    assert event["logStreamName"] == "app-2" and event["timestamp"] == base + 1
    assert event["eventId"] and abs(event["ingestionTime"] - now_ms()) < 5000
    assert len({e["eventId"] for e in everything["events"]}) == 5

    by_names = logs.filter_log_events(logGroupName=group, logStreamNames=["app-2", "other"])
    assert messages(by_names) == ["b1", "o5"]
    by_prefix = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="app-")
    assert messages(by_prefix) == ["a0", "b1", "a2", "a10"]
    window = logs.filter_log_events(logGroupName=group, startTime=base + 1, endTime=base + 5)
    assert messages(window) == ["b1", "a2", "o5"]  # both ends inclusive
    with logs_error("InvalidParameterException"):
        logs.filter_log_events(logGroupName=group, logStreamNames=["a"], logStreamNamePrefix="a")


def test_filter_log_events_pages(logs: LogsClient, group: str, stream: str) -> None:
    put(logs, group, stream, [f"line {i}" for i in range(25)])

    first = logs.filter_log_events(logGroupName=group, limit=10)
    assert messages(first) == [f"line {i}" for i in range(10)]
    second = logs.filter_log_events(logGroupName=group, limit=10, nextToken=first["nextToken"])
    assert messages(second) == [f"line {i}" for i in range(10, 20)]
    third = logs.filter_log_events(logGroupName=group, limit=10, nextToken=second["nextToken"])
    assert messages(third) == [f"line {i}" for i in range(20, 25)]
    assert "nextToken" not in third

    exact = logs.filter_log_events(logGroupName=group, limit=5, filterPattern='"line 2"')
    assert messages(exact) == ["line 2", "line 20", "line 21", "line 22", "line 23"]
    assert "nextToken" in exact
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern="-5", PaginationConfig={"PageSize": 4}
    )
    found = [e["message"] for e in pages.build_full_result()["events"]]
    assert found == [f"line {i}" for i in range(25) if "5" not in str(i)]


def test_filter_log_events_errors(logs: LogsClient, group: str) -> None:
    with logs_error("ResourceNotFoundException", GROUP_MISSING):
        logs.filter_log_events(logGroupName="/no/such/group")
    for pattern in ("{ $.a = ", "[a, b", '"open', "%(x)%"):
        with logs_error("InvalidParameterException", "Invalid filter pattern"):
            logs.filter_log_events(logGroupName=group, filterPattern=pattern)


MIXED = [
    "START RequestId: 1 Version: $LATEST",
    "[ERROR] 2024-01-01 Unhandled exception in handler",
    "[WARN] slow request took 1200 ms",
    "[INFO] request served",
    json.dumps({"level": "ERROR", "latency": 250, "user": {"id": 7, "tags": ["a", "b"]}}),
    json.dumps({"level": "INFO", "latency": 40, "user": {"id": 8, "tags": []}, "trace": None}),
    json.dumps({"level": "WARN", "latency": 120, "retry": True}),
    '10.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.1" 200 2326',
    '10.0.0.2 - eve [10/Oct/2000:13:55:37 -0700] "POST /login HTTP/1.1" 404 512',
    "END RequestId: 1",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", list(range(10))),
        ("ERROR", [1, 4]),
        ("RequestId", [0, 9]),
        ("ERROR exception", [1]),
        ("?WARN ?served", [2, 3, 6]),
        ('"slow request"', [2]),
        ('"request slow"', []),
        ("RequestId -END", [0]),
        ("%^\\[(ERROR|WARN)%", "invalid"),
        ("%^\\[[EW]%", [1, 2]),
        ('{ $.level = "ERROR" }', [4]),
        ("{ $.level != ERROR }", [5, 6]),
        ("{ $.latency > 100 }", [4, 6]),
        ("{ $.latency >= 40 && $.latency < 200 }", [5, 6]),
        ("{ $.level = ERROR || $.retry IS TRUE }", [4, 6]),
        ("{ ($.level = INFO || $.level = WARN) && $.latency > 100 }", [6]),
        ("{ $.user.id = 7 }", [4]),
        ('{ $.user.tags[1] = "b" }', [4]),
        ("{ $.trace IS NULL }", [5]),
        ("{ $.user NOT EXISTS }", [6]),
        ("{ $.level = W* }", [6]),
        ("[ip, dash, user, timestamp, request, status = 404, size]", [8]),
        ("[ip, ..., status, size > 1000]", [7]),
        ("[..., request = *login*, status, size]", [8]),
        ("[w1 = START || w1 = END, ...]", [0, 9]),
    ],
)
def test_filter_patterns_end_to_end(
    logs: LogsClient, group: str, stream: str, pattern: str, expected: list[int] | str
) -> None:
    put(logs, group, stream, MIXED)
    if expected == "invalid":
        with logs_error("InvalidParameterException", "Invalid filter pattern"):
            logs.filter_log_events(logGroupName=group, filterPattern=pattern)
        return
    found = logs.filter_log_events(logGroupName=group, filterPattern=pattern)
    assert messages(found) == [MIXED[i] for i in expected]  # type: ignore[union-attr]


# -- tags -----------------------------------------------------------------------------------


def test_tags_at_creation(logs: LogsClient) -> None:
    name = f"/tagged/{uuid.uuid4().hex}"
    logs.create_log_group(logGroupName=name, tags={"team": "core", "env": "dev"})

    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "core", "env": "dev"}
    listed = logs.list_tags_for_resource(resourceArn=group_arn(name))
    assert listed["tags"] == {"team": "core", "env": "dev"}


def test_tag_resource_by_arn(logs: LogsClient, group: str) -> None:
    arn = group_arn(group)
    logs.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    logs.tag_resource(resourceArn=arn, tags={"b": "3"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "3"}

    logs.untag_resource(resourceArn=arn, tagKeys=["a", "missing"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "3"}


def test_tagging_arns_have_no_trailing_star(logs: LogsClient, group: str) -> None:
    # The model's pattern for resourceArn has no "*" in it.
    with logs_error("InvalidParameterException"):
        logs.list_tags_for_resource(resourceArn=group_arn(group) + ":*")


def test_tagging_unknown_resources_fails(logs: LogsClient) -> None:
    with logs_error("ResourceNotFoundException"):
        logs.tag_resource(resourceArn=group_arn("/no/such/group"), tags={"a": "b"})
    with logs_error("ResourceNotFoundException"):
        logs.untag_resource(
            resourceArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:destination:d", tagKeys=["a"]
        )
    with logs_error("InvalidParameterException"):
        logs.list_tags_for_resource(resourceArn="not-an-arn")


def test_tag_limits(logs: LogsClient, group: str) -> None:
    arn = group_arn(group)
    logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    with logs_error("TooManyTagsException"):
        logs.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    with logs_error("InvalidParameterException"):
        logs.tag_log_group(logGroupName=group, tags={"one-more": "v"})
    with logs_error("InvalidParameterException"):
        logs.tag_resource(resourceArn=arn, tags={"aws:reserved": "v"})
    with logs_error("InvalidParameterException"):
        logs.tag_resource(resourceArn=arn, tags={"k0": "bad!value"})


def test_deprecated_tag_log_group(logs: LogsClient, group: str) -> None:
    logs.tag_log_group(logGroupName=group, tags={"x": "1", "y": "2"})
    logs.untag_log_group(logGroupName=group, tags=["x"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"y": "2"}

    for call in (
        lambda: logs.tag_log_group(logGroupName="/no/such/group", tags={"a": "b"}),
        lambda: logs.untag_log_group(logGroupName="/no/such/group", tags=["a"]),
        lambda: logs.list_tags_log_group(logGroupName="/no/such/group"),
    ):
        with logs_error("ResourceNotFoundException", GROUP_MISSING):
            call()


# -- durability ---------------------------------------------------------------------------


def test_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    server = CloudletServer(data_dir=tmp_path / "data", ephemeral=False).start()
    try:
        logs = make_client("logs", server.endpoint_url)
        logs.create_log_group(logGroupName="/durable", tags={"k": "v"})
        logs.put_retention_policy(logGroupName="/durable", retentionInDays=7)
        logs.create_log_stream(logGroupName="/durable", logStreamName="s")
        first = put(logs, "/durable", "s", ["one", "two"])

        server.kill()
        server.start()

        logs = make_client("logs", server.endpoint_url)
        assert describe_group(logs, "/durable")["retentionInDays"] == 7
        assert logs.list_tags_log_group(logGroupName="/durable")["tags"] == {"k": "v"}
        got = logs.get_log_events(logGroupName="/durable", logStreamName="s", startFromHead=True)
        assert messages(got) == ["one", "two"]
        assert describe_stream(logs, "/durable", "s")["lastEventTimestamp"] == first + 1
    finally:
        server.stop()
