"""The Lambda control plane beyond functions: versions, aliases, layers, permissions,
tags, reserved and provisioned concurrency, account settings and event invoke configs,
through boto3 against a real server, with AWS's error codes and HTTP statuses."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import make_client
from lambda_support import create, unique, zipped

ACCOUNT = "000000000000"
REGION = "us-east-1"
SOURCE = "def handler(event, context):\n    return {'mark': %r}\n"


@pytest.fixture(scope="module")
def lam(endpoint: str) -> Any:
    return make_client("lambda", endpoint)


@contextmanager
def fails(code: str, status: int, message: str | None = None) -> Iterator[None]:
    with pytest.raises(ClientError) as info:
        yield
    response = info.value.response
    assert response["Error"]["Code"] == code, response["Error"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    if message is not None:
        assert message in response["Error"]["Message"], response["Error"]["Message"]


def status(response: dict[str, Any]) -> int:
    code: int = response["ResponseMetadata"]["HTTPStatusCode"]
    return code


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def new_code(lam: Any, name: str, mark: str) -> None:
    lam.update_function_code(FunctionName=name, ZipFile=zipped({"app.py": SOURCE % mark}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})


def invoke(lam: Any, name: str, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    response = lam.invoke(FunctionName=name, Payload=b"{}", **kwargs)
    return json.loads(response["Payload"].read()), response


@pytest.fixture
def versioned(lam: Any) -> str:
    """A function with versions 1 and 2 (marks "one" and "two")."""
    name = create(lam, SOURCE % "one")
    lam.publish_version(FunctionName=name)
    new_code(lam, name, "two")
    lam.publish_version(FunctionName=name)
    return name


# -- versions ---------------------------------------------------------------------------


def test_publish_version_freezes_latest(lam: Any) -> None:
    name = create(lam, SOURCE % "one", Description="base")
    latest = lam.get_function_configuration(FunctionName=name)
    first = lam.publish_version(FunctionName=name, Description="first release")
    assert status(first) == 201
    assert first["Version"] == "1"
    assert first["FunctionArn"] == f"{arn(name)}:1"
    assert first["Description"] == "first release"
    assert first["CodeSha256"] == latest["CodeSha256"]
    # Nothing changed: AWS answers with the version it already has.
    again = lam.publish_version(FunctionName=name)
    assert again["Version"] == "1"
    new_code(lam, name, "two")
    second = lam.publish_version(FunctionName=name)
    assert second["Version"] == "2"
    assert second["Description"] == "base"
    assert invoke(lam, name, Qualifier="1")[0] == {"mark": "one"}
    result, response = invoke(lam, f"{name}:2")
    assert result == {"mark": "two"} and response["ExecutedVersion"] == "2"
    config = lam.get_function_configuration(FunctionName=name, Qualifier="1")
    assert config["Version"] == "1" and config["Description"] == "first release"


def test_publish_version_preconditions(lam: Any) -> None:
    name = create(lam, SOURCE % "one")
    with fails("InvalidParameterValueException", 400, "CodeSHA256 (abc) is different"):
        lam.publish_version(FunctionName=name, CodeSha256="abc")
    with fails("PreconditionFailedException", 412, "does not match the latest Revision Id"):
        lam.publish_version(FunctionName=name, RevisionId="stale")
    latest = lam.get_function_configuration(FunctionName=name)
    published = lam.publish_version(
        FunctionName=name, CodeSha256=latest["CodeSha256"], RevisionId=latest["RevisionId"]
    )
    assert published["Version"] == "1"
    with fails("ResourceNotFoundException", 404, f"Function not found: {arn('nope-x')}"):
        lam.publish_version(FunctionName="nope-x")


def test_list_versions_by_function_pages(lam: Any, versioned: str) -> None:
    listed = lam.list_versions_by_function(FunctionName=versioned)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2"]
    assert listed[0]["FunctionArn"] == f"{arn(versioned)}:$LATEST"
    assert "State" not in listed[1]
    first = lam.list_versions_by_function(FunctionName=versioned, MaxItems=2)
    assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1"]
    rest = lam.list_versions_by_function(
        FunctionName=versioned, MaxItems=2, Marker=first["NextMarker"]
    )
    assert [v["Version"] for v in rest["Versions"]] == ["2"] and "NextMarker" not in rest
    with fails("ResourceNotFoundException", 404):
        lam.list_versions_by_function(FunctionName="nope-x")


# -- aliases ----------------------------------------------------------------------------


def test_alias_lifecycle(lam: Any, versioned: str) -> None:
    created = lam.create_alias(
        FunctionName=versioned, Name="live", FunctionVersion="1", Description="prod"
    )
    assert status(created) == 201
    assert created["AliasArn"] == f"{arn(versioned)}:live"
    assert created["FunctionVersion"] == "1" and created["Description"] == "prod"
    got = lam.get_alias(FunctionName=versioned, Name="live")
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
        k: v for k, v in created.items() if k != "ResponseMetadata"
    }
    result, response = invoke(lam, versioned, Qualifier="live")
    assert result == {"mark": "one"} and response["ExecutedVersion"] == "1"

    with fails("PreconditionFailedException", 412):
        lam.update_alias(FunctionName=versioned, Name="live", FunctionVersion="2", RevisionId="x")
    updated = lam.update_alias(
        FunctionName=versioned, Name="live", FunctionVersion="2", RevisionId=created["RevisionId"]
    )
    assert updated["FunctionVersion"] == "2" and updated["Description"] == "prod"
    assert updated["RevisionId"] != created["RevisionId"]
    assert invoke(lam, f"{versioned}:live")[0] == {"mark": "two"}

    lam.create_alias(FunctionName=versioned, Name="dev", FunctionVersion="$LATEST")
    names = [a["Name"] for a in lam.list_aliases(FunctionName=versioned)["Aliases"]]
    assert names == ["dev", "live"]
    only = lam.list_aliases(FunctionName=versioned, FunctionVersion="2")["Aliases"]
    assert [a["Name"] for a in only] == ["live"]
    page = lam.list_aliases(FunctionName=versioned, MaxItems=1)
    assert len(page["Aliases"]) == 1 and page["NextMarker"]

    deleted = lam.delete_alias(FunctionName=versioned, Name="dev")
    assert status(deleted) == 204
    assert status(lam.delete_alias(FunctionName=versioned, Name="dev")) == 204
    with fails("ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(versioned)}:dev"):
        lam.get_alias(FunctionName=versioned, Name="dev")


def test_alias_errors(lam: Any, versioned: str) -> None:
    lam.create_alias(FunctionName=versioned, Name="live", FunctionVersion="1")
    with fails("ResourceConflictException", 409, f"Alias already exists: {arn(versioned)}:live"):
        lam.create_alias(FunctionName=versioned, Name="live", FunctionVersion="2")
    with fails("ResourceNotFoundException", 404, f"Function not found: {arn(versioned)}:9"):
        lam.create_alias(FunctionName=versioned, Name="other", FunctionVersion="9")
    with fails("ValidationException", 400):
        lam.create_alias(FunctionName=versioned, Name="123", FunctionVersion="1")
    with fails("ResourceNotFoundException", 404, "Alias not found"):
        lam.update_alias(FunctionName=versioned, Name="ghost", FunctionVersion="1")
    with fails("ResourceNotFoundException", 404, "Function not found"):
        lam.create_alias(FunctionName="nope-x", Name="a", FunctionVersion="1")
    with fails("ResourceNotFoundException", 404):
        lam.list_aliases(FunctionName="nope-x")
    with fails("ResourceNotFoundException", 404):
        lam.delete_alias(FunctionName="nope-x", Name="a")


@pytest.mark.parametrize(
    ("version", "weights", "code", "message"),
    [
        ("1", {"2": 0.5, "3": 0.1}, "InvalidParameterValueException", "cannot be greater than 1"),
        ("1", {"1": 0.5}, "InvalidParameterValueException", "already included"),
        ("$LATEST", {"1": 0.5}, "InvalidParameterValueException", "$LATEST is not supported"),
        ("1", {"7": 0.5}, "ResourceNotFoundException", "Function not found"),
        ("1", {"2": 1.5}, "ValidationException", "additionalVersionWeights"),
    ],
)
def test_alias_routing_config_is_validated(
    lam: Any, versioned: str, version: str, weights: dict[str, float], code: str, message: str
) -> None:
    status_code = 404 if code == "ResourceNotFoundException" else 400
    with fails(code, status_code, message):
        lam.create_alias(
            FunctionName=versioned,
            Name="weighted",
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights},
        )


def test_weighted_alias_routes_to_both_versions(lam: Any, versioned: str) -> None:
    alias = lam.create_alias(
        FunctionName=versioned,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    seen = {invoke(lam, versioned, Qualifier="canary")[1]["ExecutedVersion"] for _ in range(24)}
    assert seen == {"1", "2"}
    # An empty RoutingConfig takes the weights away.
    plain = lam.update_alias(FunctionName=versioned, Name="canary", RoutingConfig={})
    assert "RoutingConfig" not in plain


# -- layers -----------------------------------------------------------------------------


def test_layer_versions(lam: Any) -> None:
    layer = unique("layer")
    content = zipped({"python/helper.py": "X = 1\n"})
    first = lam.publish_layer_version(
        LayerName=layer,
        Content={"ZipFile": content},
        CompatibleRuntimes=["python3.12"],
        CompatibleArchitectures=["x86_64"],
        Description="helpers",
        LicenseInfo="MIT",
    )
    assert status(first) == 201
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{layer}"
    assert first["LayerArn"] == layer_arn and first["LayerVersionArn"] == f"{layer_arn}:1"
    assert first["Version"] == 1 and first["LicenseInfo"] == "MIT"
    assert first["Content"]["CodeSize"] == len(content) and first["CreatedDate"]
    with urllib.request.urlopen(first["Content"]["Location"], timeout=10) as download:
        assert download.read() == content
    second = lam.publish_layer_version(
        LayerName=layer_arn, Content={"ZipFile": zipped({"nodejs/x.js": ""})}
    )
    assert second["Version"] == 2 and second["Description"] == ""

    got = lam.get_layer_version(LayerName=layer, VersionNumber=1)
    assert got["Description"] == "helpers" and got["CompatibleRuntimes"] == ["python3.12"]
    by_arn = lam.get_layer_version_by_arn(Arn=f"{layer_arn}:2")
    assert by_arn["Version"] == 2 and by_arn["Content"]["Location"]

    listed = lam.list_layer_versions(LayerName=layer)["LayerVersions"]
    assert [v["Version"] for v in listed] == [2, 1]
    python = lam.list_layer_versions(LayerName=layer, CompatibleRuntime="python3.12")
    assert [v["Version"] for v in python["LayerVersions"]] == [1]
    mine = [x for x in lam.list_layers()["Layers"] if x["LayerName"] == layer]
    assert mine[0]["LayerArn"] == layer_arn
    assert mine[0]["LatestMatchingVersion"]["Version"] == 2
    matching = lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    assert [x["LatestMatchingVersion"]["Version"] for x in matching if x["LayerName"] == layer] == [
        1
    ]
    assert not [
        x for x in lam.list_layers(CompatibleRuntime="java21")["Layers"] if x["LayerName"] == layer
    ]

    assert status(lam.delete_layer_version(LayerName=layer, VersionNumber=2)) == 204
    assert status(lam.delete_layer_version(LayerName=layer, VersionNumber=2)) == 204
    with fails("ResourceNotFoundException", 404, "The resource you requested does not exist."):
        lam.get_layer_version(LayerName=layer, VersionNumber=2)
    with fails("ResourceNotFoundException", 404):
        lam.get_layer_version_by_arn(Arn=f"{layer_arn}:2")
    # Numbers of deleted versions are never given out again.
    third = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": content})
    assert third["Version"] == 3
    with fails("InvalidParameterValueException", 400, "Layer Version Cannot be less than 1"):
        lam.get_layer_version(LayerName=layer, VersionNumber=0)
    with fails("ValidationException", 400):
        lam.publish_layer_version(
            LayerName=layer, Content={"ZipFile": content}, CompatibleRuntimes=["cobol"]
        )
    with fails("InvalidParameterValueException", 400, "Could not unzip"):
        lam.publish_layer_version(LayerName=layer, Content={"ZipFile": b"not a zip"})
    # Another account's layer can be read by ARN, but not changed.
    foreign = f"arn:aws:lambda:{REGION}:111122223333:layer:{layer}"
    with fails("AccessDeniedException", 403, "lambda:PublishLayerVersion"):
        lam.publish_layer_version(LayerName=foreign, Content={"ZipFile": content})
    with fails("ResourceNotFoundException", 404):
        lam.get_layer_version(LayerName=foreign, VersionNumber=1)


def test_layer_version_policy(lam: Any) -> None:
    layer = unique("layer")
    lam.publish_layer_version(LayerName=layer, Content={"ZipFile": zipped({"a.txt": "a"})})
    with fails("ResourceNotFoundException", 404, "No policy is associated"):
        lam.get_layer_version_policy(LayerName=layer, VersionNumber=1)
    added = lam.add_layer_version_permission(
        LayerName=layer,
        VersionNumber=1,
        StatementId="share",
        Action="lambda:GetLayerVersion",
        Principal="111122223333",
    )
    assert status(added) == 201
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == "111122223333" and statement["Effect"] == "Allow"
    assert statement["Resource"].endswith(f":layer:{layer}:1")
    with fails("ResourceConflictException", 409, "The statement id (share) provided already"):
        lam.add_layer_version_permission(
            LayerName=layer,
            VersionNumber=1,
            StatementId="share",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )
    with fails("PreconditionFailedException", 412, "GetLayerPolicy"):
        lam.add_layer_version_permission(
            LayerName=layer,
            VersionNumber=1,
            StatementId="org",
            Action="lambda:GetLayerVersion",
            Principal="*",
            RevisionId="stale",
        )
    with fails("ValidationException", 400):
        lam.add_layer_version_permission(
            LayerName=layer, VersionNumber=1, StatementId="x", Action="lambda:Invoke", Principal="*"
        )
    with fails("ResourceNotFoundException", 404, f":layer:{layer}:5 does not exist."):
        lam.add_layer_version_permission(
            LayerName=layer,
            VersionNumber=5,
            StatementId="x",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )
    policy = lam.get_layer_version_policy(LayerName=layer, VersionNumber=1)
    assert policy["RevisionId"] == added["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["share"]
    with fails("ResourceNotFoundException", 404, "Statement nope is not found"):
        lam.remove_layer_version_permission(LayerName=layer, VersionNumber=1, StatementId="nope")
    removed = lam.remove_layer_version_permission(
        LayerName=layer, VersionNumber=1, StatementId="share", RevisionId=policy["RevisionId"]
    )
    assert status(removed) == 204
    with fails("ResourceNotFoundException", 404):
        lam.get_layer_version_policy(LayerName=layer, VersionNumber=1)


def test_function_imports_a_module_from_its_layer(lam: Any) -> None:
    layer = lam.publish_layer_version(
        LayerName=unique("layer"),
        Content={"ZipFile": zipped({"python/greeting.py": "WORD = 'hello from a layer'\n"})},
        CompatibleRuntimes=["python3.12"],
    )
    source = (
        "import os, greeting\n"
        "def handler(event, context):\n"
        "    return {'word': greeting.WORD, 'opt': os.path.exists(os.environ['CLOUDLET_OPT'] + "
        "'/python/greeting.py')}\n"
    )
    name = create(lam, source, Layers=[layer["LayerVersionArn"]])
    layers = lam.get_function_configuration(FunctionName=name)["Layers"]
    assert layers == [{"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}]
    result, response = invoke(lam, name)
    assert "FunctionError" not in response, result
    assert result == {"word": "hello from a layer", "opt": True}
    # A deleted layer version keeps serving the functions that use it, but no new ones.
    lam.delete_layer_version(LayerName=layer["LayerArn"], VersionNumber=layer["Version"])
    lam.update_function_configuration(FunctionName=name, Timeout=5)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    assert invoke(lam, name)[0]["word"] == "hello from a layer"
    with fails("InvalidParameterValueException", 400, "does not exist"):
        create(lam, source, Layers=[layer["LayerVersionArn"]], wait=False)


# -- permissions ------------------------------------------------------------------------


def test_function_policy(lam: Any, versioned: str) -> None:
    with fails("ResourceNotFoundException", 404, "The resource you requested does not exist."):
        lam.get_policy(FunctionName=versioned)
    added = lam.add_permission(
        FunctionName=versioned,
        StatementId="from-sqs",
        Action="lambda:InvokeFunction",
        Principal="sqs.amazonaws.com",
        SourceArn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue",
        SourceAccount=ACCOUNT,
    )
    assert status(added) == 201
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "from-sqs",
        "Effect": "Allow",
        "Principal": {"Service": "sqs.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn(versioned),
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            "ArnLike": {"AWS:SourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue"},
        },
    }
    lam.add_permission(
        FunctionName=versioned, StatementId="acct", Action="lambda:*", Principal="111122223333"
    )
    policy = lam.get_policy(FunctionName=versioned)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["from-sqs", "acct"]
    assert document["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    config = lam.get_function_configuration(FunctionName=versioned)
    assert policy["RevisionId"] == config["RevisionId"]

    with fails("ResourceConflictException", 409, "The statement id (acct) provided already"):
        lam.add_permission(
            FunctionName=versioned, StatementId="acct", Action="lambda:*", Principal="*"
        )
    with fails("InvalidParameterValueException", 400, "The provided principal was invalid"):
        lam.add_permission(
            FunctionName=versioned, StatementId="bad", Action="lambda:*", Principal="someone"
        )
    with fails("InvalidParameterValueException", 400, "adding policies for $LATEST"):
        lam.add_permission(
            FunctionName=versioned,
            StatementId="l",
            Action="lambda:*",
            Principal="*",
            Qualifier="$LATEST",
        )
    with fails("PreconditionFailedException", 412):
        lam.add_permission(
            FunctionName=versioned,
            StatementId="r",
            Action="lambda:*",
            Principal="*",
            RevisionId="x",
        )
    with fails("ResourceNotFoundException", 404, "Function not found"):
        lam.add_permission(FunctionName="nope-x", StatementId="r", Action="lambda:*", Principal="*")

    # Versions and aliases have policies of their own.
    lam.create_alias(FunctionName=versioned, Name="live", FunctionVersion="1")
    before = lam.get_alias(FunctionName=versioned, Name="live")["RevisionId"]
    on_alias = lam.add_permission(
        FunctionName=versioned,
        StatementId="acct",
        Action="lambda:*",
        Principal="*",
        Qualifier="live",
    )
    assert json.loads(on_alias["Statement"])["Resource"] == f"{arn(versioned)}:live"
    alias_policy = lam.get_policy(FunctionName=versioned, Qualifier="live")
    assert alias_policy["RevisionId"] != before
    assert [s["Sid"] for s in json.loads(alias_policy["Policy"])["Statement"]] == ["acct"]
    with fails("ResourceNotFoundException", 404, "The resource you requested does not exist."):
        lam.get_policy(FunctionName=versioned, Qualifier="2")
    with fails("ResourceNotFoundException", 404, f"Function not found: {arn(versioned)}:9"):
        lam.add_permission(
            FunctionName=versioned, StatementId="v", Action="lambda:*", Principal="*", Qualifier="9"
        )

    with fails("ResourceNotFoundException", 404, "Statement nope is not found"):
        lam.remove_permission(FunctionName=versioned, StatementId="nope")
    with fails("PreconditionFailedException", 412):
        lam.remove_permission(FunctionName=versioned, StatementId="acct", RevisionId="x")
    assert status(lam.remove_permission(FunctionName=versioned, StatementId="acct")) == 204
    lam.remove_permission(FunctionName=versioned, StatementId="from-sqs")
    with fails("ResourceNotFoundException", 404):
        lam.get_policy(FunctionName=versioned)
    with fails("ResourceNotFoundException", 404, "No policy is associated"):
        lam.remove_permission(FunctionName=versioned, StatementId="acct")
    assert lam.get_policy(FunctionName=f"{versioned}:live")["Policy"]
    # An alias's policy goes with the alias.
    lam.delete_alias(FunctionName=versioned, Name="live")
    lam.create_alias(FunctionName=versioned, Name="live", FunctionVersion="2")
    with fails("ResourceNotFoundException", 404):
        lam.get_policy(FunctionName=versioned, Qualifier="live")


# -- tags -------------------------------------------------------------------------------


def test_tags(lam: Any) -> None:
    name = create(lam, SOURCE % "t", Tags={"team": "core"})
    resource = arn(name)
    assert lam.list_tags(Resource=resource)["Tags"] == {"team": "core"}
    assert status(lam.tag_resource(Resource=resource, Tags={"stage": "dev", "team": "edge"})) == 204
    assert lam.list_tags(Resource=resource)["Tags"] == {"team": "edge", "stage": "dev"}
    assert lam.get_function(FunctionName=name)["Tags"] == {"team": "edge", "stage": "dev"}
    assert status(lam.untag_resource(Resource=resource, TagKeys=["team", "absent"])) == 204
    assert lam.list_tags(Resource=resource)["Tags"] == {"stage": "dev"}
    with fails("InvalidParameterValueException", 400, "Tags on function aliases and versions"):
        lam.tag_resource(Resource=f"{resource}:1", Tags={"a": "b"})
    with fails("InvalidParameterValueException", 400, "Number of tags exceeds"):
        lam.tag_resource(Resource=resource, Tags={f"k{i}": "v" for i in range(50)})
    with fails("ResourceNotFoundException", 404, f"Function not found: {arn('nope-x')}"):
        lam.list_tags(Resource=arn("nope-x"))
    with fails("ResourceNotFoundException", 404):
        lam.tag_resource(Resource=arn("nope-x"), Tags={"a": "b"})
    with fails("ValidationException", 400):
        lam.list_tags(Resource="arn:aws:sqs:us-east-1:000000000000:queue")


# -- concurrency ------------------------------------------------------------------------


def test_reserved_concurrency(lam: Any) -> None:
    name = create(lam, SOURCE % "c")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert settings["AccountUsage"]["FunctionCount"] >= 1
    unreserved = settings["AccountLimit"]["UnreservedConcurrentExecutions"]

    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert status(put) == 200 and put["ReservedConcurrentExecutions"] == 5
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    after = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    assert after == unreserved - 5
    with fails("InvalidParameterValueException", 400, "below its minimum value of [100]"):
        lam.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=unreserved - 99
        )
    # Replacing its own reservation does not count the old one twice.
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=unreserved - 100)
    with fails("InvalidParameterValueException", 400, "Aliases and versions do not support"):
        lam.put_function_concurrency(FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)
    with fails("ResourceNotFoundException", 404):
        lam.put_function_concurrency(FunctionName="nope-x", ReservedConcurrentExecutions=1)

    # Zero reserved concurrency throttles every invocation.
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with fails("TooManyRequestsException", 429):
        invoke(lam, name)
    assert status(lam.delete_function_concurrency(FunctionName=name)) == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert invoke(lam, name)[0] == {"mark": "c"}
    with fails("ResourceNotFoundException", 404):
        lam.get_function_concurrency(FunctionName="nope-x")


PROVISIONED_SOURCE = (
    "import os\n"
    "def handler(event, context):\n"
    "    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"
)


def test_provisioned_concurrency(lam: Any) -> None:
    name = create(lam, PROVISIONED_SOURCE)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with fails("InvalidParameterValueException", 400, "cannot be applied to unpublished"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    with fails("ResourceNotFoundException", 404, f"Function not found: {arn(name)}:4"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="4", ProvisionedConcurrentExecutions=1
        )
    with fails("ResourceNotFoundException", 404, "Cannot find alias arn"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="ghost", ProvisionedConcurrentExecutions=1
        )
    with fails("ProvisionedConcurrencyConfigNotFoundException", 404, "No Provisioned Concurrency"):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")

    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    assert status(put) == 202
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 2
    ready = wait_for(
        lambda: (
            (c := lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1"))[
                "Status"
            ]
            == "READY"
            and c
        )
    )
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    result, response = invoke(lam, name, Qualifier="1")
    assert result == "provisioned-concurrency" and response["ExecutedVersion"] == "1"
    assert invoke(lam, name)[0] == "on-demand"

    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    items = listed["ProvisionedConcurrencyConfigs"]
    assert [i["FunctionArn"] for i in items] == [f"{arn(name)}:1"]
    with fails("ResourceConflictException", 409, "already Provisioned version"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
        )
    with fails("InvalidParameterValueException", 400, "must be an alias or a published version"):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST")
    with fails("InvalidParameterValueException", 400, "lower than function's total provisioned"):
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    with fails("InvalidParameterValueException", 400, "Requested Provisioned Concurrency"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=4
        )
    lam.delete_function_concurrency(FunctionName=name)

    deleted = lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert status(deleted) == 204
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
        == []
    )
    # With the version free, its alias may carry the configuration instead.
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    with fails("ResourceConflictException", 409, "pointed by a Provisioned Concurrency alias"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
        )
    lam.delete_alias(FunctionName=name, Name="live")
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
        == []
    )
    with fails("ResourceNotFoundException", 404):
        lam.list_provisioned_concurrency_configs(FunctionName="nope-x")


# -- event invoke config ----------------------------------------------------------------


def test_event_invoke_config_api(lam: Any, versioned: str) -> None:
    fn_arn = arn(versioned)
    with fails("ResourceNotFoundException", 404, f"The function {fn_arn}:$LATEST doesn't have"):
        lam.get_function_event_invoke_config(FunctionName=versioned)
    with fails("InvalidParameterValueException", 400, "at least one of error handling"):
        lam.put_function_event_invoke_config(FunctionName=versioned)
    target = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"
    put = lam.put_function_event_invoke_config(
        FunctionName=versioned,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": target}},
    )
    assert status(put) == 200
    assert put["FunctionArn"] == f"{fn_arn}:$LATEST" and put["MaximumRetryAttempts"] == 1
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": target}}
    assert put["LastModified"].year >= 2024
    got = lam.get_function_event_invoke_config(FunctionName=versioned)
    assert got["MaximumRetryAttempts"] == 1 and "MaximumEventAgeInSeconds" not in got

    updated = lam.update_function_event_invoke_config(
        FunctionName=versioned, MaximumEventAgeInSeconds=120
    )
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 120
    assert updated["DestinationConfig"]["OnFailure"] == {"Destination": target}
    # Put replaces the whole configuration.
    replaced = lam.put_function_event_invoke_config(FunctionName=versioned, MaximumRetryAttempts=0)
    assert "MaximumEventAgeInSeconds" not in replaced
    assert replaced["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}

    on_version = lam.put_function_event_invoke_config(
        FunctionName=versioned, Qualifier="1", MaximumRetryAttempts=2
    )
    assert on_version["FunctionArn"] == f"{fn_arn}:1"
    listed = lam.list_function_event_invoke_configs(FunctionName=versioned)
    arns = [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]]
    assert sorted(arns) == [f"{fn_arn}:$LATEST", f"{fn_arn}:1"]
    page = lam.list_function_event_invoke_configs(FunctionName=versioned, MaxItems=1)
    assert len(page["FunctionEventInvokeConfigs"]) == 1 and page["NextMarker"]

    with fails("ValidationException", 400):
        lam.put_function_event_invoke_config(FunctionName=versioned, MaximumRetryAttempts=3)
    with fails("ValidationException", 400):
        lam.put_function_event_invoke_config(FunctionName=versioned, MaximumEventAgeInSeconds=21601)
    with fails("ResourceNotFoundException", 404, "The function doesn't exist."):
        lam.put_function_event_invoke_config(
            FunctionName=versioned, Qualifier="9", MaximumRetryAttempts=0
        )
    with fails("ResourceNotFoundException", 404, "doesn't have an EventInvokeConfig"):
        lam.update_function_event_invoke_config(
            FunctionName=versioned, Qualifier="2", MaximumRetryAttempts=0
        )
    with fails("ResourceNotFoundException", 404, "The function doesn't exist."):
        lam.list_function_event_invoke_configs(FunctionName="nope-x")

    assert (
        status(lam.delete_function_event_invoke_config(FunctionName=versioned, Qualifier="1"))
        == 204
    )
    with fails("ResourceNotFoundException", 404, f"The function {fn_arn}:1 doesn't have"):
        lam.delete_function_event_invoke_config(FunctionName=versioned, Qualifier="1")


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("arn:aws:s3:::some-bucket", "The provided destination config DestinationConfig("),
        (arn("nope-x"), f"The destination ARN {arn('nope-x')} is invalid."),
        ("SELF", "You can't specify the function as a destination for itself."),
    ],
)
def test_event_invoke_destinations_are_checked(lam: Any, destination: str, message: str) -> None:
    name = create(lam, SOURCE % "d")
    target = arn(name) if destination == "SELF" else destination
    with fails("InvalidParameterValueException", 400, message):
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": target}}
        )


def test_async_failure_follows_event_invoke_config(lam: Any, sqs: Any) -> None:
    queue = sqs.create_queue(QueueName=unique("failures"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = create(lam, "def handler(event, context):\n    raise ValueError('no')\n")
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,  # no retries: the failure goes out at once
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    assert (
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')["StatusCode"]
        == 202
    )
    messages = wait_for(
        lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")
    )
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"n": 1}
