"""Functions (Lambda), their IAM roles with least-privilege policies from links, and
event source mappings."""

from __future__ import annotations

import json
from typing import Any

from cloudlet.app.constructs import EventSource, Function, Queue, Resource, Table, Topic, env_name
from cloudlet.deploy import naming
from cloudlet.deploy.kinds.base import Kind, as_json, missing, retry_while, wait_for
from cloudlet.deploy.kinds.messaging import (
    LIVE,
    _found,
    function_arn,
    invoke_arn,
    queue_arn,
    topic_arn,
)
from cloudlet.deploy.model import Actual, Context, Node

POLICY_NAME = "cloudlet"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

_TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:PartiQLSelect"]  # fmt: skip
_TABLE_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]  # fmt: skip
_QUEUE_READ = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]  # fmt: skip
_QUEUE_WRITE = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
_STREAM_READ = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]  # fmt: skip


def _actions(resource: Resource, access: str) -> list[str]:
    read, write = "read" in access, "write" in access
    chosen: list[str] = []
    if isinstance(resource, Table):
        chosen = (_TABLE_READ if read else []) + (_TABLE_WRITE if write else [])
    elif isinstance(resource, Queue):
        chosen = (_QUEUE_READ if read else []) + (_QUEUE_WRITE if write else [])
    elif isinstance(resource, Topic):
        chosen = ["sns:Publish"] if write else ["sns:GetTopicAttributes"]
    elif isinstance(resource, Function):
        chosen = ["lambda:InvokeFunction"] if write else ["lambda:GetFunction"]
    return sorted(set(chosen))


def _arns(ctx: Context, resource: Resource) -> list[str]:
    if isinstance(resource, Table):
        table = ctx.arn("dynamodb", f"table/{ctx.name_of(resource)}")
        return [table, f"{table}/index/*"]
    if isinstance(resource, Queue):
        return [queue_arn(ctx, resource)]
    if isinstance(resource, Topic):
        return [topic_arn(ctx, resource)]
    if isinstance(resource, Function):
        return [function_arn(ctx, resource)]
    return []


