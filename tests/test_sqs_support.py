"""Helpers shared by the SQS integration tests (the test_sqs_*.py modules import them).

Nothing here talks to cloudlet's internals: every helper goes through boto3 or plain
HTTP, as a user's program would. The module holds no tests itself.
"""

from __future__ import annotations

import hashlib
import http.client
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"
XMLNS = "{http://queue.amazonaws.com/doc/2012-11-05/}"

# boto3 clients are generated at run time; there are no static types to name.
SQSClient = Any
Message = dict[str, Any]

T = TypeVar("T")


# -- waiting ------------------------------------------------------------------------------


def wait_until(fn: Callable[[], T], timeout: float = 10, interval: float = 0.05) -> T:
    """Call `fn` until it returns something truthy, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s (last result {result!r})")
        time.sleep(interval)


# -- errors -------------------------------------------------------------------------------


@contextmanager
def sqs_error(
    code: str | tuple[str, ...], status: int | tuple[int, ...] = 400
) -> Iterator[pytest.ExceptionInfo[ClientError]]:
    """Expect the block to fail with the (query-style) SQS error `code` and HTTP `status`."""
    codes = (code,) if isinstance(code, str) else code
    statuses = (status,) if isinstance(status, int) else status
    with pytest.raises(ClientError) as info:
        yield info
    response = info.value.response
    assert response["Error"]["Code"] in codes, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] in statuses, response


# -- names and clients ----------------------------------------------------------------------


def derived_name(base: str, suffix: str) -> str:
    """A valid queue name (<= 80 characters) built from a fixture name and a suffix."""
    if len(base) + len(suffix) > 80:
        digest = hashlib.sha1(base.encode()).hexdigest()
        base = "q" + digest[: min(len(digest), 79 - len(suffix))]
    return base + suffix


def fifo_name(base: str) -> str:
    return derived_name(base, ".fifo")


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def make_client(endpoint: str) -> SQSClient:
    """A boto3 SQS client for a server the test started itself."""
    return boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


# -- queue and message shortcuts --------------------------------------------------------------


def create_queue(
    sqs: SQSClient,
    name: str,
    attributes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    kwargs: dict[str, Any] = {"QueueName": name}
    if attributes:
        kwargs["Attributes"] = dict(attributes)
    if tags:
        kwargs["tags"] = dict(tags)
    url: str = sqs.create_queue(**kwargs)["QueueUrl"]
    return url


def create_fifo_queue(
    sqs: SQSClient, base: str, attributes: Mapping[str, str] | None = None
) -> str:
    return create_queue(sqs, fifo_name(base), {"FifoQueue": "true", **(attributes or {})})


def attributes(sqs: SQSClient, url: str, *names: str) -> dict[str, str]:
    response = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])
    result: dict[str, str] = response.get("Attributes", {})
    return result


def counts(sqs: SQSClient, url: str) -> tuple[int, int, int]:
    """(visible, in flight, delayed) as the Approximate* attributes report them."""
    attrs = attributes(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def receive(sqs: SQSClient, url: str, **kwargs: Any) -> list[Message]:
    kwargs.setdefault("MaxNumberOfMessages", 10)
    messages: list[Message] = sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])
    return messages


def receive_n(
    sqs: SQSClient, url: str, count: int, timeout: float = 10, **kwargs: Any
) -> list[Message]:
    """Receive until `count` messages have arrived in total (they stay in flight)."""
    got: list[Message] = []

    def enough() -> bool:
        got.extend(receive(sqs, url, **kwargs))
        return len(got) >= count

    wait_until(enough, timeout=timeout)
    assert len(got) == count, [m["Body"] for m in got]
    return got


def receive_one(sqs: SQSClient, url: str, timeout: float = 10, **kwargs: Any) -> Message:
    [message] = receive_n(sqs, url, 1, timeout=timeout, **kwargs)
    return message


def make_visible(sqs: SQSClient, url: str, message: Message) -> None:
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )


def md5_hex(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attrs: Mapping[str, Mapping[str, Any]]) -> str:
    """MD5OfMessageAttributes as the SQS developer guide defines it.

    Attributes sorted by name; for each: length-prefixed name, length-prefixed data type,
    one transport byte (1 = string value, 2 = binary value), length-prefixed value.
    """
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attrs):
        attr = attrs[name]
        digest.update(_length_prefixed(name.encode("utf-8")))
        digest.update(_length_prefixed(str(attr["DataType"]).encode("utf-8")))
        if "StringValue" in attr:
            digest.update(b"\x01" + _length_prefixed(str(attr["StringValue"]).encode("utf-8")))
        else:
            digest.update(b"\x02" + _length_prefixed(bytes(attr["BinaryValue"])))
    return digest.hexdigest()


# -- raw HTTP ----------------------------------------------------------------------------------


def fake_sigv4_headers(service: str = "sqs") -> dict[str, str]:
    """Headers that look like a SigV4-signed request (signatures are not checked locally)."""
    now = time.gmtime()
    return {
        "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", now),
        "Authorization": (
            "AWS4-HMAC-SHA256 "
            f"Credential=test/{time.strftime('%Y%m%d', now)}/{REGION}/{service}/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
        ),
    }


def raw_post(
    endpoint: str, body: bytes, headers: Mapping[str, str], path: str = "/"
) -> tuple[int, dict[str, str], bytes]:
    """POST exactly `body` to the server; returns (status, lower-cased headers, body)."""
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        payload = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
    finally:
        connection.close()


def raw_json(endpoint: str, target: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """A JSON-protocol request with a hand-made body, for requests boto3 refuses to send."""
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AmazonSQS.{target}",
        **fake_sigv4_headers(),
    }
    return raw_post(endpoint, body, headers)
