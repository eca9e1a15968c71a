"""EventBridge event patterns and SNS filter policies (cloudlet.patterns).

Sources of the expectations, cited per test:
- [EB] AWS EventBridge user guide, "Content filtering in Amazon EventBridge event
  patterns" / "Comparison operators for use in event patterns" / "Arrays in event
  patterns" / "Matching on null values and empty strings".
- [RULER] aws/event-ruler README (the library AWS matches with) and its JsonRuleCompiler.
- [REC] AWS responses recorded by LocalStack's parity tests (tests/aws/services/events/
  event_pattern_templates, test_events_patterns.snapshot.json, test_sns_filter_policy
  .snapshot.json): exact AWS error messages and match results.
- [SNS] AWS SNS developer guide, "Amazon SNS subscription filter policies", "Filter policy
  constraints", "String value matching", "Numeric value matching", "AND/OR logic".
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from cloudlet.patterns import PatternError, compile_event_pattern, compile_filter_policy

# [RULER] "Ruler by Example"
EVENT: dict[str, Any] = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}


def eb(pattern: dict[str, Any] | str, event: Any = None) -> bool:
    return compile_event_pattern(pattern).matches(EVENT if event is None else event)


def detail(pattern: dict[str, Any], **fields: Any) -> bool:
    """Match {"detail": pattern} against an event whose detail is `fields`."""
    return compile_event_pattern({"detail": pattern}).matches({"detail": fields})


def eb_error(pattern: Any) -> str:
    with pytest.raises(PatternError) as caught:
        compile_event_pattern(pattern)
    assert caught.value.code == "InvalidEventPatternException"
    prefix = "Event pattern is not valid. Reason: "
    assert str(caught.value).startswith(prefix)
    return str(caught.value)[len(prefix) :]


# -- exact matching -----------------------------------------------------------------------


def test_ruler_readme_simple_match() -> None:
    # [RULER] "Simple matching": all of these match the sample event.
    assert eb(
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        }
    )


def test_all_fields_must_match() -> None:
    assert not eb({"source": ["aws.ec2"], "detail": {"state": ["stopped"]}})


def test_a_field_missing_from_the_event_does_not_match() -> None:
    assert not eb({"detail": {"nothing-here": ["x"]}})
    assert not eb({"nothing-here": ["x"]})


def test_strings_are_case_sensitive() -> None:
    assert not eb({"source": ["AWS.EC2"]})


def test_keys_are_case_sensitive() -> None:
    # [REC] key_case_sensitive_NEG
    assert not eb({"Source": ["aws.ec2"]})


def test_nesting_must_be_the_same() -> None:
    assert not eb({"state": ["running"]})
    assert not eb({"detail": ["running"]})  # an object is not a leaf value


def test_pattern_as_json_text() -> None:
    assert eb('{"source": ["aws.ec2"], "detail": {"c-count": [5]}}')


def test_numbers_compare_numerically() -> None:
    # [RULER] the rule "x-limit": [{"numeric": ["=", 3.018e2]}] matches 301.8; plain values
    # are numbers too.
    assert eb('{"detail": {"x-limit": [3.018e2]}}')
    assert eb('{"detail": {"c-count": [5.0]}}')
    assert detail({"n": [300]}, n=3.0e2)
    assert eb('{"detail": {"n": [3.0e2]}}', {"detail": {"n": 300}})
    assert not detail({"n": [300]}, n=301)


def test_numbers_and_strings_do_not_mix() -> None:
    assert not detail({"n": ["300"]}, n=300)
    assert not detail({"n": [300]}, n="300")


def test_booleans_match_only_booleans() -> None:
    # [REC] boolean / boolean_NEG
    assert detail({"b": [True]}, b=True)
    assert not detail({"b": [True]}, b=False)
    assert not detail({"b": [True]}, b="true")
    assert not detail({"b": [1]}, b=True)
    assert not detail({"b": [True]}, b=1)


def test_null_and_empty_string() -> None:
    # [EB] "Matching on null values and empty strings"
    assert detail({"v": [None]}, v=None)
    assert not detail({"v": [None]}, v="")
    assert not detail({"v": [None]})  # missing is not null
    assert detail({"v": [""]}, v="")
    assert not detail({"v": [""]}, v=None)


def test_large_integers_match_exactly() -> None:
    # Account ids are outside Ruler's numeric range; they still match as literals.
    assert eb({"account": ["012345679012"]})
    assert detail({"n": [123456789012]}, n=123456789012)
    assert not detail({"n": [123456789012]}, n=123456789013)


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        # [EB] "Comparison operators for use in event patterns": the summary table
        (
            {"Location": ["New York"], "Day": ["Monday"]},
            {"Location": "New York", "Day": "Monday"},
            {"Location": "New York", "Day": "Friday"},
        ),
        ({"LastName": [""]}, {"LastName": ""}, {"LastName": "Doe"}),
        ({"ProductName": [{"exists": True}]}, {"ProductName": "x"}, {}),
        ({"ProductName": [{"exists": False}]}, {}, {"ProductName": "x"}),
        (
            {"Weather": [{"anything-but": ["Raining"]}]},
            {"Weather": "Sunny"},
            {"Weather": "Raining"},
        ),
        ({"UserID": [None]}, {"UserID": None}, {"UserID": "u"}),
        ({"Price": [{"numeric": ["=", 100]}]}, {"Price": 100}, {"Price": 101}),
        ({"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 20}, {"Price": 10}),
        ({"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, {"PaymentType": "Cash"}),
        (
            {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
            {"Day": "Monday"},
            {"Day": "Friday"},
        ),
        (
            {"FileName": [{"wildcard": "dir/*.png"}]},
            {"FileName": "dir/a.png"},
            {"FileName": "other/a.png"},
        ),
        (
            {"Region": [{"anything-but": {"prefix": "us-"}}]},
            {"Region": "eu-west-1"},
            {"Region": "us-east-1"},
        ),
    ],
)
def test_operator_table(
    pattern: dict[str, Any], matching: dict[str, Any], not_matching: dict[str, Any]
) -> None:
    matcher = compile_event_pattern(pattern)
    assert matcher.matches(matching)
    assert not matcher.matches(not_matching)


# -- arrays -------------------------------------------------------------------------------


def test_event_array_matches_if_any_element_matches() -> None:
    # [EB] "Arrays in event patterns": the intersection must be non-empty.
    assert detail({"colors": ["red"]}, colors=["blue", "red"])
    assert not detail({"colors": ["green"]}, colors=["blue", "red"])


def test_pattern_values_are_alternatives() -> None:
    assert detail({"state": ["stopped", "running"]}, state="running")


def test_empty_event_array_is_no_value() -> None:
    # [REC] arrays_empty_null_NEG, exists_list_empty_NEG
    assert not eb({"resources": [None]}, {"resources": []})
    assert not eb({"resources": [{"exists": True}]}, {"resources": []})
    assert eb({"resources": [{"exists": False}]}, {"resources": []})


def test_nested_arrays_are_flattened() -> None:
    # [RULER] "This works for multi-level arrays too"
    event = {"employees": [[{"firstName": "John"}, {"firstName": "Anna"}], [{"firstName": "P"}]]}
    assert eb({"employees": {"firstName": ["Anna"]}}, event)
    assert eb({"v": ["x"]}, {"v": [["a"], ["x"]]})


def test_array_consistency() -> None:
    # [RULER] "JSON Array Matching": fields from different elements of one array never
    # combine.
    event = {
        "employees": [
            {"firstName": "John", "lastName": "Doe"},
            {"firstName": "Anna", "lastName": "Smith"},
            {"firstName": "Peter", "lastName": "Jones"},
        ]
    }
    assert eb({"employees": {"firstName": ["Anna"]}}, event)
    assert eb({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, event)
    assert not eb({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, event)


def test_array_consistency_across_levels() -> None:
    event = {"a": [{"b": 1, "c": [{"d": 2}, {"d": 3}]}, {"b": 4, "c": [{"d": 5}]}]}
    assert eb({"a": {"b": [1], "c": {"d": [3]}}}, event)
    assert not eb({"a": {"b": [1], "c": {"d": [5]}}}, event)
    # Values that sit outside the array combine freely with any element.
    assert eb({"x": ["y"], "a": {"b": [4]}}, {"x": "y", **event})


def test_array_consistency_between_different_arrays() -> None:
    # Two arrays are independent; elements of one array are alternatives.
    event = {"a": [{"x": 1}, {"x": 9}], "b": [{"y": 2}]}
    assert eb({"a": {"x": [9]}, "b": {"y": [2]}}, event)
    nested = {"a": [{"b": [{"c": 1, "d": 2}, {"c": 3}]}]}
    assert eb({"a": {"b": {"c": [1], "d": [2]}}}, nested)
    assert not eb({"a": {"b": {"c": [3], "d": [2]}}}, nested)


def test_array_consistency_stays_linear() -> None:
    # A thousand records, each satisfying a different field: no combination is tried.
    records = [{"a": "x"}, {"b": "y"}, {"c": "z"}] * 1000
    pattern = compile_event_pattern({"Records": {"a": ["x"], "b": ["y"], "c": ["z"]}})
    started = time.perf_counter()
    assert not pattern.matches({"Records": records})
    assert pattern.matches({"Records": [*records, {"a": "x", "b": "y", "c": "z"}]})
    assert time.perf_counter() - started < 1.0


def test_exists_inside_array_of_objects() -> None:
    # [REC] list_within_dict: one element having the key is enough.
    event = {"detail": {"automations": [{"key1": "v"}, {"id": "match"}, {"key2": "v"}]}}
    assert eb({"detail": {"automations": {"id": [{"exists": True}]}}}, event)
    # Absence is about the whole event (Ruler checks the flattened field name).
    assert not eb({"detail": {"automations": {"id": [{"exists": False}]}}}, event)


# -- prefix / suffix / equals-ignore-case --------------------------------------------------


def test_prefix() -> None:
    # [EB] "time": [{"prefix": "2017-10-02"}]
    assert eb({"time": [{"prefix": "2017-10-02"}]})
    assert not eb({"time": [{"prefix": "2017-10-03"}]})
    assert eb({"region": [{"prefix": ""}]})


def test_prefix_only_matches_strings() -> None:
    assert not detail({"n": [{"prefix": "20"}]}, n=2017)
    assert not detail({"n": [{"prefix": "n"}]}, n=None)


def test_prefix_equals_ignore_case() -> None:
    # [EB] {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}
    pattern = {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}
    assert detail(pattern, service="eventbridge")
    assert detail(pattern, service="EVENTBRIDGE")
    assert not detail(pattern, service="events")


def test_suffix() -> None:
    # [EB] "FileName": [{"suffix": ".png"}]
    assert detail({"FileName": [{"suffix": ".png"}]}, FileName="image.png")
    assert not detail({"FileName": [{"suffix": ".png"}]}, FileName="image.PNG")
    assert not detail({"FileName": [{"suffix": ".png"}]}, FileName="image.png.txt")


def test_suffix_equals_ignore_case() -> None:
    pattern = {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}
    assert detail(pattern, FileName="IMAGE.PNG")
    assert not detail(pattern, FileName="image.jpg")


def test_equals_ignore_case() -> None:
    # [EB] "Name": [{"equals-ignore-case": "alice"}] matches "Alice"
    assert detail({"Name": [{"equals-ignore-case": "alice"}]}, Name="Alice")
    assert detail({"Name": [{"equals-ignore-case": "ALICE"}]}, Name="alice")
    assert not detail({"Name": [{"equals-ignore-case": "alice"}]}, Name="Alicia")
    assert not detail({"Name": [{"equals-ignore-case": "1"}]}, Name=1)


def test_exactly() -> None:
    # [RULER] "exactly" is an explicit exact match.
    assert detail({"v": [{"exactly": "prefix"}]}, v="prefix")
    assert not detail({"v": [{"exactly": "x"}]}, v="xy")


# -- anything-but -------------------------------------------------------------------------


def test_anything_but_string() -> None:
    # [EB] {"state": [{"anything-but": "initializing"}]}
    assert detail({"state": [{"anything-but": "initializing"}]}, state="running")
    assert not detail({"state": [{"anything-but": "initializing"}]}, state="initializing")


def test_anything_but_list_of_strings() -> None:
    pattern = {"state": [{"anything-but": ["stopped", "overloaded"]}]}
    assert detail(pattern, state="running")
    assert not detail(pattern, state="stopped")


def test_anything_but_numbers() -> None:
    # [EB] {"x-limit": [{"anything-but": 123}]} and a list of numbers
    assert detail({"x": [{"anything-but": 123}]}, x=124)
    assert not detail({"x": [{"anything-but": 123}]}, x=123.0)
    assert not detail({"x": [{"anything-but": [100, 200, 300]}]}, x=200)
    assert detail({"x": [{"anything-but": [100, 200, 300]}]}, x=201)
    assert detail({"x": [{"anything-but": 0}]}, x=789)  # [REC] content_anything_but_number_zero


def test_anything_but_needs_the_field() -> None:
    # [REC] content_anything_but_*_missing_NEG
    assert not detail({"state": [{"anything-but": "initializing"}]})
    assert not detail({"state": [{"anything-but": {"prefix": "init"}}]})


def test_anything_but_matches_other_types() -> None:
    # [REC] content_anything_but_string_null, content_anything_prefix_int_value,
    # content_anything_wildcard_int
    assert detail({"state": [{"anything-but": "initializing"}]}, state=None)
    assert detail({"state": [{"anything-but": {"prefix": "init"}}]}, state=12)
    assert detail({"FilePath": [{"anything-but": {"wildcard": "*/dir/*"}}]}, FilePath=123)
    assert detail({"x": [{"anything-but": 5}]}, x="5")


def test_anything_but_with_event_array() -> None:
    # [SNS] "It also matches ... because it contains a value that isn't rugby or tennis"
    pattern = {"interests": [{"anything-but": ["rugby", "tennis"]}]}
    assert detail(pattern, interests=["rugby", "baseball"])
    assert not detail(pattern, interests=["rugby", "tennis"])


def test_anything_but_prefix_and_suffix() -> None:
    # [EB] {"state": [{"anything-but": {"prefix": "init"}}]}
    assert detail({"state": [{"anything-but": {"prefix": "init"}}]}, state="running")
    assert not detail({"state": [{"anything-but": {"prefix": "init"}}]}, state="initializing")
    pattern = {"FileName": [{"anything-but": {"suffix": ".png"}}]}
    assert detail(pattern, FileName="a.txt")
    assert not detail(pattern, FileName="a.png")
    # [REC] content_anything_prefix_list / content_anything_suffix_list
    listed = {"s": [{"anything-but": {"prefix": ["a", "b"]}}]}
    assert detail(listed, s="cat")
    assert not detail(listed, s="bat")


def test_anything_but_equals_ignore_case() -> None:
    pattern = {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}
    assert detail(pattern, state="running")
    assert not detail(pattern, state="INITIALIZING")
    listed = {"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}
    assert not detail(listed, state="b")
    assert detail(listed, state="c")


def test_anything_but_wildcard() -> None:
    # [EB] "FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]
    pattern = {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}
    assert detail(pattern, FilePath="/usr/bin/x")
    assert not detail(pattern, FilePath="/usr/lib/x")
    # [REC] content_anything_wildcard_empty: "" excludes only the empty string.
    assert detail({"p": [{"anything-but": {"wildcard": ""}}]}, p="dir/init/file")


def test_or_of_anything_but_and_exists_false() -> None:
    # [REC] or-anything-but / or-exists-parent (DynamoDB stream filter)
    values = [{"anything-but": ["roses"]}, {"exists": False}]
    pattern = {"dynamodb": {"NewImage": {"homemade": {"S": values}}}}
    assert eb(pattern, {"dynamodb": {"NewImage": {"homemade": {"S": "ABCD"}}}})
    assert eb(pattern, {"dynamodb": {"NewImage": {"purchased": {"N": "789"}}}})
    assert not eb(pattern, {"dynamodb": {"NewImage": {"homemade": {"S": "roses"}}}})


# -- numeric ------------------------------------------------------------------------------


def test_numeric_doc_example() -> None:
    # [EB] c-count > 0 and <= 5, d-count < 10, x-limit = 3.018e2
    assert eb(
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        }
    )


@pytest.mark.parametrize(
    ("expression", "inside", "outside"),
    [
        ([">", 0], [0.000001, 7], [0, -1]),
        ([">=", 0], [0, 7], [-0.5]),
        (["<", 10], [9.99, -3], [10, 11]),
        (["<=", 10], [10, -3], [10.01]),
        (["=", 5], [5, 5.0], [5.000001, 4]),
        ([">", 0, "<=", 5], [5, 0.1], [0, 5.1]),
        ([">=", 0, "<", 5], [0, 4.999], [5, -0.1]),
    ],
)
def test_numeric_ranges(expression: list[Any], inside: list[float], outside: list[float]) -> None:
    matcher = compile_event_pattern({"n": [{"numeric": expression}]})
    for value in inside:
        assert matcher.matches({"n": value}), value
    for value in outside:
        assert not matcher.matches({"n": value}), value


def test_numeric_only_matches_numbers() -> None:
    # [REC] numeric-string_NEG, numeric-null_NEG
    pattern = {"n": [{"numeric": [">", 0]}]}
    assert not detail(pattern, n="5")
    assert not detail(pattern, n=None)
    assert not detail(pattern, n=True)
    assert not detail(pattern)


def test_numeric_outside_ruler_range_never_matches() -> None:
    assert not detail({"n": [{"numeric": [">", 0]}]}, n=6e9)
    assert detail({"n": [{"numeric": [">", 0]}]}, n=4.9e9)


def test_numeric_int_float() -> None:
    # [REC] numeric-int-float, number_comparison_float
    assert detail({"n": [{"numeric": ["=", 10]}]}, n=10.0)
    assert detail({"n": [{"numeric": [">", 1.5]}]}, n=2)


# -- exists -------------------------------------------------------------------------------


def test_exists_true_and_false() -> None:
    # [EB] "Exists matching"
    assert eb({"detail": {"state": [{"exists": True}]}})
    assert not eb({"detail": {"c-count2": [{"exists": True}]}})
    assert eb({"detail": {"c-count2": [{"exists": False}]}})
    assert not eb({"detail": {"state": [{"exists": False}]}})


def test_exists_works_on_leaves_only() -> None:
    # [EB] the exists:false example matches an event whose c-count is an object
    pattern = {"detail": {"c-count": [{"exists": False}]}}
    event = {"detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}}}
    assert eb(pattern, event)
    assert not eb({"detail": {"c-count": [{"exists": True}]}}, event)
    # [REC] exists_dynamodb: exists on the leaf under the object does work
    stream = {"dynamodb": {"id": {"S": "test1234"}, "presentKey": {"S": "test123"}}}
    assert eb({"dynamodb": {"presentKey": {"S": [{"exists": True}]}}}, stream)


def test_exists_true_matches_null() -> None:
    assert detail({"v": [{"exists": True}]}, v=None)


# -- cidr ---------------------------------------------------------------------------------


def test_cidr_ipv4() -> None:
    # [EB] "sourceIPAddress": [{"cidr": "10.0.0.0/24"}]
    pattern = {"ip": [{"cidr": "10.0.0.0/24"}]}
    assert detail(pattern, ip="10.0.0.0")
    assert detail(pattern, ip="10.0.0.255")
    assert not detail(pattern, ip="10.0.1.0")
    assert not detail(pattern, ip="not-an-ip")
    assert not detail(pattern, ip=167772160)
    assert eb({"detail": {"source-ip": [{"cidr": "10.0.0.0/8"}]}})


def test_cidr_ipv6() -> None:
    # [REC] content_ip_address_v6 / _NEG
    pattern = {"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}
    assert detail(pattern, ip="2001:db8:1234:1a00::dead:beef")
    assert detail(pattern, ip="2001:0db8:1234:1a00:0000:0000:0000:0001")
    assert not detail(pattern, ip="2001:db8:1234:1a01::1")
    assert not detail(pattern, ip="10.0.0.1")
    assert not detail({"ip": [{"cidr": "10.0.0.0/8"}]}, ip="::ffff:a00:1")


def test_cidr_range_starts_at_the_written_address() -> None:
    # [RULER] CIDR.cidr: the range runs from the address as given to its last host.
    pattern = {"ip": [{"cidr": "10.0.0.5/24"}]}
    assert detail(pattern, ip="10.0.0.200")
    assert not detail(pattern, ip="10.0.0.4")


def test_exact_ip_strings_compare_as_addresses() -> None:
    # [RULER] JsonRuleCompiler turns an IP literal into a one-address range.
    assert detail({"ip": ["::1"]}, ip="0:0:0:0:0:0:0:1")
    assert detail({"ip": ["10.0.0.1"]}, ip="10.0.0.1")
    assert not detail({"ip": ["10.0.0.1"]}, ip="10.0.0.2")


# -- wildcard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wildcard", "matching", "not_matching"),
    [
        ("Simple*Service", ["SimpleService", "Simple Queue Service"], ["SimpleServices"]),
        ("*.png", ["a.png", ".png"], ["a.png.txt", "a.PNG"]),
        ("*Title*", ["Title", "My Title here"], ["title"]),
        ("dir/*/*.png", ["dir/a/b.png", "dir/x/y/z.png"], ["dir/b.png"]),
        ("a\\*b", ["a*b"], ["axb", "a\\b"]),
        ("a\\\\b", ["a\\b"], ["ab"]),
        ("", [""], ["x"]),
        ("/Users/*/dir/dir/dir/dir/dir/doc.txt", ["/Users/u/dir/dir/dir/dir/dir/doc.txt"], []),
    ],
)
def test_wildcard(wildcard: str, matching: list[str], not_matching: list[str]) -> None:
    # [EB] "Wildcard matching"; [RULER] escapes
    matcher = compile_event_pattern({"v": [{"wildcard": wildcard}]})
    for value in matching:
        assert matcher.matches({"v": value}), value
    for value in not_matching:
        assert not matcher.matches({"v": value}), value
    assert not matcher.matches({"v": 5})


def test_wildcard_event_bus_arn() -> None:
    # [REC] content_wildcard_* with an event bus ARN
    pattern = {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}
    assert eb(pattern, {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/my"})
    assert not eb(pattern, {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/my"})


# -- $or ----------------------------------------------------------------------------------

METRIC = {"source": "aws.cloudwatch", "metricName": "CPUUtilization", "namespace": "AWS/EC2"}


def test_or_normal() -> None:
    # [RULER] "source" && ("metricName" || "namespace")
    pattern = {
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/ES"]}],
    }
    assert eb(pattern, METRIC)
    assert eb(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/ES"})
    assert not eb(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/EC2"})
    assert not eb(pattern, {**METRIC, "source": "aws.ec2"})


def test_or_parallel() -> None:
    # [RULER] ("metricName" || "namespace") && ("detail.source" || "detail.detail-type")
    pattern = {
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/ES"]}],
        "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm"]}]},
    }
    assert eb(pattern, {"metricName": "CPUUtilization", "detail": {"source": "aws.cloudwatch"}})
    assert eb(pattern, {"namespace": "AWS/ES", "detail": {"detail-type": "CloudWatch Alarm"}})
    assert not eb(pattern, {"metricName": "CPUUtilization", "detail": {"source": "x"}})


def test_or_with_and_and_nesting() -> None:
    # [RULER] "Nested Or and And"
    pattern = {
        "source": ["aws.cloudwatch"],
        "$or": [
            {"metricName": ["CPUUtilization", "ReadLatency"]},
            {
                "metricType": ["MetricType"],
                "namespace": ["AWS/EC2", "AWS/ES"],
                "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
            },
            {"scope": ["Service"]},
        ],
    }
    base = {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/ES"}
    assert eb(pattern, {**base, "spaceId": 1000})
    assert not eb(pattern, base)
    assert eb(pattern, {"source": "aws.cloudwatch", "scope": "Service"})


def test_or_with_exists() -> None:
    # [REC] or-exists
    pattern = {"$or": [{"a": [{"exists": True}]}, {"b": ["x"]}]}
    assert eb(pattern, {"a": 1})
    assert eb(pattern, {"b": "x"})
    assert not eb(pattern, {"c": 1})


# -- dotted keys --------------------------------------------------------------------------


def test_dot_joining() -> None:
    # [RULER] "Caveat: Compiled rules and JSON keys with dots"; [REC] dot_joining_pattern;
    # SNS recorded the same for message bodies.
    assert eb(
        {"detail": {"state.status": ["running"]}}, {"detail": {"state": {"status": "running"}}}
    )
    assert eb(
        {"detail": {"state": {"status": ["running"]}}}, {"detail": {"state.status": "running"}}
    )
    assert eb({"a.b.c": ["v"]}, {"a": {"b.c": "v"}})


# -- events that are not objects ------------------------------------------------------------


@pytest.mark.parametrize("event", [None, "text", 5, ["a"]])
def test_non_object_events_never_match(event: Any) -> None:
    assert not compile_event_pattern({"a": [{"exists": False}]}).matches(event)


# -- EventBridge errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        # [REC] recorded AWS messages (the Jackson location suffix is not reproduced)
        ('{"int": 42}', '"int" must be an object or an array'),
        ({"string": "my-value"}, '"string" must be an object or an array'),
        ({"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}, "Unrecognized match type NUMERIC"),
        ({"my_key": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
        ({"resources": []}, "Empty arrays are not allowed"),
        ({"c": [{"numeric": [">", 0, ">", 0]}]}, "Bad numeric range operator: >"),
        ({"c": [{"numeric": [">", 0, "<"]}]}, "Value of < must be numeric"),
        (
            {"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]},
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character",
        ),
        (
            {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]},
            "Consecutive wildcard characters at pos 26",
        ),
        (
            {"dt": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]},
            "equals-ignore-case match pattern must be a string",
        ),
        (
            {"dt": [{"equals-ignore-case": {"prefix": "ec2"}}]},
            "equals-ignore-case match pattern must be a string",
        ),
        ({"ip": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
        ({"ip": [{"cidr": "10.0.0.0/xx"}]}, "Malformed CIDR, mask bits must be an integer"),
        ({"ip": [{"cidr": "xx.11.xx/24"}]}, "Nonstandard IP address: xx.11.xx"),
        (
            {"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]},
            "Nonstandard IP address: xxxx:db8:1234:1a00::",
        ),
        ({"ip": [{"cidr": ["bad-type"]}]}, "prefix match pattern must be a string"),
        (
            {"s": [{"anything-but": {"equals-ignore-case": 123}}]},
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
        ),
        (
            {"s": [{"anything-but": {"equals-ignore-case": [123, 456]}}]},
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
        ),
        ({"b": [{"wildcard": 123}]}, "wildcard match pattern must be a string"),
        ({"b": [{"wildcard": ["a*"]}]}, "wildcard match pattern must be a string"),
        (
            {"s": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]},
            "wildcard match pattern must be a string",
        ),
        ({"s": [{"anything-but": {"wildcard": 123}}]}, "wildcard match pattern must be a string"),
        (
            {"f": [{"anything-but": {"suffix": [123, ".txt"]}}]},
            "prefix/suffix match pattern must be a string",
        ),
        (
            {"f": [{"anything-but": {"suffix": 123}}]},
            "prefix/suffix match pattern must be a string",
        ),
        (
            {"s": [{"anything-but": {"prefix": [123, "test"]}}]},
            "prefix/suffix match pattern must be a string",
        ),
        (
            {"s": [{"anything-but": {"prefix": 123}}]},
            "prefix/suffix match pattern must be a string",
        ),
        ({"time": [{"prefix": ["2022-07-13"]}]}, "prefix match pattern must be a string"),
        ({"time": [{"prefix": 123}]}, "prefix match pattern must be a string"),
        ({"f": [{"suffix": 123}]}, "suffix match pattern must be a string"),
        ({"f": [{"suffix": [".png"]}]}, "suffix match pattern must be a string"),
        (
            {"f": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            {"f": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        ('["not", "a", "dict", "but valid json"]', "Filter is not an object"),
    ],
)
def test_recorded_eventbridge_errors(pattern: Any, reason: str) -> None:
    assert eb_error(pattern) == reason


@pytest.mark.parametrize(
    ("numeric", "reason"),
    [
        # [RULER] JsonRuleCompiler.processNumericMatchExpression; [REC] SNS's recordings of
        # the same checks
        ([], "Invalid member in numeric match: ]"),
        ([1, "<="], "Invalid member in numeric match: 1"),
        (["operator"], "Unrecognized numeric range operator: operator"),
        (["=", "000"], "Value of equals must be numeric"),
        ([">="], "Value of >= must be numeric"),
        (["<", 100, ">", 10], "Too many elements in numeric expression"),
        (["=", 1, 2], "Too many elements in numeric expression"),
        ([">", 3, "<", 1], "Bottom must be less than top"),
        ([">", 3, "<=", 3], "Bottom must be less than top"),
        ([">", 20, 30], "Bad value in numeric range: 30"),
        ([">", 20, "test"], "Bad numeric range operator: test"),
        ([">", "20", "<", "30"], "Value of > must be numeric"),
        ([">", 20, "<", "30"], "Value of < must be numeric"),
        ([">", 20, "<", 30, "<", 50], "Too many terms in numeric range expression"),
        ([">", True], "Value of > must be numeric"),
        ([">", 6e9], "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ],
)
def test_numeric_errors(numeric: list[Any], reason: str) -> None:
    assert eb_error({"n": [{"numeric": numeric}]}) == reason


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ({"n": [{"numeric": 5}]}, "Value of numeric must be an array."),
        ({"n": [["x"]]}, "Match value must be String, number, true, false, or null"),
        ({"n": [{}]}, "Match expression name not found"),
        ({"n": [{"suffix": "v", "prefix": "w"}]}, "Only one key allowed in match expression"),
        ({"n": [{"numeric": [">", 1], "prefix": "w"}]}, "Too many elements in numeric expression"),
        ({"n": [{"exists": None}]}, "exists match pattern must be either true or false."),
        ({"n": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
        ({"n": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
        (
            {"n": [{"anything-but": ["a", 1]}]},
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        (
            {"n": [{"anything-but": []}]},
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        (
            {"n": [{"anything-but": [True]}]},
            "Inside anything but list, start|null|boolean is not supported.",
        ),
        (
            {"n": [{"anything-but": None}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        ({"n": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
        ({"n": [{"anything-but": {}}]}, "Anything-But expression name not found"),
        ({"n": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
        (
            {"n": [{"anything-but": {"prefix": "a", "suffix": "b"}}]},
            "Too many elements in numeric expression",
        ),
        (
            {"n": [{"prefix": {"equals-ignore-case": 5}}]},
            "equals-ignore-case match pattern must be a string",
        ),
        ({"n": [{"prefix": {"exists": True}}]}, "Unsupported prefix pattern: exists"),
        ({"n": [{"suffix": {}}]}, "Suffix expression name not found"),
        ({"n": [{"exactly": 5}]}, "exact match pattern must be a string"),
        ({"n": [{"wildcard": "a\\b"}]}, "Invalid escape character at pos 2"),
        ({"n": [{"cidr": "10.0.0.0/-1"}]}, "Malformed CIDR, mask bits must not be negative"),
        ({"n": [{"cidr": "10.0.0.0/32"}]}, "IPv4 mask bits must be < 32"),
        ({"n": [{"cidr": "::/128"}]}, "IPv6 mask bits must be < 128"),
        ({"n": [{"cidr": "999.0.0.0/8"}]}, "Invalid IP address: 999.0.0.0"),
        ({}, "Empty objects are not allowed"),
        ({"a": {}}, "Empty objects are not allowed"),
        ({"$or": {"a": ["b"]}}, "It must be an Array followed with $or."),
        ({"$or": [{"a": ["b"]}]}, "There must have at least 2 Objects in $or relationship."),
        ({"$or": [{"a": ["b"]}, "c"]}, "Only JSON object is allowed in array of $or relationship."),
        (
            {"$or": [{"numeric": [1]}, {"prefix": ["abc"]}]},
            "numeric is Ruler reserved fieldName which cannot be used inside $or.",
        ),
    ],
)
def test_eventbridge_errors(pattern: Any, reason: str) -> None:
    assert eb_error(pattern) == reason


def test_invalid_json_text() -> None:
    # [REC] AWS quotes Jackson's parser; we quote Python's, in the same envelope.
    reason = eb_error("{'bad': 'quotation'}")
    assert "line: 1, column: 2" in reason
    eb_error("this is valid json but not a dict")
    eb_error('{"a": [NaN]}')


# -- SNS: message attributes --------------------------------------------------------------


def attrs(**values: Any) -> dict[str, dict[str, Any]]:
    """Publish MessageAttributes from plain values: str -> String, number -> Number,
    list -> String.Array."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, str):
            out[name] = {"DataType": "String", "StringValue": value}
        else:
            out[name] = {"DataType": "Number", "StringValue": str(value)}
    return out


def on_attrs(policy: dict[str, Any], **values: Any) -> bool:
    return compile_filter_policy(policy).matches_attributes(attrs(**values))


# [SNS] "Example filter policies": the example message's attributes
EXAMPLE = {
    "customer_interests": ["soccer", "rugby", "hockey"],
    "store": "example_corp",
    "event": "order_placed",
    "price_usd": 210.75,
}


def test_sns_policy_that_accepts_the_example() -> None:
    policy = {
        "store": ["example_corp"],
        "event": [{"anything-but": "order_cancelled"}],
        "customer_interests": ["rugby", "football", "baseball"],
        "price_usd": [{"numeric": [">=", 100]}],
    }
    assert on_attrs(policy, **EXAMPLE)


def test_sns_policy_that_rejects_the_example() -> None:
    # "Because the encrypted attribute name isn't present in the message attributes, this
    # policy attribute causes the message to be rejected regardless of the value".
    policy = {
        "store": ["example_corp"],
        "event": ["order_cancelled"],
        "encrypted": [False],
        "customer_interests": ["basketball", "baseball"],
    }
    assert not on_attrs(policy, **EXAMPLE)
    assert not on_attrs({"encrypted": [False]}, **EXAMPLE)


def test_sns_ignores_attributes_the_policy_does_not_name() -> None:
    assert on_attrs({"store": ["example_corp"]}, **EXAMPLE)


def test_sns_exact_string_and_string_array() -> None:
    # [SNS] "String value matching": "customer_interests": ["rugby", "tennis"]
    policy = {"customer_interests": ["rugby", "tennis"]}
    assert on_attrs(policy, customer_interests="rugby")
    assert on_attrs(policy, customer_interests=["rugby", "tennis"])
    assert not on_attrs(policy, customer_interests="baseball")
    assert not on_attrs(policy, customer_interests=["baseball"])


def test_sns_anything_but() -> None:
    policy = {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}
    assert on_attrs(policy, customer_interests="baseball")
    assert on_attrs(policy, customer_interests=["rugby", "baseball"])
    assert not on_attrs(policy, customer_interests="rugby")
    assert not on_attrs(policy)  # the attribute must be present


def test_sns_prefix_suffix_ignore_case() -> None:
    assert on_attrs({"c": [{"prefix": "bas"}]}, c="baseball")
    assert not on_attrs({"c": [{"prefix": "bas"}]}, c="rugby")
    assert on_attrs({"c": [{"suffix": "ball"}]}, c="baseball")
    assert on_attrs({"c": [{"equals-ignore-case": "RUGBY"}]}, c="rugby")
    assert on_attrs({"c": [{"anything-but": {"prefix": "bas"}}]}, c="rugby")
    assert not on_attrs({"c": [{"anything-but": {"prefix": "bas"}}]}, c="basketball")


def test_sns_numeric_matching() -> None:
    # [SNS] "Numeric value matching": "price_usd": [{"numeric": ["=", 301.5]}]
    assert on_attrs({"price_usd": [{"numeric": ["=", 301.5]}]}, price_usd=301.5)
    assert compile_filter_policy('{"p": [{"numeric": ["=", 301.5]}]}').matches_attributes(
        {"p": {"DataType": "Number", "StringValue": "3.015e2"}}
    )
    assert on_attrs({"price": [{"anything-but": [100, 500]}]}, price=101)
    assert on_attrs({"price": [{"anything-but": [100, 500]}]}, price=100.1)
    assert not on_attrs({"price": [{"anything-but": [100, 500]}]}, price=100)
    assert on_attrs({"p": [{"numeric": ["<", 0]}]}, p=-3)
    assert on_attrs({"p": [{"numeric": [">", 0, "<=", 150]}]}, p=150)
    assert not on_attrs({"p": [{"numeric": [">", 0, "<=", 150]}]}, p=150.5)
    assert on_attrs({"p": [100]}, p=100)


def test_sns_numbers_and_strings_do_not_mix() -> None:
    assert not on_attrs({"p": ["100"]}, p=100)
    assert not on_attrs({"p": [100]}, p="100")
    assert not on_attrs({"p": [{"numeric": [">", 1]}]}, p="100")


