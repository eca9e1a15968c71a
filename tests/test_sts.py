"""STS through boto3 (and the AWS CLI): caller identity, assuming IAM roles (plain and
with a web identity token), session tokens, and AWS's errors for each."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import make_client

ACCOUNT = "000000000000"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
        ],
    }
)
Client = Any


def client(
    service: str,
    endpoint: str,
    key: str = "test",
    token: str | None = None,
    validate: bool = True,
    signed: bool = True,
) -> Client:
    config = Config(retries={"max_attempts": 1}, parameter_validation=validate)
    if not signed:
        config = config.merge(Config(signature_version=UNSIGNED))
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="test",
        aws_session_token=token,
        config=config,
    )


@pytest.fixture(scope="module")
def sts(endpoint: str) -> Client:
    return make_client("sts", endpoint)


@pytest.fixture(scope="module")
def iam(endpoint: str) -> Client:
    return make_client("iam", endpoint)


@pytest.fixture
def role(iam: Client) -> dict[str, Any]:
    created: dict[str, Any] = iam.create_role(
        RoleName=f"role-{uuid.uuid4().hex[:12]}", AssumeRolePolicyDocument=TRUST
    )["Role"]
    return created


def session_client(service: str, endpoint: str, credentials: dict[str, Any]) -> Client:
    return client(service, endpoint, credentials["AccessKeyId"], credentials["SessionToken"])


def error(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def expires_in(credentials: dict[str, Any], seconds: int) -> bool:
    expected = datetime.now(UTC) + timedelta(seconds=seconds)
    return abs(credentials["Expiration"] - expected) < timedelta(seconds=30)


def check_credentials(credentials: dict[str, Any]) -> None:
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["AccessKeyId"])
    assert len(credentials["SecretAccessKey"]) == 40
    assert len(credentials["SessionToken"]) > 100


# -- GetCallerIdentity --------------------------------------------------------------------


def test_caller_identity_of_the_default_account(sts: Client) -> None:
    identity = sts.get_caller_identity()

    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == ACCOUNT


def test_caller_identity_of_a_12_digit_access_key(endpoint: str) -> None:
    identity = client("sts", endpoint, "123456789012").get_caller_identity()

    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"


# -- AssumeRole ---------------------------------------------------------------------------


def test_assume_role(sts: Client, role: dict[str, Any]) -> None:
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="deploy")

    check_credentials(assumed["Credentials"])
    assert expires_in(assumed["Credentials"], 3600)
    assert assumed["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:deploy",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/deploy",
    }
    assert "SourceIdentity" not in assumed


def test_assume_role_duration_and_source_identity(sts: Client, role: dict[str, Any]) -> None:
    assumed = sts.assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="s1",
        DurationSeconds=900,
        SourceIdentity="alice@example.com",
        Tags=[{"Key": "team", "Value": "core"}],
        TransitiveTagKeys=["TEAM"],
        Policy=json.dumps({"Version": "2012-10-17", "Statement": []}),
        ExternalId="ext",
    )

    assert expires_in(assumed["Credentials"], 900)
    assert assumed["SourceIdentity"] == "alice@example.com"


def test_assumed_role_credentials_identify_the_session(
    endpoint: str, sts: Client, role: dict[str, Any]
) -> None:
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="worker")
    as_role = session_client("sts", endpoint, assumed["Credentials"])

    identity = as_role.get_caller_identity()

    assert identity == {
        "UserId": f"{role['RoleId']}:worker",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/worker",
        "ResponseMetadata": identity["ResponseMetadata"],
    }
    # The credentials work with other services, in the same account.
    iam_as_role = session_client("iam", endpoint, assumed["Credentials"])
    assert iam_as_role.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]


def test_assume_role_with_a_path_and_in_another_account(endpoint: str) -> None:
    other = "210987654321"
    iam = client("iam", endpoint, other)
    name = f"role-{uuid.uuid4().hex[:12]}"
    created = iam.create_role(RoleName=name, Path="/ci/", AssumeRolePolicyDocument=TRUST)["Role"]

    # Cross-account: a caller of the default account assumes the other account's role.
    assumed = client("sts", endpoint).assume_role(RoleArn=created["Arn"], RoleSessionName="xx")

    assert created["Arn"] == f"arn:aws:iam::{other}:role/ci/{name}"
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{other}:assumed-role/{name}/xx"
    info = client("sts", endpoint).get_access_key_info(
        AccessKeyId=assumed["Credentials"]["AccessKeyId"]
    )
    assert info["Account"] == other


def test_assume_unknown_role_is_access_denied(sts: Client, role: dict[str, Any]) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:role/nope-{uuid.uuid4().hex[:8]}"
    wrong_path = role["Arn"].replace(":role/", ":role/elsewhere/")

    for arn in (missing, wrong_path, f"arn:aws:s3:::{role['RoleName']}"):
        assert error(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1")) == (
            "AccessDenied",
            f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sts:AssumeRole "
            f"on resource: {arn}",
            403,
        )


@pytest.mark.parametrize(
    "arn",
    [
        "nothing-valid-in-here",
        "arn::b:::something/test-role",
        "arn:a::::something/test-role",
        "arn:a:::something/test-role",
        "arn:a:a::aaaaaaaaaa:",
    ],
)
def test_malformed_role_arn(sts: Client, arn: str) -> None:
    assert error(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1")) == (
        "ValidationError",
        f"{arn} is invalid",
        400,
    )


def test_session_name_rules(sts: Client, endpoint: str, role: dict[str, Any]) -> None:
    too_long = "s" * 65

    assert error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="Session1:2")) == (
        "ValidationError",
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to "
        r"satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*",
        400,
    )
    assert error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName=too_long)) == (
        "ValidationError",
        f"1 validation error detected: Value '{too_long}' at 'roleSessionName' failed to "
        "satisfy constraint: Member must have length less than or equal to 64",
        400,
    )
    unchecked = client("sts", endpoint, validate=False)
    assert error(lambda: unchecked.assume_role(RoleArn=role["Arn"], RoleSessionName="x"))[1] == (
        "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length greater than or equal to 2"
    )


def test_duration_rules(sts: Client, endpoint: str, iam: Client, role: dict[str, Any]) -> None:
    unchecked = client("sts", endpoint, validate=False)

    code, message, status = error(
        lambda: unchecked.assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=899
        )
    )
    assert (code, status) == ("ValidationError", 400)
    assert message.endswith("Member must have value greater than or equal to 900")
    assert error(
        lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=43201)
    )[1].endswith("Member must have value less than or equal to 43200")
    # Within the API's range but above the role's MaxSessionDuration (3600 by default).
    assert error(
        lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)
    ) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    iam.update_role(RoleName=role["RoleName"], MaxSessionDuration=7200)
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)
    assert expires_in(assumed["Credentials"], 7200)


def test_session_tag_rules(sts: Client, role: dict[str, Any]) -> None:
    assert error(
        lambda: sts.assume_role(
            RoleArn=role["Arn"],
            RoleSessionName="s1",
            Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}],
        )
    ) == (
        "InvalidParameterValue",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )
    assert error(
        lambda: sts.assume_role(
            RoleArn=role["Arn"],
            RoleSessionName="s1",
            Tags=[{"Key": "k", "Value": "1"}],
            TransitiveTagKeys=["other"],
        )
    ) == (
        "InvalidParameterValue",
        "The specified transitive tag key must be included in the requested tags.",
        400,
    )


# -- GetSessionToken, GetAccessKeyInfo ----------------------------------------------------


def test_get_session_token(endpoint: str, sts: Client) -> None:
    default = sts.get_session_token()["Credentials"]
    short = sts.get_session_token(DurationSeconds=900)["Credentials"]

    check_credentials(default)
    assert expires_in(default, 43200) and expires_in(short, 900)
    assert session_client("sts", endpoint, default).get_caller_identity()["Arn"] == (
        f"arn:aws:iam::{ACCOUNT}:root"
    )
    assert error(lambda: sts.get_session_token(DurationSeconds=129601))[0] == "ValidationError"


def test_get_session_token_with_session_credentials_is_denied(
    endpoint: str, sts: Client, role: dict[str, Any]
) -> None:
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]

    assert error(lambda: session_client("sts", endpoint, assumed).get_session_token()) == (
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
        403,
    )


def test_get_access_key_info(sts: Client, role: dict[str, Any]) -> None:
    key = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]["AccessKeyId"]

    assert sts.get_access_key_info(AccessKeyId=key)["Account"] == ACCOUNT
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == ACCOUNT
    assert (
        error(lambda: sts.get_access_key_info(AccessKeyId="AKIA-NOT-A-VALID-KEY"))[0]
        == "ValidationError"
    )


# -- AssumeRoleWithWebIdentity ------------------------------------------------------------


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def anonymous_sts(endpoint: str) -> Client:
    """AssumeRoleWithWebIdentity is an unsigned call, as SDKs make it."""
    return client("sts", endpoint, signed=False)


def test_assume_role_with_web_identity(anonymous_sts: Client, role: dict[str, Any]) -> None:
    token = jwt(
        {
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:org/app:ref:refs/heads/main",
            "aud": ["sts.amazonaws.com"],
            "exp": time.time() + 600,
        }
    )

    assumed = anonymous_sts.assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="gha", WebIdentityToken=token
    )

    check_credentials(assumed["Credentials"])
    assert assumed["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:gha"
    assert assumed["SubjectFromWebIdentityToken"] == "repo:org/app:ref:refs/heads/main"
    assert assumed["Audience"] == "sts.amazonaws.com"
    assert assumed["Provider"] == "https://token.actions.githubusercontent.com"


def test_web_identity_errors(anonymous_sts: Client, role: dict[str, Any]) -> None:
    valid = jwt({"sub": "me", "aud": "app"})
    missing = f"arn:aws:iam::{ACCOUNT}:role/nope-{uuid.uuid4().hex[:8]}"

    def assume(arn: str, token: str) -> Any:
        return anonymous_sts.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName="web", WebIdentityToken=token
        )

    assert error(lambda: assume(role["Arn"], "not-a-jwt")) == (
        "InvalidIdentityToken",
        "The web identity token that was passed could not be validated by AWS. Get a new "
        "identity token from the identity provider and then retry the request.",
        400,
    )
    expired = jwt({"sub": "me", "exp": time.time() - 60})
    code, _, status = error(lambda: assume(role["Arn"], expired))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert error(lambda: assume(missing, valid)) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        403,
    )


# -- AWS CLI ------------------------------------------------------------------------------


def test_cli_assume_role(endpoint: str, role: dict[str, Any], tmp_path: Path) -> None:
    executable = shutil.which("aws")
    if executable is None:
        pytest.skip("the AWS CLI (`aws`) is not on PATH")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)

    completed = subprocess.run(
        [executable, "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name",
         "cli", "--endpoint-url", endpoint, "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:cli"
    assert output["Credentials"]["AccessKeyId"].startswith("ASIA")
