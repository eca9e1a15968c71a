"""Queues (SQS), topics and subscriptions (SNS)."""

from __future__ import annotations

import json
from typing import Any

from cloudlet.app.constructs import Function, Queue, Subscription, Topic
from cloudlet.deploy.kinds.base import Kind, as_json, missing, retry_while
from cloudlet.deploy.model import Actual, Context, Node


def queue_arn(ctx: Context, queue: Queue) -> str:
    return ctx.arn("sqs", ctx.name_of(queue))


def topic_arn(ctx: Context, topic: Topic) -> str:
    return ctx.arn("sns", ctx.name_of(topic))


def function_arn(ctx: Context, function: Function) -> str:
    return ctx.arn("lambda", f"function:{ctx.name_of(function)}")


LIVE = "live"


def invoke_arn(ctx: Context, function: Function) -> str:
    """What callers invoke: the function, or its `live` alias when it has provisioned
    concurrency (only invocations of that alias use the provisioned environments)."""
    arn = function_arn(ctx, function)
    return f"{arn}:{LIVE}" if function.provisioned_concurrency else arn


class QueueKind(Kind):
    kind = "queue"
    replace_keys = ("FifoQueue",)

    def read(self, ctx: Context, node: Node) -> Actual | None:
        sqs = ctx.client("sqs")
        try:
            url = self._listed_url(ctx, node.physical)
            if url is None:
                url = sqs.get_queue_url(QueueName=node.physical)["QueueUrl"]
            found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        except Exception as error:
            if missing(error, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                return None
            raise
        redrive = found.get("RedrivePolicy")
        attrs: dict[str, Any] = {
            "VisibilityTimeout": found.get("VisibilityTimeout"),
            "DelaySeconds": found.get("DelaySeconds"),
            "MessageRetentionPeriod": found.get("MessageRetentionPeriod"),
            "FifoQueue": found.get("FifoQueue", "false").lower() == "true",
            "ContentBasedDeduplication": found.get("ContentBasedDeduplication", "false").lower()
            == "true",
            "RedrivePolicy": _redrive(as_json(redrive)) if redrive else None,
            "Policy": as_json(found["Policy"]) if found.get("Policy") else None,
        }
        arn = found.get("QueueArn") or ctx.arn("sqs", node.physical)
        return Actual(attrs, {"name": node.physical, "url": url, "arn": arn})

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        queue: Queue = node.source
        attrs: dict[str, Any] = {
            "VisibilityTimeout": str(queue.visibility_timeout),
            "DelaySeconds": str(queue.delay_seconds),
            "MessageRetentionPeriod": str(queue.retention_seconds or 345600),
            "FifoQueue": queue.fifo,
            "ContentBasedDeduplication": queue.content_based_deduplication and queue.fifo,
            "RedrivePolicy": None,
            "Policy": None,
        }
        if queue.dlq is not None:
            attrs["RedrivePolicy"] = _redrive(
                {
                    "deadLetterTargetArn": queue_arn(ctx, queue.dlq),
                    "maxReceiveCount": queue.max_receive_count,
                }
            )
        topics = [
            sub.topic
            for topic in queue.app.of_kind(Topic)
            for sub in topic.subscriptions
            if sub.target is queue
        ]
        if topics:
            # Topics deliver only where the queue's policy lets them (AWS checks; so should we).
            arn = queue_arn(ctx, queue)
            attrs["Policy"] = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": f"topic-{topic.name}",
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn(ctx, topic)}},
                    }
                    for topic in topics
                ],
            }
        return attrs

    def _wire(self, desired: dict[str, Any], keys: list[str]) -> dict[str, str]:
        wire: dict[str, str] = {}
        for key in keys:
            value = desired[key]
            if key in ("RedrivePolicy", "Policy"):
                wire[key] = json.dumps(value) if value else ""
            elif isinstance(value, bool):
                wire[key] = "true" if value else "false"
            else:
                wire[key] = str(value)
        return wire

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        keys = [k for k, v in desired.items() if v not in (None, False)]
        attributes = self._wire(desired, keys)
        sqs = ctx.client("sqs")
        # AWS refuses a name for 60 s after its queue was deleted (a replace): wait it out.
        url = retry_while(
            lambda: sqs.create_queue(QueueName=node.physical, Attributes=attributes, tags=ctx.tags),
            lambda error: missing(
                error, "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"
            ),
        )["QueueUrl"]
        return {"name": node.physical, "url": url, "arn": ctx.arn("sqs", node.physical)}

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        changed = [k for k, v in desired.items() if actual.attrs.get(k) != v]
        ctx.client("sqs").set_queue_attributes(
            QueueUrl=actual.outputs["url"], Attributes=self._wire(desired, changed)
        )
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        try:
            ctx.client("sqs").delete_queue(QueueUrl=actual.outputs["url"])
        except Exception as error:
            if not missing(error, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                raise

    def _listed_url(self, ctx: Context, name: str) -> str | None:
        """While a plan reads, the URL from the stage's queue listing (read anyway to find
        the owned queues) instead of a GetQueueUrl. A queue missing from it (AWS lists a
        new queue late) is asked for by name; one listed but gone fails the attributes
        read as NonExistentQueue, as GetQueueUrl would."""
        if not ctx.reading:
            return None
        return next((n.source["url"] for _, n in self.owned(ctx) if n.physical == name), None)

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        return ctx.listing("owned:queue", lambda: self._owned(ctx))

    def _owned(self, ctx: Context) -> list[tuple[str, Node]]:
        sqs = ctx.client("sqs")
        found: list[tuple[str, Node]] = []
        urls: list[str] = []
        args: dict[str, Any] = {"QueueNamePrefix": ctx.prefix, "MaxResults": 1000}
        while True:
            page = sqs.list_queues(**args)
            urls += page.get("QueueUrls", [])
            if not page.get("NextToken"):
                break
            args["NextToken"] = page["NextToken"]
        for url in urls:
            name = url.rstrip("/").rsplit("/", 1)[-1]
            if name.startswith(ctx.prefix):
                found.append((name, _found("queue", ctx, name, {"url": url})))
        return found

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        url = node.source["url"]
        return dict(ctx.client("sqs").list_queue_tags(QueueUrl=url).get("Tags", {}))


def _redrive(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "deadLetterTargetArn": policy.get("deadLetterTargetArn"),
        "maxReceiveCount": int(policy.get("maxReceiveCount", 0)),
    }


def _found(kind: str, ctx: Context, physical: str, info: dict[str, Any]) -> Node:
    """A node for a resource found in the cloud; `source` carries what was found."""
    logical = physical[len(ctx.prefix) :] if physical.startswith(ctx.prefix) else physical
    return Node(kind, logical, physical, info)


class TopicKind(Kind):
    kind = "topic"
    replace_keys = ("FifoTopic",)

    def read(self, ctx: Context, node: Node) -> Actual | None:
        arn = ctx.arn("sns", node.physical)
        try:
            found = ctx.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
        except Exception as error:
            if missing(error, "NotFound", "NotFoundException"):
                return None
            raise
        attrs = {"FifoTopic": found.get("FifoTopic", "false").lower() == "true"}
        return Actual(attrs, {"name": node.physical, "arn": arn})

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        return {"FifoTopic": node.source.fifo}

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        attributes = {"FifoTopic": "true"} if desired["FifoTopic"] else {}
        tags = [{"Key": k, "Value": v} for k, v in ctx.tags.items()]
        arn = ctx.client("sns").create_topic(Name=node.physical, Attributes=attributes, Tags=tags)[
            "TopicArn"
        ]
        return {"name": node.physical, "arn": arn}

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        return actual.outputs  # nothing but FifoTopic, which replaces

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        ctx.client("sns").delete_topic(TopicArn=actual.outputs["arn"])

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        # Subscriptions are found through the owned topics too (SubscriptionKind.owned).
        return ctx.listing("owned:topic", lambda: self._owned(ctx))

    def _owned(self, ctx: Context) -> list[tuple[str, Node]]:
        sns = ctx.client("sns")
        found: list[tuple[str, Node]] = []
        args: dict[str, Any] = {}
        while True:
            page = sns.list_topics(**args)
            for topic in page.get("Topics", []):
                name = topic["TopicArn"].rsplit(":", 1)[-1]
                if name.startswith(ctx.prefix):
                    found.append((name, _found("topic", ctx, name, {"arn": topic["TopicArn"]})))
            if not page.get("NextToken"):
                return found
            args["NextToken"] = page["NextToken"]

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        tags = ctx.client("sns").list_tags_for_resource(ResourceArn=node.source["arn"])["Tags"]
        return {t["Key"]: t["Value"] for t in tags}


class SubscriptionKind(Kind):
    kind = "subscription"

    def _ends(self, ctx: Context, sub: Subscription) -> tuple[str, str, str]:
        target = sub.target
        protocol = "sqs" if isinstance(target, Queue) else "lambda"
        endpoint = queue_arn(ctx, target) if isinstance(target, Queue) else invoke_arn(ctx, target)
        return topic_arn(ctx, sub.topic), protocol, endpoint

    def identity(self, ctx: Context, node: Node) -> str:
        topic, _, endpoint = self._ends(ctx, node.source)
        return f"{topic}|{endpoint}"

    def read(self, ctx: Context, node: Node) -> Actual | None:
        sub: Subscription = node.source
        topic, protocol, endpoint = self._ends(ctx, sub)
        sns = ctx.client("sns")
        found = None
        for item in _subscriptions(sns, topic):
            if item["Endpoint"] == endpoint and item["Protocol"] == protocol:
                found = item
        if found is None or found["SubscriptionArn"] in ("PendingConfirmation", "Deleted"):
            return None
        arn = found["SubscriptionArn"]
        got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        attrs: dict[str, Any] = {
            "FilterPolicy": json.loads(got["FilterPolicy"]) if got.get("FilterPolicy") else None,
            "FilterPolicyScope": got.get("FilterPolicyScope", "MessageAttributes")
            if got.get("FilterPolicy")
            else None,
            "RawMessageDelivery": got.get("RawMessageDelivery", "false").lower() == "true",
        }
        if protocol == "lambda":
            attrs["Permission"] = _has_permission(ctx, endpoint, _sid(topic), topic)
        return Actual(attrs, {"arn": arn})

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        sub: Subscription = node.source
        attrs: dict[str, Any] = {
            "FilterPolicy": sub.filter_policy,
            "FilterPolicyScope": sub.filter_scope if sub.filter_policy else None,
            "RawMessageDelivery": sub.raw and isinstance(sub.target, Queue),
        }
        if isinstance(sub.target, Function):
            attrs["Permission"] = True
        return attrs

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        topic, protocol, endpoint = self._ends(ctx, node.source)
        if protocol == "lambda":
            _grant(ctx, endpoint, _sid(topic), "sns.amazonaws.com", topic)
        attributes: dict[str, str] = {}
        if desired["FilterPolicy"]:
            attributes["FilterPolicy"] = json.dumps(desired["FilterPolicy"])
            attributes["FilterPolicyScope"] = desired["FilterPolicyScope"]
        if desired["RawMessageDelivery"]:
            attributes["RawMessageDelivery"] = "true"
        arn = ctx.client("sns").subscribe(
            TopicArn=topic, Protocol=protocol, Endpoint=endpoint, Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]  # fmt: skip
        return {"arn": arn}

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        sns = ctx.client("sns")
        arn = actual.outputs["arn"]
        topic, _, endpoint = self._ends(ctx, node.source)
        if desired.get("Permission") and not actual.attrs.get("Permission"):
            _grant(ctx, endpoint, _sid(topic), "sns.amazonaws.com", topic)
        if desired["FilterPolicy"] != actual.attrs.get("FilterPolicy") or (
            desired["FilterPolicyScope"] != actual.attrs.get("FilterPolicyScope")
        ):
            if desired["FilterPolicy"]:
                sns.set_subscription_attributes(
                    SubscriptionArn=arn, AttributeName="FilterPolicyScope",
                    AttributeValue=desired["FilterPolicyScope"],
                )  # fmt: skip
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="FilterPolicy",
                AttributeValue=json.dumps(desired["FilterPolicy"]) if desired["FilterPolicy"] else "",
            )  # fmt: skip
        if desired["RawMessageDelivery"] != actual.attrs.get("RawMessageDelivery"):
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="RawMessageDelivery",
                AttributeValue="true" if desired["RawMessageDelivery"] else "false",
            )  # fmt: skip
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        try:
            ctx.client("sns").unsubscribe(SubscriptionArn=actual.outputs["arn"])
        except Exception as error:
            if not missing(error, "NotFound", "NotFoundException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        sns = ctx.client("sns")
        found: list[tuple[str, Node]] = []
        for _, topic in TopicKind().owned(ctx):
            for item in _subscriptions(sns, topic.source["arn"]):
                if item["SubscriptionArn"] in ("PendingConfirmation", "Deleted"):
                    continue
                identity = f"{topic.source['arn']}|{item['Endpoint']}"
                logical = f"{topic.logical}->{item['Endpoint'].rsplit(':', 1)[-1]}"
                node = Node("subscription", logical, logical, {"arn": item["SubscriptionArn"]})
                found.append((identity, node))
        return found


def _subscriptions(sns: Any, topic: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = {"TopicArn": topic}
    while True:
        try:
            page = sns.list_subscriptions_by_topic(**args)
        except Exception as error:
            if missing(error, "NotFound", "NotFoundException"):
                return items
            raise
        items += page.get("Subscriptions", [])
        if not page.get("NextToken"):
            return items
        args["NextToken"] = page["NextToken"]


def _sid(source_arn: str) -> str:
    # One statement per (function, caller); the caller's name keeps it unique.
    tail = source_arn.rsplit(":", 1)[-1].replace("/", "-").replace("*", "")
    return f"cloudlet-{tail}"[:100]


def _has_permission(ctx: Context, function: str, sid: str, source_arn: str) -> bool:
    try:
        policy = as_json(ctx.client("lambda").get_policy(FunctionName=function)["Policy"])
    except Exception as error:
        if missing(error, "ResourceNotFoundException"):
            return False
        raise
    for statement in policy.get("Statement", []):
        if statement.get("Sid") == sid:
            condition = statement.get("Condition", {}).get("ArnLike", {})
            return bool(condition.get("AWS:SourceArn") == source_arn)
    return False


def _grant(ctx: Context, function: str, sid: str, principal: str, source_arn: str) -> None:
    lam = ctx.client("lambda")
    try:
        lam.remove_permission(FunctionName=function, StatementId=sid)
    except Exception as error:
        if not missing(error, "ResourceNotFoundException"):
            raise
    lam.add_permission(
        FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction",
        Principal=principal, SourceArn=source_arn,
    )  # fmt: skip
