"""IAM through boto3 (and the AWS CLI): roles, inline and attached policies, managed
policies and versions, tags, pagination, accounts, errors with AWS's codes, messages and
HTTP statuses. IAM is global per account, so every test uses fresh names."""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import make_client, raw_request

from cloudlet.testing import CloudletServer

ACCOUNT = "000000000000"
AWS_LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
IAMClient = Any


@pytest.fixture(scope="module")
def iam(endpoint: str) -> IAMClient:
    return make_client("iam", endpoint)


@pytest.fixture(scope="module")
def unchecked(endpoint: str) -> IAMClient:
    """A client that sends what it is given: botocore checks required members and
    minimum lengths itself, which would hide the server's own validation."""
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


@pytest.fixture
def name() -> str:
    return f"r-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def path() -> str:
    """A path no other test uses, to list just this test's resources."""
    return f"/t{uuid.uuid4().hex[:10]}/"


def account_client(endpoint: str, account: str, region: str = "us-east-1") -> IAMClient:
    """A client of `account` (cloudlet reads a 12-digit access key as the account id)."""
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def unique(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_role(iam: IAMClient, name: str, **kwargs: Any) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kwargs
    )["Role"]
    return role


def create_policy(iam: IAMClient, name: str | None = None, **kwargs: Any) -> str:
    arn: str = iam.create_policy(
        PolicyName=name or unique("p"), PolicyDocument=json.dumps(POLICY), **kwargs
    )["Policy"]["Arn"]
    return arn


