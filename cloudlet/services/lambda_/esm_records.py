"""What an SQS event source mapping hands a function and what it makes of the answer:
the SQSEvent records Lambda builds from received messages, event filtering against
them, and the reading of a partial batch response (ReportBatchItemFailures).

Pure functions over plain dicts, no I/O: the poller (esm_poller.py) receives, invokes
and deletes.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from cloudlet.gateway.context import RequestContext

# The order in which Lambda writes a record's system attributes (AWS's FIFO example).
_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "DeadLetterQueueSourceArn",
)


class Matcher(Protocol):
    """A compiled event pattern (cloudlet.patterns)."""

    def matches(self, event: dict[str, Any]) -> bool: ...


def queue_target(endpoint_url: str, arn: str) -> tuple[RequestContext, str]:
    """The context (the queue's account and region) and QueueUrl to reach a queue by ARN."""
    _, _, _, region, account, name = arn.split(":", 5)
    ctx = RequestContext(
        request_id="", account_id=account, region=region, base_url=endpoint_url, host="", path=""
    )
    return ctx, f"{endpoint_url}/{account}/{name}"


def record(message: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """The SQSEvent record for one ReceiveMessage message, as Lambda writes it."""
    system = message.get("Attributes") or {}
    attributes = {name: system[name] for name in _ATTRIBUTE_ORDER if name in system}
    user = message.get("MessageAttributes") or {}
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {name: _attribute(value) for name, value in user.items()},
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": source_arn.split(":")[3],
    }


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute in the event's camel-case shape; binary values in base64."""
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        binary = value["BinaryValue"]
        out["binaryValue"] = (
            base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
        )
    out["stringListValues"] = list(value.get("StringListValues") or [])
    out["binaryListValues"] = [
        base64.b64encode(b).decode() if isinstance(b, bytes) else b
        for b in value.get("BinaryListValues") or []
    ]
    out["dataType"] = value["DataType"]
    return out


def matches(rec: dict[str, Any], filters: Sequence[Matcher]) -> bool:
    """Whether Lambda keeps a record: no filters, or any filter matches the record with
    its body parsed as JSON when the body is JSON ("Lambda event filtering")."""
    if not filters:
        return True
    body = rec["body"]
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = body
    event = {**rec, "body": parsed}
    return any(f.matches(event) for f in filters)


def failed_items(payload: bytes, message_ids: Sequence[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures response names, or None when the whole
    batch counts as failed.

    AWS: an empty or null `batchItemFailures`, or an empty or null response, is complete
    success; an invalid JSON response, or an item whose `itemIdentifier` is missing,
    empty, null or not a message of the batch, fails the whole batch.
    """
    text = payload.strip()
    if not text:
        return set()
    try:
        response = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    items = response.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    known = set(message_ids)
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        failed.add(identifier)
    return failed


def deletable(records: Sequence[dict[str, Any]], failed: set[str], fifo: bool) -> list[int]:
    """Indexes of the records to delete after a partial failure. For a FIFO queue a
    failed message holds back everything after it in its message group, so the group is
    retried in order."""
    blocked: set[str] = set()
    keep: list[int] = []
    for index, rec in enumerate(records):
        group = rec["attributes"].get("MessageGroupId", "") if fifo else ""
        if rec["messageId"] in failed:
            if fifo:
                blocked.add(group)
            continue
        if fifo and group in blocked:
            continue
        keep.append(index)
    return keep
