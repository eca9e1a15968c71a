"""PartiQL statements read into DynamoDB expressions.

`parse` turns `SELECT * | path, ... FROM "table"[."index"] [WHERE ...]`,
`INSERT INTO "table" VALUE {...}`, `UPDATE "table" SET path = value, ... [REMOVE path, ...]
WHERE ...` and `DELETE FROM "table" WHERE ...` into a `Statement`. Values are literals
('text', numbers, TRUE/FALSE, NULL, <<sets>>, [lists], {maps}) or `?` parameters. A
WHERE clause becomes a DynamoDB condition expression with a placeholder for every name
and value, so it is evaluated by the same code as ConditionExpression; `IS [NOT]
MISSING` becomes attribute_[not_]exists. `key_equalities` finds the `key = value`
conditions that let a statement read one partition or one item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.common import validation
from cloudlet.services.dynamodb.models import Item
from cloudlet.services.dynamodb.values import normalize_number, validate_value

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><<|>>|<>|!=|<=|>=|[=<>(),.\[\]{}:?*+\-])
    )""",
    re.VERBOSE,
)
_FUNCTIONS = {
    "begins_with",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "contains",
    "size",
    "list_append",
    "if_not_exists",
}
_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "IS",
    "MISSING",
    "NULL",
    "TRUE",
    "FALSE",
    "INSERT",
    "INTO",
    "VALUE",
    "UPDATE",
    "SET",
    "REMOVE",
    "DELETE",
    "RETURNING",
    "ORDER",
    "BY",
    "EXISTS",
}


def malformed(detail: str) -> ServiceError:
    return validation(f"Statement wasn't well formed, can't be processed: {detail}")


def unsupported(what: str) -> ServiceError:
    return ServiceError(
        "ValidationException", f"cloudlet does not support {what} in PartiQL statements"
    )


