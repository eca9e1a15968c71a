"""CloudWatch Logs filter patterns, against the examples of AWS's "Filter pattern syntax"
documentation (terms, JSON, space-delimited, regex) plus the edges around them."""

from __future__ import annotations

import json

import pytest

from cloudlet.services.logs.filter_pattern import (
    InvalidFilterPattern,
    compile_pattern,
)
from cloudlet.services.logs.filter_pattern import (
    split_fields as fields,
)


def matches(pattern: str, message: str) -> bool:
    return compile_pattern(pattern).matches(message)


# -- terms --------------------------------------------------------------------------------

REQUESTS = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[INFO 200] OK",
]


def matching(pattern: str, messages: list[str] = REQUESTS) -> list[str]:
    compiled = compile_pattern(pattern)
    return [m for m in messages if compiled.matches(m)]


@pytest.mark.parametrize("pattern", ["", "   ", '" "', '""'])
def test_empty_patterns_match_everything(pattern: str) -> None:
    assert matching(pattern) == REQUESTS
    assert matches(pattern, "")


def test_single_term() -> None:
    assert matching("ERROR") == REQUESTS[:4]


def test_all_terms_must_appear() -> None:
    assert matching("ERROR ARGUMENTS") == REQUESTS[2:4]


def test_terms_are_case_sensitive() -> None:
    assert matching("error") == []


def test_terms_match_inside_words() -> None:
    # AWS's own example: ERROR matches "Exiting with ERRORCODE: -1".
    assert matches("ERROR", "Exiting with ERRORCODE: -1")


def test_question_mark_terms_are_alternatives() -> None:
    assert matching("?ARGUMENTS ?OK") == [REQUESTS[2], REQUESTS[3], REQUESTS[4]]


def test_required_and_optional_terms_combine() -> None:
    assert matching("ERROR ?MISSING ?INVALID") == REQUESTS[2:4]


def test_exact_phrase() -> None:
    assert matching('"MISSING ARGUMENTS"') == [REQUESTS[2]]
    assert matching('"ARGUMENTS MISSING"') == []


def test_minus_excludes_terms() -> None:
    assert matching("ERROR -ARGUMENTS") == REQUESTS[:2]
    assert matching("-ERROR") == [REQUESTS[4]]


def test_detached_minus_applies_to_next_term() -> None:
    messages = ["[ERROR] A fatal exception", "Exiting with ERRORCODE: -1"]
    assert matching('"ERROR" - "Exiting"', messages) == messages[:1]


def test_quoted_terms_with_signs_and_escapes() -> None:
    assert matching('?"BAD REQUEST" ?"OK"') == [REQUESTS[0], REQUESTS[4]]
    assert matching('-"[ERROR"') == [REQUESTS[4]]
    assert matches('"say \\"hi\\""', 'they say "hi" there')


def test_terms_expose_required_substrings() -> None:
    assert compile_pattern('ERROR "two words" ?maybe -not').required_terms == (
        "ERROR",
        "two words",
    )
    assert compile_pattern("{ $.a = 1 }").required_terms == ()


@pytest.mark.parametrize("pattern", ['"unterminated', "ERROR -", "ERROR ?"])
def test_malformed_terms_are_rejected(pattern: str) -> None:
    with pytest.raises(InvalidFilterPattern):
        compile_pattern(pattern)


# -- regex --------------------------------------------------------------------------------


def test_regex_pattern_searches_the_message() -> None:
    assert matching("%AUTHORIZED%") == [REQUESTS[1]]
    assert matching("%^\\[INFO%") == [REQUESTS[4]]
    assert matching("%4[0-2][0-9]%") == REQUESTS[:4]
    assert matches("%colou?r%", "color") and matches("%colou?r%", "colour")


@pytest.mark.parametrize("pattern", ["%(a|b)%", "%something!%", "%é%", "%[%"])
def test_regex_outside_awss_subset_is_rejected(pattern: str) -> None:
    with pytest.raises(InvalidFilterPattern):
        compile_pattern(pattern)


# -- JSON ---------------------------------------------------------------------------------

TRAIL = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
        "OtherFlag": False,
        "latency": 150,
        "ratio": 0.25,
        "code": "404",
    }
)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.eventType = UpdateTrail }",
        "{$.eventType=UpdateTrail}",
        '{ $.eventType != "CreateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        "{ $.sourceIPAddress = 111.* }",
        '{ $.eventType = "*Trail" }',
        '{ $.eventType = "Up*Tr*" }',
        '{ $.eventType = "*" }',
        '{ $.arrayKey[0] = "value" }',
        '{ $.arrayKey[1] = "another value" }',
        "{ $.objectList[1].id = 2 }",
        '{ $.objectList[0].name = "a" }',
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.objectList[5].id NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
        "{ $.OtherFlag IS FALSE }",
        "{ $.latency > 100 }",
        "{ $.latency >= 150 }",
        "{ $.latency <= 150.0 }",
        "{ $.latency < 1.5e3 }",
        "{ $.latency = +150 }",
        "{ $.latency != 151 }",
        "{ $.latency = 1* }",
        "{ $.latency = * }",
        "{ $.ratio < 1e-0 }",
        "{ $.code = 404 }",
        "{ $.code > 400 }",
        "{ $.eventType = %Update% }",
        "{ $.eventType != %^Create% }",
        "{ $.latency > 100 && $.eventType = UpdateTrail }",
        "{ $.latency > 1000 || $.eventType = UpdateTrail }",
        "{ ($.latency > 1000 || $.ThisFlag IS TRUE) && $.code = 404 }",
    ],
)
def test_json_patterns_that_match(pattern: str) -> None:
    assert matches(pattern, TRAIL)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "updatetrail" }',
        '{ $.eventType = "Update" }',
        "{ $.eventType != UpdateTrail }",
        "{ $.missing = 1 }",
        "{ $.missing != 1 }",
        "{ $.SomeObject = 1 }",
        "{ $.SomeObject != 1 }",
        "{ $.SomeObject NOT EXISTS }",
        "{ $.eventType IS NULL }",
        "{ $.ThisFlag IS FALSE }",
        "{ $.latency IS TRUE }",
        '{ $.arrayKey = "value" }',
        '{ $.arrayKey != "value" }',
        "{ $.objectList = * }",
        "{ $.arrayKey[2] = * }",
        "{ $.latency > 150 }",
        "{ $.latency < 100 }",
        "{ $.eventType > 1 }",
        "{ $.latency > 1000 && $.eventType = UpdateTrail }",
        "{ $.latency > 1000 || $.eventType = Other }",
        "{ ($.latency > 1000 || $.ThisFlag IS TRUE) && $.code = 500 }",
    ],
)
def test_json_patterns_that_do_not_match(pattern: str) -> None:
    assert not matches(pattern, TRAIL)


