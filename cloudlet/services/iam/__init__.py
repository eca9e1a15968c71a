"""AWS IAM: roles, inline and managed policies, policy versions, tags.

Stored, not enforced: cloudlet keeps IAM's resources with AWS's validation, names, ids
and errors so that deploy scripts and IaC tools run unchanged, but no request is ever
allowed or denied by a policy. IAM is global: state is per account, whatever region a
request was signed for. Speaks the `query` protocol (IAM has no other).
"""

from __future__ import annotations

from typing import ClassVar

from cloudlet.config import Config
from cloudlet.services.base import Operation, Service
from cloudlet.services.iam import managed, role_policies, roles, versions
from cloudlet.services.iam.models import IamStore
from cloudlet.store import Database

__all__ = ["IamService"]


class IamService(Service):
    name = "iam"
    signing_name = "iam"
    protocols = ("query",)
    validation_error = "ValidationError"
    model_constraints = False  # validation.py checks them, with IAM's query-style paths
    operations: ClassVar[dict[str, Operation]] = {
        "CreateRole": roles.create_role,
        "GetRole": roles.get_role,
        "ListRoles": roles.list_roles,
        "UpdateRole": roles.update_role,
        "UpdateRoleDescription": roles.update_role_description,
        "UpdateAssumeRolePolicy": roles.update_assume_role_policy,
        "DeleteRole": roles.delete_role,
        "PutRolePermissionsBoundary": roles.put_role_permissions_boundary,
        "DeleteRolePermissionsBoundary": roles.delete_role_permissions_boundary,
        "TagRole": roles.tag_role,
        "UntagRole": roles.untag_role,
        "ListRoleTags": roles.list_role_tags,
        "ListInstanceProfilesForRole": roles.list_instance_profiles_for_role,
        "PutRolePolicy": role_policies.put_role_policy,
        "GetRolePolicy": role_policies.get_role_policy,
        "DeleteRolePolicy": role_policies.delete_role_policy,
        "ListRolePolicies": role_policies.list_role_policies,
        "AttachRolePolicy": role_policies.attach_role_policy,
        "DetachRolePolicy": role_policies.detach_role_policy,
        "ListAttachedRolePolicies": role_policies.list_attached_role_policies,
        "CreatePolicy": managed.create_policy,
        "GetPolicy": managed.get_policy,
        "DeletePolicy": managed.delete_policy,
        "ListPolicies": managed.list_policies,
        "ListEntitiesForPolicy": managed.list_entities_for_policy,
        "TagPolicy": managed.tag_policy,
        "UntagPolicy": managed.untag_policy,
        "ListPolicyTags": managed.list_policy_tags,
        "CreatePolicyVersion": versions.create_policy_version,
        "GetPolicyVersion": versions.get_policy_version,
        "ListPolicyVersions": versions.list_policy_versions,
        "SetDefaultPolicyVersion": versions.set_default_policy_version,
        "DeletePolicyVersion": versions.delete_policy_version,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self.store = IamStore(db)
