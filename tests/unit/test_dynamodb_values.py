"""DynamoDB typed values (cloudlet.services.dynamodb.values).

Sources: DynamoDB developer guide "Supported data types and naming rules" (numbers:
38 significant digits, 1E-130 .. 9.9999999999999999999999999999999999999E+125, leading
and trailing zeros trimmed; no empty sets), "DynamoDB item sizes and formats" (size
rules), and AWS's ValidationException messages as users report them.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.values import (
    compare,
    equal,
    item_size,
    normalize_number,
    validate_item,
    validate_value,
    value_size,
)

TINY = "0." + "0" * 129 + "1"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1e-130", TINY),
        ("-1E-130", "-" + TINY),
        ("-0.5", "-0.5"),
        ("10", "10"),
        ("9.99999999999999999999999999999999999", "9.99999999999999999999999999999999999"),
        ("01.50", "1.5"),
        ("-0", "0"),
        ("0.000", "0"),
        ("+3", "3"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1.0e2", "100"),
        ("1E+2", "100"),
        ("1e125", "1" + "0" * 125),
        ("9.9999999999999999999999999999999999999e125", "9" * 38 + "0" * 88),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        (
            "1234567890123456789012345678901234567800000",
            "1234567890123456789012345678901234567800000",
        ),
        ("-123.456000", "-123.456"),
        ("0e125", "0"),
        ("0.000e-127", "0"),
        ("0042.1200", "42.12"),
    ],
)
def test_numbers_are_canonical(text: str, canonical: str) -> None:
    assert normalize_number(text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "The parameter cannot be converted to a numeric value: abc"),
        ("", "The parameter cannot be converted to a numeric value: "),
        (" 1", "The parameter cannot be converted to a numeric value:  1"),
        ("1_000", "The parameter cannot be converted to a numeric value: 1_000"),
        ("0x10", "The parameter cannot be converted to a numeric value: 0x10"),
        ("1e", "The parameter cannot be converted to a numeric value: 1e"),
        ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
        ("Infinity", "The parameter cannot be converted to a numeric value: Infinity"),
        (
            "123456789012345678901234567890123456789",
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            "1.00000000000000000000000000000000000001",
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            "1e126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "-1e126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1e-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        (
            "1e99999999999999999999",
            "The parameter cannot be converted to a numeric value: 1e99999999999999999999",
        ),
        # AWS reads the exponent as a 64-bit integer: past it the text is not a number.
        (
            "1e9223372036854775808",
            "The parameter cannot be converted to a numeric value: 1e9223372036854775808",
        ),
        (
            "1e9223372036854775807",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1e99999999999",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1e2147483648",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1e-99999999999",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        # A zero is checked against the range by the exponent it is written with.
        (
            "0e126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "0e-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
    ],
)
def test_invalid_numbers(text: str, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        normalize_number(text)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


def test_numbers_order_exactly() -> None:
    texts = [
        "10",
        "-0.5",
        "1e-130",
        "9.99999999999999999999999999999999999",
        "-1e125",
        "0",
        "9.999999999999999999999999999999999999",
        "10.00000000000000000000000000000000001",
    ]
    values = [{"N": normalize_number(t)} for t in texts]
    import functools

    ordered = sorted(values, key=functools.cmp_to_key(lambda a, b: compare(a, b) or 0))
    assert [v["N"] for v in ordered] == [
        "-" + "1" + "0" * 125,
        "-0.5",
        "0",
        TINY,
        "9.99999999999999999999999999999999999",
        "9.999999999999999999999999999999999999",
        "10",
        "10.00000000000000000000000000000000001",
    ]


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        ({"N": "1"}, {"N": "1.0"}, 0),
        ({"N": "2"}, {"N": "10"}, -1),
        ({"S": "a"}, {"S": "B"}, 1),
        ({"S": "\u00e9"}, {"S": "z"}, 1),  # UTF-8 bytes, not locale order
        ({"S": "\U0001f600"}, {"S": "\uffff"}, 1),  # beyond the BMP sorts last, as UTF-8
        ({"B": b"\x00\xff"}, {"B": b"\x01"}, -1),
        ({"B": b"ab"}, {"B": b"a"}, 1),
        ({"N": "1"}, {"S": "1"}, None),
        ({"BOOL": True}, {"BOOL": True}, None),
        ({"SS": ["a"]}, {"SS": ["a"]}, None),
    ],
)
def test_compare(a: dict[str, Any], b: dict[str, Any], result: int | None) -> None:
    assert compare(a, b) == result


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        ({"N": "1"}, {"N": "1.00"}, True),
        ({"NS": ["1", "2"]}, {"NS": ["2", "1.0"]}, True),
        ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}, True),
        ({"SS": ["a", "b"]}, {"SS": ["a"]}, False),
        ({"L": [{"S": "a"}, {"N": "1"}]}, {"L": [{"S": "a"}, {"N": "1"}]}, True),
        ({"L": [{"S": "a"}, {"N": "1"}]}, {"L": [{"N": "1"}, {"S": "a"}]}, False),
        ({"M": {"x": {"NULL": True}}}, {"M": {"x": {"NULL": True}}}, True),
        ({"M": {"x": {"NULL": True}}}, {"M": {"y": {"NULL": True}}}, False),
        ({"S": "1"}, {"N": "1"}, False),
        ({"BOOL": False}, {"BOOL": False}, True),
    ],
)
def test_equal(a: dict[str, Any], b: dict[str, Any], result: bool) -> None:
    assert equal(a, b) is result


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "x"}
    for _ in range(depth):
        value = {"L": [value]}
    return value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"S": "a", "N": "1"},
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ),
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
        ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
        ({"BS": []}, "One or more parameter values were invalid: An binary set  may not be empty"),
        # The current layer lists, quoted, the members seen before the first repeat in
        # byte order, then the repeat, then the rest as sent.
        (
            {"SS": ["b", "a", "b"]},
            'One or more parameter values were invalid: Input collection ["a", "b", "b"] contains duplicates.',
        ),
        (
            {"SS": ["c", "a", "a", "b"]},
            'One or more parameter values were invalid: Input collection ["a", "c", "a", "b"] contains duplicates.',
        ),
        (
            {"NS": ["1", "1.0"]},
            "One or more parameter values were invalid: Input collection contains duplicates.",
        ),
        (
            {"BS": [b"\xff", b"\x00", b"\x00"]},
            'One or more parameter values were invalid: Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.',
        ),
        ({"NS": ["x"]}, "The parameter cannot be converted to a numeric value: x"),
        (
            {"M": {"a": {"N": "1e200"}}},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        # The attribute is level 1: 31 containers put the leaf at level 32, the most.
        (
            _nested(32),
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
        ),
    ],
)
def test_invalid_values(value: dict[str, Any], message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        validate_value(value)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


def test_valid_values_come_back_canonical() -> None:
    assert validate_value(_nested(31)) == _nested(31)
    assert validate_value({"SS": [""]}) == {"SS": [""]}
    assert validate_value({"S": ""}) == {"S": ""}
    # AWS accepts NULL false (since 2026) and answers it as NULL true.
    assert validate_value({"NULL": False}) == {"NULL": True}
    assert validate_value({"M": {"n": {"NS": ["1.50", "-0"]}, "l": {"L": [{"N": "007"}]}}}) == {
        "M": {"n": {"NS": ["1.5", "0"]}, "l": {"L": [{"N": "7"}]}}
    }


def test_older_layer_wording() -> None:
    # BatchWriteItem, TransactWriteItems, TransactGetItems and Scan check values in
    # AWS's older layer: members as sent, no quotes, a bare number-set message.
    cases = [
        (
            {"SS": ["b", "a", "b"]},
            "One or more parameter values were invalid: Input collection [b, a, b] contains duplicates.",
        ),
        (
            {"BS": [b"\xff", b"\x00", b"\x00"]},
            "One or more parameter values were invalid: Input collection [/w==, AA==, AA==]of type BS contains duplicates.",
        ),
        ({"NS": ["2", "1", "2"]}, "Input collection contains duplicates"),
        ({"N": ""}, "The parameter cannot be converted to a numeric value"),
        ({"N": "abc"}, "The parameter cannot be converted to a numeric value: abc"),
    ]
    for value, message in cases:
        with pytest.raises(ServiceError) as caught:
            validate_value(value, older=True)
        assert caught.value.message == message


def test_expression_values_name_the_key() -> None:
    # Only the older layer names the placeholder.
    with pytest.raises(ServiceError) as caught:
        validate_item({":ok": {"S": "x"}, ":v": {"SS": []}}, "ExpressionAttributeValues")
    assert (
        caught.value.message
        == "One or more parameter values were invalid: An string set  may not be empty"
    )
    with pytest.raises(ServiceError) as caught:
        validate_item(
            {":ok": {"S": "x"}, ":v": {"SS": []}}, "ExpressionAttributeValues", older=True
        )
    assert caught.value.message == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values "
        "were invalid: An string set  may not be empty for key :v"
    )
    with pytest.raises(ServiceError) as caught:
        validate_item({"a": {"NS": []}})
    assert (
        caught.value.message
        == "One or more parameter values were invalid: An number set  may not be empty"
    )


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"a": {"S": "hello"}}, 6),
        ({"é": {"S": "é"}}, 4),
        ({"n": {"N": "123"}}, 1 + 2 + 1),
        ({"n": {"N": "1234"}}, 1 + 2 + 1),
        ({"n": {"N": "-0.5"}}, 1 + 1 + 1 + 1),  # negative: one byte more
        ({"b": {"B": b"\x00\x01\x02"}}, 4),
        ({"t": {"BOOL": True}, "z": {"NULL": True}}, 4),
        ({"l": {"L": []}}, 4),
        ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (2 + 1) + (2 + 1)),
        ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + (1 + 1 + 1)),
        ({"s": {"SS": ["ab", "c"]}}, 4),
    ],
)
def test_item_size(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size
    assert sum(len(k.encode()) + value_size(v) for k, v in item.items()) == size


# Number sizes measured against AWS at the 400 KB boundary (one byte, then a pair of
# digits per byte with pairs aligned on the decimal point, one more when negative).
@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 1),
        ("1", 2),
        ("12", 2),
        ("123", 3),
        ("1234", 3),
        ("12345678901234567890123456789012345678", 20),
        ("0042", 2),
        ("100", 2),
        ("1010", 3),
        ("0.0000001", 2),
        ("1E125", 2),
        ("1E-100", 2),
        ("1.5", 3),
        ("15", 2),
        ("1.2", 3),
        ("1.200", 3),
        ("1.234", 4),
        ("3.14159", 5),
        ("123456", 4),
        ("-1", 3),
    ],
)
def test_number_size(text: str, size: int) -> None:
    assert value_size({"N": normalize_number(text)}) == size


def test_nesting_limit_counts_the_attribute_as_level_one() -> None:
    def deep_map(wraps: int) -> dict[str, Any]:
        value: dict[str, Any] = {"S": "leaf"}
        for _ in range(wraps):
            value = {"M": {"n": value}}
        return value

    validate_item({"data": deep_map(31)})
    with pytest.raises(ServiceError) as caught:
        validate_item({"data": deep_map(32)})
    assert caught.value.message.startswith("Nesting Levels have exceeded supported limits")
    # An empty container adds no level below it.
    validate_item({"data": {"L": [deep_map(30), {"M": {}}]}})
