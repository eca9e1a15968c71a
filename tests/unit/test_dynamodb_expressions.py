"""DynamoDB's expression language (cloudlet.services.dynamodb.expressions).

Sources: developer guide "Condition and filter expressions, operators, and functions",
"Using update expressions", "Using projection expressions", "Key condition
expressions", "Reserved words in DynamoDB", the API reference "Condition" and
"AttributeValueUpdate", and AWS's ValidationException texts as users report them
(syntax errors quote the token and the text from the token before to the token after).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.expressions import Expressions, legacy

S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": v}  # noqa: E731

VALUES: dict[str, Any] = {
    ":s": S("x"),
    ":t": S("y"),
    ":one": N("1"),
    ":two": N("2"),
    ":ten": N("10"),
    ":zero": N("0"),
    ":neg": N("-0.5"),
    ":tiny": N("1e-130"),
    ":big": N("9.99999999999999999999999999999999999"),
    ":b": {"B": b"\x01"},
    ":ss": {"SS": ["a", "b"]},
    ":ns": {"NS": ["1", "2"]},
    ":l": {"L": [S("q")]},
    ":m": {"M": {"k": S("v")}},
    ":null": {"NULL": True},
    ":true": {"BOOL": True},
    ":typeS": S("S"),
    ":typeN": S("N"),
    ":bad": S("STRING"),
    ":pre": S("ab"),
}

ITEM: dict[str, Any] = {
    "pk": S("p"),
    "s": S("abc"),
    "n": N("5"),
    "neg": N("-0.5"),
    "tiny": N("1e-130"),
    "big": N("9.99999999999999999999999999999999999"),
    "b": {"B": b"\x01\x02"},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2", "3"]},
    "bs": {"BS": [b"\x01"]},
    "l": {"L": [S("q"), N("1"), {"M": {"deep": S("d")}}]},
    "m": {"M": {"k": S("v"), "inr": {"M": {"x": N("1")}}, "lst": {"L": [N("7")]}}},
    "nul": {"NULL": True},
    "flag": {"BOOL": True},
    "status": S("active"),
    "a.b": S("dotted"),
}


def _values_used(text: str) -> dict[str, Any]:
    used = set(re.findall(r":[A-Za-z0-9_]+", text))
    return {k: v for k, v in VALUES.items() if k in used}


def _condition(text: str, names: dict[str, str] | None = None) -> Any:
    exprs = Expressions(names, _values_used(text) or None)
    cond = exprs.condition(text)
    exprs.check_unused()
    return cond


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("s = :s", None, False),
        ("s <> :s", None, True),
        ("n = :ten", None, False),
        ("n < :ten", None, True),  # numerically, not as text
        ("n > :two", None, True),
        ("n >= :two AND n <= :ten", None, True),
        ("neg < :zero", None, True),
        ("tiny > :zero AND tiny < :one", None, True),
        ("big < :ten AND big > :one", None, True),
        ("n BETWEEN :one AND :ten", None, True),
        ("n BETWEEN :one AND :two", None, False),
        ("n IN (:one, :two, :ten)", None, False),
        ("s IN (:s, :t)", None, False),
        ("pk IN (:s, :t)", None, False),
        ("attribute_exists(s)", None, True),
        ("attribute_exists(absent)", None, False),
        ("attribute_not_exists(absent)", None, True),
        ("attribute_exists(nul)", None, True),  # NULL is a value, it exists
        ("attribute_type(s, :typeS)", None, True),
        ("attribute_type(n, :typeS)", None, False),
        ("attribute_type(n, :typeN)", None, True),
        ("begins_with(s, :pre)", None, True),
        ("begins_with(n, :pre)", None, False),
        ("begins_with(b, :b)", None, True),
        ("contains(s, :pre)", None, True),
        ("contains(ss, :s)", None, False),
        ("contains(ns, :one)", None, True),
        ("contains(l, :s)", None, False),
        ("contains(l, :one)", None, True),
        ("size(s) = :one", None, False),
        ("size(ss) > :two", None, True),
        ("size(l) = :two", None, False),
        ("size(m) > :two", None, True),
        ("size(absent) > :zero", None, False),
        ("m.k = :s", None, False),
        ("m.inr.x = :one", None, True),
        ("m.lst[0] > :one", None, True),
        ("l[2].deep = :s", None, False),
        ("l[5] = :s", None, False),
        ("s[0] = :s", None, False),  # index on a string: no value
        ("#st = :s", {"#st": "status"}, False),
        ("#ab = :s", {"#ab": "a.b"}, False),  # a name with a dot, through a placeholder
        ("#m.#k = :s", {"#m": "m", "#k": "k"}, False),
        ("absent <> :s", None, True),  # a absent attribute is unequal to anything
        ("absent = :s", None, False),
        ("absent < :s", None, False),
        ("s <> :one", None, True),  # different types are unequal
        ("s < :one", None, False),
        ("NOT attribute_exists(s)", None, False),
        ("NOT s = :s", None, True),
        ("s = :s OR n = :two OR attribute_exists(flag)", None, True),
        ("attribute_exists(flag) AND (s = :s OR n > :one)", None, True),
        ("NOT (n > :one AND n < :ten)", None, False),
        ("NOT n > :one AND n < :ten", None, False),
        ("(n) > :one", None, True),
        ("n = :zero OR n > :one AND n < :two", None, False),  # AND binds tighter
        ("ss = :ss", None, False),
        ("flag = :true", None, True),
        ("nul = :null", None, True),
        ("m.k = m.k", None, None),  # refused: see errors
    ],
)
def test_condition_evaluates(
    text: str, names: dict[str, str] | None, expected: bool | None
) -> None:
    if expected is None:
        with pytest.raises(ServiceError):
            _condition(text, names)
        return
    assert _condition(text, names).evaluate(ITEM) is expected


def test_size_of_a_string_counts_utf16_code_units() -> None:
    exprs = Expressions(None, {":n": N("3")})
    assert exprs.condition("size(s) = :n").evaluate({"s": S("\u00e9\U0001d11e")})
    assert not exprs.condition("size(s) = :n").evaluate({"s": S("abcd")})


def test_expression_limits() -> None:
    values = {":v": S("x")}
    with pytest.raises(ServiceError) as caught:
        Expressions(None, values).condition("a = :v" + " " * 4091)
    assert caught.value.message == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
        "expression size: 4097"
    )
    Expressions(None, values).condition("a = :v" + " " * 4090)  # 4096 bytes: accepted
    with pytest.raises(ServiceError) as caught:
        Expressions(None, values).condition(" AND ".join(["a<:v"] * 400))
    assert caught.value.message == (
        "Invalid ConditionExpression: The expression contains too many operators; "
        "operator count: 301"
    )
    assert Expressions(None, values).condition("NOT " * 299 + "a = :v").evaluate({})
    # Nesting the recursive parser cannot follow is refused, never a crash.
    with pytest.raises(ServiceError) as caught:
        Expressions(None, values).condition("(" * 2000 + "a = :v" + ")" * 2000)
    assert caught.value.code == "ValidationException"
    assert Expressions(None, values).condition("NOT(" * 101 + "a=:v" + ")" * 101).evaluate({})


def test_numbers_compare_exactly() -> None:
    values = ["1e-130", "-0.5", "10", "9.99999999999999999999999999999999999", "0"]
    exprs = Expressions(None, {":v": N("9.999999999999999999999999999999999999")})
    cond = exprs.condition("n < :v")
    below = [v for v in values if cond.evaluate({"n": N(v)})]
    assert below == ["1e-130", "-0.5", "9.99999999999999999999999999999999999", "0"]


@pytest.mark.parametrize(
    ("text", "names", "values", "message"),
    [
        ("", None, None, "Invalid ConditionExpression: The expression can not be empty;"),
        ("   ", None, None, "Invalid ConditionExpression: The expression can not be empty;"),
        (
            "a = = :v",
            None,
            {":v": S("x")},
            'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"',
        ),
        (
            "NOT #x",
            {"#x": "x"},
            None,
            'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "#x"',
        ),
        (
            "a = :v AND",
            None,
            {":v": S("x")},
            'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
        ),
        ("a b", None, None, 'Invalid ConditionExpression: Syntax error; token: "b", near: "a b"'),
        (
            "a != :v",
            None,
            {":v": S("x")},
            'Invalid ConditionExpression: Syntax error; token: "!", near: "a !="',
        ),
        (
            "a = 1",
            None,
            None,
            'Invalid ConditionExpression: Syntax error; token: "1", near: "= 1"',
        ),
        (
            "a = :v OR AND b = :v",
            None,
            {":v": S("x")},
            'Invalid ConditionExpression: Syntax error; token: "AND", near: "OR AND b"',
        ),
        (
            "status = :v",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
        ),
        (
            "a.Name = :v",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name",
        ),
        (
            "#absent = :v",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #absent",
        ),
        (
            "a = :absent",
            None,
            None,
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :absent",
        ),
        (
            "((a = :v))",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: The expression has redundant parentheses;",
        ),
        (
            "((attribute_not_exists(pk)))",
            None,
            None,
            "Invalid ConditionExpression: The expression has redundant parentheses;",
        ),
        ("foo(a)", None, None, "Invalid ConditionExpression: Invalid function name; function: foo"),
        (
            "SIZE(a) > :v",
            None,
            {":v": N("1")},
            "Invalid ConditionExpression: Invalid function name; function: SIZE",
        ),
        (
            "size(a)",
            None,
            None,
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size",
        ),
        (
            "a = contains(b, :v)",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: contains",
        ),
        (
            "if_not_exists(a, :v) = :v",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists",
        ),
        (
            "begins_with(a)",
            None,
            None,
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1",
        ),
        (
            "contains(#a, #a)",
            {"#a": "data"},
            None,
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [data]",
        ),
        (
            "a.b[1] = a.b[1]",
            None,
            None,
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a, b, [1]]",
        ),
        (
            "attribute_exists(:v)",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "attribute_type(a, :v)",
            None,
            {":v": S("STRING")},
            "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "attribute_type(a, :v)",
            None,
            {":v": N("1")},
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
        ),
        (
            "begins_with(a, :v)",
            None,
            {":v": N("1")},
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "size(:v) > :v",
            None,
            {":v": N("1")},
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N",
        ),
        (
            "a < :v",
            None,
            {":v": {"SS": ["x"]}},
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: SS",
        ),
        (
            "a BETWEEN :hi AND :lo",
            None,
            {":hi": N("10"), ":lo": N("9")},
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:9}",
        ),
        (
            "a BETWEEN :lo AND :s",
            None,
            {":lo": N("9"), ":s": S("x")},
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {S:x}",
        ),
        (
            "a IN (" + ", ".join([":v"] * 101) + ")",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101",
        ),
        (
            "a" + ".b" * 32 + " = :v",
            None,
            {":v": S("x")},
            "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33",
        ),
        # A syntax error anywhere wins over a reserved word before it.
        (
            "status = :v AND",
            None,
            {":v": S("x")},
            'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
        ),
    ],
)
def test_condition_errors(
    text: str, names: dict[str, str] | None, values: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(names, values).condition(text)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


def test_filter_names_its_kind() -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, {":fv": S("x")}).condition("#absent = :fv", "FilterExpression")
    assert caught.value.message == (
        "Invalid FilterExpression: An expression attribute name used in the document path "
        "is not defined; attribute name: #absent"
    )


# -- placeholders ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "values", "message"),
    [
        ({}, None, "ExpressionAttributeNames must not be empty"),
        (None, {}, "ExpressionAttributeValues must not be empty"),
        (
            {"x": "a"},
            None,
            'ExpressionAttributeNames contains invalid key: Syntax error; key: "x"',
        ),
        (
            {"#a-b": "a"},
            None,
            'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"',
        ),
        (
            {"#a": ""},
            None,
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a",
        ),
        (
            None,
            {"v": S("x")},
            'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"',
        ),
        (
            None,
            {":v": {"NS": []}},
            "One or more parameter values were invalid: An number set  may not be empty",
        ),
        (
            None,
            {":v": {"N": "abc"}},
            "The parameter cannot be converted to a numeric value: abc",
        ),
    ],
)
def test_placeholder_errors(
    names: dict[str, str] | None, values: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(names, values)
    assert caught.value.message == message


def test_unused_placeholders() -> None:
    exprs = Expressions({"#a": "a", "#unused": "u"}, {":v": S("x")})
    exprs.condition("#a = :v")
    with pytest.raises(ServiceError) as caught:
        exprs.check_unused()
    assert caught.value.message == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    )
    exprs = Expressions(None, {":v": S("x"), ":unused": S("y"), ":also": S("z")})
    exprs.update("SET attr1 = :v")
    with pytest.raises(ServiceError) as caught:
        exprs.check_unused()
    assert caught.value.message == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused, :also}"
    )
    # Used by any of the request's expressions is used.
    exprs = Expressions({"#a": "a"}, {":v": S("x")})
    exprs.projection("#a")
    exprs.condition("b = :v")
    exprs.check_unused()


def test_placeholders_without_expressions() -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, {":v": S("unused")}).check_unused()
    assert caught.value.message == (
        "ExpressionAttributeValues can only be specified when using expressions"
    )
    with pytest.raises(ServiceError) as caught:
        Expressions({"#a": "a"}, None).check_unused()
    assert caught.value.message == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )


# -- updates --------------------------------------------------------------------------------


def _update(text: str, names: dict[str, str] | None = None) -> Any:
    exprs = Expressions(names, _values_used(text) or None)
    update = exprs.update(text)
    exprs.check_unused()
    return update


BASE: dict[str, Any] = {
    "pk": S("p"),
    "count": N("5"),
    "s": S("abc"),
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2"]},
    "l": {"L": [S("a"), S("b"), S("c"), S("d")]},
    "m": {"M": {"k": S("v"), "n": N("1"), "inr": {"M": {}}}},
}


@pytest.mark.parametrize(
    ("text", "names", "changes"),
    [
        ("SET s = :s", None, {"s": S("x")}),
        ("set s = :s", None, {"s": S("x")}),  # keywords in any case
        ("SET brandnew = :s", None, {"brandnew": S("x")}),
        ("SET #c = #c + :one", {"#c": "count"}, {"count": N("6")}),
        ("SET #c = #c - :ten", {"#c": "count"}, {"count": N("-5")}),
        ("SET x = :neg + :big", None, {"x": N("9.49999999999999999999999999999999999")}),
        ("SET x = :neg + :one", None, {"x": N("0.5")}),
        ("SET x = if_not_exists(x, :zero) + :one", None, {"x": N("1")}),
        ("SET s = if_not_exists(s, :s)", None, {}),
        (
            "SET l = list_append(l, :l)",
            None,
            {"l": {"L": [S("a"), S("b"), S("c"), S("d"), S("q")]}},
        ),
        (
            "SET l = list_append(:l, l)",
            None,
            {"l": {"L": [S("q"), S("a"), S("b"), S("c"), S("d")]}},
        ),
        (
            "SET x = list_append(if_not_exists(x, :l), :l)",
            None,
            {"x": {"L": [S("q"), S("q")]}},
        ),
        ("SET l[1] = :s", None, {"l": {"L": [S("a"), S("x"), S("c"), S("d")]}}),
        ("SET l[10] = :s", None, {"l": {"L": [S("a"), S("b"), S("c"), S("d"), S("x")]}}),
        ("SET m.k = :t", None, {"m": {"M": {"k": S("y"), "n": N("1"), "inr": {"M": {}}}}}),
        (
            "SET m.inr.z = :one",
            None,
            {"m": {"M": {"k": S("v"), "n": N("1"), "inr": {"M": {"z": N("1")}}}}},
        ),
        (
            "SET m.n = m.n + :one",
            None,
            {"m": {"M": {"k": S("v"), "n": N("2"), "inr": {"M": {}}}}},
        ),
        ("SET s = #c, #c = s", {"#c": "count"}, {"s": N("5"), "count": S("abc")}),  # old values
        ("REMOVE s", None, {"s": None}),
        ("SET #c = (#c - :one)", {"#c": "count"}, {"count": N("4")}),
        ("SET x = (s)", None, {"x": S("abc")}),
        ("SET #c = :ten - (#c + :one)", {"#c": "count"}, {"count": N("4")}),
        ("SET #c = if_not_exists(#c, :zero) - :two", {"#c": "count"}, {"count": N("3")}),
        ("REMOVE absent", None, {}),
        ("REMOVE m.k", None, {"m": {"M": {"n": N("1"), "inr": {"M": {}}}}}),
        ("REMOVE l[1]", None, {"l": {"L": [S("a"), S("c"), S("d")]}}),
        ("REMOVE l[1], l[2]", None, {"l": {"L": [S("a"), S("d")]}}),  # original indexes
        ("REMOVE l[9]", None, {}),
        ("REMOVE m.absent.deeper", None, {}),
        ("ADD #c :one", {"#c": "count"}, {"count": N("6")}),
        ("ADD fresh :ten", None, {"fresh": N("10")}),
        ("ADD tags :ss", None, {}),  # a and b already there
        ("ADD nums :ns", None, {}),
        ("ADD fresh :ss", None, {"fresh": {"SS": ["a", "b"]}}),
        ("DELETE tags :ss", None, {"tags": None}),  # an emptied set disappears
        ("DELETE nums :ns", None, {"nums": None}),
        ("DELETE absent :ss", None, {}),
        (
            "SET s = :s REMOVE m ADD #c :one DELETE tags :ss",
            {"#c": "count"},
            {"s": S("x"), "m": None, "count": N("6"), "tags": None},
        ),
        ("REMOVE m SET s = :s", None, {"s": S("x"), "m": None}),  # sections in any order
    ],
)
def test_update_applies(text: str, names: dict[str, str] | None, changes: dict[str, Any]) -> None:
    before = {k: v for k, v in BASE.items()}
    new = _update(text, names).apply(BASE)
    expected = dict(BASE)
    for key, value in changes.items():
        if value is None:
            expected.pop(key, None)
        else:
            expected[key] = value
    assert new == expected
    assert BASE == before  # the old item is untouched


def test_update_sets_and_adds_keep_set_semantics() -> None:
    update = Expressions(None, {":v": {"NS": ["3", "1.0"]}}).update("ADD nums :v")
    assert update.apply(BASE)["nums"] == {"NS": ["1", "2", "3"]}
    update = Expressions(None, {":v": {"NS": ["1.00"]}}).update("DELETE nums :v")
    assert update.apply(BASE)["nums"] == {"NS": ["2"]}


def test_update_reports_paths_and_touched_attributes() -> None:
    update = _update("SET m.k = :s, s = :s REMOVE l[0] ADD #c :one", {"#c": "count"})
    assert update.paths == [("m", "k"), ("s",), ("l", 0), ("count",)]
    assert update.touched == {"m", "s", "l", "count"}


@pytest.mark.parametrize(
    ("text", "item", "message"),
    [
        (
            "SET x = absent + :one",
            BASE,
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET x = l[9]",
            BASE,
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET x = list_append(absent, :l)",
            BASE,
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET s = s + :one",
            BASE,
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET x = :s + :one",
            BASE,
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        (
            "SET x = list_append(s, :l)",
            BASE,
            "An operand in the update expression has an incorrect data type",
        ),
        ("ADD s :one", BASE, "An operand in the update expression has an incorrect data type"),
        ("ADD tags :ns", BASE, "An operand in the update expression has an incorrect data type"),
        ("ADD #c :ss", BASE, "An operand in the update expression has an incorrect data type"),
        ("DELETE tags :ns", BASE, "An operand in the update expression has an incorrect data type"),
        (
            "SET absent.x = :s",
            BASE,
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET s.x = :s",
            BASE,
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET m[0] = :s",
            BASE,
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l.x = :s",
            BASE,
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l[9].x = :s",
            BASE,
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "ADD m.absent.n :one",
            BASE,
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET x = :huge + :huge",
            BASE,
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "SET x = :huge + :tiny",
            BASE,
            "Attempting to store more than 38 significant digits in a Number",
        ),
    ],
)
def test_update_runtime_errors(text: str, item: dict[str, Any], message: str) -> None:
    values = dict(VALUES, **{":huge": N("9e125")})
    used = {k: v for k, v in values.items() if k in set(re.findall(r":[A-Za-z0-9_]+", text))}
    names = {"#c": "count"} if "#c" in text else None
    with pytest.raises(ServiceError) as caught:
        Expressions(names, used or None).update(text).apply(item)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Invalid UpdateExpression: The expression can not be empty;"),
        (
            "INVALID SYNTAX HERE",
            'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"',
        ),
        ("SET", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"'),
        ("SET a = ", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "= "'),
        ("SET a = b +", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "+"'),
        ("SET a = b + c + d", 'Invalid UpdateExpression: Syntax error; token: "+", near: "c + d"'),
        ("SET numx / :v", 'Invalid UpdateExpression: Syntax error; token: "/", near: "numx / :v"'),
        (
            "ADD hits : incr",
            'Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr"',
        ),
        ("ADD numx 1", 'Invalid UpdateExpression: Syntax error; token: "1", near: "numx 1"'),
        ("DELETE setx a", 'Invalid UpdateExpression: Syntax error; token: "a", near: "setx a"'),
        ("SET a = :v,", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'),
        (
            "SET a = ((b - :v))",
            "Invalid UpdateExpression: The expression has redundant parentheses;",
        ),
        ("SET a = (b - :v", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ":v"'),
        (
            "SET a = :v + :one",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        (
            "SET a = b - :l",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: L",
        ),
        (
            "SET a = list_append(b, :v)",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S",
        ),
        (
            "SET a = :v SET b = :v",
            'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
        ),
        (
            "REMOVE a SET b = :v remove c",
            'Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;',
        ),
        (
            "SET status = :v",
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status",
        ),
        (
            "SET a = :absent",
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :absent",
        ),
        (
            "SET #x = :v",
            "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
        ),
        (
            "SET a = size(b)",
            "Invalid UpdateExpression: The function is not allowed in an update expression; function: size",
        ),
        (
            "SET a = concat(b, :v)",
            "Invalid UpdateExpression: Invalid function name; function: concat",
        ),
        (
            "SET a = list_append(b)",
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1",
        ),
        (
            "SET a = if_not_exists(:v, :v)",
            "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists",
        ),
        (
            "SET a = :v, a = :v",
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
        (
            "SET a.b = :v REMOVE a",
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]",
        ),
        (
            "SET a[0] = :v REMOVE a.b",
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]",
        ),
        (
            "ADD a :v",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "ADD a :m",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "ADD a :l",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "ADD a :true",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOL, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "DELETE a :one",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "DELETE a :l",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
    ],
)
def test_update_errors(text: str, message: str) -> None:
    values = dict(VALUES, **{":v": S("x")})
    with pytest.raises(ServiceError) as caught:
        Expressions(None, values).update(text)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


# -- projections ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("s", None, {"s": S("abc")}),
        ("s, n, absent", None, {"s": S("abc"), "n": N("5")}),
        ("m.k", None, {"m": {"M": {"k": S("v")}}}),
        ("m.k, m.inr.x", None, {"m": {"M": {"k": S("v"), "inr": {"M": {"x": N("1")}}}}}),
        ("m.absent", None, {}),
        ("l[2], l[0]", None, {"l": {"L": [S("q"), {"M": {"deep": S("d")}}]}}),
        ("l[2].deep", None, {"l": {"L": [{"M": {"deep": S("d")}}]}}),
        ("l[7]", None, {}),
        ("s[0]", None, {}),
        ("#ab", {"#ab": "a.b"}, {"a.b": S("dotted")}),
        ("#st", {"#st": "status"}, {"status": S("active")}),
    ],
)
def test_projection(text: str, names: dict[str, str] | None, expected: dict[str, Any]) -> None:
    exprs = Expressions(names, None)
    projection = exprs.projection(text)
    exprs.check_unused()
    assert projection.apply(ITEM) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Invalid ProjectionExpression: The expression can not be empty;"),
        ("a,", 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'),
        ("a b", 'Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"'),
        ("!!", 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'),
        ("a[x]", 'Invalid ProjectionExpression: Syntax error; token: "x", near: "[x]"'),
        (
            "status",
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status",
        ),
        (
            "a, a.b",
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]",
        ),
        (
            "a.b, a[0]",
            "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]",
        ),
        (
            "l[2147483648]",
            "Invalid ProjectionExpression: List index is not within the allowable range; index: [2147483648]",
        ),
        (
            "a, a",
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
    ],
)
def test_projection_errors(text: str, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, None).projection(text)
    assert caught.value.message == message


def test_projection_lists_top_level_attributes() -> None:
    projection = Expressions(None, None).projection("m.k, s, m.inr")
    assert projection.attributes == ["m", "s"]


# -- key conditions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "hash_value", "range_spec"),
    [
        ("pk = :s", None, S("x"), None),
        ("#p = :s", {"#p": "pk"}, S("x"), None),
        ("pk = :s AND sk = :one", None, S("x"), ("=", N("1"))),
        ("pk = :s AND sk < :one", None, S("x"), ("<", N("1"))),
        ("pk = :s AND sk <= :one", None, S("x"), ("<=", N("1"))),
        ("pk = :s AND sk > :one", None, S("x"), (">", N("1"))),
        ("pk = :s AND sk >= :one", None, S("x"), (">=", N("1"))),
        ("sk >= :one AND pk = :s", None, S("x"), (">=", N("1"))),
        (":one < sk AND :s = pk", None, S("x"), (">", N("1"))),
        ("pk = :s AND sk BETWEEN :one AND :two", None, S("x"), ("BETWEEN", N("1"), N("2"))),
        ("pk = :s AND begins_with(sk, :pre)", None, S("x"), ("begins_with", S("ab"))),
        ("(pk = :s) AND (sk = :one)", None, S("x"), ("=", N("1"))),
        ("((pk = :s)) AND ((sk = :one))", None, S("x"), ("=", N("1"))),
        ("(pk = :s AND sk = :one)", None, S("x"), ("=", N("1"))),
    ],
)
def test_key_conditions(
    text: str, names: dict[str, str] | None, hash_value: Any, range_spec: Any
) -> None:
    exprs = Expressions(names, _values_used(text))
    key = exprs.key_condition(text, "pk", "sk")
    exprs.check_unused()
    assert key.hash_key == "pk" and key.range_key == "sk"
    assert key.hash_value == hash_value
    assert key.range == range_spec


def test_key_condition_matches_items() -> None:
    key = Expressions(None, {":p": S("p"), ":a": S("ab")}).key_condition(
        "pk = :p AND begins_with(sk, :a)", "pk", "sk"
    )
    assert key.matches({"pk": S("p"), "sk": S("abc")})
    assert not key.matches({"pk": S("p"), "sk": S("b")})
    assert not key.matches({"pk": S("q"), "sk": S("abc")})


@pytest.mark.parametrize(
    ("text", "range_key", "message"),
    [
        ("", "sk", "Invalid KeyConditionExpression: The expression can not be empty;"),
        ("sk = :s", "sk", "Query condition missed key schema element: pk"),
        ("attr1 = :s", "sk", "Query condition missed key schema element: pk"),
        ("pk = :s AND attr1 = :s", "sk", "Query condition missed key schema element: sk"),
        (
            "pk = :s AND attr1 = :s",
            None,
            "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)",
        ),
        (
            "pk = :s AND sk > :one AND extra = :two",
            "sk",
            "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)",
        ),
        (
            "pk = :s AND sk < :true",
            "sk",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL",
        ),
        (
            "pk = :s AND :true >= sk",
            "sk",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL",
        ),
        (
            "pk = :s AND begins_with(sk, :true)",
            "sk",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL",
        ),
        ("pk < :s", "sk", "Query key condition not supported"),
        ("begins_with(pk, :s)", "sk", "Query key condition not supported"),
        (
            "pk = :s AND pk = :t",
            "sk",
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :s AND sk = :s AND sk = :t",
            "sk",
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
        ),
        ("pk = :s OR sk = :s", "sk", "Invalid operator used in KeyConditionExpression: OR"),
        ("NOT pk = :s", "sk", "Invalid operator used in KeyConditionExpression: NOT"),
        ("pk IN (:s, :t)", "sk", "Invalid operator used in KeyConditionExpression: IN"),
        ("pk = :s AND sk <> :s", "sk", "Invalid operator used in KeyConditionExpression: <>"),
        (
            "pk = :s AND attribute_exists(sk)",
            "sk",
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        ),
        (
            "pk = :s AND contains(sk, :s)",
            "sk",
            "Invalid operator used in KeyConditionExpression: contains",
        ),
        ("pk.x = :s", "sk", "KeyConditionExpressions cannot have conditions on nested attributes"),
        (
            "pk = sk",
            "sk",
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
        ),
        (
            ":s = :t",
            "sk",
            "Invalid condition in KeyConditionExpression: No key attribute specified",
        ),
        (
            "pk = :s AND :s BETWEEN sk AND :t",
            "sk",
            "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand",
        ),
        (
            "pk = :s AND begins_with(:s, sk)",
            "sk",
            "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand",
        ),
        (
            "pk = :s AND size(sk) > :one",
            "sk",
            "KeyConditionExpressions cannot contain nested operations",
        ),
        # The first problem written is the one reported.
        (
            "pk = :s AND pk = :t AND sk <> :s",
            "sk",
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :s AND begins_with(sk, :one)",
            "sk",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "pk = :s AND :s",
            "sk",
            'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: ":s"',
        ),
        (
            "pk = :s AND",
            "sk",
            'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
        ),
    ],
)
def test_key_condition_errors(text: str, range_key: str | None, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, _values_used(text) or None).key_condition(text, "pk", range_key)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


# -- legacy parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "operator", "result"),
    [
        ({"s": {"Value": S("abc")}}, None, True),
        ({"s": {"Value": S("abd")}}, None, False),
        ({"s": {"Exists": True, "Value": S("abc")}}, None, True),
        ({"absent": {"Exists": False}}, None, True),
        ({"s": {"Exists": False}}, None, False),
        ({"n": {"ComparisonOperator": "GT", "AttributeValueList": [N("4.99")]}}, None, True),
        ({"n": {"ComparisonOperator": "LT", "AttributeValueList": [N("10")]}}, None, True),
        (
            {"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N("1"), N("5")]}},
            None,
            True,
        ),
        ({"n": {"ComparisonOperator": "IN", "AttributeValueList": [N("1"), N("5")]}}, None, True),
        ({"absent": {"ComparisonOperator": "NULL"}}, None, True),
        ({"s": {"ComparisonOperator": "NOT_NULL"}}, None, True),
        ({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("ab")]}}, None, True),
        ({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("c")]}}, None, True),
        (
            {"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("c")]}},
            None,
            False,
        ),
        ({"absent": {"ComparisonOperator": "NE", "AttributeValueList": [S("c")]}}, None, True),
        ({"s": {"ComparisonOperator": "EQ", "Value": S("abc")}}, None, True),
        ({"s": {"Value": S("x")}, "n": {"Value": N("5")}}, "AND", False),
        ({"s": {"Value": S("x")}, "n": {"Value": N("5")}}, "OR", True),
    ],
)
def test_legacy_expected(expected: dict[str, Any], operator: str | None, result: bool) -> None:
    assert legacy.expected(expected, operator).evaluate(ITEM) is result


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        (
            {"a": {"Exists": False, "Value": S("x")}},
            "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a",
        ),
        (
            {"a": {"Exists": True}},
            "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a",
        ),
        (
            {"a": {}},
            "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a",
        ),
        (
            {"a": {"Value": S("x"), "AttributeValueList": [S("x")]}},
            "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            {"a": {"ComparisonOperator": "EQ", "Exists": True}},
            "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            {"a": {"ComparisonOperator": "GT"}},
            "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: GT for Attribute: a",
        ),
        (
            {"a": {"AttributeValueList": [S("x")]}},
            "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            {"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}},
            "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator",
        ),
        (
            {"a": {"ComparisonOperator": "NULL", "AttributeValueList": [S("x")]}},
            "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator",
        ),
        (
            {"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}},
            "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type",
        ),
        (
            {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [N("x")]}},
            "The parameter cannot be converted to a numeric value: x",
        ),
    ],
)
def test_legacy_expected_errors(expected: dict[str, Any], message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        legacy.expected(expected)
    assert caught.value.message == message


def test_legacy_filter_key_conditions_and_projection() -> None:
    scan = legacy.filter({"n": {"ComparisonOperator": "GE", "AttributeValueList": [N("5")]}})
    assert scan.evaluate(ITEM) and not scan.evaluate({"n": N("4")})
    key = legacy.key_conditions(
        {
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]},
            "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("a")]},
        },
        "pk",
        "sk",
    )
    assert key.hash_value == S("p") and key.range == ("begins_with", S("a"))
    assert key.matches({"pk": S("p"), "sk": S("ab")})
    with pytest.raises(ServiceError) as caught:
        legacy.key_conditions(
            {"pk": {"ComparisonOperator": "NE", "AttributeValueList": [S("p")]}}, "pk", None
        )
    assert caught.value.message == "Attempted conditional constraint is not an indexable operation"
    with pytest.raises(ServiceError) as caught:
        legacy.key_conditions(
            {"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}}, "pk", "sk"
        )
    assert caught.value.message == "Query condition missed key schema element: pk"
    eq = {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}
    with pytest.raises(ServiceError) as caught:
        legacy.key_conditions({"pk": eq, "sk": eq, "x": eq}, "pk", "sk")
    assert caught.value.message == "Conditions can be of length 1 or 2 only"
    assert legacy.attributes_to_get(["s", "absent", "n"]).apply(ITEM) == {
        "s": S("abc"),
        "n": N("5"),
    }


def test_legacy_attribute_updates() -> None:
    update = legacy.attribute_updates(
        {
            "s": {"Value": S("new")},
            "count": {"Action": "ADD", "Value": N("2")},
            "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "m": {"Action": "DELETE"},
            "l": {"Action": "ADD", "Value": {"L": [S("e")]}},
        }
    )
    new = update.apply(BASE)
    assert new["s"] == S("new")
    assert new["count"] == N("7")
    assert new["tags"] == {"SS": ["b"]}
    assert "m" not in new
    assert new["l"] == {"L": [S("a"), S("b"), S("c"), S("d"), S("e")]}
    assert update.touched == {"s", "count", "tags", "m", "l"}
    with pytest.raises(ServiceError) as caught:
        legacy.attribute_updates({"s": {"Action": "PUT"}})
    assert caught.value.message == (
        "One or more parameter values were invalid: Only DELETE action is allowed when no "
        "attribute value is specified"
    )


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            {
                "Expected": {"pk": {"Exists": False}},
                "ConditionExpression": "attribute_not_exists(pk)",
            },
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
        ),
        (
            {"AttributeUpdates": {}, "UpdateExpression": "SET a = :v"},
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
        ),
        (
            {"AttributesToGet": ["a"], "QueryFilter": {}, "KeyConditionExpression": "pk = :v"},
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet, QueryFilter} Expression parameters: {KeyConditionExpression}",
        ),
    ],
)
def test_mixing_legacy_and_expressions(request_: dict[str, Any], message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        legacy.check_mixing(request_)
    assert caught.value.message == message
    legacy.check_mixing({"ConditionExpression": "a = :v", "ProjectionExpression": "a"})
    legacy.check_mixing({"Expected": {}, "AttributesToGet": ["a"]})


def test_condition_names_the_attributes_it_reads() -> None:
    exprs = Expressions({"#s": "sk"}, {":v": S("x")})
    cond = exprs.condition("#s = :v OR (m.k = :v AND NOT attribute_exists(l[0]))")
    assert cond.attributes == {"sk", "m", "l"}
    assert legacy.filter(
        {
            "a": {"ComparisonOperator": "NULL"},
            "b": {"ComparisonOperator": "EQ", "AttributeValueList": [S("x")]},
        }
    ).attributes == {"a", "b"}


def test_or_counts_as_an_operator() -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, {":v": S("x")}).condition(" OR ".join(["a=:v"] * 160))
    assert caught.value.message == (
        "Invalid ConditionExpression: The expression contains too many operators; "
        "operator count: 301"
    )


def test_conditional_operator_needs_two_conditions() -> None:
    with pytest.raises(ServiceError) as caught:
        legacy.check_mixing({"ConditionalOperator": "OR"})
    assert caught.value.message == "ConditionalOperator cannot be used without Filter or Expected"
    with pytest.raises(ServiceError) as caught:
        legacy.check_mixing({"ConditionalOperator": "OR", "Expected": {"a": {"Exists": False}}})
    assert caught.value.message == (
        "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    )
    legacy.check_mixing({"ConditionalOperator": "OR", "ScanFilter": {"a": {}, "b": {}}})


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("pk = :missing AND begins_with(sk, :n)", {":n": N("1")}, "undefined"),
        ("begins_with(sk, :n) AND pk = :missing", {":n": N("1")}, "operand"),
        (
            "pk = :p AND begins_with(sk, :n) AND sk = :missing",
            {":p": S("q"), ":n": N("1")},
            "operand",
        ),
        (
            "pk = :p AND begins_with(sk, :n) AND sk > :s",
            {":p": S("q"), ":n": N("1"), ":s": S("a")},
            "operand",
        ),
    ],
)
def test_first_clause_with_an_error_is_reported(
    text: str, values: dict[str, Any], expected: str
) -> None:
    # AWS walks the clauses in the order written and reports the first problem met.
    messages = {
        "undefined": "Invalid KeyConditionExpression: An expression attribute value used in "
        "expression is not defined; attribute value: :missing",
        "operand": "Invalid KeyConditionExpression: Incorrect operand type for operator or "
        "function; operator or function: begins_with, operand type: N",
    }
    with pytest.raises(ServiceError) as caught:
        Expressions(None, values).key_condition(text, "pk", "sk")
    assert caught.value.message == messages[expected]


def test_global_errors_outrank_clause_errors() -> None:
    # A reserved word anywhere is reported before an undefined value in an earlier clause.
    with pytest.raises(ServiceError) as caught:
        Expressions(None, {":v": S("x")}).condition("a = :missing AND status = :v")
    assert caught.value.message == (
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    )


def test_key_condition_parsed_before_the_schema_is_known() -> None:
    exprs = Expressions(None, {":p": S("q"), ":n": N("1")})
    with pytest.raises(ServiceError) as caught:
        exprs.key_condition_draft("pk = :p AND begins_with(sk, :n)")
    assert "operand type: N" in caught.value.message
    exprs = Expressions(None, {":p": S("q"), ":s": S("a")})
    draft = exprs.key_condition_draft("pk = :p AND begins_with(sk, :s)")
    exprs.check_unused()
    key = draft.bind("pk", "sk")
    assert key.hash_value == S("q") and key.range == ("begins_with", S("a"))
    with pytest.raises(ServiceError) as caught:
        draft.bind("id", None)
    assert caught.value.message == (
        "The number of query conditions (2) exceeds the number of key attributes defined in "
        "the schema (1)"
    )
    with pytest.raises(ServiceError) as caught:
        draft.bind("id", "sk")
    assert caught.value.message == "Query condition missed key schema element: id"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Undefined names are reported before undefined values, wherever written.
        (
            "SET a = :missing, #x = :v",
            "An expression attribute name used in the document path is not defined; attribute name: #x",
        ),
        ("SET status = foo(a)", "Attribute name is a reserved keyword; reserved keyword: status"),
        (
            "SET a = foo(b) SET c = :v",
            "Invalid function name; function: foo",
        ),
        (
            "SET a = :v ADD a :v",
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
    ],
)
def test_update_error_order(text: str, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, {":v": S("x")}).update(text)
    assert caught.value.message == "Invalid UpdateExpression: " + message


def test_older_layer_names_the_placeholder() -> None:
    with pytest.raises(ServiceError) as caught:
        Expressions(None, {":v": {"NS": []}}, older=True)
    assert caught.value.message == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values were "
        "invalid: An number set  may not be empty for key :v"
    )
