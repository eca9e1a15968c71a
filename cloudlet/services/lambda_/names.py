"""Function names in every form the Lambda API accepts, and the ARNs built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudlet.gateway.context import RequestContext
from cloudlet.gateway.errors import ServiceError

_ARN = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)


@dataclass(frozen=True)
class FunctionRef:
    account: str
    region: str
    name: str
    qualifier: str | None

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


def function_ref(ctx: RequestContext, value: str, qualifier: str | None = None) -> FunctionRef:
    """Parse a name, partial ARN (`123456789012:function:name`) or full ARN, with an
    optional `:qualifier`; a Qualifier parameter must agree with it."""
    match = _ARN.match(value)
    if match is None or (value.startswith("arn:") and match["region"] is None):
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    embedded = match["qualifier"]
    if embedded and qualifier and embedded != qualifier:
        raise ServiceError(
            "InvalidParameterValueException",
            "The derived qualifier from the function name does not match the specified qualifier.",
        )
    return FunctionRef(
        account=match["account"] or ctx.account_id,
        region=match["region"] or ctx.region,
        name=match["name"],
        qualifier=qualifier or embedded,
    )


def not_found(arn: str, qualifier: str | None = None) -> ServiceError:
    shown = f"{arn}:{qualifier}" if qualifier else arn
    return ServiceError("ResourceNotFoundException", f"Function not found: {shown}")
