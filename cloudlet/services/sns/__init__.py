"""Amazon SNS: standard and FIFO topics, subscriptions, durable fan-out.

Speaks the `query` protocol (SNS has no other). Deliveries to SQS queues, Lambda
functions and local HTTP/S endpoints are stored before Publish answers and sent by a
background worker with AWS's retry policies and dead-letter queues (delivery.py);
messages for email, SMS and mobile endpoints are recorded, not sent, and can be read at
GET /_sns/messages (DELETE clears them).
"""

from __future__ import annotations

from typing import ClassVar

import orjson

from cloudlet.config import Config
from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.base import Operation, Service
from cloudlet.services.sns import publish, subscriptions, topics
from cloudlet.services.sns.delivery import DeliveryWorker
from cloudlet.services.sns.errors import invalid_parameter
from cloudlet.services.sns.models import SnsStore, now_ms
from cloudlet.store import Database

__all__ = ["SnsService"]

_SWEEP_SECONDS = 5.0
_JSON = [(b"content-type", b"application/json")]


class SnsService(Service):
    name = "sns"
    signing_name = "sns"
    protocols = ("query",)
    validation_error = "ValidationError"
    operations: ClassVar[dict[str, Operation]] = {
        "CreateTopic": topics.create_topic,
        "DeleteTopic": topics.delete_topic,
        "ListTopics": topics.list_topics,
        "GetTopicAttributes": topics.get_topic_attributes,
        "SetTopicAttributes": topics.set_topic_attributes,
        "AddPermission": topics.add_permission,
        "RemovePermission": topics.remove_permission,
        "GetDataProtectionPolicy": topics.get_data_protection_policy,
        "PutDataProtectionPolicy": topics.put_data_protection_policy,
        "TagResource": topics.tag_resource,
        "UntagResource": topics.untag_resource,
        "ListTagsForResource": topics.list_tags_for_resource,
        "Subscribe": subscriptions.subscribe,
        "ConfirmSubscription": subscriptions.confirm_subscription,
        "Unsubscribe": subscriptions.unsubscribe,
        "ListSubscriptions": subscriptions.list_subscriptions,
        "ListSubscriptionsByTopic": subscriptions.list_subscriptions_by_topic,
        "GetSubscriptionAttributes": subscriptions.get_subscription_attributes,
        "SetSubscriptionAttributes": subscriptions.set_subscription_attributes,
        "Publish": publish.publish,
        "PublishBatch": publish.publish_batch,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = SnsStore(db)
        self._worker = DeliveryWorker(self.store, lambda: self.cloud)
        self.store.wake = self._worker.wake

    def validation(self, error: ValidationError) -> ServiceError:
        # A value of the wrong type (a boolean that is not true/false) is one of SNS's
        # InvalidParameter errors; missing members stay ValidationError, as on AWS.
        if error.kind == "type":
            return invalid_parameter(error.path.split(".")[0])
        return super().validation(error)

    async def start(self) -> None:
        self._worker.start()
        self.every(_SWEEP_SECONDS, lambda: self.store.dedup_expire(now_ms()), "dedup sweep")

    async def stop(self) -> None:
        await self._worker.stop()
        await super().stop()

    def reset(self) -> None:
        self.store.load()

    async def internal(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> Response:
        """The outbox of messages recorded for email, SMS and mobile endpoints."""
        if path.rstrip("/") != "/_sns/messages":
            return 404, _JSON, b'{"message": "not found"}'
        if method == "DELETE":
            self.store.clear_outbox()
            await self.db.barrier()
            return 200, _JSON, b'{"messages": []}'
        if method != "GET":
            return 405, _JSON, b'{"message": "method not allowed"}'
        keys = ("Id", "SubscriptionArn", "Protocol", "Endpoint", "Type", "Message", "Timestamp")
        records = [dict(zip(keys, row, strict=True)) for row in self.store.outbox()]
        return 200, _JSON, orjson.dumps({"messages": records})
