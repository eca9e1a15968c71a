"""Policy documents: the checks IAM makes before storing one, and its wire encoding.

IAM stores a document as the caller sent it (whitespace included) and returns it
URL-encoded; SDKs decode it (botocore turns it back into a dict). Nothing here
*evaluates* a policy: cloudlet stores IAM, it does not enforce it.

Two grammars, two sets of messages, both AWS's own:
- identity policies (inline and managed): "Syntax errors in policy.", "Policy statement
  must contain actions.", vendor prefixes, resource ARN formats, ...;
- trust policies (a role's AssumeRolePolicyDocument): "This policy contains invalid
  Json", "Has prohibited field Resource", STS actions only.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import orjson

from cloudlet.services.iam.errors import limit_exceeded, malformed

_TOP = frozenset({"Version", "Id", "Statement"})
_STATEMENT = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_VERSIONS = ("2008-10-17", "2012-10-17")
_VENDOR = re.compile(r"[^a-zA-Z0-9\-.]")
SYNTAX = "Syntax errors in policy."


def encode(document: str) -> str:
    """The document as IAM returns it: URL-encoded."""
    return quote(document, safe="")


def size(document: str) -> int:
    """IAM quotas count a document's characters without whitespace."""
    return sum(1 for c in document if not c.isspace())


def _load(document: str, message: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(document)
    except orjson.JSONDecodeError:
        raise malformed(message) from None
    if not isinstance(parsed, dict):
        raise malformed(message)
    return parsed


def _statements(policy: dict[str, Any]) -> list[Any]:
    raw = policy.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        raise malformed(SYNTAX)
    return statements


def _strings(value: Any) -> list[str] | None:
    """A string or a list of strings (the only shapes Action/Resource take), else None."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _check_syntax(policy: dict[str, Any], statement_keys: frozenset[str]) -> list[dict[str, Any]]:
    if not set(policy) <= _TOP or policy.get("Version", _VERSIONS[0]) not in _VERSIONS:
        raise malformed(SYNTAX)
    statements = _statements(policy)
    for st in statements:
        if not isinstance(st, dict) or not set(st) <= statement_keys:
            raise malformed(SYNTAX)
        effect = st.get("Effect")
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise malformed(SYNTAX)
        for pair in (("Action", "NotAction"), ("Resource", "NotResource")):
            if pair[0] in st and pair[1] in st:
                raise malformed(SYNTAX)
            for key in pair:
                if key in st and _strings(st[key]) is None:
                    raise malformed(SYNTAX)
        condition = st.get("Condition")
        if condition is not None and not (
            isinstance(condition, dict) and all(isinstance(v, dict) for v in condition.values())
        ):
            raise malformed(SYNTAX)
        if "Sid" in st and not isinstance(st["Sid"], str):
            raise malformed(SYNTAX)
    return statements


def check_identity_policy(document: str, managed: bool) -> None:
    """Validate an inline or managed policy; raise MalformedPolicyDocument as IAM does."""
    policy = _load(document, SYNTAX)
    statements = _check_syntax(policy, _STATEMENT - {"Principal", "NotPrincipal"})
    if managed and policy.get("Version") != "2012-10-17":
        raise malformed("Policy document must be version 2012-10-17 or greater.")
    if any(st["Effect"] not in ("Allow", "Deny") for st in statements):
        raise malformed("The policy failed legacy parsing")
    sids = [st["Sid"] for st in statements if st.get("Sid")]
    if len(sids) != len(set(sids)):
        raise malformed("Statement IDs (SID) in a single policy must be unique.")
    for st in statements:
        if not (_strings(st.get("Action")) or _strings(st.get("NotAction"))):
            raise malformed("Policy statement must contain actions.")
    for st in statements:
        if not (_strings(st.get("Resource")) or _strings(st.get("NotResource"))):
            raise malformed("Policy statement must contain resources.")
    for st in statements:
        for resource in _strings(st.get("Resource") or st.get("NotResource")) or ():
            _check_resource(resource)
    for st in statements:
        for action in _strings(st.get("Action") or st.get("NotAction")) or ():
            _check_action(action)


def _check_action(action: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise malformed(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        )
    if len(parts) > 2:
        raise malformed("Actions/Condition can contain only one colon.")
    if _VENDOR.search(parts[0]):
        raise malformed(f"Vendor {parts[0]} is not valid")


def _check_resource(resource: str) -> None:
    if resource == "*":
        return
    parts = resource.split(":")
    if len(parts) < 2 or parts[0] != "arn":
        raise malformed(f'Resource {resource} must be in ARN format or "*".')
    partition = parts[1]
    if partition not in ("aws", "*") and not partition.startswith("aws-"):
        # AWS fills the parts it could not find with "*" when it quotes the resource.
        rest = parts[2:] or [""]
        shown = [
            rest[0] if rest[0] or len(rest) > 1 else "*",
            rest[1] if len(rest) > 1 else "*",
            rest[2] if len(rest) > 2 else "*",
            ":".join(rest[3:]) if len(rest) > 3 else "*",
        ]
        raise malformed(
            f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(shown)}".'
        )


def check_trust_policy(document: str) -> None:
    """Validate a role's trust policy (AssumeRolePolicyDocument)."""
    if size(document) > 2048:
        raise limit_exceeded("Cannot exceed quota for ACLSizePerRole: 2048")
    policy = _load(document, "This policy contains invalid Json")
    statements = _check_syntax(policy, _STATEMENT)
    for st in statements:
        if "Resource" in st or "NotResource" in st:
            field = "Resource" if "Resource" in st else "NotResource"
            raise malformed(f"Has prohibited field {field}")
        actions = _strings(st.get("Action") or st.get("NotAction"))
        if not actions:
            raise malformed("Policy statement must contain actions.")
        if any(a != "*" and not a.lower().startswith("sts:") for a in actions):
            raise malformed("AssumeRole policy may only specify STS AssumeRole actions.")
        if "Principal" not in st and "NotPrincipal" not in st:
            raise malformed("Missing required field Principal")
