"""The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable,
time to live, tags, DescribeEndpoints and DescribeLimits.

Tables are usable as soon as CreateTable answers (its answer says CREATING, as AWS's
does; every later DescribeTable says ACTIVE), so boto3's `table_exists` waiter returns
on its first poll and code that skips the waiter still works.
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb import stream_records
from cloudlet.services.dynamodb.common import (
    INVALID,
    check_name,
    find_table,
    locate,
    not_found,
    validation,
)
from cloudlet.services.dynamodb.models import BACKFILL_SLICE, DynamoStore, Table

MAX_GSI = 20
MAX_LSI = 5
_REPLICA_MEMBERS = (
    "ReplicaUpdates",
    "GlobalTableWitnessUpdates",
    "MultiRegionConsistency",
    "GlobalTableSettingsReplicationMode",
)


def _ms() -> int:
    return int(time.time() * 1000)


# -- key schemas and indexes -----------------------------------------------------------


def _check_key_schema(elements: list[dict[str, str]], where: str = "") -> None:
    if elements[0]["KeyType"] != "HASH":
        raise validation(
            f"Invalid KeySchema: The first KeySchemaElement is not a HASH key type{where}"
        )
    if len(elements) == 2:
        if elements[1]["KeyType"] != "RANGE":
            raise validation(
                f"Invalid KeySchema: The second KeySchemaElement is not a RANGE key type{where}"
            )
        if elements[0]["AttributeName"] == elements[1]["AttributeName"]:
            raise validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )


def _check_projection(projection: dict[str, Any], index: str) -> dict[str, Any]:
    kind = projection.get("ProjectionType")
    non_key = projection.get("NonKeyAttributes")
    if kind is None:
        if non_key:
            raise validation(
                INVALID + "ProjectionType is required when NonKeyAttributes are specified"
            )
        kind = "ALL"
    if kind == "INCLUDE":
        if not non_key:
            raise validation(
                INVALID + f"NonKeyAttributes must not be empty when ProjectionType is INCLUDE "
                f"for index: {index}"
            )
        if len(set(non_key)) != len(non_key):
            raise validation(INVALID + "Duplicate NonKeyAttributes are not allowed")
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(non_key)}
    if non_key:
        raise validation(INVALID + f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    return {"ProjectionType": kind}


def _throughput(given: dict[str, Any] | None, billing: str, where: str = "") -> dict[str, Any]:
    if billing == "PAY_PER_REQUEST":
        if given is not None:
            raise validation(
                INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified "
                "when BillingMode is PAY_PER_REQUEST"
            )
        return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    if given is None:
        if where:
            raise validation(
                INVALID + f"ProvisionedThroughput must be specified for index: {where}"
            )
        raise validation(
            INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
            "BillingMode is PROVISIONED"
        )
    return {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": given["ReadCapacityUnits"],
        "WriteCapacityUnits": given["WriteCapacityUnits"],
    }


def _gsi_description(spec: dict[str, Any], table_arn: str, billing: str) -> dict[str, Any]:
    name = spec["IndexName"]
    check_name(name, "indexName")
    _check_key_schema(spec["KeySchema"])
    return {
        "IndexName": name,
        "KeySchema": copy.deepcopy(spec["KeySchema"]),
        "Projection": _check_projection(spec["Projection"], name),
        "IndexStatus": "ACTIVE",
        "ProvisionedThroughput": _throughput(spec.get("ProvisionedThroughput"), billing, name),
        "IndexArn": f"{table_arn}/index/{name}",
    }


def _check_definitions(definitions: list[dict[str, str]], used: list[str], exact: bool) -> None:
    names = [d["AttributeName"] for d in definitions]
    if len(set(names)) != len(names):
        raise validation(INVALID + "Duplicate AttributeDefinitions are not allowed")
    missing = sorted({u for u in used if u not in names})
    if missing:
        raise validation(
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(missing)}], AttributeDefinitions: [{', '.join(names)}]"
        )
    if exact and len(set(used)) != len(names):
        raise validation(
            INVALID + "Number of attributes in KeySchema does not exactly match number of "
            "attributes defined in AttributeDefinitions"
        )


def _key_names(description: dict[str, Any]) -> list[str]:
    names = [e["AttributeName"] for e in description["KeySchema"]]
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for index in description.get(member, []):
            names.extend(e["AttributeName"] for e in index["KeySchema"])
    return names


# -- CreateTable ------------------------------------------------------------------------


def create_table(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    name = request["TableName"]
    check_name(name)
    key_schema = request["KeySchema"]
    _check_key_schema(key_schema)
    billing = request.get("BillingMode", "PROVISIONED")
    arn = f"arn:aws:dynamodb:{ctx.region}:{ctx.account_id}:table/{name}"
    description: dict[str, Any] = {
        "AttributeDefinitions": copy.deepcopy(request["AttributeDefinitions"]),
        "TableName": name,
        "KeySchema": copy.deepcopy(key_schema),
        "CreationDateTime": time.time(),
        "ProvisionedThroughput": _throughput(request.get("ProvisionedThroughput"), billing),
        "TableArn": arn,
        "TableId": str(uuid.uuid4()),
    }
    if billing == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": description["CreationDateTime"],
        }
    hash_key = key_schema[0]["AttributeName"]
    range_key = key_schema[1]["AttributeName"] if len(key_schema) > 1 else None
    index_names: set[str] = set()
    lsis = request.get("LocalSecondaryIndexes")
    if lsis is not None:
        if range_key is None:
            raise validation(
                INVALID + "Table KeySchema does not have a range key, which is required when "
                "specifying a LocalSecondaryIndex"
            )
        if len(lsis) > MAX_LSI:
            raise validation(
                INVALID + f"LocalSecondaryIndex count exceeds the per-table limit of {MAX_LSI}"
            )
        described = []
        for spec in lsis:
            index = spec["IndexName"]
            check_name(index, "indexName")
            if index in index_names:
                raise validation(INVALID + f"Duplicate index name: {index}")
            index_names.add(index)
            _check_key_schema(spec["KeySchema"])
            if spec["KeySchema"][0]["AttributeName"] != hash_key:
                raise validation(
                    INVALID + "Index KeySchema does not have the same leading hash key as table "
                    f"KeySchema for index: {index}. index hash key: "
                    f"{spec['KeySchema'][0]['AttributeName']}, table hash key: {hash_key}"
                )
            if len(spec["KeySchema"]) != 2:
                raise validation(
                    INVALID + f"Index KeySchema does not have a range key for index: {index}"
                )
            described.append(
                {
                    "IndexName": index,
                    "KeySchema": copy.deepcopy(spec["KeySchema"]),
                    "Projection": _check_projection(spec["Projection"], index),
                    "IndexArn": f"{arn}/index/{index}",
                }
            )
        description["LocalSecondaryIndexes"] = described
    gsis = request.get("GlobalSecondaryIndexes")
    if gsis is not None:
        if len(gsis) > MAX_GSI:
            raise validation(
                INVALID + f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSI}"
            )
        described = []
        for spec in gsis:
            if spec["IndexName"] in index_names:
                raise validation(INVALID + f"Duplicate index name: {spec['IndexName']}")
            index_names.add(spec["IndexName"])
            described.append(_gsi_description(spec, arn, billing))
        description["GlobalSecondaryIndexes"] = described
    _check_definitions(description["AttributeDefinitions"], _key_names(description), exact=True)
    stream = request.get("StreamSpecification")
    if stream is not None:
        description["StreamSpecification"] = _stream_spec(stream)
    sse = request.get("SSESpecification")
    if sse is not None and sse.get("Enabled"):
        key = sse.get("KMSMasterKeyId") or "alias/aws/dynamodb"
        description["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": sse.get("SSEType", "KMS"),
            "KMSMasterKeyArn": key
            if key.startswith("arn:")
            else f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{uuid.uuid4()}",
        }
    if "TableClass" in request:
        description["TableClassSummary"] = {"TableClass": request["TableClass"]}
    description["DeletionProtectionEnabled"] = bool(request.get("DeletionProtectionEnabled"))
    if "OnDemandThroughput" in request:
        description["OnDemandThroughput"] = request["OnDemandThroughput"]
    tags = _tag_map(request.get("Tags") or [])
    if store.table(ctx.account_id, ctx.region, name) is not None:
        raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
    table = Table(
        0,
        ctx.account_id,
        ctx.region,
        name,
        description,
        tags,
        None,
        1 + len(index_names),
        {n: i + 1 for i, n in enumerate(sorted(index_names))},
    )
    with store.db.transaction():
        store.add_table(table)
        if table.stream_enabled:
            _enable_stream(store, table)
            store.save_table(table)
    out = describe(store, table)
    out["TableStatus"] = "CREATING"
    for index in out.get("GlobalSecondaryIndexes", []):
        index["IndexStatus"] = "CREATING"
    return {"TableDescription": out}


def _stream_spec(stream: dict[str, Any]) -> dict[str, Any]:
    if not stream["StreamEnabled"]:
        if "StreamViewType" in stream:
            raise validation(
                INVALID + "StreamViewType cannot be specified when StreamEnabled is false"
            )
        return {"StreamEnabled": False}
    view = stream.get("StreamViewType")
    if view is None:
        raise validation(INVALID + "You must specify a StreamViewType when enabling a stream")
    return {"StreamEnabled": True, "StreamViewType": view}


def _enable_stream(store: DynamoStore, table: Table) -> None:
    spec = table.description["StreamSpecification"]
    arn = stream_records.enable(
        store.db,
        table_arn=table.arn,
        table_name=table.name,
        key_schema=table.description["KeySchema"],
        view_type=spec["StreamViewType"],
        now_ms=_ms(),
    )
    table.description["LatestStreamArn"] = arn
    table.description["LatestStreamLabel"] = arn.rsplit("/stream/", 1)[1]


def _tag_map(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


# -- DescribeTable, ListTables ----------------------------------------------------------


def describe(store: DynamoStore, table: Table) -> dict[str, Any]:
    out = copy.deepcopy(table.description)
    out["TableStatus"] = "ACTIVE"
    count, size = store.counts(table)
    out["ItemCount"] = count
    out["TableSizeBytes"] = size
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for index in out.get(member, []):
            n, b = store.index_counts(table, table.indexes[index["IndexName"]])
            index["ItemCount"] = n
            index["IndexSizeBytes"] = b
    if "StreamSpecification" in out and not out["StreamSpecification"].get("StreamEnabled"):
        out.pop("StreamSpecification")
    return out


def describe_table(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    name = request["TableName"]
    table = find_table(ctx, store, name, f"Requested resource not found: Table: {name} not found")
    return {"Table": describe(store, table)}


def list_tables(ctx: RequestContext, store: DynamoStore, request: dict[str, Any]) -> dict[str, Any]:
    limit = request.get("Limit", 100)
    names = sorted(
        t.name for t in store.all_tables() if t.account == ctx.account_id and t.region == ctx.region
    )
    start = request.get("ExclusiveStartTableName")
    if start is not None:
        names = [n for n in names if n > start]
    page = names[:limit]
    out: dict[str, Any] = {"TableNames": page}
    if len(names) > limit:
        out["LastEvaluatedTableName"] = page[-1]
    return out


# -- UpdateTable ------------------------------------------------------------------------


def update_table(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    table = find_table(ctx, store, request["TableName"])
    replicas = [k for k in _REPLICA_MEMBERS if request.get(k) is not None]
    if replicas:
        raise ServiceError(
            "NotImplemented",
            f"cloudlet does not implement global tables ({', '.join(replicas)})",
            status=501,
        )
    changes = set(request) - {"TableName", "AttributeDefinitions"}
    if not changes:
        raise validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
            "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"
        )
    description = copy.deepcopy(table.description)
    index_ids = dict(table.index_ids)
    next_index = table.next_index
    billing = request.get(
        "BillingMode", description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    )
    if "BillingMode" in request or "ProvisionedThroughput" in request:
        description["ProvisionedThroughput"] = _throughput(
            request.get("ProvisionedThroughput"), billing
        )
        if billing == "PAY_PER_REQUEST":
            description["BillingModeSummary"] = {
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": time.time(),
            }
        elif "BillingModeSummary" in description:
            description["BillingModeSummary"] = {"BillingMode": "PROVISIONED"}
        for index in description.get("GlobalSecondaryIndexes", []):
            if billing == "PAY_PER_REQUEST":
                index["ProvisionedThroughput"] = _throughput(None, billing)
    created: list[str] = []
    dropped: list[int] = []
    for update in request.get("GlobalSecondaryIndexUpdates", []):
        if len(update) != 1:
            raise validation(
                INVALID + "One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be "
                "specified, but not more than one"
            )
        gsis: list[dict[str, Any]] = description.setdefault("GlobalSecondaryIndexes", [])
        if "Create" in update:
            spec = update["Create"]
            name = spec["IndexName"]
            if name in index_ids:
                raise validation("Attempting to create an index which already exists")
            if len(gsis) >= MAX_GSI:
                raise ServiceError(
                    "LimitExceededException",
                    f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSI}",
                )
            gsis.append(_gsi_description(spec, table.arn, billing))
            index_ids[name] = next_index
            next_index += 1
            created.append(name)
        elif "Delete" in update:
            name = update["Delete"]["IndexName"]
            found = [g for g in gsis if g["IndexName"] == name]
            if not found:
                raise not_found(f"Requested resource not found: Index: {name} not found")
            gsis.remove(found[0])
            dropped.append(index_ids.pop(name))
        else:
            spec = update["Update"]
            name = spec["IndexName"]
            found = [g for g in gsis if g["IndexName"] == name]
            if not found:
                raise not_found(f"Requested resource not found: Index: {name} not found")
            if "ProvisionedThroughput" in spec:
                found[0]["ProvisionedThroughput"] = _throughput(
                    spec["ProvisionedThroughput"], billing, name
                )
        if not gsis:
            description.pop("GlobalSecondaryIndexes")
    if "AttributeDefinitions" in request:
        merged = {d["AttributeName"]: d for d in description["AttributeDefinitions"]}
        for d in request["AttributeDefinitions"]:
            known = merged.get(d["AttributeName"])
            if known is not None and known["AttributeType"] != d["AttributeType"]:
                raise validation(
                    INVALID + "Cannot change the type of an existing attribute: "
                    f"{d['AttributeName']}"
                )
            merged[d["AttributeName"]] = d
        definitions = list(merged.values())
    else:
        definitions = description["AttributeDefinitions"]
    used = _key_names(description)
    _check_definitions(definitions, used, exact=False)
    description["AttributeDefinitions"] = [d for d in definitions if d["AttributeName"] in used]
    stream = request.get("StreamSpecification")
    stream_change = None
    if stream is not None:
        spec = _stream_spec(stream)
        enabled = table.stream_enabled
        if spec["StreamEnabled"] and enabled:
            raise validation(f"Table already has an enabled stream: {table.arn}")
        if not spec["StreamEnabled"] and not enabled:
            raise validation(INVALID + "Table already has stream disabled")  # AWS's words vary
        description["StreamSpecification"] = spec
        stream_change = spec["StreamEnabled"]
    sse = request.get("SSESpecification")
    if sse is not None:
        if sse.get("Enabled", True):
            description["SSEDescription"] = {
                "Status": "ENABLED",
                "SSEType": sse.get("SSEType", "KMS"),
                "KMSMasterKeyArn": sse.get("KMSMasterKeyId")
                or f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{uuid.uuid4()}",
            }
        else:
            description.pop("SSEDescription", None)
    if "TableClass" in request:
        description["TableClassSummary"] = {"TableClass": request["TableClass"]}
    if "DeletionProtectionEnabled" in request:
        description["DeletionProtectionEnabled"] = request["DeletionProtectionEnabled"]
    for index in description.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in created:
            index["IndexStatus"] = "CREATING"
            index["Backfilling"] = True
    backfills = {
        name: mark
        for name, mark in table.backfills.items()
        if name in index_ids and name not in created
    }
    backfills.update({name: [] for name in created})
    previous = (table.description, table.index_ids, table.next_index, table.backfills)
    table.description, table.index_ids, table.next_index = description, index_ids, next_index
    table.backfills = backfills
    try:
        table.refresh()
        with store.db.transaction():
            for index_id in dropped:
                store.drop_index(table, index_id)
            for name in created:
                backfill_round(store, table, name)
            if stream_change is True:
                _enable_stream(store, table)
            elif stream_change is False:
                stream_records.disable(store.db, table.arn, _ms())
            store.save_table(table)
    except BaseException:
        table.description, table.index_ids, table.next_index, table.backfills = previous
        table.refresh()
        raise
    out = describe(store, table)
    out["TableStatus"] = "UPDATING"
    for index in out.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in created:
            index["IndexStatus"] = "CREATING"
            index["Backfilling"] = index["IndexName"] in table.backfills
    return {"TableDescription": out}


def backfill_round(store: DynamoStore, table: Table, name: str) -> None:
    """Index one slice of the table's items for the new GSI `name`; once the whole
    table is indexed, the index becomes ACTIVE (and can be read)."""
    index = table.indexes[name]
    if not store.backfill(table, index, BACKFILL_SLICE):
        return
    for described in table.description.get("GlobalSecondaryIndexes", []):
        if described["IndexName"] == name:
            described["IndexStatus"] = "ACTIVE"
            described.pop("Backfilling", None)
    table.refresh()


# -- DeleteTable ------------------------------------------------------------------------


def delete_table(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    name = request["TableName"]
    table = find_table(ctx, store, name, f"Requested resource not found: Table: {name} not found")
    if table.description.get("DeletionProtectionEnabled"):
        raise validation(
            "Resource cannot be deleted as it is currently protected against deletion. "
            "Disable deletion protection first."
        )
    out = describe(store, table)
    out["TableStatus"] = "DELETING"
    with store.db.transaction():
        if "LatestStreamArn" in table.description:
            stream_records.table_deleted(store.db, table.arn, _ms())
        store.drop_table(table)
    return {"TableDescription": out}


# -- time to live -----------------------------------------------------------------------


def update_time_to_live(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    table = find_table(ctx, store, request["TableName"])
    spec = request["TimeToLiveSpecification"]
    attribute = spec["AttributeName"]
    current = table.ttl or {"TimeToLiveStatus": "DISABLED"}
    if spec["Enabled"]:
        if current["TimeToLiveStatus"] == "ENABLED":
            raise validation("TimeToLive is already enabled")
        table.ttl = {"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}
    else:
        if current["TimeToLiveStatus"] != "ENABLED":
            raise validation("TimeToLive is already disabled")
        if current.get("AttributeName") != attribute:
            raise validation(
                "TimeToLive is active on a different AttributeName: current AttributeName is "
                f"{current.get('AttributeName')}"
            )
        table.ttl = None
    store.save_table(table)
    return {"TimeToLiveSpecification": {"Enabled": spec["Enabled"], "AttributeName": attribute}}


def describe_time_to_live(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    table = find_table(ctx, store, request["TableName"])
    return {"TimeToLiveDescription": dict(table.ttl or {"TimeToLiveStatus": "DISABLED"})}


# -- tags -------------------------------------------------------------------------------


def _tagged(ctx: RequestContext, store: DynamoStore, arn: str) -> Table:
    if not arn.startswith("arn:"):
        raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    account, region, name = locate(ctx, arn.split("/index/")[0])
    table = store.table(account, region, name)
    if table is None:
        raise not_found(f"Requested resource not found: ResourcArn: {arn} not found")
    return table


def tag_resource(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    table = _tagged(ctx, store, request["ResourceArn"])
    tags = dict(table.tags)
    tags.update(_tag_map(request["Tags"]))
    if len(tags) > 50:
        raise validation("One or more parameter values were invalid: Too many tags")  # 50 max
    table.tags = tags
    store.save_table(table)
    return {}


def untag_resource(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    table = _tagged(ctx, store, request["ResourceArn"])
    table.tags = {k: v for k, v in table.tags.items() if k not in set(request["TagKeys"])}
    store.save_table(table)
    return {}


def list_tags_of_resource(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    table = _tagged(ctx, store, request["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(table.tags.items())]}


# -- account-level ----------------------------------------------------------------------


def describe_endpoints(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    return {"Endpoints": [{"Address": ctx.host, "CachePeriodInMinutes": 1440}]}


def describe_limits(
    ctx: RequestContext, store: DynamoStore, request: dict[str, Any]
) -> dict[str, Any]:
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }
