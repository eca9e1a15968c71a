"""Amazon SQS: standard and FIFO queues, dead-letter queues and redrive, long polling.

Speaks both wire protocols SQS clients use: `json` (botocore >= 1.31.81) and the older
`query`. The query form needs member names the json model dropped; they come from
`query_overlay.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import orjson

from cloudlet.config import Config
from cloudlet.gateway.errors import ServiceError, ValidationError
from cloudlet.gateway.protocol.wire import RawRequest
from cloudlet.services.base import Operation, Service
from cloudlet.services.sqs import messages, moves, queues
from cloudlet.services.sqs.errors import QUERY_CODES
from cloudlet.services.sqs.models import SqsStore, now_ms
from cloudlet.store import Database

_SWEEP_SECONDS = 5.0


class SqsService(Service):
    name = "sqs"
    signing_name = "sqs"
    protocols = ("json", "query")
    query_overlay: ClassVar[dict[str, Any] | None] = orjson.loads(
        (Path(__file__).parent / "query_overlay.json").read_bytes()
    )
    query_errors = QUERY_CODES
    model_constraints = False  # SQS checks its limits itself, in its own words
    operations: ClassVar[dict[str, Operation]] = {
        "CreateQueue": queues.create_queue,
        "GetQueueUrl": queues.get_queue_url,
        "ListQueues": queues.list_queues,
        "DeleteQueue": queues.delete_queue,
        "GetQueueAttributes": queues.get_queue_attributes,
        "SetQueueAttributes": queues.set_queue_attributes,
        "TagQueue": queues.tag_queue,
        "UntagQueue": queues.untag_queue,
        "ListQueueTags": queues.list_queue_tags,
        "ListDeadLetterSourceQueues": queues.list_dead_letter_source_queues,
        "PurgeQueue": queues.purge_queue,
        "AddPermission": queues.add_permission,
        "RemovePermission": queues.remove_permission,
        "SendMessage": messages.send_message,
        "SendMessageBatch": messages.send_message_batch,
        "ReceiveMessage": messages.receive_message,
        "DeleteMessage": messages.delete_message,
        "DeleteMessageBatch": messages.delete_message_batch,
        "ChangeMessageVisibility": messages.change_message_visibility,
        "ChangeMessageVisibilityBatch": messages.change_message_visibility_batch,
        "StartMessageMoveTask": moves.start_message_move_task,
        "ListMessageMoveTasks": moves.list_message_move_tasks,
        "CancelMessageMoveTask": moves.cancel_message_move_task,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = SqsStore(db)
        self._mover = moves.MoveWorker(self.store)

    def validation(self, error: ValidationError) -> ServiceError:
        # SQS speaks the query protocol's words, on both protocols.
        if error.kind == "missing":
            name = error.path.rsplit(".", 1)[-1]
            return ServiceError(
                "MissingParameter", f"The request must contain the parameter {name}."
            )
        if error.kind in ("type", "constraint"):
            return ServiceError(
                "InvalidParameterValue",
                f"Value for parameter {error.path} is invalid. Reason: {error.detail}.",
            )
        return error

    def prepare_query(self, raw: RawRequest) -> None:
        # Query clients may name the queue by posting to its URL instead of a QueueUrl.
        if "QueueUrl" not in raw.params and raw.path.strip("/").count("/") >= 1:
            raw.params["QueueUrl"] = f"http://{raw.headers.get('host', '')}{raw.path}"

    async def start(self) -> None:
        self._mover.start()
        self.every(_SWEEP_SECONDS, self._sweep, "retention sweep")

    async def stop(self) -> None:
        await self._mover.stop()
        await super().stop()

    def reset(self) -> None:
        self.store.load()

    def _sweep(self) -> None:
        """Drop messages past their queue's retention period, and old dedup ids."""
        now = now_ms()
        for queue in self.store.all_queues():
            self.store.expire(queue, now)
        self.store.dedup_expire(now)
