"""The error type and the two dialects of the one pattern language.

EventBridge event patterns (also Lambda FilterCriteria and Pipes filters) and SNS
filter policies are both compiled by AWS's Event Ruler, but SNS runs an older Ruler:
fewer operators, a smaller number range, slightly different messages. A `Dialect`
holds those differences so the compiler has a single code path. Nothing here matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

EVENTBRIDGE_PREFIX = "Event pattern is not valid. Reason: "
SNS_PREFIX = "Invalid parameter: "
SNS_SUBSCRIBE_PREFIX = "Invalid parameter: Attributes Reason: "


class PatternError(ValueError):
    """An invalid event pattern or filter policy.

    `str(error)` (and `.message`) is the message AWS returns, e.g. "Event pattern is not
    valid. Reason: Empty arrays are not allowed" or "Invalid parameter: FilterPolicy:
    Filter policy is too complex". `.reason` is the part after AWS's prefix, `.code` the
    AWS error code. For SNS, `.subscribe_message` is the form Subscribe uses ("Invalid
    parameter: Attributes Reason: FilterPolicy: ..."); SetSubscriptionAttributes uses
    `.message`.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        code: str = "InvalidParameter",
        subscribe_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = message if reason is None else reason
        self.code = code
        self.subscribe_message = message if subscribe_message is None else subscribe_message


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between EventBridge's Ruler and SNS's."""

    sns: bool
    number_limit: Decimal
    # The Java Double.toString form Ruler prints in its range message.
    number_limit_text: str
    anything_but_operators: frozenset[str]
    # Newer Ruler: prefix/suffix take {"equals-ignore-case": ...}; wildcard; exactly.
    modern: bool

    def error(self, reason: str, *, bare: bool = False, code: str = "") -> PatternError:
        """The PatternError AWS raises for `reason`. `bare` drops SNS's "FilterPolicy: "
        (AWS's nested-scope message has none)."""
        if not self.sns:
            return PatternError(
                EVENTBRIDGE_PREFIX + reason,
                reason=reason,
                code=code or "InvalidEventPatternException",
            )
        detail = reason if bare else "FilterPolicy: " + reason
        return PatternError(
            SNS_PREFIX + detail,
            reason=reason,
            code=code or "InvalidParameter",
            subscribe_message=SNS_SUBSCRIBE_PREFIX + detail,
        )

    @property
    def range_message(self) -> str:
        limit = self.number_limit_text
        return f"Value must be between -{limit} and {limit}, inclusive"

    @property
    def affix_type_message(self) -> str:
        """Anything-but's prefix/suffix operand of the wrong type."""
        if self.sns:
            return "prefix match pattern must be a string"
        return "prefix/suffix match pattern must be a string"

    @property
    def extra_key_message(self) -> str:
        """An anything-but object with a second key (Ruler reuses the numeric text)."""
        if self.sns:
            return "Only one key allowed in match expression"
        return "Too many elements in numeric expression"


# Event Ruler today: numbers within +-5e9 (ComparableNumber.FIVE_BILLION).
EVENTBRIDGE = Dialect(
    sns=False,
    number_limit=Decimal("5E9"),
    number_limit_text="5.0E9",
    anything_but_operators=frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard"}),
    modern=True,
)

# SNS: "the value can range from -10^9 to 10^9" (Filter policy constraints); anything-but
# takes only a prefix (AWS answers "Unsupported anything-but pattern: suffix").
SNS = Dialect(
    sns=True,
    number_limit=Decimal("1E9"),
    number_limit_text="1.0E9",
    anything_but_operators=frozenset({"prefix"}),
    modern=False,
)