def test_sns_exists() -> None:
    # [SNS] "Key matching"
    assert on_attrs({"store": [{"exists": True}]}, store="fans", customer_interests=["baseball"])
    assert not on_attrs({"store": [{"exists": True}]}, customer_interests=["baseball"])
    assert on_attrs({"store": [{"exists": False}]}, customer_interests=["baseball"])
    assert not on_attrs({"store": [{"exists": False}]}, store="fans")


def test_sns_null_does_not_match_a_missing_attribute() -> None:
    # [REC] test_filter_policy: {"attr1": [null, {"anything-but": "whatever"}]} did not
    # pass a message without attributes.
    assert not on_attrs({"attr1": [None, {"anything-but": "whatever"}]})
    assert on_attrs({"attr1": [None, {"anything-but": "whatever"}]}, attr1="x")


def test_sns_and_or_logic() -> None:
    # [SNS] "AND/OR logic"
    policy = {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}
    assert on_attrs(policy, customer_interests="rugby", price_usd=101)
    assert not on_attrs(policy, customer_interests="rugby", price_usd=100)
    assert on_attrs(
        {"customer_interests": ["rugby", "football", "baseball"]}, customer_interests="football"
    )


def test_sns_or_operator() -> None:
    # [SNS] "OR operator": source && (metricName || namespace)
    policy = {
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2"]}],
    }
    assert on_attrs(policy, source="aws.cloudwatch", namespace="AWS/EC2")
    assert not on_attrs(policy, source="aws.cloudwatch", namespace="AWS/ES")


