"""DynamoDB Streams through boto3: the records item writes leave for each view type,
shard iterators of every type, closing and re-enabling streams, a deleted table's stream,
TTL deletions as service deletions, and the API's errors."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import CREDENTIALS, REGION, make_client
from lambda_support import unique

from cloudlet.testing import CloudletServer

VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout} s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def ddb(endpoint: str) -> Any:
    return make_client("dynamodb", endpoint)


@pytest.fixture(scope="module")
def streams(endpoint: str) -> Any:
    return make_client("dynamodbstreams", endpoint)


def table(
    ddb: Any, view: str | None = "NEW_AND_OLD_IMAGES", range_key: bool = False
) -> tuple[str, str]:
    """A new table (with a stream of `view`), its name and stream ARN."""
    name = unique("tbl")
    keys = [{"AttributeName": "Id", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "Id", "AttributeType": "N"}]
    if range_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": "S"})
    extra: dict[str, Any] = {}
    if view is not None:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    created = ddb.create_table(
        TableName=name,
        KeySchema=keys,
        AttributeDefinitions=attrs,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )["TableDescription"]
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    return name, created.get("LatestStreamArn", "")


def shard_of(streams: Any, arn: str) -> str:
    return str(streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"])


def read_all(
    streams: Any, arn: str, kind: str = "TRIM_HORIZON", **extra: Any
) -> list[dict[str, Any]]:
    it = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType=kind, **extra
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=it)["Records"])


# -- the records of each view type ----------------------------------------------------------

EXPECTED_PARTS = {
    "KEYS_ONLY": {"INSERT": set(), "MODIFY": set(), "REMOVE": set()},
    "NEW_IMAGE": {"INSERT": {"NewImage"}, "MODIFY": {"NewImage"}, "REMOVE": set()},
    "OLD_IMAGE": {"INSERT": set(), "MODIFY": {"OldImage"}, "REMOVE": {"OldImage"}},
    "NEW_AND_OLD_IMAGES": {
        "INSERT": {"NewImage"},
        "MODIFY": {"NewImage", "OldImage"},
        "REMOVE": {"OldImage"},
    },
}
# AWS's own example items (Lambda developer guide), whose SizeBytes it gives: 26 for the
# INSERT with NEW_AND_OLD_IMAGES and 59 for the MODIFY. SizeBytes counts the keys and
# the images the view type keeps, by DynamoDB's item-size rules.
FIRST = {"Id": {"N": "101"}, "Message": {"S": "New item!"}}
SECOND = {"Id": {"N": "101"}, "Message": {"S": "This item has changed"}}
KEY_SIZE, FIRST_SIZE, SECOND_SIZE = 5, 21, 33


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_records_of_each_view_type(ddb: Any, streams: Any, view: str) -> None:
    name, arn = table(ddb, view)
    ddb.put_item(TableName=name, Item=FIRST)
    ddb.put_item(TableName=name, Item=SECOND)
    # writes that change nothing leave no record (AWS)
    ddb.put_item(TableName=name, Item=SECOND)
    ddb.update_item(
        TableName=name,
        Key={"Id": {"N": "101"}},
        UpdateExpression="SET Message = :m",
        ExpressionAttributeValues={":m": {"S": "This item has changed"}},
    )
    ddb.delete_item(TableName=name, Key={"Id": {"N": "101"}})
    ddb.delete_item(TableName=name, Key={"Id": {"N": "999"}})
    records = read_all(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    images = {"INSERT": (None, FIRST), "MODIFY": (FIRST, SECOND), "REMOVE": (SECOND, None)}
    sizes = {
        "NewImage": {"INSERT": FIRST_SIZE, "MODIFY": SECOND_SIZE},
        "OldImage": {"MODIFY": FIRST_SIZE, "REMOVE": SECOND_SIZE},
    }
    numbers = []
    for record in records:
        event = record["eventName"]
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
        }
        assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
        assert (record["eventVersion"], record["eventSource"], record["awsRegion"]) == (
            "1.1",
            "aws:dynamodb",
            "us-east-1",
        )
        body = record["dynamodb"]
        parts = EXPECTED_PARTS[view][event]
        assert (
            set(body)
            == {
                "ApproximateCreationDateTime",
                "Keys",
                "SequenceNumber",
                "SizeBytes",
                "StreamViewType",
            }
            | parts
        )
        assert body["Keys"] == {"Id": {"N": "101"}}
        old, new = images[event]
        if "NewImage" in parts:
            assert body["NewImage"] == new
        if "OldImage" in parts:
            assert body["OldImage"] == old
        assert body["SizeBytes"] == KEY_SIZE + sum(sizes[p][event] for p in parts)
        assert body["StreamViewType"] == view
        assert abs(body["ApproximateCreationDateTime"].timestamp() - time.time()) < 120
        assert re.fullmatch(r"\d{21,40}", body["SequenceNumber"])
        numbers.append(int(body["SequenceNumber"]))
    assert numbers == sorted(set(numbers))
    if view == "NEW_AND_OLD_IMAGES":
        assert [r["dynamodb"]["SizeBytes"] for r in records[:2]] == [26, 59]  # AWS's figures


def test_every_write_path_is_recorded(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "KEYS_ONLY", range_key=True)
    ddb.batch_write_item(
        RequestItems={
            name: [
                {"PutRequest": {"Item": {"Id": {"N": "1"}, "sk": {"S": "a"}}}},
                {"PutRequest": {"Item": {"Id": {"N": "1"}, "sk": {"S": "b"}}}},
            ]
        }
    )
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": name,
                    "Key": {"Id": {"N": "1"}, "sk": {"S": "a"}},
                    "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": name, "Key": {"Id": {"N": "1"}, "sk": {"S": "b"}}}},
        ]
    )
    # a transaction whose condition fails writes nothing, so records nothing
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"Id": {"N": "2"}, "sk": {"S": "z"}}}},
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": {"Id": {"N": "1"}, "sk": {"S": "a"}},
                        "ConditionExpression": "attribute_not_exists(Id)",
                    }
                },
            ]
        )
    ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'Id': 3, 'sk': 'c'}}")
    ddb.execute_statement(Statement=f"UPDATE \"{name}\" SET y = 1 WHERE Id = 3 AND sk = 'c'")
    ddb.execute_statement(Statement=f"DELETE FROM \"{name}\" WHERE Id = 3 AND sk = 'c'")
    got = [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in read_all(streams, arn)]
    assert sorted(got[:2]) == [("INSERT", "a"), ("INSERT", "b")]
    assert sorted(got[2:4]) == [("MODIFY", "a"), ("REMOVE", "b")]
    assert got[4:] == [("INSERT", "c"), ("MODIFY", "c"), ("REMOVE", "c")]


# -- shard iterators -----------------------------------------------------------------------


def test_shard_iterator_types(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "NEW_IMAGE")
    shard = shard_of(streams, arn)
    ddb.put_item(TableName=name, Item={"Id": {"N": "1"}, "b": {"B": b"\x00\xff"}})
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    for n in (2, 3, 4):
        ddb.put_item(TableName=name, Item={"Id": {"N": str(n)}})

    def ids(records: list[dict[str, Any]]) -> list[str]:
        return [r["dynamodb"]["Keys"]["Id"]["N"] for r in records]

    everything = read_all(streams, arn)
    assert ids(everything) == ["1", "2", "3", "4"]
    assert everything[0]["dynamodb"]["NewImage"]["b"] == {"B": b"\x00\xff"}
    assert ids(streams.get_records(ShardIterator=latest)["Records"]) == ["2", "3", "4"]
    third = everything[2]["dynamodb"]["SequenceNumber"]
    assert ids(read_all(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=third)) == ["3", "4"]
    assert ids(read_all(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=third)) == ["4"]
    assert read_all(streams, arn, "LATEST") == []
    # paging with Limit, then waiting at the end of the shard for what comes next
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    seen: list[str] = []
    for _ in range(3):
        page = streams.get_records(ShardIterator=it, Limit=2)
        seen += ids(page["Records"])
        it = page["NextShardIterator"]
    assert seen == ["1", "2", "3", "4"]
    ddb.put_item(TableName=name, Item={"Id": {"N": "5"}})
    assert ids(streams.get_records(ShardIterator=it)["Records"]) == ["5"]


def test_get_records_answers_about_one_megabyte(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "NEW_IMAGE")
    blob = "x" * 100_000
    for n in range(15):  # 1.5 MB of images
        ddb.put_item(TableName=name, Item={"Id": {"N": str(n)}, "blob": {"S": blob}})
    it = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    first = streams.get_records(ShardIterator=it)
    assert 0 < len(first["Records"]) < 15
    assert sum(r["dynamodb"]["SizeBytes"] for r in first["Records"]) <= 1024 * 1024
    rest = streams.get_records(ShardIterator=first["NextShardIterator"])["Records"]
    ids = [r["dynamodb"]["Keys"]["Id"]["N"] for r in first["Records"] + rest]
    assert ids == [str(n) for n in range(15)]


def test_disabling_closes_the_shard_and_enabling_starts_a_new_stream(
    ddb: Any, streams: Any
) -> None:
    name, arn = table(ddb, "NEW_IMAGE")
    ddb.put_item(TableName=name, Item={"Id": {"N": "1"}})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    wait_for(
        lambda: (
            streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"]
            == "DISABLED"
        ),
        what="a disabled stream",
    )
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    numbers = description["Shards"][0]["SequenceNumberRange"]
    it = streams.get_shard_iterator(
        StreamArn=arn, ShardId=description["Shards"][0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    page = streams.get_records(ShardIterator=it)
    assert [r["dynamodb"]["SequenceNumber"] for r in page["Records"]] == [
        numbers["EndingSequenceNumber"]
    ]
    assert "NextShardIterator" not in page  # the closed shard is read to its end
    ddb.put_item(TableName=name, Item={"Id": {"N": "2"}})  # no stream: no record
    wait_for(lambda: ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE")
    ddb.update_table(
        TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    wait_for(lambda: ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE")
    again = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    assert again != arn and again.startswith(arn.split("/stream/")[0] + "/stream/")
    ddb.put_item(TableName=name, Item={"Id": {"N": "3"}})
    assert [r["dynamodb"]["Keys"]["Id"]["N"] for r in read_all(streams, again)] == ["3"]
    listed = streams.list_streams(TableName=name)["Streams"]
    assert sorted(s["StreamArn"] for s in listed) == sorted([arn, again])


def test_a_deleted_tables_stream_stays_readable(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"Id": {"N": "1"}})
    ddb.delete_table(TableName=name)
    wait_for(lambda: name not in ddb.list_tables()["TableNames"], what="the table gone")
    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"
    assert [r["eventName"] for r in read_all(streams, arn)] == ["INSERT"]


def test_ttl_deletions_are_service_deletions(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "NEW_AND_OLD_IMAGES")
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    past = str(int(time.time()) - 60)
    ddb.put_item(TableName=name, Item={"Id": {"N": "1"}, "expires": {"N": past}})
    ddb.put_item(TableName=name, Item={"Id": {"N": "2"}})
    ddb.delete_item(TableName=name, Key={"Id": {"N": "2"}})

    def removals() -> list[dict[str, Any]]:
        return [r for r in read_all(streams, arn) if r["eventName"] == "REMOVE"]

    found = wait_for(lambda: len(removals()) == 2 and removals(), 30, "the TTL deletion")
    by_id = {r["dynamodb"]["Keys"]["Id"]["N"]: r for r in found}
    assert by_id["1"]["userIdentity"] == {
        "PrincipalId": "dynamodb.amazonaws.com",
        "Type": "Service",
    }
    assert by_id["1"]["dynamodb"]["OldImage"]["expires"] == {"N": past}
    assert "userIdentity" not in by_id["2"]  # a user's own delete


# -- errors ----------------------------------------------------------------------------------


def code_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_errors(ddb: Any, streams: Any) -> None:
    name, arn = table(ddb, "KEYS_ONLY")
    shard = shard_of(streams, arn)
    ddb.put_item(TableName=name, Item={"Id": {"N": "1"}})
    missing = arn.replace(name, name + "x")
    assert code_of(lambda: streams.describe_stream(StreamArn=missing)) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Stream: {missing} not found",
    )
    assert (
        code_of(
            lambda: streams.get_shard_iterator(
                StreamArn=arn,
                ShardId="shardId-00000000000000000000-00000000",
                ShardIteratorType="LATEST",
            )
        )[1]
        == "Requested resource not found: Shard does not exist"
    )
    assert code_of(
        lambda: streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER"
        )
    )[0] == ("ValidationException")
    assert (
        code_of(
            lambda: streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=shard,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber="9" * 25,
            )
        )[0]
        == "ValidationException"
    )
    assert code_of(lambda: streams.get_records(ShardIterator="not-an-iterator"))[0] == (
        "ValidationException"
    )
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    loose = boto3.client(
        "dynamodbstreams",
        endpoint_url=streams.meta.endpoint_url,
        region_name=REGION,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        **CREDENTIALS,
    )
    assert code_of(lambda: loose.get_records(ShardIterator=it, Limit=0))[0] == (
        "ValidationException"
    )
    assert (
        code_of(
            lambda: loose.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="SOMETIME"
            )
        )[0]
        == "ValidationException"
    )
    # another account cannot see the stream
    other = boto3.client(
        "dynamodbstreams",
        endpoint_url=streams.meta.endpoint_url,
        region_name=REGION,
        aws_access_key_id="111111111111",
        aws_secret_access_key="x",
    )
    code, _ = code_of(lambda: other.describe_stream(StreamArn=arn))
    assert code == "ResourceNotFoundException"


# -- durability ----------------------------------------------------------------------------


def test_streams_survive_a_kill(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = CloudletServer(data_dir=tmp_path / "data", port=port).start()
    try:
        ddb = make_client("dynamodb", first.endpoint_url)
        name, arn = table(ddb, "NEW_IMAGE")
        ddb.put_item(TableName=name, Item={"Id": {"N": "1"}})
        before = read_all(make_client("dynamodbstreams", first.endpoint_url), arn)
    finally:
        first.kill()
    second = CloudletServer(data_dir=tmp_path / "data", port=port).start()
    try:
        ddb = make_client("dynamodb", second.endpoint_url)
        streams = make_client("dynamodbstreams", second.endpoint_url)
        assert read_all(streams, arn) == before
        ddb.put_item(TableName=name, Item={"Id": {"N": "2"}})
        after = read_all(streams, arn)
        assert [r["dynamodb"]["Keys"]["Id"]["N"] for r in after] == ["1", "2"]
        assert int(after[1]["dynamodb"]["SequenceNumber"]) > int(
            after[0]["dynamodb"]["SequenceNumber"]
        )
    finally:
        second.stop()
