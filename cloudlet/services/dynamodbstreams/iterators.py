"""Shard iterators: opaque strings naming a position in a shard, valid 15 minutes.

An iterator is `{stream ARN}|1|{token}` (AWS's iterators also begin with the stream
ARN), the token being base64 of [shard id, position, issued ms]: the position is the
stored counter of the last record before the iterator's first one.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

LIFETIME_MS = 15 * 60 * 1000


@dataclass(frozen=True)
class Position:
    stream_arn: str
    shard_id: str
    after: int
    issued: int  # ms


def encode(position: Position) -> str:
    token = orjson.dumps([position.shard_id, position.after, position.issued])
    return f"{position.stream_arn}|1|{base64.b64encode(token).decode()}"


def decode(iterator: str) -> Position | None:
    """The position an iterator names, or None if it is not one of ours."""
    arn, sep, rest = iterator.partition("|1|")
    if not sep or not arn:
        return None
    try:
        fields = orjson.loads(base64.b64decode(rest, validate=True))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        return None
    if (
        not isinstance(fields, list)
        or len(fields) != 3
        or not isinstance(fields[0], str)
        or not all(isinstance(f, int) and not isinstance(f, bool) for f in fields[1:])
    ):
        return None
    return Position(arn, fields[0], fields[1], fields[2])
