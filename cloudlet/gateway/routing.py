"""Which service a request is for, and on whose behalf (account, region).

Clues, strongest first: the X-Amz-Target prefix, the SigV4 credential scope (header or
presigned query string), the query-protocol Action, the Host (`sqs.<region>....`), and
last the path shape a service claims (an SQS queue path `/<account>/<name>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudlet.config import DEFAULT_ACCOUNT

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_HOST = re.compile(r"^([a-z0-9-]+)\.(?:([a-z]{2}(?:-[a-z]+)+-\d)\.)?")
_ACCOUNT_KEY = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Credentials:
    access_key: str | None
    region: str | None
    service: str | None

    @property
    def account_id(self) -> str:
        # As LocalStack does: an access key of 12 digits names the account.
        if self.access_key and _ACCOUNT_KEY.match(self.access_key):
            return self.access_key
        return DEFAULT_ACCOUNT


def credentials(authorization: str | None, query: dict[str, str]) -> Credentials:
    source = authorization or ""
    if not source and "X-Amz-Credential" in query:
        source = "Credential=" + query["X-Amz-Credential"]
    match = _CREDENTIAL.search(source)
    if match is None:
        return Credentials(None, None, None)
    return Credentials(match.group(1), match.group(2), match.group(3))


def host_service_region(host: str) -> tuple[str | None, str | None]:
    """`sqs.eu-west-1.localhost.localstack.cloud:4566` -> ("sqs", "eu-west-1")."""
    name = host.split(":", 1)[0]
    if name.replace(".", "").isdigit() or name in ("localhost", "[::1]"):
        return None, None
    match = _HOST.match(name)
    if match is None:
        return None, None
    return match.group(1), match.group(2)
