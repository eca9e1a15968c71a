"""SQS message operations: send, receive (with long polling), delete, change visibility.

Receipt handles carry the message's row id and a nonce that changes on every receive,
so a handle finds its message in O(1) and a stale handle can be told from a current one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Callable
from typing import Any

import orjson

from cloudlet import ids
from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs import message_rules as rules
from cloudlet.services.sqs.errors import invalid_parameter, receipt_handle_invalid
from cloudlet.services.sqs.models import Queue, SqsStore, now_ms
from cloudlet.services.sqs.queues import resolve

DEDUP_WINDOW_MS = 5 * 60 * 1000
SEQUENCE_BASE = 18_000_000_000_000_000_000
MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)

# -- receipt handles ---------------------------------------------------------------------


def _handle(row_id: int, nonce: str) -> str:
    return base64.b64encode(f"{row_id}:{nonce}".encode()).decode()


def _parse_handle(handle: str) -> tuple[int, str]:
    try:
        row_id, nonce = base64.b64decode(handle, validate=True).decode().split(":", 1)
        return int(row_id), nonce
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise receipt_handle_invalid(handle) from None


# -- send --------------------------------------------------------------------------------


def _build(ctx: RequestContext, queue: Queue, entry: dict[str, Any], now: int) -> dict[str, Any]:
    """Validate one message to send; return its row (not yet stored) and digests."""
    size = rules.check_body(entry["MessageBody"])
    user = entry.get("MessageAttributes", {})
    size += rules.check_attributes(user)
    system = entry.get("MessageSystemAttributes", {})
    for name, attr in system.items():
        if name != "AWSTraceHeader" or attr.get("DataType") != "String":
            raise ServiceError(
                "InvalidParameterValue",
                f"Message system attribute name '{name}' is invalid."
                if name != "AWSTraceHeader"
                else "The type of message system attribute 'AWSTraceHeader' must be String.",
            )
    rules.check_attributes(system, "system")
    limit = queue.int_attr("MaximumMessageSize")
    if size > limit:
        raise ServiceError(
            "InvalidParameterValue",
            "One or more parameters are invalid. "
            f"Reason: Message must be shorter than {limit} bytes.",
        )
    delay = entry.get("DelaySeconds")
    if delay is not None and not 0 <= delay <= 900:
        raise invalid_parameter("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
    if queue.fifo and delay:
        raise invalid_parameter(
            "DelaySeconds",
            delay,
            "The request include parameter that is not valid for this queue type.",
        )
    if delay is None:
        delay = queue.int_attr("DelaySeconds")
    body = entry["MessageBody"]
    row: dict[str, Any] = {
        "message_id": ids.uuid4(),
        "body": body,
        "md5_body": rules.md5_hex(body.encode()),
        "sender": ctx.account_id,
        "sent": now,
        "visible_at": now + delay * 1000,
        "group_id": entry.get("MessageGroupId"),
    }
    if user:
        wire = rules.only_wire_fields(user)
        row["md5_attrs"] = rules.attributes_md5(wire)
        row["attrs"] = _dump_attributes(wire)
    if system:
        wire = rules.only_wire_fields(system)
        row["md5_system"] = rules.attributes_md5(wire)
        row["system"] = orjson.dumps(
            {"AWSTraceHeader": wire["AWSTraceHeader"]["StringValue"]}
        ).decode()
    _fifo_fields(queue, entry, row)
    return row


def _fifo_fields(queue: Queue, entry: dict[str, Any], row: dict[str, Any]) -> None:
    dedup = entry.get("MessageDeduplicationId")
    if not queue.fifo:
        if dedup is not None:
            raise invalid_parameter(
                "MessageDeduplicationId",
                dedup,
                "The request includes a parameter that is not valid for this queue type.",
            )
        return
    if not entry.get("MessageGroupId"):
        raise ServiceError(
            "MissingParameter", "The request must contain the parameter MessageGroupId."
        )
    if dedup is None:
        if queue.attributes.get("ContentBasedDeduplication") != "true":
            raise ServiceError(
                "InvalidParameterValue",
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly",
            )
        dedup = hashlib.sha256(entry["MessageBody"].encode()).hexdigest()
    row["dedup_id"] = dedup


def _dump_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    stored = {
        name: (
            {"DataType": a["DataType"], "BinaryValue": base64.b64encode(a["BinaryValue"]).decode()}
            if "BinaryValue" in a
            else a
        )
        for name, a in attributes.items()
    }
    return orjson.dumps(stored).decode()


def _load_attributes(text: str) -> dict[str, dict[str, Any]]:
    stored: dict[str, dict[str, Any]] = orjson.loads(text)
    for attr in stored.values():
        if "BinaryValue" in attr:
            attr["BinaryValue"] = base64.b64decode(attr["BinaryValue"])
    return stored


def _enqueue(store: SqsStore, queue: Queue, row: dict[str, Any], now: int) -> dict[str, Any]:
    """Store a validated message (FIFO: deduplicated and sequenced); return the result."""
    if queue.fifo:
        key = row["dedup_id"]
        if queue.attributes.get("DeduplicationScope") == "messageGroup":
            key = f"{row['group_id']}\x00{key}"
        seen = store.dedup_get(queue.arn, key, now)
        if seen is not None:
            row["message_id"], row["seq"] = seen
        else:
            row["seq"] = str(SEQUENCE_BASE + store.next_sequence(queue.arn))
            store.insert_message(queue.arn, row)
            store.dedup_put(queue.arn, key, row["message_id"], row["seq"], now + DEDUP_WINDOW_MS)
    else:
        store.insert_message(queue.arn, row)
    result = {"MessageId": row["message_id"], "MD5OfMessageBody": row["md5_body"]}
    if "md5_attrs" in row:
        result["MD5OfMessageAttributes"] = row["md5_attrs"]
    if "md5_system" in row:
        result["MD5OfMessageSystemAttributes"] = row["md5_system"]
    if row.get("seq"):
        result["SequenceNumber"] = row["seq"]
    return result


def send_message(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    now = now_ms()
    row = _build(ctx, queue, request, now)
    if queue.fifo:  # dedup check, sequence number and insert commit together
        with store.db.transaction():
            result = _enqueue(store, queue, row, now)
    else:
        result = _enqueue(store, queue, row, now)
    store.notify(queue.arn)
    return result


def _check_batch(entries: list[dict[str, Any]], entry_name: str) -> None:
    if not entries:
        raise ServiceError(
            "EmptyBatchRequest", f"There should be at least one {entry_name} in the request."
        )
    if len(entries) > MAX_BATCH:
        raise ServiceError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry["Id"]
        if not _BATCH_ID.match(entry_id):
            raise ServiceError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise ServiceError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


def _failure(entry_id: str, error: ServiceError) -> dict[str, Any]:
    return {
        "Id": entry_id,
        "SenderFault": error.sender_fault,
        "Code": error.code,
        "Message": error.message,
    }


def _run_batch(
    entries: list[dict[str, Any]], action: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    successful, failed = [], []
    for entry in entries:
        try:
            successful.append({"Id": entry["Id"], **action(entry)})
        except ServiceError as error:
            failed.append(_failure(entry["Id"], error))
    return {"Successful": successful, "Failed": failed}


def send_message_batch(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    entries = request["Entries"]
    _check_batch(entries, "SendMessageBatchRequestEntry")
    total = sum(len(e["MessageBody"].encode()) for e in entries)
    if total > MAX_BATCH_BYTES:
        raise ServiceError(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. "
            f"You have sent {total} bytes.",
        )
    if queue.fifo:
        # AWS refuses the whole batch, not the entry, when FIFO fields are missing.
        for entry in entries:
            try:
                _fifo_fields(queue, entry, {})
            except ServiceError as error:
                raise ServiceError("InvalidParameterValue", error.message) from None
    now = now_ms()
    with store.db.transaction():
        result = _run_batch(
            entries, lambda e: _enqueue(store, queue, _build(ctx, queue, e, now), now)
        )
    store.notify(queue.arn)
    return result


# -- receive -----------------------------------------------------------------------------


def _wanted_system(request: dict[str, Any]) -> set[str]:
    names = set(request.get("AttributeNames", [])) | set(
        request.get("MessageSystemAttributeNames", [])
    )
    return set(_SYSTEM_NAMES) if "All" in names else names


def _wanted_user(names: list[str]) -> Callable[[str], bool]:
    if "All" in names or ".*" in names:
        return lambda _: True
    exact = {n for n in names if not n.endswith(".*")}
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
    return lambda name: name in exact or (bool(prefixes) and name.startswith(prefixes))


def _format(
    row: tuple[Any, ...], handle: str, system: set[str], user: Callable[[str], bool] | None
) -> dict[str, Any]:
    (
        _,
        message_id,
        body,
        md5_body,
        attrs,
        sys_attrs,
        group_id,
        dedup_id,
        seq,
        sender,
        sent,
        _,
        receive_count,
        first_receive,
        _,
        dlq_source,
    ) = row
    message: dict[str, Any] = {
        "MessageId": message_id,
        "ReceiptHandle": handle,
        "MD5OfBody": md5_body,
        "Body": body,
    }
    if system:
        available = {
            "SenderId": sender,
            "SentTimestamp": str(sent),
            "ApproximateReceiveCount": str(receive_count),
            "ApproximateFirstReceiveTimestamp": str(first_receive),
            "MessageGroupId": group_id,
            "MessageDeduplicationId": dedup_id,
            "SequenceNumber": seq,
            "DeadLetterQueueSourceArn": dlq_source,
        }
        if sys_attrs:
            available.update(orjson.loads(sys_attrs))
        chosen = {k: v for k, v in available.items() if k in system and v is not None}
        if chosen:
            message["Attributes"] = chosen
    if attrs and user is not None:
        chosen_user = {k: v for k, v in _load_attributes(attrs).items() if user(k)}
        if chosen_user:
            message["MessageAttributes"] = chosen_user
            message["MD5OfMessageAttributes"] = rules.attributes_md5(chosen_user)
    return message


def _receive_now(
    store: SqsStore, queue: Queue, count: int, visibility: int
) -> list[tuple[tuple[Any, ...], str]]:
    """Take up to `count` visible messages: expire, redrive to the DLQ, or mark received."""
    now = now_ms()
    retention = queue.int_attr("MessageRetentionPeriod") * 1000
    taken: list[tuple[tuple[Any, ...], str]] = []
    taken_ids: set[int] = set()
    with store.db.transaction():
        # Expired and redriven rows leave the visible set, so look again after those;
        # rows taken with a visibility timeout of 0 stay visible and must not repeat.
        while len(taken) < count:
            rows = [r for r in store.visible(queue, now, count) if r[0] not in taken_ids]
            if not rows:
                break
            for row in rows[: count - len(taken)]:
                row_id, receive_count = row[0], row[12]
                if row[10] + retention <= now:
                    store.delete_message(row_id)
                    continue
                if queue.redrive is not None and receive_count >= queue.redrive[1]:
                    dlq = store.by_arn(queue.redrive[0])
                    if dlq is not None:
                        store.move_message(row_id, dlq.arn, now, receive_count, queue.arn)
                        store.notify(dlq.arn)
                        continue
                nonce = secrets.token_hex(8)
                store.mark_received(row_id, nonce, now + visibility * 1000, now)
                received = row[:12] + (receive_count + 1, row[13] or now) + row[14:]
                taken.append((received, _handle(row_id, nonce)))
                taken_ids.add(row_id)
    return taken


def _int_param(request: dict[str, Any], name: str, low: int, high: int, reason: str) -> int | None:
    value: int | None = request.get(name)
    if value is not None and not low <= value <= high:
        raise invalid_parameter(name, value, reason)
    return value


async def receive_message(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    count = (
        _int_param(request, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.")
        or 1
    )
    visibility = _int_param(
        request, "VisibilityTimeout", 0, 43200, "Must be >= 0 and <= 43200, if provided."
    )
    wait = _int_param(request, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
    if visibility is None:
        visibility = queue.int_attr("VisibilityTimeout")
    if wait is None:
        wait = queue.int_attr("ReceiveMessageWaitTimeSeconds")
    system = _wanted_system(request)
    names = request.get("MessageAttributeNames")
    user = _wanted_user(names) if names else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        taken = _receive_now(store, queue, count, visibility)
        remaining = deadline - loop.time()
        if taken or remaining <= 0 or store.by_arn(queue.arn) is None:
            break
        upcoming = store.next_visible_at(queue.arn, now_ms())
        if upcoming is not None:
            remaining = min(remaining, max(0.0, (upcoming - now_ms()) / 1000) + 0.001)
        await store.wait(queue.arn, remaining)
    messages = [_format(row, handle, system, user) for row, handle in taken]
    return {"Messages": messages} if messages else {}


# -- delete and visibility ---------------------------------------------------------------


def _delete(store: SqsStore, queue: Queue, handle: str) -> dict[str, Any]:
    row_id, nonce = _parse_handle(handle)
    row = store.message(queue.arn, row_id)
    if row is None:
        return {}  # already deleted: AWS answers success
    # FIFO: a handle is good only while its receive's visibility timeout lasts.
    if queue.fifo and (row[14] != nonce or row[11] <= now_ms()):
        raise invalid_parameter("ReceiptHandle", handle, "The receipt handle has expired.")
    store.delete_message(row_id)
    return {}


def delete_message(ctx: RequestContext, store: SqsStore, request: dict[str, Any]) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    _delete(store, queue, request["ReceiptHandle"])
    return {}


def delete_message_batch(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    entries = request["Entries"]
    _check_batch(entries, "DeleteMessageBatchRequestEntry")
    with store.db.transaction():
        return _run_batch(entries, lambda e: _delete(store, queue, e["ReceiptHandle"]))


def _change_visibility(store: SqsStore, queue: Queue, handle: str, timeout: int) -> dict[str, Any]:
    if not 0 <= timeout <= 43200:
        raise invalid_parameter(
            "VisibilityTimeout", timeout, "VisibilityTimeout must be >= 0 and <= 43200."
        )
    row_id, nonce = _parse_handle(handle)
    row = store.message(queue.arn, row_id)
    now = now_ms()
    if row is None or row[14] is None:
        raise invalid_parameter(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    # AWS accepts a change after the visibility timeout has run out (the message is
    # hidden again), so a received message is never refused as MessageNotInflight.
    store.set_visibility(row_id, now + timeout * 1000)
    # Waiting long polls planned their wake-up from the old timeout: wake them to
    # re-plan, so a shortened timeout (a consumer's retry backoff) is honoured.
    store.notify(queue.arn)
    return {}


def change_message_visibility(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    return _change_visibility(store, queue, request["ReceiptHandle"], request["VisibilityTimeout"])


def change_message_visibility_batch(
    ctx: RequestContext, store: SqsStore, request: dict[str, Any]
) -> dict[str, Any]:
    queue = resolve(ctx, store, request["QueueUrl"])
    entries = request["Entries"]
    _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
    with store.db.transaction():
        return _run_batch(
            entries,
            lambda e: _change_visibility(
                store, queue, e["ReceiptHandle"], e.get("VisibilityTimeout", 0)
            ),
        )
