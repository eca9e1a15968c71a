"""The key encodings: bytewise order of the encodings is DynamoDB's order of the values."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from cloudlet.services.dynamodb.keys import encode_key, encode_number, successor
from cloudlet.services.dynamodb.values import normalize_number

EDGES = [
    "0",
    "1E-130",
    "-1E-130",
    "9.9999999999999999999999999999999999999E+125",
    "-9.9999999999999999999999999999999999999E+125",
    "1",
    "-1",
    "10",
    "9.99999999999999999999999999999999999",
    "-0.5",
    "-0.55",
    "-0.45",
    "0.5",
    "100",
    "99.99",
    "12345678901234567890123456789012345678",
    "-12345678901234567890123456789012345678",
    "1.000000000000000000000000000000000001",
]


def _random_number(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 38)))
    digits = digits.lstrip("0") or "1"
    exponent = rng.randint(-120, 80)
    sign = rng.choice(["", "-"])
    return f"{sign}{digits}E{exponent}"


def test_numbers_sort_by_value() -> None:
    rng = random.Random(7)
    texts = EDGES + [_random_number(rng) for _ in range(3000)]
    by_value = sorted(texts, key=Decimal)
    by_bytes = sorted(texts, key=encode_number)
    assert [Decimal(t) for t in by_bytes] == [Decimal(t) for t in by_value]


@pytest.mark.parametrize(("a", "b"), [("1", "1.0"), ("-0", "0"), ("1E2", "100"), ("0.10", "0.1")])
def test_equal_numbers_encode_equally(a: str, b: str) -> None:
    assert encode_number(a) == encode_number(b)
    assert encode_number(normalize_number(a)) == encode_number(b)


def test_strings_sort_by_utf8_bytes() -> None:
    words = ["a", "B", "é", "z", "\U0001f600", "\uffff", "aa", "", "Z", "\u00ff", "\u0100"]
    by_bytes = sorted(words, key=lambda w: encode_key({"S": w}))
    assert by_bytes == sorted(words, key=lambda w: w.encode("utf-8"))


def test_binary_is_itself() -> None:
    assert encode_key({"B": b"\x00\xff"}) == b"\x00\xff"


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [(b"ab", b"ac"), (b"a\xff", b"b"), (b"\xff\xff", None), (b"", None), (b"\x00", b"\x01")],
)
def test_successor_bounds_a_prefix(prefix: bytes, upper: bytes | None) -> None:
    assert successor(prefix) == upper