def test_sns_or_that_is_not_an_operator_is_an_attribute_name() -> None:
    # [SNS] "When all of these conditions are not met, "$or" is treated as a regular
    # attribute name".
    policy = compile_filter_policy({"$or": ["x"]})
    assert policy.matches_attributes(attrs(**{"$or": "x"}))


def test_sns_cidr() -> None:
    assert on_attrs({"ip": [{"cidr": "10.0.0.0/24"}]}, ip="10.0.0.7")
    assert not on_attrs({"ip": [{"cidr": "10.0.0.0/24"}]}, ip="10.1.0.7")


def test_sns_attribute_types() -> None:
    policy = compile_filter_policy({"a": ["x"], "n": [{"numeric": [">", 1]}]})
    custom = {
        "a": {"DataType": "String.custom", "StringValue": "x"},
        "n": {"DataType": "Number.float", "StringValue": "1.5"},
    }
    assert policy.matches_attributes(custom)
    notification = {"a": {"Type": "String", "Value": "x"}, "n": {"Type": "Number", "Value": "2"}}
    assert policy.matches_attributes(notification)
    assert not policy.matches_attributes(
        {**custom, "n": {"DataType": "Number", "StringValue": "x"}}
    )


def test_sns_binary_attributes_are_ignored() -> None:
    # [SNS] "Amazon SNS ignores message attributes with the Binary data type"
    binary = {"b": {"DataType": "Binary", "BinaryValue": b"x"}}
    assert not compile_filter_policy({"b": [{"exists": True}]}).matches_attributes(binary)
    assert not compile_filter_policy({"b": [{"anything-but": "y"}]}).matches_attributes(binary)
    assert compile_filter_policy({"b": [{"exists": False}]}).matches_attributes(binary)