def role_policy(ctx: Context, function: Function) -> dict[str, Any]:
    """Logs for the function's own group, and exactly what its links and sources need."""
    name = ctx.name_of(function)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                ctx.arn("logs", f"log-group:/aws/lambda/{name}"),
                ctx.arn("logs", f"log-group:/aws/lambda/{name}:*"),
            ],
        }
    ]
    for link in function.links:
        statements.append(
            {
                "Sid": _sid("Link", link.resource),
                "Effect": "Allow",
                "Action": _actions(link.resource, link.access),
                "Resource": _arns(ctx, link.resource),
            }
        )
    for source in function.sources:
        if isinstance(source.source, Queue):
            actions = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]  # fmt: skip
            resources = [queue_arn(ctx, source.source)]
        else:
            actions = _STREAM_READ
            resources = [ctx.arn("dynamodb", f"table/{ctx.name_of(source.source)}/stream/*")]
        statements.append(
            {
                "Sid": _sid("Consume", source.source),
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _sid(what: str, resource: Resource) -> str:
    return (
        what
        + "".join(part.capitalize() for part in env_name(resource.name).split("_"))
        + resource.kind.capitalize()
    )


def link_environment(ctx: Context, function: Function) -> dict[str, str]:
    env: dict[str, str] = {}
    for link in function.links:
        stem, resource = env_name(link.resource.name), link.resource
        if isinstance(resource, Table):
            env[f"{stem}_TABLE_NAME"] = ctx.name_of(resource)
        elif isinstance(resource, Queue):
            env[f"{stem}_QUEUE_URL"] = ctx.output(f"queue:{resource.name}", "url")
            env[f"{stem}_QUEUE_ARN"] = queue_arn(ctx, resource)
        elif isinstance(resource, Topic):
            env[f"{stem}_TOPIC_ARN"] = topic_arn(ctx, resource)
        elif isinstance(resource, Function):
            env[f"{stem}_FUNCTION_NAME"] = ctx.name_of(resource)
    return env


class RoleKind(Kind):
    kind = "role"

    def read(self, ctx: Context, node: Node) -> Actual | None:
        iam = ctx.client("iam")
        try:
            role = iam.get_role(RoleName=node.physical)["Role"]
        except Exception as error:
            if missing(error, "NoSuchEntity"):
                return None
            raise
        try:
            policy = as_json(
                iam.get_role_policy(RoleName=node.physical, PolicyName=POLICY_NAME)[
                    "PolicyDocument"
                ]
            )
        except Exception as error:
            if not missing(error, "NoSuchEntity"):
                raise
            policy = None
        attrs = {"Trust": as_json(role["AssumeRolePolicyDocument"]), "Policy": policy}
        return Actual(attrs, {"name": node.physical, "arn": role["Arn"]})

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        return {"Trust": TRUST, "Policy": role_policy(ctx, node.source)}

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        iam = ctx.client("iam")
        try:
            role = iam.create_role(
                RoleName=node.physical, Path=naming.role_path(ctx.app.name, ctx.stage),
                AssumeRolePolicyDocument=json.dumps(desired["Trust"]),
                Description=f"cloudlet {ctx.app.name} {ctx.stage}: function {node.logical}",
                Tags=[{"Key": k, "Value": v} for k, v in ctx.tags.items()],
            )["Role"]  # fmt: skip
        except Exception as error:
            if not missing(error, "EntityAlreadyExists"):
                raise
            role = iam.get_role(RoleName=node.physical)["Role"]
        iam.put_role_policy(
            RoleName=node.physical,
            PolicyName=POLICY_NAME,
            PolicyDocument=json.dumps(desired["Policy"]),
        )
        return {"name": node.physical, "arn": role["Arn"]}

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        iam = ctx.client("iam")
        if desired["Trust"] != actual.attrs.get("Trust"):
            iam.update_assume_role_policy(
                RoleName=node.physical, PolicyDocument=json.dumps(desired["Trust"])
            )
        if desired["Policy"] != actual.attrs.get("Policy"):
            iam.put_role_policy(
                RoleName=node.physical,
                PolicyName=POLICY_NAME,
                PolicyDocument=json.dumps(desired["Policy"]),
            )
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        iam = ctx.client("iam")
        try:
            for name in iam.list_role_policies(RoleName=node.physical).get("PolicyNames", []):
                iam.delete_role_policy(RoleName=node.physical, PolicyName=name)
            for attached in iam.list_attached_role_policies(RoleName=node.physical).get(
                "AttachedPolicies", []
            ):
                iam.detach_role_policy(RoleName=node.physical, PolicyArn=attached["PolicyArn"])
            iam.delete_role(RoleName=node.physical)
        except Exception as error:
            if not missing(error, "NoSuchEntity"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        iam = ctx.client("iam")
        found: list[tuple[str, Node]] = []
        args: dict[str, Any] = {"PathPrefix": naming.role_path(ctx.app.name, ctx.stage)}
        while True:
            page = iam.list_roles(**args)
            for role in page.get("Roles", []):
                if role.get("Path") == args["PathPrefix"]:
                    name = role["RoleName"]
                    found.append(
                        (name, _found("role", ctx, name, {"name": name, "arn": role["Arn"]}))
                    )
            if not page.get("IsTruncated"):
                return found
            args["Marker"] = page["Marker"]

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        return ctx.tags  # the role path names exactly this app and stage


def _ready(ctx: Context, name: str) -> bool:
    config = ctx.client("lambda").get_function_configuration(FunctionName=name)
    if config.get("State") == "Failed" or config.get("LastUpdateStatus") == "Failed":
        reason = config.get("StateReason") or config.get("LastUpdateStatusReason")
        raise RuntimeError(f"function {name} failed: {reason}")
    return bool(
        config.get("State") == "Active" and config.get("LastUpdateStatus") in (None, "Successful")
    )


def _role_not_ready(error: Exception) -> bool:
    # A role just made takes seconds to be usable by Lambda on AWS.
    return missing(error, "InvalidParameterValueException") and "role" in str(error).lower()


class FunctionKind(Kind):
    kind = "function"
    config_keys = ("Runtime", "Handler", "MemorySize", "Timeout", "Environment", "Role", "Layers", "Description")  # fmt: skip

    def read(self, ctx: Context, node: Node) -> Actual | None:
        try:
            found = ctx.client("lambda").get_function(FunctionName=node.physical)
        except Exception as error:
            if missing(error, "ResourceNotFoundException"):
                return None
            raise
        config = found["Configuration"]
        attrs = {
            "Runtime": config.get("Runtime"),
            "Handler": config.get("Handler"),
            "MemorySize": config.get("MemorySize"),
            "Timeout": config.get("Timeout"),
            "Environment": (config.get("Environment") or {}).get("Variables", {}),
            "Role": config.get("Role"),
            "Layers": [layer["Arn"] for layer in config.get("Layers", [])],
            "Description": config.get("Description", ""),
            "Architectures": config.get("Architectures", ["x86_64"]),
            "CodeSha256": config.get("CodeSha256"),
            "ReservedConcurrency": (found.get("Concurrency") or {}).get(
                "ReservedConcurrentExecutions"
            ),
        }
        attrs.update(self._live(ctx, node.physical))
        return Actual(attrs, {"name": node.physical, "arn": config["FunctionArn"]})

    def _live(self, ctx: Context, name: str) -> dict[str, Any]:
        """The `live` alias: what its version runs, and its provisioned concurrency."""
        lam = ctx.client("lambda")
        try:
            version = lam.get_function_configuration(FunctionName=name, Qualifier=LIVE)
        except Exception as error:
            if missing(error, "ResourceNotFoundException"):
                return {"Live": None, "Provisioned": None}
            raise
        try:
            provisioned = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=LIVE)
            requested = provisioned.get("RequestedProvisionedConcurrentExecutions")
        except Exception as error:
            if not missing(
                error, "ProvisionedConcurrencyConfigNotFoundException", "ResourceNotFoundException"
            ):
                raise
            requested = None
        return {"Live": _version_view(version), "Provisioned": requested}

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        function: Function = node.source
        env = {key: ctx.resolve(value) for key, value in function.environment.items()}
        env.update(link_environment(ctx, function))
        attrs = {
            "Runtime": function.runtime,
            "Handler": function.handler,
            "MemorySize": function.memory,
            "Timeout": function.timeout,
            "Environment": env,
            "Role": ctx.output(f"role:{function.name}", "arn"),
            "Layers": list(function.layers),
            "Description": function.description,
            "Architectures": [function.architecture],
            "CodeSha256": ctx.codes[node.key][1],
            "ReservedConcurrency": function.reserved_concurrency,
            "Provisioned": function.provisioned_concurrency,
        }
        if function.provisioned_concurrency:
            attrs["Live"] = {k: attrs[k] for k in _VERSIONED}
        return attrs

    def diff(self, desired: dict[str, Any], actual: Actual) -> tuple[str, str]:
        action, reason = super().diff(desired, actual)
        if action == "update" and reason == "CodeSha256 changed":
            return action, "code changed"
        return action, reason.replace("CodeSha256", "code")

    def _config(self, node: Node, desired: dict[str, Any]) -> dict[str, Any]:
        return {
            "FunctionName": node.physical,
            "Runtime": desired["Runtime"],
            "Handler": desired["Handler"],
            "MemorySize": desired["MemorySize"],
            "Timeout": desired["Timeout"],
            "Environment": {"Variables": desired["Environment"]},
            "Role": desired["Role"],
            "Layers": desired["Layers"],
            "Description": desired["Description"],
        }

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        lam = ctx.client("lambda")
        args = self._config(node, desired)
        args.update(
            Code={"ZipFile": ctx.codes[node.key][0]}, Tags=ctx.tags,
            Architectures=desired["Architectures"], Publish=False,
        )  # fmt: skip
        try:
            created = retry_while(lambda: lam.create_function(**args), _role_not_ready)
        except Exception as error:
            if not missing(error, "ResourceConflictException"):
                raise
            # Created by an interrupted deploy between our read and now: converge.
            actual = self.read(ctx, node)
            assert actual is not None
            return self.update(ctx, node, desired, actual)
        wait_for(lambda: _ready(ctx, node.physical), f"function {node.physical} to be Active")
        if desired["ReservedConcurrency"] is not None:
            lam.put_function_concurrency(
                FunctionName=node.physical,
                ReservedConcurrentExecutions=desired["ReservedConcurrency"],
            )
        if desired.get("Live") is not None:
            self._publish(ctx, node, desired, {"Live": None, "Provisioned": None})
        return {"name": node.physical, "arn": created["FunctionArn"]}

    def _publish(
        self, ctx: Context, node: Node, desired: dict[str, Any], have: dict[str, Any]
    ) -> None:
        """Point the live alias at a version of the current code and configuration, and
        provision it; or remove both when provisioned concurrency is no longer asked."""
        lam = ctx.client("lambda")
        if desired.get("Live") is None:
            # The alias stays (callers may still name it until they are updated, and it
            # costs nothing); its provisioned environments, which cost, go.
            if have.get("Provisioned") is not None:
                lam.delete_provisioned_concurrency_config(
                    FunctionName=node.physical, Qualifier=LIVE
                )
            return
        if desired["Live"] != have.get("Live"):
            version = lam.publish_version(FunctionName=node.physical)["Version"]
            wait_for(
                lambda: _ready(ctx, f"{node.physical}:{version}"),
                f"version {version} of {node.physical}",
            )
            if have.get("Live") is None:
                lam.create_alias(FunctionName=node.physical, Name=LIVE, FunctionVersion=version)
            else:
                lam.update_alias(FunctionName=node.physical, Name=LIVE, FunctionVersion=version)
        if desired["Provisioned"] != have.get("Provisioned") or desired["Live"] != have.get("Live"):
            # Provisioning takes minutes on AWS; it is asked for here, not waited for.
            lam.put_provisioned_concurrency_config(
                FunctionName=node.physical, Qualifier=LIVE,
                ProvisionedConcurrentExecutions=desired["Provisioned"],
            )  # fmt: skip

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        lam = ctx.client("lambda")
        have = actual.attrs
        if desired["CodeSha256"] != have.get("CodeSha256") or desired["Architectures"] != have.get(
            "Architectures"
        ):
            lam.update_function_code(
                FunctionName=node.physical, ZipFile=ctx.codes[node.key][0],
                Architectures=desired["Architectures"],
            )  # fmt: skip
            wait_for(lambda: _ready(ctx, node.physical), f"function {node.physical} code update")
        if any(desired[k] != have.get(k) for k in self.config_keys):
            args = self._config(node, desired)
            retry_while(lambda: lam.update_function_configuration(**args), _role_not_ready)
            wait_for(
                lambda: _ready(ctx, node.physical), f"function {node.physical} configuration update"
            )
        if desired["ReservedConcurrency"] != have.get("ReservedConcurrency"):
            if desired["ReservedConcurrency"] is None:
                lam.delete_function_concurrency(FunctionName=node.physical)
            else:
                lam.put_function_concurrency(
                    FunctionName=node.physical,
                    ReservedConcurrentExecutions=desired["ReservedConcurrency"],
                )
        if desired.get("Live") not in (None, have.get("Live")) or desired[
            "Provisioned"
        ] != have.get("Provisioned"):
            self._publish(ctx, node, desired, have)
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        lam = ctx.client("lambda")
        try:
            alias = (
                f"{actual.outputs['arn'].split(':function:')[0]}:function:{node.physical}:{LIVE}"
            )
            found = {m["UUID"]: m for m in _mappings(lam, FunctionName=node.physical)}
            if actual.attrs.get("Live") is not None or not actual.attrs:
                try:  # mappings on the live alias are listed under its ARN
                    found.update({m["UUID"]: m for m in _mappings(lam, FunctionName=alias)})
                except Exception as error:
                    if not missing(error, "ResourceNotFoundException"):
                        raise
            for mapping in found.values():
                if mapping.get("State") != "Deleting":
                    _settled(lam, mapping["UUID"])
                    lam.delete_event_source_mapping(UUID=mapping["UUID"])
            lam.delete_function(FunctionName=node.physical)
        except Exception as error:
            if not missing(error, "ResourceNotFoundException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        # Mappings are found through the owned functions too (MappingKind.owned).
        return ctx.listing("owned:function", lambda: self._owned(ctx))

    def _owned(self, ctx: Context) -> list[tuple[str, Node]]:
        lam = ctx.client("lambda")
        found: list[tuple[str, Node]] = []
        args: dict[str, Any] = {"MaxItems": 50}
        while True:
            page = lam.list_functions(**args)
            for fn in page.get("Functions", []):
                name = fn["FunctionName"]
                if name.startswith(ctx.prefix):
                    found.append(
                        (
                            name,
                            _found("function", ctx, name, {"name": name, "arn": fn["FunctionArn"]}),
                        )
                    )
            if not page.get("NextMarker"):
                return found
            args["Marker"] = page["NextMarker"]

    def owner_tags(self, ctx: Context, node: Node) -> dict[str, str]:
        return dict(ctx.client("lambda").list_tags(Resource=node.source["arn"]).get("Tags", {}))


# What a published version freezes: compared between $LATEST's desired state and the alias's.
_VERSIONED = (
    "Runtime",
    "Handler",
    "MemorySize",
    "Timeout",
    "Environment",
    "Role",
    "Layers",
    "CodeSha256",
)


def _version_view(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "Runtime": config.get("Runtime"),
        "Handler": config.get("Handler"),
        "MemorySize": config.get("MemorySize"),
        "Timeout": config.get("Timeout"),
        "Environment": (config.get("Environment") or {}).get("Variables", {}),
        "Role": config.get("Role"),
        "Layers": [layer["Arn"] for layer in config.get("Layers", [])],
        "CodeSha256": config.get("CodeSha256"),
    }


def _mappings(lam: Any, **filters: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = dict(filters)
    while True:
        page = lam.list_event_source_mappings(**args)
        items += page.get("EventSourceMappings", [])
        if not page.get("NextMarker"):
            return items
        args["Marker"] = page["NextMarker"]


def _function_mappings(ctx: Context, lam: Any, name: str) -> list[dict[str, Any]]:
    """A function's mappings, listed once while a plan reads: to read the declared
    mappings and to find the owned ones."""
    return ctx.listing(f"mappings:{name}", lambda: _mappings(lam, FunctionName=name))


_SETTLING = ("Creating", "Updating", "Enabling", "Disabling")


def _settled(lam: Any, uuid: str) -> None:
    """Lambda refuses to change a mapping while it is creating or updating: wait it out."""
    wait_for(
        lambda: lam.get_event_source_mapping(UUID=uuid).get("State") not in _SETTLING,
        f"event source mapping {uuid} to settle",
    )


class MappingKind(Kind):
    kind = "esm"
    replace_keys = ("StartingPosition",)

    def _source_arn(self, ctx: Context, source: EventSource) -> str:
        if isinstance(source.source, Queue):
            return queue_arn(ctx, source.source)
        return ctx.output(f"table:{source.source.name}", "stream_arn")

    def identity(self, ctx: Context, node: Node) -> str:
        source: EventSource = node.source
        if isinstance(source.source, Table):
            return f"{ctx.name_of(source.function)}|table/{ctx.name_of(source.source)}/stream"
        return f"{ctx.name_of(source.function)}|{self._source_arn(ctx, source)}"

    def read(self, ctx: Context, node: Node) -> Actual | None:
        source: EventSource = node.source
        try:
            arn = self._source_arn(ctx, source)
            lam = ctx.client("lambda")
            mappings = _function_mappings(ctx, lam, ctx.name_of(source.function))
            found = [m for m in mappings if m.get("EventSourceArn") == arn]
            target = invoke_arn(ctx, source.function)
            if target != function_arn(ctx, source.function):
                found += _mappings(lam, FunctionName=target, EventSourceArn=arn)
        except Exception as error:
            if missing(error, "ResourceNotFoundException"):
                return None
            raise
        unique = {m["UUID"]: m for m in found if m.get("State") != "Deleting"}
        if not unique:
            return None
        # The mapping on what callers should invoke (the function or its live alias) first.
        mapping = sorted(unique.values(), key=lambda m: m.get("FunctionArn") != target)[0]
        attrs = {
            "BatchSize": mapping.get("BatchSize"),
            "MaximumBatchingWindowInSeconds": mapping.get("MaximumBatchingWindowInSeconds", 0),
            "FunctionResponseTypes": mapping.get("FunctionResponseTypes", []),
            "MaximumConcurrency": (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency"),
            "StartingPosition": mapping.get("StartingPosition"),
            "EventSourceArn": mapping.get("EventSourceArn"),
            "FunctionArn": mapping.get("FunctionArn"),
        }
        return Actual(attrs, {"uuid": mapping["UUID"]})

    def desired(self, ctx: Context, node: Node) -> dict[str, Any]:
        source: EventSource = node.source
        is_queue = isinstance(source.source, Queue)
        return {
            "BatchSize": source.batch_size,
            "MaximumBatchingWindowInSeconds": source.batching_window,
            "FunctionResponseTypes": ["ReportBatchItemFailures"] if source.report_failures else [],
            "MaximumConcurrency": source.max_concurrency if is_queue else None,
            "StartingPosition": None if is_queue else source.starting_position,
            "EventSourceArn": self._source_arn(ctx, source),
            "FunctionArn": invoke_arn(ctx, source.function),
        }

    def diff(self, desired: dict[str, Any], actual: Actual) -> tuple[str, str]:
        if desired["EventSourceArn"] != actual.attrs.get("EventSourceArn"):
            return "replace", "event source changed"
        if desired["FunctionArn"] != actual.attrs.get("FunctionArn"):
            return "replace", "target changed (the function or its live alias)"
        return super().diff(desired, actual)

    def _settings(self, desired: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {
            "BatchSize": desired["BatchSize"],
            "MaximumBatchingWindowInSeconds": desired["MaximumBatchingWindowInSeconds"],
            "FunctionResponseTypes": desired["FunctionResponseTypes"],
        }
        if desired["MaximumConcurrency"] is not None:
            args["ScalingConfig"] = {"MaximumConcurrency": desired["MaximumConcurrency"]}
        return args

    def create(self, ctx: Context, node: Node, desired: dict[str, Any]) -> dict[str, str]:
        source: EventSource = node.source
        args = self._settings(desired)
        # By name (`fn` or `fn:live`): some implementations match mappings by what was given.
        target = ctx.name_of(source.function)
        if source.function.provisioned_concurrency:
            target += f":{LIVE}"
        args.update(FunctionName=target, EventSourceArn=desired["EventSourceArn"])
        if desired["StartingPosition"]:
            args["StartingPosition"] = desired["StartingPosition"]
        lam = ctx.client("lambda")
        created = retry_while(lambda: lam.create_event_source_mapping(**args), _role_not_ready)
        return {"uuid": created["UUID"]}

    def update(
        self, ctx: Context, node: Node, desired: dict[str, Any], actual: Actual
    ) -> dict[str, str]:
        args = self._settings(desired)
        if (
            desired["MaximumConcurrency"] is None
            and actual.attrs.get("MaximumConcurrency") is not None
        ):
            args["ScalingConfig"] = {}
        lam = ctx.client("lambda")
        _settled(lam, actual.outputs["uuid"])
        lam.update_event_source_mapping(UUID=actual.outputs["uuid"], **args)
        return actual.outputs

    def delete(self, ctx: Context, node: Node, actual: Actual) -> None:
        lam = ctx.client("lambda")
        try:
            _settled(lam, actual.outputs["uuid"])
            lam.delete_event_source_mapping(UUID=actual.outputs["uuid"])
        except Exception as error:
            if not missing(error, "ResourceNotFoundException", "ResourceInUseException"):
                raise

    def owned(self, ctx: Context) -> list[tuple[str, Node]]:
        lam = ctx.client("lambda")
        found: list[tuple[str, Node]] = []
        for name, _ in FunctionKind().owned(ctx):
            for mapping in _function_mappings(ctx, lam, name):
                if mapping.get("State") == "Deleting":
                    continue  # on its way out already
                arn = mapping.get("EventSourceArn", "")
                identity = f"{name}|{arn}"
                if ":dynamodb:" in arn and "/stream/" in arn:
                    identity = f"{name}|{arn.split(':', 5)[-1].rsplit('/', 1)[0]}"
                logical = f"{name[len(ctx.prefix) :]}<-{arn.rsplit(':', 1)[-1]}"
                found.append((identity, Node("esm", logical, logical, {"uuid": mapping["UUID"]})))
        return found
