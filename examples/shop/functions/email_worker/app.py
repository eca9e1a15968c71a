"""email-worker: sends the welcome email for each `{userId, email}` on emails-queue.

It runs from an SQS event source mapping (batch 5, window 2 s) with
ReportBatchItemFailures: a message that fails is reported by id, so only it is
received again, and after three receives the queue's redrive policy moves it to
emails-dlq. A failed message is made visible again after a short backoff (1 s, 2 s,
4 s ... by receive count) instead of waiting out the queue's whole visibility timeout.

The email provider is a mock: it records each send in the sent-emails table
(SENT_EMAILS_TABLE_NAME), one item per send, and refuses any address containing
"poison" (a permanent bounce), which is how the DLQ path is exercised. Swap
MockEmailProvider for SES or any provider with the same `send` to send for real.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from typing import Any

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

SENT_EMAILS_TABLE = os.environ["SENT_EMAILS_TABLE_NAME"]
EMAILS_QUEUE_URL = os.environ["EMAILS_QUEUE_QUEUE_URL"]
MAX_BACKOFF_SECONDS = 60

dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")


class Bounce(Exception):
    """The provider refused the address."""


class MockEmailProvider:
    def send(self, to: str, subject: str, body: str, tags: dict[str, str]) -> str:
        if "poison" in to:
            raise Bounce(f"{to} bounced")
        send_id = str(uuid.uuid4())
        item = {
            "sendId": send_id,
            "to": to,
            "subject": subject,
            "body": body,
            "sentAt": str(time.time()),
            **tags,
        }
        dynamodb.put_item(TableName=SENT_EMAILS_TABLE, Item={k: {"S": v} for k, v in item.items()})
        return send_id


provider = MockEmailProvider()


def welcome(job: Any, message_id: str) -> None:
    if (
        not isinstance(job, dict)
        or not isinstance(job.get("email"), str)
        or not isinstance(job.get("userId"), str)
    ):
        raise ValueError("a welcome job is {userId, email}")
    provider.send(
        job["email"],
        "Welcome to the shop",
        "Thanks for signing up. Happy shopping!",
        {"userId": job["userId"], "messageId": message_id},
    )


def back_off(record: dict[str, Any]) -> None:
    receives = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    delay = min(2 ** (receives - 1), MAX_BACKOFF_SECONDS)
    try:
        sqs.change_message_visibility(
            QueueUrl=EMAILS_QUEUE_URL,
            ReceiptHandle=record["receiptHandle"],
            VisibilityTimeout=delay,
        )
    except Exception:  # the retry then waits out the queue's visibility timeout
        logger.exception("could not shorten the retry of %s", record["messageId"])


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        try:
            welcome(json.loads(record["body"]), record["messageId"])
            logger.info("welcome email sent for message %s", record["messageId"])
        except Exception as error:
            logger.error("email-worker failed on message %s: %s", record["messageId"], error)
            back_off(record)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
