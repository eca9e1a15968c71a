"""Amazon CloudWatch Logs: log groups and streams, event ingestion and retrieval, filter
patterns, retention and tags.

Lambda writes every invocation's output here through the public operations
(`cloud.call(ctx, "logs", "PutLogEvents", ...)`). Not here: metric filters,
subscription filters, Logs Insights queries, export tasks, Live Tail (see docs/logs.md).
"""

from __future__ import annotations

from typing import ClassVar

from cloudlet.config import Config
from cloudlet.services.base import Operation, Service
from cloudlet.services.logs import events, groups, streams
from cloudlet.services.logs.models import LogsStore, now_ms
from cloudlet.store import Database

__all__ = ["LogsService"]

_SWEEP_SECONDS = 60.0  # reads already skip expired events; the sweep only frees space


class LogsService(Service):
    name = "logs"
    signing_name = "logs"
    protocols = ("json",)
    validation_error = "InvalidParameterException"
    operations: ClassVar[dict[str, Operation]] = {
        "CreateLogGroup": groups.create_log_group,
        "DeleteLogGroup": groups.delete_log_group,
        "DescribeLogGroups": groups.describe_log_groups,
        "PutRetentionPolicy": groups.put_retention_policy,
        "DeleteRetentionPolicy": groups.delete_retention_policy,
        "TagResource": groups.tag_resource,
        "UntagResource": groups.untag_resource,
        "ListTagsForResource": groups.list_tags_for_resource,
        "TagLogGroup": groups.tag_log_group,
        "UntagLogGroup": groups.untag_log_group,
        "ListTagsLogGroup": groups.list_tags_log_group,
        "CreateLogStream": streams.create_log_stream,
        "DeleteLogStream": streams.delete_log_stream,
        "DescribeLogStreams": streams.describe_log_streams,
        "PutLogEvents": events.put_log_events,
        "GetLogEvents": events.get_log_events,
        "FilterLogEvents": events.filter_log_events,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = LogsStore(db)

    async def start(self) -> None:
        self.sweep()
        self.every(_SWEEP_SECONDS, self.sweep, "retention sweep")

    def sweep(self) -> int:
        """Delete events older than their group's retention period; return how many."""
        now = now_ms()
        removed = 0
        for group in self.store.retained_groups():
            cutoff = group.cutoff(now)
            if cutoff is not None:
                removed += self.store.expire(group.id, cutoff)
        return removed