def test_sns_string_array_elements() -> None:
    assert on_attrs({"a": [5]}, a=["x", 5])
    assert on_attrs({"a": [None]}, a=[None])
    assert on_attrs({"a": ["deep"]}, a=[["deep"]])
    assert not on_attrs({"a": [{"exists": True}]}, a=[])
    broken = {"a": {"DataType": "String.Array", "StringValue": "[not json"}}
    assert not compile_filter_policy({"a": [{"exists": True}]}).matches_attributes(broken)


def test_sns_empty_policy_matches_everything() -> None:
    assert compile_filter_policy({}).matches_attributes({})
    assert compile_filter_policy("{}", scope="MessageBody").matches_body({"a": 1})


# -- SNS: message body --------------------------------------------------------------------


def on_body(policy: dict[str, Any], body: Any) -> bool:
    return compile_filter_policy(policy, scope="MessageBody").matches_body(body)


def test_sns_body_exact_and_nested() -> None:
    # [SNS] "It also matches the following message bodies: { "customer_interests": "rugby" }"
    assert on_body({"customer_interests": ["rugby", "tennis"]}, {"customer_interests": "rugby"})
    assert not on_body({"customer_interests": ["rugby"]}, {"customer_interests": "baseball"})
    policy = {"object": {"key": [{"prefix": "auto-"}]}}
    assert on_body(policy, {"object": {"key": "auto-insurance.xml"}})
    assert not on_body(policy, {"object": {"key": "home-insurance.xml"}})


def test_sns_body_dot_keys() -> None:
    # [REC] test_filter_policy_on_message_body_dot_attribute: all of these were delivered
    policy = {"object": {"nested": {"test": ["string.value"]}}}
    for body in (
        {"object": {"nested": {"test": "string.value"}}},
        {"object.nested.test": "string.value"},
        {"object.nested": {"test": "string.value"}},
        {"object": {"nested.test": "string.value"}},
    ):
        assert on_body(policy, body), body


