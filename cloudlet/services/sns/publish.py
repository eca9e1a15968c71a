"""Publish and PublishBatch: validate, deduplicate (FIFO), filter, fan out.

Fan-out is durable: the message and one delivery row per confirmed subscription whose
filter policy matches are stored in one transaction before Publish answers; the delivery
worker (delivery.py) sends them. FIFO topics drop a message whose deduplication id
(given, or the SHA-256 of the message with ContentBasedDeduplication) was seen in the
last 5 minutes, within the topic or, with FifoThroughputScope=MessageGroup, its group;
they number messages with a per-topic SequenceNumber.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from typing import Any

from cloudlet import ids
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sns import filtering
from cloudlet.services.sns import messages as msgs
from cloudlet.services.sns.errors import invalid_parameter
from cloudlet.services.sns.models import SnsStore, Topic, now_ms
from cloudlet.services.sns.names import resolve_topic
from cloudlet.services.sns.subscriptions import E164

log = logging.getLogger("cloudlet.sns")

DEDUP_WINDOW_MS = 5 * 60 * 1000
SEQUENCE_BASE = 10**19
MAX_BATCH = 10
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_WIRE_CODES = {
    "InvalidParameterException": "InvalidParameter",
    "InvalidParameterValueException": "ParameterValueInvalid",
}


def _prepare(entry: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Validate one message (Publish's or a batch entry's); return its stored form, without
    ids yet, and its size in bytes."""
    subject = entry.get("Subject")
    msgs.check_subject(subject)
    text: str = entry["Message"]
    if not text:
        raise invalid_parameter("Empty message")
    attributes = entry.get("MessageAttributes") or {}
    size = len(text.encode()) + msgs.check_attributes(attributes)
    if size > msgs.MAX_MESSAGE_BYTES:
        raise invalid_parameter("Message too long")
    message: dict[str, Any] = {"Message": text}
    structure = entry.get("MessageStructure")
    if structure is not None:
        if structure != "json":
            raise invalid_parameter("MessageStructure")
        message["Structure"] = msgs.parse_structure(text)
    if subject is not None:
        message["Subject"] = subject
    if attributes:
        message["MessageAttributes"] = msgs.stored_attributes(attributes)
    return message, size


