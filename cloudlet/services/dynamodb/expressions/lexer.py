"""Tokens of DynamoDB's expression language and the parser base every expression kind
shares: document paths, placeholders, and AWS's error reporting.

AWS reports a syntax error at the first token the grammar cannot take, quoting it and
the text from the token before it to the token after it ("near"). Errors that are not
syntax errors are collected while parsing and the most important one is reported once
the whole expression has parsed, so a later syntax error still wins, as with AWS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.expressions.paths import Path, Value
from cloudlet.services.dynamodb.expressions.reserved import is_reserved

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<attrname>#[A-Za-z0-9_]+)"
    r"|(?P<value>:[A-Za-z0-9_]+)"
    r"|(?P<number>[0-9]+)"
    r"|(?P<op><=|>=|<>|[=<>(),.\[\]+\-])"
)

MAX_PATH_DEPTH = 32
MAX_EXPRESSION_SIZE = 4096  # bytes of the expression as sent
MAX_OPERATORS = 300  # operators and functions in one expression
MAX_LIST_INDEX = 2**31 - 1

T = TypeVar("T")

# The order in which AWS reports the non-syntax errors of a condition, key condition
# or projection. Errors of a single clause (a comparison, a function) are "local": the
# first clause, in the order written, that has one is reported, with the most
# important of its own errors; `condition` stands for that report among the
# expression-wide ones. Update expressions rank all their errors by kind.
CONDITION_ORDER = (
    "index",
    "section",
    "parens",
    "function_name",
    "misused",
    "reserved",
    "condition",
    "nesting",
    "overlap",
)
CONDITION_LOCAL = ("undefined", "operands", "distinct", "types")
UPDATE_ORDER = (
    "index",
    "reserved",
    "function_name",
    "section",
    "parens",
    "misused",
    "undefined_name",
    "undefined_value",
    "overlap",
    "operands",
    "distinct",
    "types",
    "nesting",
)


@dataclass(slots=True)
class Token:
    kind: str  # name, attrname, value, number, op, bad, eof
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    size = len(text)
    while pos < size:
        match = _TOKEN.match(text, pos)
        if match is None:
            tokens.append(Token("bad", text[pos], pos, pos + 1))
            pos += 1
            continue
        kind = match.lastgroup or "bad"
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos, match.end()))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", size, size))
    return tokens


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


class Context(Protocol):
    """What a parser needs of the request: its placeholders, and where to record use."""

    names: dict[str, str]
    values: dict[str, Value]
    used_names: set[str]
    used_values: set[str]


class Parser:
    def __init__(self, text: str, kind: str, ctx: Context) -> None:
        size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0
        if size > MAX_EXPRESSION_SIZE:
            raise validation(
                f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
                f"expression size: {size}"
            )
        if not isinstance(text, str) or not text.strip():
            raise validation(f"Invalid {kind}: The expression can not be empty;")
        self.text = text
        self.kind = kind
        self.ctx = ctx
        self.tokens = tokenize(text)
        self.pos = 0
        self.errors: dict[str, str] = {}
        self.pending: dict[str, str] = {}  # local errors of the clause being parsed
        self.operators = 0

    # -- tokens ------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        index = min(self.pos + ahead, len(self.tokens) - 1)
        return self.tokens[index]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def at_op(self, op: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == "op" and token.text == op

    def at_keyword(self, word: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == "name" and token.text.upper() == word

    def expect_op(self, op: str) -> Token:
        if not self.at_op(op):
            raise self.syntax_error()
        return self.take()

    def syntax_error(self, index: int | None = None) -> ServiceError:
        """AWS's syntax error at token `index` (default: the current one)."""
        at = self.pos if index is None else index
        token = self.tokens[at]
        start = self.tokens[at - 1].start if at > 0 else token.start
        if token.kind == "eof":
            near = self.text[start:]
        else:
            following = self.tokens[at + 1] if at + 1 < len(self.tokens) else token
            near = self.text[start : following.end if following.kind != "eof" else token.end]
        return validation(
            f'Invalid {self.kind}: Syntax error; token: "{token.text}", near: "{near}"'
        )

    def operator(self) -> None:
        """Count an operator or function; AWS stops at the first one over the limit."""
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise validation(
                f"Invalid {self.kind}: The expression contains too many operators; "
                f"operator count: {self.operators}"
            )

    def guarded(self, parse: Callable[[], T]) -> T:
        """Run `parse`; nesting too deep for the recursive parser is refused (AWS's own
        operator limit makes such expressions useless anyway)."""
        try:
            return parse()
        except RecursionError:
            if "parens" in self.errors:
                raise validation(f"Invalid {self.kind}: {self.errors['parens']}") from None
            raise validation(
                f"Invalid {self.kind}: The expression has too many nesting levels;"
            ) from None

    # -- errors found while parsing ------------------------------------------------------

    order: tuple[str, ...] = CONDITION_ORDER
    local: tuple[str, ...] = CONDITION_LOCAL

    def note(self, category: str, message: str) -> None:
        if category.startswith("undefined_") and "undefined_name" not in self.order:
            category = "undefined"  # conditions rank undefined names and values alike
        (self.pending if category in self.local else self.errors).setdefault(category, message)

    def settle(self) -> None:
        """A clause is complete: its most important local error (if it is the first
        clause with one) becomes the expression's `condition` error."""
        if self.pending:
            if "condition" not in self.errors:
                first = next(c for c in self.local if c in self.pending)
                self.errors["condition"] = self.pending[first]
            self.pending = {}

    def finish(self) -> None:
        """Raise the first error found, in AWS's order; the expression must be consumed."""
        if self.tokens[self.pos].kind != "eof":
            raise self.syntax_error()
        self.settle()
        for category in self.order:
            message = self.errors.get(category)
            if message is not None:
                raise validation(f"Invalid {self.kind}: {message}")

    # -- paths and placeholders ------------------------------------------------------------

    def at_path(self) -> bool:
        token = self.tokens[self.pos]
        return token.kind == "attrname" or (token.kind == "name" and not _is_keyword(token.text))

    def path(self) -> Path:
        parts: list[str | int] = [self.element()]
        while True:
            if self.at_op("."):
                self.take()
                parts.append(self.element())
            elif self.at_op("["):
                self.take()
                token = self.peek()
                if token.kind != "number":
                    raise self.syntax_error()
                self.take()
                self.expect_op("]")
                index = int(token.text)
                if index > MAX_LIST_INDEX:
                    self.note(
                        "index",
                        f"List index is not within the allowable range; index: [{token.text}]",
                    )
                parts.append(index)
            else:
                break
        if len(parts) > MAX_PATH_DEPTH:
            self.note(
                "nesting",
                f"The document path has too many nesting levels; nesting levels: {len(parts)}",
            )
        return tuple(parts)

    def element(self) -> str:
        token = self.peek()
        if token.kind == "attrname":
            self.take()
            name = self.ctx.names.get(token.text)
            if name is None:
                self.note(
                    "undefined_name",
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {token.text}",
                )
                return token.text
            self.ctx.used_names.add(token.text)
            return name
        if token.kind == "name" and not _is_keyword(token.text):
            self.take()
            if is_reserved(token.text):
                self.note(
                    "reserved",
                    f"Attribute name is a reserved keyword; reserved keyword: {token.text}",
                )
            return token.text
        raise self.syntax_error()

    def value(self) -> Value:
        token = self.take()
        value = self.ctx.values.get(token.text)
        if value is None:
            self.note(
                "undefined_value",
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {token.text}",
            )
            return {"NULL": True}
        self.ctx.used_values.add(token.text)
        return value


_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})


def _is_keyword(text: str) -> bool:
    return text.upper() in _KEYWORDS


def type_word(value: Any) -> str:
    """AWS's long type names, used in ADD/DELETE operand errors."""
    kind = str(next(iter(value)))
    words = {
        "S": "STRING",
        "N": "NUMBER",
        "B": "BINARY",
        "BOOL": "BOOL",
        "NULL": "NULL",
        "L": "LIST",
        "M": "MAP",
        "SS": "STRING_SET",
        "NS": "NUMBER_SET",
        "BS": "BINARY_SET",
    }
    return words.get(kind, kind)