def error(call: Callable[[], Any]) -> tuple[str, str, int]:
    """Run a call that must fail; return its (code, message, HTTP status)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def recent(stamp: datetime) -> bool:
    return abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


# -- roles --------------------------------------------------------------------------------


def test_create_role_returns_aws_shape(iam: IAMClient, name: str) -> None:
    role = create_role(iam, name)

    assert role["RoleName"] == name
    assert role["Path"] == "/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", role["RoleId"])
    assert recent(role["CreateDate"])
    assert role["AssumeRolePolicyDocument"] == TRUST
    # As AWS: CreateRole's Role carries neither MaxSessionDuration nor RoleLastUsed.
    assert "MaxSessionDuration" not in role and "RoleLastUsed" not in role


def test_create_role_with_path_description_duration_and_tags(iam: IAMClient, name: str) -> None:
    tags = [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": ""}]
    created = create_role(
        iam,
        name,
        Path="/service-role/app/",
        Description="runs the app",
        MaxSessionDuration=7200,
        Tags=tags,
    )
    role = iam.get_role(RoleName=name)["Role"]

    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service-role/app/{name}"
    assert created["Tags"] == tags  # the request's order
    assert role["Path"] == "/service-role/app/"
    assert role["Description"] == "runs the app"
    assert role["MaxSessionDuration"] == 7200
    assert role["Tags"] == sorted(tags, key=lambda t: t["Key"])
    assert role["RoleLastUsed"] == {}
    assert role["RoleId"] == created["RoleId"]


def test_get_role_defaults_and_ignores_case(iam: IAMClient, name: str) -> None:
    create_role(iam, name)

    role = iam.get_role(RoleName=name.upper())["Role"]

    assert role["RoleName"] == name
    assert role["MaxSessionDuration"] == 3600
    assert "Description" not in role and "Tags" not in role


def test_get_unknown_role_is_no_such_entity(iam: IAMClient, name: str) -> None:
    assert error(lambda: iam.get_role(RoleName=name)) == (
        "NoSuchEntity",
        f"The role with name {name} cannot be found.",
        404,
    )


def test_create_existing_role_is_entity_already_exists(iam: IAMClient, name: str) -> None:
    create_role(iam, name)

    for spelling in (name, name.upper()):  # names are unique regardless of case
        assert error(lambda: create_role(iam, spelling)) == (
            "EntityAlreadyExists",
            f"Role with name {spelling} already exists.",
            409,
        )


@pytest.mark.parametrize(
    ("role_name", "constraint"),
    [
        ("has space", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
        ("x" * 65, "Member must have length less than or equal to 64"),
        ("é", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
    ],
)
def test_role_name_rules(iam: IAMClient, role_name: str, constraint: str) -> None:
    code, message, status = error(lambda: create_role(iam, role_name))

    assert (code, status) == ("ValidationError", 400)
    assert message == (
        f"1 validation error detected: Value '{role_name}' at 'roleName' failed to satisfy "
        f"constraint: {constraint}"
    )


def test_several_violations_are_reported_together(unchecked: IAMClient, name: str) -> None:
    code, message, _ = error(
        lambda: unchecked.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(TRUST),
            Path="no-slash",
            MaxSessionDuration=60,
        )
    )

    assert code == "ValidationError"
    assert message.startswith("2 validation errors detected: Value 'no-slash' at 'path'")
    assert (
        "Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have "
        "value greater than or equal to 3600" in message
    )


def test_empty_role_name_is_rejected_by_the_server(unchecked: IAMClient) -> None:
    code, message, status = error(
        lambda: unchecked.create_role(RoleName="", AssumeRolePolicyDocument=json.dumps(TRUST))
    )

    assert (code, status) == ("ValidationError", 400)
    assert "Member must have length greater than or equal to 1" in message


def test_create_role_requires_a_trust_policy(unchecked: IAMClient, name: str) -> None:
    _, _, status = error(lambda: unchecked.create_role(RoleName=name))

    assert status == 400
    assert error(lambda: unchecked.get_role(RoleName=name))[0] == "NoSuchEntity"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "This policy contains invalid Json"),
        ("[]", "This policy contains invalid Json"),
        (
            json.dumps({**TRUST, "Statement": [{**TRUST["Statement"][0], "Resource": "*"}]}),
            "Has prohibited field Resource",
        ),
        (
            json.dumps({**TRUST, "Statement": [{**TRUST["Statement"][0], "Action": "s3:*"}]}),
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
    ],
)
def test_malformed_trust_policy(iam: IAMClient, name: str, document: str, message: str) -> None:
    assert error(lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)) == (
        "MalformedPolicyDocument",
        message,
        400,
    )
    assert error(lambda: iam.get_role(RoleName=name))[0] == "NoSuchEntity"


def test_trust_policy_size_quota(iam: IAMClient, name: str) -> None:
    statement = {**TRUST["Statement"][0], "Sid": "s" * 2100}
    document = json.dumps({**TRUST, "Statement": [statement]})

    assert error(lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)) == (
        "LimitExceeded",
        "Cannot exceed quota for ACLSizePerRole: 2048",
        409,
    )


def test_trust_policy_is_returned_as_sent_url_encoded(
    endpoint: str, iam: IAMClient, name: str
) -> None:
    document = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}'
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)

    text = iam_query(endpoint, {"Action": "GetRole", "RoleName": name}).text
    encoded = re.search(r"<AssumeRolePolicyDocument>([^<]*)<", text)

    assert encoded is not None
    assert encoded.group(1) == urllib.parse.quote(document, safe="")


def iam_query(endpoint: str, params: dict[str, str]) -> Any:
    """A raw IAM query-protocol request, for what SDKs hide (encodings, XML)."""
    body = urllib.parse.urlencode({"Version": "2010-05-08", **params}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/iam/aws4_request, "
        "SignedHeaders=host, Signature=0000",
    }
    return raw_request(endpoint + "/", body, headers)


def test_list_roles_by_path_prefix(iam: IAMClient, path: str) -> None:
    names = sorted(unique("r") for _ in range(3))
    for role_name in names:
        create_role(iam, role_name, Path=path, Description=f"d {role_name}")
    create_role(iam, unique("r"), Path=path.rstrip("/") + "x/")

    listed = iam.list_roles(PathPrefix=path)

    assert [r["RoleName"] for r in listed["Roles"]] == names
    assert listed["IsTruncated"] is False and "Marker" not in listed
    first = listed["Roles"][0]
    assert first["MaxSessionDuration"] == 3600 and first["Description"] == f"d {names[0]}"
    assert first["AssumeRolePolicyDocument"] == TRUST
    assert "Tags" not in first and "RoleLastUsed" not in first  # as AWS's ListRoles


def test_list_roles_empty(iam: IAMClient, path: str) -> None:
    listed = iam.list_roles(PathPrefix=path)

    assert listed["Roles"] == [] and listed["IsTruncated"] is False


def test_list_roles_pages_with_marker(iam: IAMClient, path: str) -> None:
    names = sorted(unique("r") for _ in range(5))
    for role_name in names:
        create_role(iam, role_name, Path=path)

    first = iam.list_roles(PathPrefix=path, MaxItems=2)
    second = iam.list_roles(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    third = iam.list_roles(PathPrefix=path, MaxItems=2, Marker=second["Marker"])

    assert first["IsTruncated"] and second["IsTruncated"] and not third["IsTruncated"]
    pages = [first, second, third]
    assert [r["RoleName"] for p in pages for r in p["Roles"]] == names
    paginated = iam.get_paginator("list_roles").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}
    )
    assert [r["RoleName"] for p in paginated for r in p["Roles"]] == names


def test_deleting_while_paginating_skips_nothing(iam: IAMClient, path: str) -> None:
    for _ in range(5):
        create_role(iam, unique("r"), Path=path)

    pages = iam.get_paginator("list_roles").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}
    )
    for page in pages:
        for role in page["Roles"]:
            iam.delete_role(RoleName=role["RoleName"])

    assert iam.list_roles(PathPrefix=path)["Roles"] == []


def test_max_items_range(iam: IAMClient) -> None:
    code, message, status = error(lambda: iam.list_roles(MaxItems=1001))

    assert (code, status) == ("ValidationError", 400)
    assert "Member must have value less than or equal to 1000" in message


def test_bad_marker_and_path_prefix(iam: IAMClient) -> None:
    assert error(lambda: iam.list_roles(Marker="!!not-a-marker!!")) == (
        "InvalidInput",
        "Invalid Marker.",
        400,
    )
    code, message, status = error(lambda: iam.list_roles(PathPrefix="no-slash"))
    assert (code, status) == ("ValidationError", 400)
    assert "at 'pathPrefix' failed to satisfy constraint" in message


def test_update_role(iam: IAMClient, name: str) -> None:
    create_role(iam, name, Description="before")

    iam.update_role(RoleName=name, Description="after", MaxSessionDuration=43200)
    role = iam.get_role(RoleName=name)["Role"]

    assert (role["Description"], role["MaxSessionDuration"]) == ("after", 43200)
    assert error(lambda: iam.update_role(RoleName=name, MaxSessionDuration=43201))[0] == (
        "ValidationError"
    )
    assert error(lambda: iam.update_role(RoleName=unique("r")))[2] == 404


def test_update_role_description_returns_the_role(iam: IAMClient, name: str) -> None:
    create_role(iam, name)

    role = iam.update_role_description(RoleName=name, Description="new")["Role"]

    assert role["Description"] == "new" and role["RoleName"] == name
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "new"


def test_update_assume_role_policy(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"AWS": ACCOUNT}}]}

    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))

    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == trust
    assert error(lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument="{")) == (
        "MalformedPolicyDocument",
        "This policy contains invalid Json",
        400,
    )
    missing = unique("r")
    assert error(
        lambda: iam.update_assume_role_policy(RoleName=missing, PolicyDocument=json.dumps(TRUST))
    ) == ("NoSuchEntity", f"The role with name {missing} cannot be found.", 404)


def test_delete_role(iam: IAMClient, name: str) -> None:
    create_role(iam, name)

    iam.delete_role(RoleName=name)

    assert error(lambda: iam.get_role(RoleName=name))[0] == "NoSuchEntity"
    assert error(lambda: iam.delete_role(RoleName=name)) == (
        "NoSuchEntity",
        f"The role with name {name} cannot be found.",
        404,
    )


def test_delete_role_with_policies_is_a_conflict(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    iam.attach_role_policy(RoleName=name, PolicyArn=AWS_LAMBDA_BASIC)
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(POLICY))

    assert error(lambda: iam.delete_role(RoleName=name)) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    iam.detach_role_policy(RoleName=name, PolicyArn=AWS_LAMBDA_BASIC)
    assert error(lambda: iam.delete_role(RoleName=name)) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
        409,
    )
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)
    assert error(lambda: iam.get_role(RoleName=name))[0] == "NoSuchEntity"


def test_list_instance_profiles_for_role(iam: IAMClient, name: str) -> None:
    create_role(iam, name)

    listed = iam.list_instance_profiles_for_role(RoleName=name)

    assert listed["InstanceProfiles"] == [] and listed["IsTruncated"] is False
    assert error(lambda: iam.list_instance_profiles_for_role(RoleName=unique("r")))[2] == 404


# -- role tags ----------------------------------------------------------------------------


def test_role_tags(iam: IAMClient, name: str) -> None:
    create_role(iam, name, Tags=[{"Key": "b", "Value": "1"}])

    iam.tag_role(RoleName=name, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "a", "Value": "2"},
        {"Key": "b", "Value": "3"},
    ]
    iam.tag_role(RoleName=name, Tags=[{"Key": "A", "Value": "upper"}])  # keys ignore case
    iam.untag_role(RoleName=name, TagKeys=["B", "missing"])

    listed = iam.list_role_tags(RoleName=name)
    assert listed["Tags"] == [{"Key": "A", "Value": "upper"}]
    assert listed["IsTruncated"] is False


def test_role_tags_page(iam: IAMClient, name: str) -> None:
    tags = [{"Key": f"k{i}", "Value": str(i)} for i in range(5)]
    create_role(iam, name, Tags=tags)

    first = iam.list_role_tags(RoleName=name, MaxItems=3)
    rest = iam.list_role_tags(RoleName=name, Marker=first["Marker"])

    assert first["IsTruncated"] is True
    assert first["Tags"] + rest["Tags"] == tags


def test_role_tag_errors(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    duplicate = [{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]
    too_many = [{"Key": f"k{i}", "Value": ""} for i in range(51)]

    assert error(lambda: iam.tag_role(RoleName=name, Tags=duplicate)) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )
    assert error(lambda: iam.tag_role(RoleName=name, Tags=too_many)) == (
        "ValidationError",
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50",
        400,
    )
    assert error(lambda: iam.tag_role(RoleName=name, Tags=[{"Key": "k", "Value": "v" * 257}])) == (
        "ValidationError",
        "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy "
        "constraint: Member must have length less than or equal to 256",
        400,
    )
    assert error(lambda: iam.tag_role(RoleName=name, Tags=[{"Key": "bad#key", "Value": ""}]))[
        1
    ].endswith(r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+")
    assert error(lambda: create_role(iam, unique("r"), Tags=duplicate))[0] == "InvalidInput"
    assert error(lambda: iam.untag_role(RoleName=name, TagKeys=["k"] * 51))[0] == "ValidationError"
    missing = unique("r")
    for call in (
        lambda: iam.tag_role(RoleName=missing, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: iam.untag_role(RoleName=missing, TagKeys=["k"]),
        lambda: iam.list_role_tags(RoleName=missing),
    ):
        assert error(call) == (
            "NoSuchEntity",
            f"The role with name {missing} cannot be found.",
            404,
        )


def test_tag_quota_per_role(iam: IAMClient, name: str) -> None:
    create_role(iam, name, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])

    code, _, status = error(lambda: iam.tag_role(RoleName=name, Tags=[{"Key": "one", "Value": ""}]))

    assert (code, status) == ("LimitExceeded", 409)


# -- inline policies ----------------------------------------------------------------------


def test_inline_policy_lifecycle(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    other = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Action": "sqs:*"}]}

    iam.put_role_policy(RoleName=name, PolicyName="b-policy", PolicyDocument=json.dumps(POLICY))
    iam.put_role_policy(RoleName=name, PolicyName="a-policy", PolicyDocument=json.dumps(POLICY))
    iam.put_role_policy(RoleName=name, PolicyName="a-policy", PolicyDocument=json.dumps(other))
    got = iam.get_role_policy(RoleName=name.upper(), PolicyName="a-policy")

    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == (name, "a-policy", other)
    listed = iam.list_role_policies(RoleName=name)
    assert listed["PolicyNames"] == ["a-policy", "b-policy"] and listed["IsTruncated"] is False
    iam.delete_role_policy(RoleName=name, PolicyName="a-policy")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["b-policy"]


def test_inline_policy_document_is_url_encoded_on_the_wire(
    endpoint: str, iam: IAMClient, name: str
) -> None:
    create_role(iam, name)
    document = json.dumps(POLICY, indent=2)
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=document)

    response = iam_query(endpoint, {"Action": "GetRolePolicy", "RoleName": name, "PolicyName": "p"})

    assert response.status_code == 200
    assert (
        f"<PolicyDocument>{urllib.parse.quote(document, safe='')}</PolicyDocument>" in response.text
    )


def test_inline_policy_errors(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    missing_role = unique("r")

    assert error(lambda: iam.get_role_policy(RoleName=name, PolicyName="nope")) == (
        "NoSuchEntity",
        "The role policy with name nope cannot be found.",
        404,
    )
    assert error(lambda: iam.delete_role_policy(RoleName=name, PolicyName="nope")) == (
        "NoSuchEntity",
        "The role policy with name nope cannot be found.",
        404,
    )
    assert error(
        lambda: iam.put_role_policy(
            RoleName=missing_role, PolicyName="p", PolicyDocument=json.dumps(POLICY)
        )
    ) == ("NoSuchEntity", f"The role with name {missing_role} cannot be found.", 404)
    assert error(lambda: iam.list_role_policies(RoleName=missing_role))[2] == 404
    assert error(
        lambda: iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument="{")
    ) == (
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
        400,
    )
    assert (
        error(
            lambda: iam.put_role_policy(RoleName=name, PolicyName="bad name", PolicyDocument="{}")
        )[0]
        == "ValidationError"
    )


def test_inline_policies_size_quota(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{'b' * 6000}"}
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="one", PolicyDocument=json.dumps(big))

    assert error(
        lambda: iam.put_role_policy(RoleName=name, PolicyName="two", PolicyDocument=json.dumps(big))
    ) == ("LimitExceeded", f"Maximum policy size of 10240 bytes exceeded for role {name}", 409)
    # Replacing the one policy is not adding to it.
    iam.put_role_policy(RoleName=name, PolicyName="one", PolicyDocument=json.dumps(big))


# -- attached policies --------------------------------------------------------------------


def test_attach_aws_managed_and_customer_policies(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    customer = create_policy(iam, Path="/app/")

    iam.attach_role_policy(RoleName=name, PolicyArn=AWS_LAMBDA_BASIC)
    iam.attach_role_policy(RoleName=name, PolicyArn=customer)
    iam.attach_role_policy(RoleName=name, PolicyArn=customer)  # twice is once

    attached = iam.list_attached_role_policies(RoleName=name)
    assert sorted(p["PolicyArn"] for p in attached["AttachedPolicies"]) == sorted(
        [AWS_LAMBDA_BASIC, customer]
    )
    assert {p["PolicyName"] for p in attached["AttachedPolicies"]} == {
        "AWSLambdaBasicExecutionRole",
        customer.rsplit("/", 1)[1],
    }
    assert attached["IsTruncated"] is False
    only_app = iam.list_attached_role_policies(RoleName=name, PathPrefix="/app/")
    assert [p["PolicyArn"] for p in only_app["AttachedPolicies"]] == [customer]
    assert iam.get_policy(PolicyArn=customer)["Policy"]["AttachmentCount"] == 1

    iam.detach_role_policy(RoleName=name, PolicyArn=customer)
    assert [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    ] == [AWS_LAMBDA_BASIC]
    assert iam.get_policy(PolicyArn=customer)["Policy"]["AttachmentCount"] == 0


def test_list_attached_role_policies_empty(iam: IAMClient, name: str) -> None:
    create_role(iam, name)

    listed = iam.list_attached_role_policies(RoleName=name)

    assert listed["AttachedPolicies"] == [] and listed["IsTruncated"] is False


def test_attach_errors(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('p')}"
    missing_role = unique("r")

    assert error(lambda: iam.attach_role_policy(RoleName=name, PolicyArn=missing)) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
    assert error(
        lambda: iam.attach_role_policy(RoleName=name, PolicyArn="longpolicynamebutnoarn")
    ) == (
        "ValidationError",
        "ARN longpolicynamebutnoarn is not valid.",
        400,
    )
    assert error(
        lambda: iam.attach_role_policy(RoleName=missing_role, PolicyArn=AWS_LAMBDA_BASIC)
    ) == (
        "NoSuchEntity",
        f"The role with name {missing_role} cannot be found.",
        404,
    )
    assert error(lambda: iam.detach_role_policy(RoleName=name, PolicyArn=AWS_LAMBDA_BASIC)) == (
        "NoSuchEntity",
        f"Policy {AWS_LAMBDA_BASIC} was not found.",
        404,
    )
    assert error(lambda: iam.list_attached_role_policies(RoleName=missing_role))[2] == 404


def test_attached_policies_quota(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    for i in range(10):
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/Managed{i}")

    assert error(
        lambda: iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/One")
    ) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409)


# -- permissions boundaries ---------------------------------------------------------------


def test_permissions_boundary(iam: IAMClient, name: str) -> None:
    boundary = create_policy(iam)
    created = create_role(iam, name, PermissionsBoundary=boundary)
    expected = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}

    assert created["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == expected
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=AWS_LAMBDA_BASIC)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        AWS_LAMBDA_BASIC
    )


def test_permissions_boundary_errors(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('p')}"
    not_a_policy = f"arn:aws:iam::{ACCOUNT}:not_a_policy/invalid"

    assert error(
        lambda: iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=missing)
    ) == (
        "NoSuchEntity",
        f"Scope ARN: {missing} does not exist or is not attachable.",
        404,
    )
    assert error(lambda: create_role(iam, unique("r"), PermissionsBoundary=not_a_policy)) == (
        "InvalidInput",
        f"ARN {not_a_policy} is not valid.",
        400,
    )


# -- managed policies ---------------------------------------------------------------------


def test_create_policy_returns_aws_shape(iam: IAMClient) -> None:
    policy_name = unique("p")

    policy = iam.create_policy(
        PolicyName=policy_name, Path="/team/", PolicyDocument=json.dumps(POLICY), Description="d"
    )["Policy"]

    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team/{policy_name}"
    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", policy["PolicyId"])
    assert policy["PolicyName"] == policy_name and policy["Path"] == "/team/"
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0 and policy["PermissionsBoundaryUsageCount"] == 0
    assert policy["IsAttachable"] is True
    assert recent(policy["CreateDate"]) and policy["UpdateDate"] == policy["CreateDate"]
    assert "Description" not in policy and "Tags" not in policy  # as AWS's CreatePolicy
    got = iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
    assert got["Description"] == "d" and got["Tags"] == []
    assert got["PolicyId"] == policy["PolicyId"]


def test_create_policy_errors(iam: IAMClient) -> None:
    policy_name = unique("p")
    create_policy(iam, policy_name)

    assert error(lambda: create_policy(iam, policy_name.upper())) == (
        "EntityAlreadyExists",
        f"A policy called {policy_name.upper()} already exists. Duplicate names are not allowed.",
        409,
    )
    assert error(lambda: create_policy(iam, Path="no-slash"))[0] == "ValidationError"
    assert error(lambda: create_policy(iam, "bad name"))[0] == "ValidationError"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "Syntax errors in policy."),
        ({"Version": "2012-10-17"}, "Syntax errors in policy."),
        ({**POLICY, "Version": "2008-10-17"}, "Policy document must be version 2012-10-17 or greater."),
        ({"Statement": POLICY["Statement"]}, "Policy document must be version 2012-10-17 or greater."),
        ({**POLICY, "Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}, "The policy failed legacy parsing"),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Policy statement must contain actions."),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "Policy statement must contain resources."),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "s3:a:b", "Resource": "*"}]}, "Actions/Condition can contain only one colon."),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "a a:b", "Resource": "*"}]}, "Vendor a a is not valid"),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}, 'Resource bucket must be in ARN format or "*".'),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:b:c:d:e:f:g:h"}]}, 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'),
        ({**POLICY, "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:bsdf"}]}, 'Partition "bsdf" is not valid for resource "arn:bsdf:*:*:*:*".'),
        ({**POLICY, "Statement": [{**POLICY["Statement"][0], "Sid": "a"}, {**POLICY["Statement"][0], "Sid": "a"}]}, "Statement IDs (SID) in a single policy must be unique."),
        ({**POLICY, "Statement": [{**POLICY["Statement"][0], "Principal": "*"}]}, "Syntax errors in policy."),
    ],
)  # fmt: skip
def test_malformed_policy_documents(iam: IAMClient, document: Any, message: str) -> None:
    text = document if isinstance(document, str) else json.dumps(document)

    assert error(lambda: iam.create_policy(PolicyName=unique("p"), PolicyDocument=text)) == (
        "MalformedPolicyDocument",
        message,
        400,
    )


def test_inline_policies_accept_the_old_version(iam: IAMClient, name: str) -> None:
    create_role(iam, name)
    old = {"Version": "2008-10-17", "Statement": POLICY["Statement"]}

    iam.put_role_policy(RoleName=name, PolicyName="old", PolicyDocument=json.dumps(old))

    assert iam.get_role_policy(RoleName=name, PolicyName="old")["PolicyDocument"] == old


def test_managed_policy_size_quota(iam: IAMClient) -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{'b' * 6200}",
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    assert error(lambda: iam.create_policy(PolicyName=unique("p"), PolicyDocument=document)) == (
        "LimitExceeded",
        "Cannot exceed quota for PolicySize: 6144",
        409,
    )


def test_get_policy(iam: IAMClient) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('p')}"

    assert error(lambda: iam.get_policy(PolicyArn=missing)) == (
        "NoSuchEntity",
        f"Policy {missing} was not found.",
        404,
    )
    aws_managed = iam.get_policy(PolicyArn=AWS_LAMBDA_BASIC)["Policy"]
    assert aws_managed["PolicyName"] == "AWSLambdaBasicExecutionRole"
    assert aws_managed["Path"] == "/service-role/"
    assert aws_managed["DefaultVersionId"] == "v1"
    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", aws_managed["PolicyId"])
    assert (
        iam.get_policy(PolicyArn=AWS_LAMBDA_BASIC)["Policy"]["PolicyId"] == aws_managed["PolicyId"]
    )


def test_aws_managed_policies_have_no_known_documents(iam: IAMClient) -> None:
    # cloudlet does not carry AWS's catalogue: the policy is known, its content is not.
    assert error(lambda: iam.get_policy_version(PolicyArn=AWS_LAMBDA_BASIC, VersionId="v1")) == (
        "NoSuchEntity",
        f"Policy {AWS_LAMBDA_BASIC} version v1 does not exist or is not attachable.",
        404,
    )
    assert error(lambda: iam.delete_policy(PolicyArn=AWS_LAMBDA_BASIC))[0] == "NoSuchEntity"


def test_delete_policy(iam: IAMClient, name: str) -> None:
    arn = create_policy(iam)
    create_role(iam, name)
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)

    assert error(lambda: iam.delete_policy(PolicyArn=arn)) == (
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
        409,
    )
    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY))
    assert error(lambda: iam.delete_policy(PolicyArn=arn)) == (
        "DeleteConflict",
        "This policy has more than one version. Before you delete a policy, you must delete "
        "the policy's versions. The default version is deleted with the policy.",
        409,
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    assert error(lambda: iam.get_policy(PolicyArn=arn))[0] == "NoSuchEntity"
    assert error(lambda: iam.delete_policy(PolicyArn=arn)) == (
        "NoSuchEntity",
        f"Policy {arn} was not found.",
        404,
    )


def test_list_policies_scopes_and_filters(iam: IAMClient, name: str, path: str) -> None:
    attached = create_policy(iam, Path=path)
    unattached = create_policy(iam, Path=path)
    create_role(iam, name)
    iam.attach_role_policy(RoleName=name, PolicyArn=attached)
    iam.attach_role_policy(RoleName=name, PolicyArn=AWS_LAMBDA_BASIC)

    local = iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
    assert sorted(p["Arn"] for p in local) == sorted([attached, unattached])
    assert "Tags" not in local[0] and "Description" not in local[0]
    only_attached = iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)
    assert [p["Arn"] for p in only_attached["Policies"]] == [attached]
    aws = iam.list_policies(Scope="AWS")["Policies"]
    assert AWS_LAMBDA_BASIC in [p["Arn"] for p in aws]
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in aws)
    everything = [p["Arn"] for p in iam.list_policies()["Policies"]]
    assert {attached, unattached, AWS_LAMBDA_BASIC} <= set(everything)


def test_list_policies_pages(iam: IAMClient, path: str) -> None:
    arns = [create_policy(iam, Path=path) for _ in range(3)]

    pages = iam.get_paginator("list_policies").paginate(
        Scope="Local", PathPrefix=path, PaginationConfig={"PageSize": 2}
    )

    assert sorted(p["Arn"] for page in pages for p in page["Policies"]) == sorted(arns)
    assert iam.list_policies(Scope="Local", PathPrefix=path, MaxItems=2)["IsTruncated"] is True


def test_list_entities_for_policy(iam: IAMClient) -> None:
    arn = create_policy(iam)
    names = sorted(unique("r") for _ in range(2))
    roles = [create_role(iam, n) for n in names]
    for role_name in names:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)

    listed = iam.list_entities_for_policy(PolicyArn=arn)

    assert listed["PolicyRoles"] == [
        {"RoleName": r["RoleName"], "RoleId": r["RoleId"]} for r in roles
    ]
    assert listed["PolicyUsers"] == [] and listed["PolicyGroups"] == []
    assert iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")["PolicyRoles"] == []
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('p')}"
    assert error(lambda: iam.list_entities_for_policy(PolicyArn=missing))[2] == 404


# -- policy versions ----------------------------------------------------------------------


def _document(action: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }


def test_policy_versions(iam: IAMClient) -> None:
    arn = create_policy(iam)

    v2 = iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(_document("sqs:*")), SetAsDefault=True
    )
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(_document("sns:*")))

    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"]
    assert v3["PolicyVersion"]["VersionId"] == "v3" and not v3["PolicyVersion"]["IsDefaultVersion"]
    assert "Document" not in v3["PolicyVersion"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["Document"] == _document("sns:*") and got["IsDefaultVersion"] is False
    assert (
        iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"] == POLICY
    )
    listed = iam.list_policy_versions(PolicyArn=arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed["Versions"]] == [
        ("v3", False),
        ("v2", True),
        ("v1", False),
    ]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        "v3",
        "v1",
    ]


def test_policy_version_errors(iam: IAMClient) -> None:
    arn = create_policy(iam)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('p')}"

    assert error(lambda: iam.get_policy_version(PolicyArn=missing, VersionId="v1")) == (
        "NoSuchEntity",
        f"Policy {missing} version v1 does not exist or is not attachable.",
        404,
    )
    for call in (
        lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9"),
        lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v9"),
        lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v9"),
    ):
        assert error(call) == (
            "NoSuchEntity",
            f"Policy {arn} version v9 does not exist or is not attachable.",
            404,
        )
    assert error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1")) == (
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
        409,
    )
    assert error(lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="1")) == (
        "ValidationError",
        "1 validation error detected: Value '1' at 'versionId' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        400,
    )
    assert error(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument="{"))[0] == (
        "MalformedPolicyDocument"
    )
    assert error(
        lambda: iam.create_policy_version(PolicyArn=missing, PolicyDocument=json.dumps(POLICY))
    ) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert error(lambda: iam.list_policy_versions(PolicyArn=missing))[2] == 404


def test_policy_version_quota_and_ids_are_not_reused(iam: IAMClient) -> None:
    arn = create_policy(iam)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY))

    assert error(
        lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY))
    ) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you "
        "must delete an existing version.",
        409,
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    created = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY))
    assert created["PolicyVersion"]["VersionId"] == "v6"


# -- policy tags --------------------------------------------------------------------------


def test_policy_tags(iam: IAMClient) -> None:
    tags = [{"Key": "a", "Value": "lower"}, {"Key": "A", "Value": "upper"}]
    created = iam.create_policy(
        PolicyName=unique("p"), PolicyDocument=json.dumps(POLICY), Tags=tags
    )
    arn = created["Policy"]["Arn"]

    assert created["Policy"]["Tags"] == tags  # policy tag keys are case-sensitive
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [tags[1], tags[0]]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "new"}, {"Key": "b", "Value": ""}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["A"])
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [
        {"Key": "a", "Value": "new"},
        {"Key": "b", "Value": ""},
    ]
    assert error(lambda: iam.tag_policy(PolicyArn=arn, Tags=[tags[0], tags[0]])) == (
        "InvalidInput",
        "Duplicate tag keys found.",
        400,
    )
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('p')}"
    for call in (
        lambda: iam.tag_policy(PolicyArn=missing, Tags=tags),
        lambda: iam.untag_policy(PolicyArn=missing, TagKeys=["a"]),
        lambda: iam.list_policy_tags(PolicyArn=missing),
    ):
        assert error(call) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)


# -- accounts, regions, protocol ----------------------------------------------------------


def test_iam_is_per_account_and_global(endpoint: str, name: str) -> None:
    one = account_client(endpoint, "111111111111")
    two = account_client(endpoint, "222222222222")
    elsewhere = account_client(endpoint, "111111111111", region="eu-west-1")

    role = create_role(one, name)

    assert role["Arn"] == f"arn:aws:iam::111111111111:role/{name}"
    assert elsewhere.get_role(RoleName=name)["Role"]["RoleId"] == role["RoleId"]
    assert error(lambda: two.get_role(RoleName=name))[0] == "NoSuchEntity"
    create_role(two, name)  # the same name in another account is another role


def test_operations_cloudlet_lacks_answer_not_implemented(iam: IAMClient) -> None:
    code, _, status = error(lambda: iam.create_user(UserName=unique("u")))

    assert (code, status) == ("NotImplemented", 501)


def test_roles_and_policies_survive_a_restart(tmp_path: Path) -> None:
    server = CloudletServer(data_dir=tmp_path / "data", ephemeral=False)
    server.start()
    try:
        iam = make_client("iam", server.endpoint_url)
        role = create_role(iam, "durable", Tags=[{"Key": "k", "Value": "v"}])
        arn = create_policy(iam, "durable-policy")
        iam.attach_role_policy(RoleName="durable", PolicyArn=arn)
        iam.put_role_policy(
            RoleName="durable", PolicyName="inline", PolicyDocument=json.dumps(POLICY)
        )

        server.kill()
        server.start()

        iam = make_client("iam", server.endpoint_url)
        assert iam.get_role(RoleName="durable")["Role"]["RoleId"] == role["RoleId"]
        assert iam.list_role_tags(RoleName="durable")["Tags"] == [{"Key": "k", "Value": "v"}]
        attached = iam.list_attached_role_policies(RoleName="durable")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [arn]
        assert (
            iam.get_role_policy(RoleName="durable", PolicyName="inline")["PolicyDocument"] == POLICY
        )
    finally:
        server.stop()


# -- AWS CLI ------------------------------------------------------------------------------


def test_cli_create_role(
    aws_cli: Callable[..., Any], iam: IAMClient, name: str, tmp_path: Path
) -> None:
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(TRUST))

    created = aws_cli(
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        f"file://{trust_file}",
    )
    aws_cli("iam", "attach-role-policy", "--role-name", name, "--policy-arn", AWS_LAMBDA_BASIC)
    got = aws_cli("iam", "get-role", "--role-name", name)

    assert created["Role"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    assert got["Role"]["AssumeRolePolicyDocument"] == TRUST
    assert iam.get_role(RoleName=name)["Role"]["RoleId"] == created["Role"]["RoleId"]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [AWS_LAMBDA_BASIC]
