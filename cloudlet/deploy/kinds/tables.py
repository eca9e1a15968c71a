"""DynamoDB tables: keys, global secondary indexes, streams, TTL (on-demand billing)."""

from __future__ import annotations

from typing import Any

from cloudlet.app.constructs import Key, Table
from cloudlet.deploy.kinds.base import Kind, missing, retry_while, wait_for
from cloudlet.deploy.kinds.messaging import _found
from cloudlet.deploy.model import Actual, Context, Node


def _schema(hash_key: Key, range_key: Key | None) -> list[list[str]]:
    keys = [[hash_key[0], hash_key[1], "HASH"]]
    if range_key:
        keys.append([range_key[0], range_key[1], "RANGE"])
    return keys


class TableKind(Kind):
    kind = "table"
    replace_keys = ("Key",)

    def read(self, ctx: Context, node: Node) -> Actual | None:
        ddb = ctx.client("dynamodb")
        try:
            table = ddb.describe_table(TableName=node.physical)["Table"]
        except Exception as error:
            if missing(error, "ResourceNotFoundException"):
                return None
            raise
        types = {
            a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])
        }

        def schema(keys: list[dict[str, str]]) -> list[list[str]]:
            return [
                [k["AttributeName"], types.get(k["AttributeName"], "S"), k["KeyType"]] for k in keys
            ]

        stream = table.get("StreamSpecification") or {}
        try:
            ttl = ddb.describe_time_to_live(TableName=node.physical)["TimeToLiveDescription"]
        except Exception as error:
            if not missing(error, "ResourceNotFoundException"):
                raise
            ttl = {}
        attrs = {
            "Key": schema(table["KeySchema"]),
            "Indexes": {
                index["IndexName"]: schema(index["KeySchema"])
                for index in table.get("GlobalSecondaryIndexes", [])
            },
            "Stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
            "Ttl": ttl.get("AttributeName")
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
            else None,
        }
        outputs = {"name": node.physical, "arn": table["TableArn"]}
        if table.get("LatestStreamArn") and attrs["Stream"]:
            outputs["stream_arn"] = table["LatestStreamArn"]
        return Actual(attrs, outputs)

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        table: Table = node.source
        return {
            "Key": _schema(table.hash_key, table.range_key),
            "Indexes": {i.name: _schema(i.hash_key, i.range_key) for i in table.indexes},
            "Stream": table.stream,
            "Ttl": table.ttl,
        }

    def _definitions(self, desired: dict[str, Any]) -> list[dict[str, str]]:
        types: dict[str, str] = {}
        for name, kind, _ in desired["Key"]:
            types[name] = kind
        for schema in desired["Indexes"].values():
            for name, kind, _ in schema:
                types[name] = kind
        return [{"AttributeName": n, "AttributeType": t} for n, t in sorted(types.items())]

    def _index(self, name: str, schema: list[list[str]]) -> dict[str, Any]:
        return {
            "IndexName": name,
            "KeySchema": [{"AttributeName": n, "KeyType": k} for n, _, k in schema],
            "Projection": {"ProjectionType": "ALL"},
        }

    def _wait(self, ctx: Context, name: str) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def active() -> bool:
            table = ctx.client("dynamodb").describe_table(TableName=name)["Table"]
            found.update(table)
            indexes = table.get("GlobalSecondaryIndexes", [])
            return table["TableStatus"] == "ACTIVE" and all(
                i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes
            )

        wait_for(active, f"table {name} to be ACTIVE")
        return found

    def _outputs(
        self, node: Node, table: dict[str, Any], desired: dict[str, Any]
    ) -> dict[str, str]:
        outputs = {"name": node.physical, "arn": table["TableArn"]}
        if desired["Stream"] and table.get("LatestStreamArn"):
            outputs["stream_arn"] = table["LatestStreamArn"]
        return outputs

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        ddb = ctx.client("dynamodb")
        args: dict[str, Any] = {
            "TableName": node.physical,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": self._definitions(desired),
            "KeySchema": [{"AttributeName": n, "KeyType": k} for n, _, k in desired["Key"]],
            "Tags": [{"Key": k, "Value": v} for k, v in ctx.tags.items()],
        }
        if desired["Indexes"]:
            args["GlobalSecondaryIndexes"] = [
                self._index(n, s) for n, s in desired["Indexes"].items()
            ]
        if desired["Stream"]:
            args["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": desired["Stream"],
            }

        # A replaced table is still being deleted for a while on AWS: wait that out.
        def deleting(error: Exception) -> bool:
            if not missing(error, "ResourceInUseException"):
                return False
            try:
                status = ddb.describe_table(TableName=node.physical)["Table"]["TableStatus"]
            except Exception as gone:
                return missing(gone, "ResourceNotFoundException")
            return bool(status == "DELETING")

        retry_while(lambda: ddb.create_table(**args), deleting)
        table = self._wait(ctx, node.physical)
        if desired["Ttl"]:
            ddb.update_time_to_live(
                TableName=node.physical,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": desired["Ttl"]},
            )
        return self._outputs(node, table, desired)

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        ddb = ctx.client("dynamodb")
        have = actual.attrs
        wanted, existing = desired["Indexes"], have.get("Indexes", {})
        # AWS takes one index change per UpdateTable, each after the previous is ACTIVE.
        for name in existing:
            if name not in wanted or wanted[name] != existing[name]:
                ddb.update_table(
                    TableName=node.physical,
                    GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": name}}],
                )
                self._wait(ctx, node.physical)
        for name, schema in wanted.items():
            if existing.get(name) != schema:
                ddb.update_table(
                    TableName=node.physical, AttributeDefinitions=self._definitions(desired),
                    GlobalSecondaryIndexUpdates=[{"Create": self._index(name, schema)}],
                )  # fmt: skip
                self._wait(ctx, node.physical)
        if desired["Stream"] != have.get("Stream"):
            if have.get("Stream"):
                ddb.update_table(
                    TableName=node.physical, StreamSpecification={"StreamEnabled": False}
                )
                self._wait(ctx, node.physical)
            if desired["Stream"]:
                ddb.update_table(
                    TableName=node.physical,
                    StreamSpecification={
                        "StreamEnabled": True,
                        "StreamViewType": desired["Stream"],
                    },
                )
        if desired["Ttl"] != have.get("Ttl"):
            if have.get("Ttl"):
                ddb.update_time_to_live(
                    TableName=node.physical,
                    TimeToLiveSpecification={"Enabled": False, "AttributeName": have["Ttl"]},
                )
            if desired["Ttl"]:
                ddb.update_time_to_live(
                    TableName=node.physical,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": desired["Ttl"]},
                )
        return self._outputs(node, self._wait(ctx, node.physical), desired)

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        try:
            ctx.client("dynamodb").delete_table(TableName=node.physical)
        except Exception as error:
            if not missing(error, "ResourceNotFoundException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        ddb = ctx.client("dynamodb")
        found: list[tuple[str, Node]] = []
        args: dict[str, Any] = {}
        # Every page: not every implementation lists names in order, so no seeking ahead.
        while True:
            page = ddb.list_tables(**args)
            for name in page.get("TableNames", []):
                if name.startswith(ctx.prefix):
                    arn = ctx.arn("dynamodb", f"table/{name}")
                    found.append((name, _found("table", ctx, name, {"name": name, "arn": arn})))
            if not page.get("LastEvaluatedTableName"):
                return found
            args["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        tags = (
            ctx.client("dynamodb")
            .list_tags_of_resource(ResourceArn=node.source["arn"])
            .get("Tags", [])
        )
        return {t["Key"]: t["Value"] for t in tags}
