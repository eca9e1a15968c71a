"""Field constraints of the IAM API, checked the way AWS's front door checks them.

AWS validates every member against the model's min/max/pattern before the operation
runs and reports all failures in one ValidationError: "2 validation errors detected:
Value 'x' at 'roleName' failed to satisfy constraint: ...; ...". The rules below are
the model's, with its patterns quoted verbatim in messages (Java regex syntax; the
compiled forms are their Python equivalents). Tags have their own rules: AWS never
echoes tag values, and the key pattern uses Unicode classes that `re` lacks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cloudlet.services.iam.errors import invalid_input, validation_error

NAME_PATTERN = r"[\w+=,.@-]+"


@dataclass(frozen=True)
class Rule:
    field: str
    """The member as AWS names it in messages (lower camel case)."""
    min: int | None = None
    max: int | None = None
    pattern: str | None = None

    def compiled(self) -> re.Pattern[str] | None:
        return _compile(self.pattern) if self.pattern else None


_CACHE: dict[str, re.Pattern[str]] = {}


def _compile(pattern: str) -> re.Pattern[str]:
    found = _CACHE.get(pattern)
    if found is None:
        # Java's \w is ASCII-only, like re.ASCII.
        found = _CACHE[pattern] = re.compile(pattern, re.ASCII)
    return found


ROLE_NAME = Rule("roleName", 1, 64, NAME_PATTERN)
POLICY_NAME = Rule("policyName", 1, 128, NAME_PATTERN)
ROLE_PATH = Rule("path", 1, 512, r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)")
POLICY_PATH = Rule("path", 1, 512, r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")
PATH_PREFIX = Rule("pathPrefix", 1, 512, r"\u002F[\u0021-\u007F]*")
POLICY_PATH_PREFIX = Rule("pathPrefix", 1, 512, r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")
ROLE_DESCRIPTION = Rule(
    "description", None, 1000, r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"
)
POLICY_DESCRIPTION = Rule("description", None, 1000)
MAX_SESSION_DURATION = Rule("maxSessionDuration", 3600, 43200)
MAX_ITEMS = Rule("maxItems", 1, 1000)
MARKER = Rule("marker", 1, 320, r"[\u0020-\u00FF]+")
POLICY_ARN = Rule("policyArn", 20, 2048)
VERSION_ID = Rule("versionId", None, None, r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")
_DOCUMENT = (1, 131072, r"[\u0009\u000A\u000D\u0020-\u00FF]+")


def document(field: str) -> Rule:
    return Rule(field, *_DOCUMENT)


class Checker:
    """Collects violations so one error can report them all, as AWS does."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def string(self, value: str | None, rule: Rule) -> Checker:
        if value is None:
            return self
        shown = f"Value '{value}' at '{rule.field}'"
        if rule.max is not None and len(value) > rule.max:
            self._fail(shown, f"Member must have length less than or equal to {rule.max}")
        if rule.min is not None and len(value) < rule.min:
            self._fail(shown, f"Member must have length greater than or equal to {rule.min}")
        regex = rule.compiled()
        if regex is not None and regex.fullmatch(value) is None:
            self._fail(shown, f"Member must satisfy regular expression pattern: {rule.pattern}")
        return self

    def integer(self, value: int | None, rule: Rule) -> Checker:
        if value is None:
            return self
        shown = f"Value '{value}' at '{rule.field}'"
        if rule.max is not None and value > rule.max:
            self._fail(shown, f"Member must have value less than or equal to {rule.max}")
        if rule.min is not None and value < rule.min:
            self._fail(shown, f"Member must have value greater than or equal to {rule.min}")
        return self

    def tags(self, tags: Sequence[dict[str, Any]] | None) -> Checker:
        if tags is None:
            return self
        if len(tags) > 50:
            self._fail("Value at 'tags'", "Member must have length less than or equal to 50")
        for i, tag in enumerate(tags, 1):
            key, value = tag.get("Key", ""), tag.get("Value", "")
            at_key, at_value = (
                f"Value at 'tags.{i}.member.key'",
                f"Value at 'tags.{i}.member.value'",
            )
            if len(key) > 128:
                self._fail(at_key, "Member must have length less than or equal to 128")
            elif not key:
                self._fail(at_key, "Member must have length greater than or equal to 1")
            elif not _tag_text(key):
                self._fail(at_key, f"Member must satisfy regular expression pattern: {TAG_KEY}")
            if len(value) > 256:
                self._fail(at_value, "Member must have length less than or equal to 256")
            elif not _tag_text(value):
                self._fail(at_value, f"Member must satisfy regular expression pattern: {TAG_VALUE}")
        return self

    def tag_keys(self, keys: Sequence[str]) -> Checker:
        if len(keys) > 50:
            self._fail("Value at 'tagKeys'", "Member must have length less than or equal to 50")
        if any(not 1 <= len(k) <= 128 or not _tag_text(k) for k in keys):
            self._fail(
                "Value at 'tagKeys'",
                "Member must satisfy constraint: [Member must have length less than or equal "
                "to 128, Member must have length greater than or equal to 1, Member must "
                f"satisfy regular expression pattern: {TAG_KEY}, Member must not be null]",
            )
        return self

    def _fail(self, shown: str, constraint: str) -> None:
        self.errors.append(f"{shown} failed to satisfy constraint: {constraint}")

    def done(self) -> None:
        if not self.errors:
            return
        count = len(self.errors)
        noun = "error" if count == 1 else "errors"
        raise validation_error(f"{count} validation {noun} detected: " + "; ".join(self.errors))


TAG_KEY = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
TAG_VALUE = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _tag_text(text: str) -> bool:
    """Letters, separators, numbers (any script) and `_.:/=+-@`."""
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)


def check() -> Checker:
    return Checker()


def tag_dict(tags: Sequence[dict[str, Any]] | None, case_insensitive: bool) -> dict[str, str]:
    """Tags as an ordered dict, rejecting duplicate keys. Role tag keys are compared
    without case; managed policies accept `a` and `A` as two keys (both as AWS does)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for tag in tags or ():
        key = tag["Key"]
        folded = key.lower() if case_insensitive else key
        if folded in seen:
            if case_insensitive:
                raise invalid_input(
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                )
            raise invalid_input("Duplicate tag keys found.")
        seen.add(folded)
        out[key] = tag.get("Value", "")
    return out


def tag_list(tags: dict[str, str], ordered: bool = True) -> list[dict[str, str]]:
    """Tags as AWS lists them: sorted by key, or in the order given (`ordered=False`,
    for the echo in a Create response)."""
    keys = sorted(tags) if ordered else list(tags)
    return [{"Key": k, "Value": tags[k]} for k in keys]