def test_sns_body_arrays() -> None:
    # [REC] test_filter_policy_on_message_body_array_attributes / ..._of_object_attributes
    assert on_body(
        {"headers": {"route-to": ["queue1"]}}, {"headers": {"route-to": ["queue1", "queue2"]}}
    )
    policy = {"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}}}
    body = {"Records": [{"s3": {"object": [[{"key": "auto-insurance-2314.xml"}]]}}]}
    assert on_body(policy, body)


def test_sns_body_that_is_not_an_object_never_matches() -> None:
    assert not on_body({"a": [{"exists": False}]}, "plain text")
    assert not on_body({"a": [{"exists": False}]}, None)


# -- SNS: errors --------------------------------------------------------------------------


def sns_error(policy: Any, scope: str = "MessageAttributes") -> PatternError:
    with pytest.raises(PatternError) as caught:
        compile_filter_policy(policy, scope=scope)
    return caught.value


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        # [REC] test_sns_filter_policy.snapshot.json (Jackson location suffix dropped)
        ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
        ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
        (
            {"key": [{"suffix": "value", "prefix": "value2"}]},
            "Only one key allowed in match expression",
        ),
        ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
        ({"key": [{"suffix": None}]}, "suffix match pattern must be a string"),
        ({"key": [{"suffix": []}]}, "suffix match pattern must be a string"),
        ({"key": [{"suffix": ["test", "test2"]}]}, "suffix match pattern must be a string"),
        ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
        ({"key": {"not-an-operator": "value"}}, '"not-an-operator" must be an object or an array'),
        ({"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
        ({"key": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
        ({"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
        ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
        ({"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
        ({"key": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
        ({"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
        ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
        ({"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
        ({"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
        ({"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
        ({"key": [{"numeric": [">", "20", "<", "30"]}]}, "Value of > must be numeric"),
        ({"key": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
        (
            {"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]},
            "Too many terms in numeric range expression",
        ),
        ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
        ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
        (
            {"key": [{"anything-but": {"wrong-operator": None}}]},
            "Unsupported anything-but pattern: wrong-operator",
        ),
        (
            {"key": [{"anything-but": {"suffix": "test"}}]},
            "Unsupported anything-but pattern: suffix",
        ),
        (
            {"key": [{"anything-but": {"exists": False}}]},
            "Unsupported anything-but pattern: exists",
        ),
        ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string"),
        ({"key_a": "value_one"}, '"key_a" must be an object or an array'),
        # SNS's older Ruler knows no wildcard and no nested equals-ignore-case.
        ({"key": [{"wildcard": "a*"}]}, "Unrecognized match type wildcard"),
        (
            {"key": [{"prefix": {"equals-ignore-case": "a"}}]},
            "prefix match pattern must be a string",
        ),
        ({"key": [{"numeric": [">", 2e9]}]}, "Value must be between -1.0E9 and 1.0E9, inclusive"),
    ],
)
def test_recorded_sns_errors(policy: Any, reason: str) -> None:
    error = sns_error(policy)
    assert error.code == "InvalidParameter"
    assert error.reason == reason
    assert error.message == f"Invalid parameter: FilterPolicy: {reason}"
    assert str(error) == error.message
    # Subscribe words it differently from SetSubscriptionAttributes.
    assert (
        error.subscribe_message == f"Invalid parameter: Attributes Reason: FilterPolicy: {reason}"
    )


def test_sns_too_many_keys() -> None:
    # [SNS] "A filter policy can have a maximum of five keys"; [REC] the message
    policy = {f"key_{c}": ["v"] for c in "abcdef"}
    assert sns_error(policy).message == (
        "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"
    )
    compile_filter_policy({f"key_{c}": ["v"] for c in "abcde"})


def test_sns_keys_are_counted_at_the_leaves() -> None:
    # [SNS] "Filter policy constraints": "finding" (an object) is not counted, its
    # leaves are; AWS's example counts six keys.
    policy: dict[str, Any] = {
        "state": ["SUCCESS"],
        "severity": [{"exists": True}],
        "message": [{"exists": True}],
        "finding": {"region": [{"exists": True}], "account": [{"exists": True}]},
    }
    compile_filter_policy(policy, scope="MessageBody")
    policy["finding"]["standard_control"] = [{"exists": True}]
    assert "more than 5 keys" in sns_error(policy, "MessageBody").message


def test_sns_too_complex() -> None:
    # [REC] 151 values in one key
    assert sns_error({"store": [str(i) for i in range(151)]}).message == (
        "Invalid parameter: FilterPolicy: Filter policy is too complex"
    )
    compile_filter_policy({"store": [str(i) for i in range(150)]})
    # [SNS] 3 x 1 x 2 = 6 combinations
    compile_filter_policy({"a": ["1", "2", "3"], "b": ["1"], "c": ["1", "2"]})
    assert (
        "too complex"
        in sns_error({"a": [str(i) for i in range(15)], "b": [str(i) for i in range(11)]}).message
    )


def test_sns_nested_complexity_counts_depth() -> None:
    # [REC] 3 x 4 x 2 x 3 x 1 x 3 = 216 > 150
    policy = {
        "key_a": {"key_b": {"key_c": ["v1", "v2", "v3", "v4"]}},
        "key_d": {"key_e": ["v1", "v2", "v3"]},
        "key_f": ["v1", "v2", "v3"],
    }
    assert sns_error(policy, "MessageBody").message == (
        "Invalid parameter: FilterPolicy: Filter policy is too complex"
    )
    del policy["key_f"]
    compile_filter_policy(policy, scope="MessageBody")  # 72


def test_sns_or_branches_add_up() -> None:
    policy = {
        "a": ["1", "2"],
        "$or": [{"b": [str(i) for i in range(40)]}, {"c": [str(i) for i in range(40)]}],
    }
    assert "too complex" in sns_error(policy).message  # 2 x (40 + 40) = 160
    policy["a"] = ["1"]
    compile_filter_policy(policy)  # 80


def test_sns_nested_policy_needs_message_body_scope() -> None:
    # [REC] "Invalid parameter: Filter policy scope MessageAttributes does not support
    # nested filter policy" (no "FilterPolicy:" in this one)
    error = sns_error({"store": {"key": [{"exists": None}]}})
    assert error.message == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
        "filter policy"
    )
    compile_filter_policy({"object": {"key": [{"prefix": "auto-"}]}}, scope="MessageBody")


def test_sns_out_of_range_number_is_an_internal_failure() -> None:
    # moto's test, checked against AWS: {"store": [1000000001]} -> InternalFailure
    error = sns_error({"store": [1000000001]})
    assert error.code == "InternalFailure"
    assert error.message == (
        "Invalid parameter: FilterPolicy: Value must be between -1.0E9 and 1.0E9, inclusive"
    )
    compile_filter_policy({"store": [1000000000]})


def test_sns_invalid_json() -> None:
    assert (
        sns_error("{not json").message == "Invalid parameter: FilterPolicy: failed to parse JSON."
    )


def test_sns_invalid_scope() -> None:
    assert sns_error({"a": ["b"]}, scope="Body").message == (
        "Invalid parameter: FilterPolicyScope: Invalid value [Body]. "
        "Please use either MessageBody or MessageAttributes"
    )


def test_sns_policy_size_limit() -> None:
    # [SNS] "The maximum size of a filter policy is 256 KB"
    big = json.dumps({"a": ["x" * (256 * 1024)]})
    assert sns_error(big).message == "Invalid parameter: FilterPolicy: Filter policy is too long"


# -- compiled once --------------------------------------------------------------------------


def test_text_patterns_are_compiled_once() -> None:
    text = '{"source": ["aws.ec2"]}'
    assert compile_event_pattern(text) is compile_event_pattern(text)
    assert compile_filter_policy(text) is compile_filter_policy(text)
    assert compile_filter_policy(text) is not compile_filter_policy(text, scope="MessageBody")