COMPOUND = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [
            {"id": 2, "email": "John.Doe@example.com"},
            {"id": 3, "email": "Jane.Doe@example.com"},
        ],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch"'
            ' && $.actions[2] = "nonmatch" }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch")'
            ' && $.actions[2] = "nonmatch" }',
            False,
        ),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        ("{ $.coordinates[2][0] = 7 }", True),
    ],
)
def test_json_compound_examples_from_the_aws_docs(pattern: str, expected: bool) -> None:
    assert matches(pattern, COMPOUND) is expected


def test_json_patterns_never_match_text() -> None:
    assert not matches("{ $.a NOT EXISTS }", "plain text")
    assert not matches("{ $.a NOT EXISTS }", 'INFO {"b": 1}')
    assert matches("{ $.a NOT EXISTS }", '{"b": 1}\n')


def test_json_keywords_are_case_insensitive() -> None:
    assert matches("{ $.a is null }", '{"a": null}')
    assert matches("{ $.b not exists }", '{"a": null}')


def test_json_selectors_allow_hyphens_and_underscores() -> None:
    assert matches(
        "{ $.request-id = abc && $.user_name = bob }", '{"request-id": "abc", "user_name": "bob"}'
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = 1",
        "{ }",
        "{ a = 1 }",
        "{ $. = 1 }",
        "{ $.a }",
        "{ $.a = }",
        "{ $.a == 1 }",
        "{ $.a > abc }",
        "{ $.a < %x% }",
        "{ $.a IS MAYBE }",
        "{ $.a NOT THERE }",
        "{ ($.a = 1 }",
        "{ $.a = 1 && }",
        "{ $.a = 1 } trailing",
        '{ $.a = "open }',
        "{ $.a = %x% || $.b = %y% || $.c = %z% }",
    ],
)
def test_invalid_json_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(InvalidFilterPattern):
        compile_pattern(pattern)


# -- space-delimited ----------------------------------------------------------------------

APACHE = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


def test_fields_group_brackets_and_quotes() -> None:
    assert fields(APACHE) == [
        "127.0.0.1",
        "Prod",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /index.html HTTP/1.0",
        "404",
        "1534",
    ]
    assert fields('  a  "unclosed b') == ["a", '"unclosed', "b"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code]", False),
        ("[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", True),
        ("[..., request =*.html*, status_code = 4*, bytes]", True),
        ("[ip, ...]", True),
        ("[ip, user, ..., status_code, bytes]", True),
        ("[..., status_code=4*,]", True),
        (
            "[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes]",
            True,
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 4* && status_code != 404, bytes]",
            False,
        ),
        ("[ip, server, username, timestamp, request, status_code, bytes > 1000]", True),
        ("[ip, server, username, timestamp, request, status_code, bytes > 2000]", False),
        ("[ip = 127.0.0.1, ...]", True),
        ('[ip, server = "Prod", ...]', True),
        ("[ip, server = %^Pr%, ...]", True),
        ("[ip, server != Prod, ...]", False),
        ("[..., code, size = 1534]", True),
        ("[..., status_code = 404 && size > 1000, size]", True),
    ],
)
def test_space_delimited_patterns(pattern: str, expected: bool) -> None:
    assert matches(pattern, APACHE) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[w1=ERROR, w2]", ["ERROR message"]),
        ("[w1=ERROR || W1=WARN, w2]", ["ERROR message", "WARN message"]),
        ("[w1!=ERROR && w1!=WARN, w2]", ["INFO message"]),
        ("[w1=ERROR, ...]", ["ERROR WARN message", "ERROR message"]),
    ],
)
def test_space_delimited_word_examples(pattern: str, expected: list[str]) -> None:
    messages = ["ERROR WARN message", "ERROR message", "WARN message", "INFO message"]
    assert matching(pattern, messages) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "[ip, user",
        "[]",
        "[= 5, b]",
        "[a, b = ]",
        "[a, b = 1 && c = 2]",
        "[a > x, b]",
        "[a = %x%, b = %y%, c = %z%]",
    ],
)
def test_invalid_space_delimited_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(InvalidFilterPattern):
        compile_pattern(pattern)


# -- compilation --------------------------------------------------------------------------


def test_patterns_are_compiled_once() -> None:
    assert compile_pattern("{ $.level = ERROR }") is compile_pattern("{ $.level = ERROR }")


def test_patterns_longer_than_1024_characters_are_rejected() -> None:
    with pytest.raises(InvalidFilterPattern):
        compile_pattern("x" * 1025)