@dataclass
class Tok:
    kind: str  # string quoted number word op
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(statement: str) -> list[Tok]:
    tokens: list[Tok] = []
    pos = 0
    text = statement.rstrip().rstrip(";")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise malformed(f"Unexpected input at position {pos}: {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append(Tok(kind, match.group(kind)))
        pos = match.end()
    return tokens


@dataclass
class Translated:
    """PartiQL text turned into a DynamoDB expression with placeholders."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)


class Reader:
    def __init__(self, tokens: list[Tok], params: list[dict[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.params = params
        self.used_params = 0
        self.out = Translated()

    # -- cursor ---------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> Tok | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def next(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise malformed("Unexpected end of statement")
        self.pos += 1
        return tok

    def at(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and (tok.upper in words or (tok.kind == "op" and tok.text in words))

    def expect(self, word: str) -> None:
        tok = self.next()
        if tok.upper != word and not (tok.kind == "op" and tok.text == word):
            raise malformed(f"Expected {word}, found {tok.text}")

    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    # -- names and values -----------------------------------------------------------------

    def name(self, text: str) -> str:
        placeholder = f"#p{len(self.out.names)}"
        self.out.names[placeholder] = text
        return placeholder

    def value(self, value: dict[str, Any]) -> str:
        placeholder = f":v{len(self.out.values)}"
        self.out.values[placeholder] = value
        return placeholder

    def table_name(self) -> tuple[str, str | None]:
        tok = self.next()
        if tok.kind not in ("quoted", "word"):
            raise malformed(f"Expected a table name, found {tok.text}")
        name = _unquote(tok)
        index = None
        if self.at(".") and self.peek(1) is not None:
            self.next()
            index = _unquote(self.next())
        return name, index

    def literal(self) -> dict[str, Any]:
        """One value: a literal or a ? parameter."""
        tok = self.next()
        if tok.kind == "op" and tok.text == "?":
            if self.used_params >= len(self.params):
                raise validation("Number of parameters in request and statement don't match.")
            value = validate_value(self.params[self.used_params])
            self.used_params += 1
            return value
        if tok.kind == "string":
            return {"S": tok.text[1:-1].replace("''", "'")}
        if tok.kind == "number":
            return {"N": normalize_number(tok.text)}
        if tok.kind == "op" and tok.text == "-":
            number = self.next()
            if number.kind != "number":
                raise malformed(f"Unexpected token {number.text}")
            return {"N": normalize_number("-" + number.text)}
        if tok.upper in ("TRUE", "FALSE"):
            return {"BOOL": tok.upper == "TRUE"}
        if tok.upper == "NULL":
            return {"NULL": True}
        if tok.kind == "op" and tok.text == "[":
            items = []
            while not self.at("]"):
                items.append(self.literal())
                if not self.at("]"):
                    self.expect(",")
            self.next()
            return {"L": items}
        if tok.kind == "op" and tok.text == "{":
            members: dict[str, Any] = {}
            while not self.at("}"):
                key = self.next()
                if key.kind != "string":
                    raise malformed(f"Expected a string key in a tuple, found {key.text}")
                self.expect(":")
                members[key.text[1:-1].replace("''", "'")] = self.literal()
                if not self.at("}"):
                    self.expect(",")
            self.next()
            return {"M": members}
        if tok.kind == "op" and tok.text == "<<":
            elements = []
            while not self.at(">>"):
                elements.append(self.literal())
                if not self.at(">>"):
                    self.expect(",")
            self.next()
            return _set_of(elements)
        raise malformed(f"Unexpected token {tok.text}")

    def is_value_start(self) -> bool:
        tok = self.peek()
        if tok is None:
            return False
        if tok.kind in ("string", "number"):
            return True
        if tok.kind == "op":
            return tok.text in ("?", "[", "{", "<<", "-")
        return tok.upper in ("TRUE", "FALSE", "NULL")

    def path(self) -> list[str]:
        """A document path: name(.name | [n])*, as placeholder text."""
        tok = self.next()
        if tok.kind not in ("quoted", "word") or tok.upper in _KEYWORDS - {"VALUE"}:
            raise malformed(f"Expected an attribute name, found {tok.text}")
        parts = [self.name(_unquote(tok))]
        while True:
            following = self.peek(1)
            if self.at(".") and following is not None and following.kind in ("word", "quoted"):
                self.next()
                parts.append("." + self.name(_unquote(self.next())))
            elif self.at("[") and following is not None and following.kind == "number":
                self.next()
                parts.append(f"[{self.next().text}]")
                self.expect("]")
            else:
                return parts

    def expression(self, stop: tuple[str, ...]) -> str:
        """Translate tokens up to a stop word (at depth 0) into expression text."""
        out: list[str] = []
        depth = 0
        in_list = 0
        while not self.done():
            tok = self.peek()
            assert tok is not None
            if depth == 0 and (tok.upper in stop or (tok.kind == "op" and tok.text in stop)):
                break
            if tok.upper == "IS":
                self.next()
                negated = False
                if self.at("NOT"):
                    self.next()
                    negated = True
                what = self.next()
                start = _path_start(out)
                target = " ".join(out[start:])
                del out[start:]
                if what.upper == "MISSING":
                    fn = "attribute_exists" if negated else "attribute_not_exists"
                    out.append(f"{fn}({target})")
                elif what.upper == "NULL":
                    test = f"attribute_type({target}, {self.value({'S': 'NULL'})})"
                    out.append(f"NOT {test}" if negated else test)
                else:
                    raise unsupported(f"IS {what.text}")
                continue
            if tok.upper in ("RETURNING", "ORDER", "SELECT", "EXISTS"):
                raise unsupported(tok.upper)
            if tok.kind == "word" and tok.text.lower() in _FUNCTIONS and self.at_call():
                out.append(self.next().text.lower())
                continue
            if tok.upper in ("AND", "OR", "NOT", "BETWEEN", "IN"):
                out.append(self.next().upper)
                if tok.upper == "IN" and self.at("["):
                    self.next()
                    out.append("(")
                    in_list += 1
                    depth += 1
                continue
            if self.is_value_start() and not (
                tok.kind == "op" and tok.text == "-" and _operand_before(out)
            ):
                out.append(self.value(self.literal()))
                continue
            if tok.kind in ("word", "quoted"):
                out.append("".join(self.path()))
                continue
            self.next()
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
            elif tok.text == "]" and in_list:
                in_list -= 1
                depth -= 1
                out.append(")")
                continue
            out.append("<>" if tok.text == "!=" else tok.text)
        if not out:
            raise malformed("Unexpected end of statement")
        return " ".join(out)

    def at_call(self) -> bool:
        nxt = self.peek(1)
        return nxt is not None and nxt.kind == "op" and nxt.text == "("


def _operand_before(out: list[str]) -> bool:
    return bool(out) and (out[-1].startswith((":", "#")) or out[-1] in (")", "]"))


def _path_start(out: list[str]) -> int:
    if not out:
        raise malformed("IS without an operand")
    return len(out) - 1


def _unquote(tok: Tok) -> str:
    if tok.kind == "quoted":
        return tok.text[1:-1].replace('""', '"')
    return tok.text


def _set_of(elements: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = {next(iter(e)) for e in elements}
    if not elements or len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
        raise validation("Unsupported set: a set holds strings, numbers or binaries of one type")
    kind = next(iter(kinds))
    return validate_value({kind + "S": [e[kind] for e in elements]})


# -- key equalities in a WHERE clause ----------------------------------------------------


def _conjuncts(text: str) -> list[list[str]]:
    """The top-level AND operands of a condition; none when it has a top-level OR
    (which binds looser than AND, so no operand holds for every match)."""
    parts: list[list[str]] = [[]]
    depth = 0
    between = False
    for word in text.split(" "):
        if word in ("(",) or word.endswith("("):
            depth += word.count("(")
        if word == ")":
            depth -= 1
        if depth == 0 and word == "OR":
            return []
        if depth == 0 and word == "BETWEEN":
            between = True
        if depth == 0 and word == "AND":
            if between:
                between = False
            else:
                parts.append([])
                continue
        parts[-1].append(word)
    return parts


def key_equalities(where: str, out: Translated) -> dict[str, dict[str, Any]]:
    """Attribute -> value for each top-level `name = value` conjunct."""
    found: dict[str, dict[str, Any]] = {}
    for part in _conjuncts(where):
        if len(part) == 3 and part[1] == "=":
            a, b = part[0], part[2]
            if a.startswith(":") and b.startswith("#"):
                a, b = b, a
            if a.startswith("#") and a in out.names and b in out.values:
                found.setdefault(out.names[a], out.values[b])
    return found


# -- statements ---------------------------------------------------------------------------


@dataclass
class Statement:
    kind: str
    table: str
    index: str | None = None
    projection: str | None = None
    where: str | None = None
    item: Item | None = None
    update: str | None = None
    reader: Reader | None = None


def parse(text: str, params: list[dict[str, Any]]) -> Statement:
    tokens = tokenize(text)
    if not tokens:
        raise malformed("Empty statement")
    reader = Reader(tokens, params)
    first = reader.next().upper
    if first == "SELECT":
        statement = _select(reader)
    elif first == "INSERT":
        reader.expect("INTO")
        table, _ = reader.table_name()
        reader.expect("VALUE")
        item = reader.literal()
        if "M" not in item:
            raise malformed("INSERT needs a tuple {...} as its VALUE")
        statement = Statement("INSERT", table, item=item["M"])
    elif first == "UPDATE":
        statement = _update(reader)
    elif first == "DELETE":
        reader.expect("FROM")
        table, _ = reader.table_name()
        where = None
        if reader.at("WHERE"):
            reader.next()
            where = reader.expression(("RETURNING",))
        statement = Statement("DELETE", table, where=where)
    elif first == "EXISTS":
        raise unsupported("EXISTS")
    else:
        raise malformed(f"Unexpected keyword {tokens[0].text}")
    if not reader.done():
        tok = reader.peek()
        assert tok is not None
        if tok.upper == "RETURNING":
            raise unsupported("RETURNING")
        raise malformed(f"Unexpected token {tok.text}")
    if reader.used_params != len(params):
        raise validation("Number of parameters in request and statement don't match.")
    statement.reader = reader
    return statement


def _select(reader: Reader) -> Statement:
    projection = None
    if reader.at("*"):
        reader.next()
    else:
        columns = ["".join(reader.path())]
        while reader.at(","):
            reader.next()
            columns.append("".join(reader.path()))
        projection = ", ".join(columns)
    reader.expect("FROM")
    table, index = reader.table_name()
    where = None
    if reader.at("WHERE"):
        reader.next()
        where = reader.expression(("ORDER", "RETURNING"))
    if reader.at("ORDER"):
        raise unsupported("ORDER BY")
    return Statement("SELECT", table, index=index, projection=projection, where=where)


def _update(reader: Reader) -> Statement:
    table, _ = reader.table_name()
    sets: list[str] = []
    removes: list[str] = []
    while reader.at("SET", "REMOVE"):
        clause = reader.next().upper
        while True:
            if clause == "SET":
                target = "".join(reader.path())
                reader.expect("=")
                sets.append(f"{target} = {reader.expression((',', 'SET', 'REMOVE', 'WHERE'))}")
            else:
                removes.append("".join(reader.path()))
            if reader.at(","):
                reader.next()
                continue
            break
    if not sets and not removes:
        raise malformed("UPDATE needs a SET or REMOVE clause")
    update = " ".join(
        part
        for part in (
            f"SET {', '.join(sets)}" if sets else "",
            f"REMOVE {', '.join(removes)}" if removes else "",
        )
        if part
    )
    reader.expect("WHERE")
    where = reader.expression(("RETURNING",))
    return Statement("UPDATE", table, where=where, update=update)
