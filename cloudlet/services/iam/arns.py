"""IAM ARNs: building them, and reading policy ARNs the way IAM checks them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cloudlet.services.iam import validation as v
from cloudlet.services.iam.errors import invalid_input, validation_error
from cloudlet.services.iam.models import ID_CHARS

AWS_ACCOUNT = "aws"
"""The account field of AWS managed policy ARNs: arn:aws:iam::aws:policy/..."""


def role_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def policy_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:policy{path}{name}"


@dataclass(frozen=True)
class PolicyArn:
    arn: str
    account: str
    path: str
    name: str

    @property
    def aws_managed(self) -> bool:
        return self.account == AWS_ACCOUNT

    def synthetic_id(self) -> str:
        """A stable PolicyId for an AWS managed policy (cloudlet has no catalogue of
        them, so their ids are derived from the ARN)."""
        digest = hashlib.sha256(self.arn.encode()).digest()
        return "ANPA" + "".join(ID_CHARS[b % len(ID_CHARS)] for b in digest[:17])


def parse_policy_arn(arn: str, invalid: str = "ValidationError") -> PolicyArn:
    """Split a managed policy ARN. Something that is not an ARN at all is a
    ValidationError; an ARN of another kind of resource is InvalidInput (as AWS says
    for AttachRolePolicy and for permissions boundaries respectively)."""
    v.check().string(arn, v.POLICY_ARN).done()
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        if invalid == "InvalidInput":
            raise invalid_input(f"ARN {arn} is not valid.")
        raise validation_error(f"ARN {arn} is not valid.")
    resource = parts[5]
    if parts[2] != "iam" or not resource.startswith("policy/") or resource.endswith("/"):
        raise invalid_input(f"ARN {arn} is not valid.")
    head, _, name = resource[len("policy") :].rpartition("/")
    return PolicyArn(arn, parts[4], head + "/", name)