def _check_fifo_fields(topic: Topic, entry: dict[str, Any]) -> None:
    group, dedup = entry.get("MessageGroupId"), entry.get("MessageDeduplicationId")
    if topic.fifo:
        if not group:
            raise invalid_parameter("The MessageGroupId parameter is required for FIFO topics")
        if dedup is None and topic.attributes.get("ContentBasedDeduplication") != "true":
            raise invalid_parameter(
                "The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
    elif dedup is not None:
        raise invalid_parameter(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
            "parameter that is not valid for this topic type"
        )
    for name, value in (("MessageGroupId", group), ("MessageDeduplicationId", dedup)):
        if value is not None and not 1 <= len(value) <= 128:
            raise invalid_parameter(f"{name} Reason: must be between 1 and 128 characters long")


def _deliver_to(store: SnsStore, topic: Topic, message: dict[str, Any]) -> list[str]:
    """The confirmed subscriptions whose filter policy lets the message through."""
    found = []
    for sub in store.subscriptions_of(topic.arn):
        if sub.pending:
            continue
        policy = sub.attributes.get("FilterPolicy")
        if policy:
            scope = sub.attributes.get("FilterPolicyScope", "MessageAttributes")
            body = msgs.content_for(message, sub.protocol)
            try:
                if not filtering.matches(policy, scope, message, body):
                    continue
            except Exception:
                log.exception("filter policy of %s failed; message not delivered", sub.arn)
                continue
        found.append(sub.arn)
    return found


def _publish(store: SnsStore, topic: Topic, entry: dict[str, Any]) -> dict[str, Any]:
    """Publish one validated entry to a topic; the result entry (MessageId, ...)."""
    message, _ = _prepare(entry)
    _check_fifo_fields(topic, entry)
    now = now_ms()
    message["MessageId"] = ids.uuid4()
    message["TopicArn"] = topic.arn
    message["Timestamp"] = msgs.timestamp()
    # A FIFO topic's dedup check, sequence number and deliveries commit together; a
    # standard topic's message and deliveries are one transaction already (enqueue).
    with store.db.transaction() if topic.fifo else contextlib.nullcontext():
        if topic.fifo:
            group = entry["MessageGroupId"]
            dedup = entry.get("MessageDeduplicationId") or msgs.dedup_hash(entry["Message"])
            key = dedup
            if topic.attributes.get("FifoThroughputScope") == "MessageGroup":
                key = f"{group}\x00{dedup}"
            seen = store.dedup_get(topic.arn, key, now)
            if seen is not None:
                return {"MessageId": seen[0], "SequenceNumber": seen[1]}
            sequence = str(SEQUENCE_BASE + store.next_sequence(topic.arn))
            message.update(
                MessageGroupId=group, MessageDeduplicationId=dedup, SequenceNumber=sequence
            )
            store.dedup_put(topic.arn, key, message["MessageId"], sequence, now + DEDUP_WINDOW_MS)
        group_key = message.get("MessageGroupId")
        targets = [(arn, "Notification", group_key) for arn in _deliver_to(store, topic, message)]
        store.enqueue(message, targets, now)
    result = {"MessageId": message["MessageId"]}
    if topic.fifo:
        result["SequenceNumber"] = message["SequenceNumber"]
    return result


def publish(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topic_arn, target, phone = (
        request.get("TopicArn"),
        request.get("TargetArn"),
        request.get("PhoneNumber"),
    )
    given = [v for v in (topic_arn, target, phone) if v]
    if not given:
        raise invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter")
    if len(given) > 1:
        raise invalid_parameter(
            "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber "
            "may be set"
        )
    if phone:
        return _publish_sms(store, phone, request)
    if target and ":endpoint/" in target:
        raise invalid_parameter("TargetArn Reason: No endpoint found for the target arn specified")
    topic = resolve_topic(store, topic_arn or target, "TopicArn" if topic_arn else "TargetArn")
    return _publish(store, topic, request)


def _publish_sms(store: SnsStore, phone: str, request: dict[str, Any]) -> dict[str, Any]:
    """A text message to a phone number: recorded in the outbox, not sent."""
    if not E164.match(phone):
        raise invalid_parameter(f"PhoneNumber Reason: {phone} is not valid to publish to")
    message, _ = _prepare(request)
    message_id = str(uuid.uuid4())
    store.record("", "sms", phone, "Notification", msgs.content_for(message, "sms"))
    return {"MessageId": message_id}


def publish_batch(ctx: RequestContext, store: SnsStore, request: dict[str, Any]) -> dict[str, Any]:
    topic = resolve_topic(store, request["TopicArn"])
    entries: list[dict[str, Any]] = request["PublishBatchRequestEntries"]
    if not entries:
        raise ServiceError(
            "EmptyBatchRequestException", "The batch request doesn't contain any entries."
        )
    if len(entries) > MAX_BATCH:
        raise ServiceError(
            "TooManyEntriesInBatchRequestException",
            "The batch request contains more entries than permissible.",
        )
    ids = [entry["Id"] for entry in entries]
    if len(set(ids)) != len(ids):
        raise ServiceError(
            "BatchEntryIdsNotDistinctException",
            "Two or more batch entries in the request have the same Id.",
        )
    if not all(_BATCH_ID.match(i) for i in ids):
        raise ServiceError(
            "InvalidBatchEntryIdException",
            "The Id of a batch entry in a batch request doesn't abide by the specification.",
        )
    total = sum(
        len(e["Message"].encode()) + _attributes_size(e.get("MessageAttributes")) for e in entries
    )
    if total > msgs.MAX_MESSAGE_BYTES:
        raise ServiceError(
            "BatchRequestTooLongException",
            "The length of all the messages put together is more than the limit.",
        )
    successful, failed = [], []
    for entry in entries:
        try:
            result = _publish(store, topic, entry)
        except ServiceError as error:
            failed.append(
                {
                    "Id": entry["Id"],
                    "Code": _WIRE_CODES.get(error.code, error.code),
                    "Message": error.message,
                    "SenderFault": error.sender_fault,
                }
            )
            continue
        successful.append({"Id": entry["Id"], **result})
    return {"Successful": successful, "Failed": failed}


def _attributes_size(attributes: dict[str, dict[str, Any]] | None) -> int:
    size = 0
    for name, attr in (attributes or {}).items():
        value = attr.get("StringValue") or attr.get("BinaryValue") or ""
        size += len(name.encode()) + len(attr.get("DataType", "").encode())
        size += len(value) if isinstance(value, bytes) else len(value.encode())
    return size
