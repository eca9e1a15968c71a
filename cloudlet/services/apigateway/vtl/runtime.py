"""The values a template works with, behaving as the Java objects Velocity sees.

Python values stand for Java ones: str for String, int for Integer/Long, float for
Double, bool for Boolean, list for ArrayList, dict for LinkedHashMap, None for null.
Rendering uses Java's toString (`{a=1, b=[x, y]}`), conditions and comparisons follow
Velocity 1.7 (the engine API Gateway runs), and the methods templates call on strings,
lists and maps are the Java ones, with Java's argument types: a call that matches no
method yields null (rendered as the reference's own text), a call that throws is a
TemplateError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cloudlet.services.apigateway.vtl.errors import TemplateError


class NoSuchMethod(Exception):
    """No method of that name takes these arguments (Velocity renders the reference)."""


class VtlObject:
    """An object of API Gateway's ($input, $util, $foreach ...): properties and methods."""

    def vtl_property(self, name: str) -> Any:
        return None

    def vtl_call(self, name: str, args: list[Any]) -> Any:
        raise NoSuchMethod(name)

    def vtl_text(self) -> str:
        return ""


class MapEntry(VtlObject):
    """An element of `$map.entrySet()`."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value

    def vtl_property(self, name: str) -> Any:
        return {"key": self.key, "value": self.value}.get(name)

    def vtl_call(self, name: str, args: list[Any]) -> Any:
        if not args and name == "getKey":
            return self.key
        if not args and name == "getValue":
            return self.value
        raise NoSuchMethod(name)

    def vtl_text(self) -> str:
        return f"{to_text(self.key)}={to_text(self.value)}"


class ForeachScope(VtlObject):
    """`$foreach` inside a #foreach loop (index, count, hasNext, first, last, parent)."""

    __slots__ = ("index", "size", "parent")

    def __init__(self, size: int, parent: Any) -> None:
        self.index = 0
        self.size = size
        self.parent = parent

    def vtl_property(self, name: str) -> Any:
        if name == "index":
            return self.index
        if name in ("count", "velocityCount"):
            return self.index + 1
        if name == "hasNext":
            return self.index + 1 < self.size
        if name == "first":
            return self.index == 0
        if name == "last":
            return self.index + 1 == self.size
        if name == "parent":
            return self.parent
        if name == "topmost":
            scope: ForeachScope = self
            while isinstance(scope.parent, ForeachScope):
                scope = scope.parent
            return scope
        return None

    def vtl_call(self, name: str, args: list[Any]) -> Any:
        getters = {
            "getIndex": "index",
            "getCount": "count",
            "hasNext": "hasNext",
            "getHasNext": "hasNext",
            "isFirst": "first",
            "getFirst": "first",
            "isLast": "last",
            "getLast": "last",
            "getParent": "parent",
            "getTopmost": "topmost",
        }
        if args or name not in getters:
            raise NoSuchMethod(name)
        return self.vtl_property(getters[name])


# --- rendering -------------------------------------------------------------------------


def java_double(value: float) -> str:
    """Java's Double.toString: 1.0, 0.5, 1.0E7, 1.0E-4, NaN, Infinity."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    magnitude = abs(value)
    if magnitude == 0 or 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if "e" not in text else format(Decimal(text), "f")
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    figures = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    mantissa = figures[0] + "." + (figures[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def to_text(value: Any) -> str:
    """Java's toString of a value (null inside a collection is "null")."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_text(k)}={to_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_text(item) for item in value) + "]"
    if isinstance(value, VtlObject):
        return value.vtl_text()
    return str(value)


# --- conditions, comparison, arithmetic (Velocity 1.7) -------------------------------


def truthy(value: Any) -> bool:
    """#if: null and false are false, everything else (even "" and 0) is true."""
    if value is None or value is False:
        return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def equals(left: Any, right: Any) -> bool:
    """`==`: numbers by value, same kinds by equals(), otherwise by their toString."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if left is None or right is None:
        return left is None and right is None
    if _same_kind(left, right):
        return bool(left == right)
    return to_text(left) == to_text(right)


def _same_kind(left: Any, right: Any) -> bool:
    kinds = (bool, str, list, dict)
    return any(isinstance(left, kind) and isinstance(right, kind) for kind in kinds)


def compare(op: str, left: Any, right: Any) -> bool:
    """`<`, `<=`, `>`, `>=`: numbers only; anything else is false (Velocity logs it)."""
    if not (_is_number(left) and _is_number(right)):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


_LONG_LIMIT = 2**63


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """`+ - * / %` on numbers (Java integer division and remainder); else null."""
    if not (_is_number(left) and _is_number(right)):
        return None
    if op in ("+", "-", "*"):
        result = left + right if op == "+" else left - right if op == "-" else left * right
        if isinstance(result, int) and not -_LONG_LIMIT <= result < _LONG_LIMIT:
            # Velocity would go on in BigInteger; a template has no use for such numbers,
            # and a loop of squarings must not be able to stall the server
            raise TemplateError(f"Integer overflow: {op} gives more than 64 bits")
        return result
    if right == 0:
        return None  # Velocity logs a division by zero and yields null
    if isinstance(left, int) and isinstance(right, int):
        quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
        return quotient if op == "/" else left - quotient * right
    return left / right if op == "/" else math.fmod(left, right)


# --- property, index and method access ----------------------------------------------


def get_property(obj: Any, name: str) -> Any:
    """`$obj.name`: a map's key, a getter (`$list.empty` is isEmpty()), or null."""
    if isinstance(obj, dict):
        return obj.get(name)
    if isinstance(obj, VtlObject):
        return obj.vtl_property(name)
    if name == "empty" and isinstance(obj, str | list):
        return len(obj) == 0
    if name == "class":
        return None
    return None


def get_index(obj: Any, key: Any) -> Any:
    """`$obj[key]`: a list element (negative counts from the end) or a map's key."""
    if isinstance(obj, dict):
        return obj.get(key)
    if isinstance(obj, list) and isinstance(key, int) and not isinstance(key, bool):
        index = key + len(obj) if key < 0 else key
        if 0 <= index < len(obj):
            return obj[index]
        raise TemplateError(f"Index {key} out of bounds for length {len(obj)}")
    return None


def set_member(obj: Any, key: Any, value: Any) -> None:
    """`#set($obj.key = v)` / `#set($list[i] = v)`."""
    if isinstance(obj, dict):
        obj[key] = value
    elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
        obj[key] = value


def call_method(obj: Any, name: str, args: list[Any]) -> Any:
    """`$obj.name(args)`; raises NoSuchMethod where Java has no such method."""
    if isinstance(obj, VtlObject):
        return obj.vtl_call(name, args)
    if isinstance(obj, str):
        table = _STRING_METHODS
    elif isinstance(obj, dict):
        table = _MAP_METHODS
    elif isinstance(obj, list):
        table = _LIST_METHODS
    elif isinstance(obj, bool):
        table = {}
    elif isinstance(obj, int | float):
        table = _NUMBER_METHODS
    else:
        table = {}
    method = table.get(name)
    if method is not None:
        function, arities = method
        if len(args) in arities:
            return function(obj, *args)
    if name == "toString" and not args:
        return to_text(obj)
    if name == "equals" and len(args) == 1:
        # Java's equals: same class and value (Integer 1 does not equal Double 1.0)
        return type(obj) is type(args[0]) and bool(obj == args[0])
    raise NoSuchMethod(name)


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise NoSuchMethod("int parameter")


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise NoSuchMethod("String parameter")


def _bounds(text: str | list[Any], begin: int, end: int) -> None:
    if begin < 0 or end > len(text) or begin > end:
        raise TemplateError(f"begin {begin}, end {end}, length {len(text)}")


def _substring(text: str, begin: Any, end: Any = None) -> str:
    begin = _int(begin)
    stop = len(text) if end is None else _int(end)
    _bounds(text, begin, stop)
    return text[begin:stop]


def _index_of(text: str, needle: Any, start: Any = 0) -> int:
    return text.find(_str(needle), max(_int(start), 0))


def _last_index_of(text: str, needle: Any, start: Any = None) -> int:
    if start is None:
        return text.rfind(_str(needle))
    stop = _int(start) + len(_str(needle))
    return text.rfind(needle, 0, max(stop, 0)) if stop >= 0 else -1


def _char_at(text: str, index: Any) -> str:
    index = _int(index)
    if not 0 <= index < len(text):
        raise TemplateError(f"String index out of range: {index}")
    return text[index]


@lru_cache(maxsize=256)
def java_regex(pattern: str) -> re.Pattern[str]:
    """A Java regular expression as Python's (their syntax agrees on what templates use)."""
    try:
        return re.compile(pattern)
    except re.error as error:
        raise TemplateError(f"Invalid regular expression {pattern!r}: {error}") from None


@lru_cache(maxsize=256)
def _java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """Java's Matcher replacement syntax: $1, ${name}, backslash escapes."""
    parts: list[str | int] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\":
            if i + 1 >= len(replacement):
                raise TemplateError("character to be escaped is missing")
            literal.append(replacement[i + 1])
            i += 2
        elif ch == "$":
            if replacement.startswith("{", i + 1):
                close = replacement.find("}", i + 2)
                if close < 0:
                    raise TemplateError("named capturing group is missing trailing '}'")
                parts.extend(["".join(literal), replacement[i + 2 : close]])
                literal = []
                i = close + 1
                continue
            j = i + 1
            while j < len(replacement) and replacement[j].isdigit():
                j += 1
            if j == i + 1:
                raise TemplateError("Illegal group reference")
            parts.extend(["".join(literal), int(replacement[i + 1 : j])])
            literal = []
            i = j
        else:
            literal.append(ch)
            i += 1
    parts.append("".join(literal))

    def expand(match: re.Match[str]) -> str:
        out: list[str] = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                out.append(str(part))
            else:
                try:
                    out.append(match.group(part) or "")
                except (IndexError, re.error):
                    raise TemplateError(f"No group {part}") from None
        return "".join(out)

    return expand


def _replace_all(text: str, regex: Any, replacement: Any, count: int = 0) -> str:
    expand = _java_replacement(_str(replacement))
    try:
        return java_regex(_str(regex)).sub(expand, text, count=count)
    except IndexError:
        raise TemplateError(f"No group in {replacement!r}") from None


def java_split(text: str, regex: Any, limit: Any = 0) -> list[Any]:
    """String.split: Java drops trailing empty strings (limit 0) and a leading empty
    string made by a zero-width match."""
    pattern = java_regex(_str(regex))
    limit = _int(limit)
    parts: list[Any] = []
    last = 0
    for match in pattern.finditer(text):
        if limit > 0 and len(parts) == limit - 1:
            break
        if match.end() == 0:
            continue
        if match.start() == match.end() and match.start() >= len(text):
            continue
        parts.append(text[last : match.start()])
        last = match.end()
    if not parts and last == 0:
        return [text]
    parts.append(text[last:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def _matches(text: str, regex: Any) -> bool:
    return java_regex(_str(regex)).fullmatch(text) is not None


def _compare_to(text: str, other: Any) -> int:
    other = _str(other)
    for a, b in zip(text, other, strict=False):
        if a != b:
            return ord(a) - ord(b)
    return len(text) - len(other)


_STRING_METHODS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "length": (len, (0,)),
    "isEmpty": (lambda s: len(s) == 0, (0,)),
    "isBlank": (lambda s: s.strip() == "", (0,)),
    "substring": (_substring, (1, 2)),
    "indexOf": (_index_of, (1, 2)),
    "lastIndexOf": (_last_index_of, (1, 2)),
    "contains": (lambda s, x: _str(x) in s, (1,)),
    "startsWith": (lambda s, x: s.startswith(_str(x)), (1,)),
    "endsWith": (lambda s, x: s.endswith(_str(x)), (1,)),
    "equals": (lambda s, x: isinstance(x, str) and s == x, (1,)),
    "equalsIgnoreCase": (lambda s, x: isinstance(x, str) and s.lower() == x.lower(), (1,)),
    "compareTo": (_compare_to, (1,)),
    "replace": (lambda s, a, b: s.replace(_str(a), _str(b)), (2,)),
    "replaceAll": (_replace_all, (2,)),
    "replaceFirst": (lambda s, a, b: _replace_all(s, a, b, 1), (2,)),
    "toLowerCase": (str.lower, (0,)),
    "toUpperCase": (str.upper, (0,)),
    "trim": (lambda s: s.strip("".join(map(chr, range(33)))), (0,)),
    "strip": (str.strip, (0,)),
    "split": (java_split, (1, 2)),
    "matches": (_matches, (1,)),
    "charAt": (_char_at, (1,)),
    "concat": (lambda s, x: s + _str(x), (1,)),
    "toString": (lambda s: s, (0,)),
}


def _list_get(items: list[Any], index: Any) -> Any:
    index = _int(index)
    if not 0 <= index < len(items):
        raise TemplateError(f"Index {index} out of bounds for length {len(items)}")
    return items[index]


def _list_add(items: list[Any], *args: Any) -> Any:
    if len(args) == 1:
        items.append(args[0])
        return True
    index = _int(args[0])
    if not 0 <= index <= len(items):
        raise TemplateError(f"Index: {index}, Size: {len(items)}")
    items.insert(index, args[1])
    return None


def _list_remove(items: list[Any], what: Any) -> Any:
    if isinstance(what, int) and not isinstance(what, bool):
        return items.pop(_check_index(items, what))
    for position, item in enumerate(items):
        if equals(item, what):
            del items[position]
            return True
    return False


def _check_index(items: list[Any], index: int) -> int:
    if not 0 <= index < len(items):
        raise TemplateError(f"Index {index} out of bounds for length {len(items)}")
    return index


def _list_set(items: list[Any], index: Any, value: Any) -> Any:
    position = _check_index(items, _int(index))
    previous = items[position]
    items[position] = value
    return previous


def _list_index_of(items: list[Any], what: Any) -> int:
    return next((i for i, item in enumerate(items) if equals(item, what)), -1)


def _sub_list(items: list[Any], begin: Any, end: Any) -> list[Any]:
    _bounds(items, _int(begin), _int(end))
    return items[begin:end]


def _add_all(items: list[Any], other: Any) -> bool:
    if not isinstance(other, list):
        raise NoSuchMethod("addAll")
    items.extend(other)
    return bool(other)


_LIST_METHODS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "size": (len, (0,)),
    "isEmpty": (lambda x: len(x) == 0, (0,)),
    "get": (_list_get, (1,)),
    "add": (_list_add, (1, 2)),
    "addAll": (_add_all, (1,)),
    "set": (_list_set, (2,)),
    "remove": (_list_remove, (1,)),
    "contains": (lambda x, v: any(equals(item, v) for item in x), (1,)),
    "indexOf": (_list_index_of, (1,)),
    "clear": (lambda x: x.clear(), (0,)),
    "subList": (_sub_list, (2,)),
}


def _map_put(mapping: dict[Any, Any], key: Any, value: Any) -> Any:
    previous = mapping.get(key)
    mapping[key] = value
    return previous


def _map_put_all(mapping: dict[Any, Any], other: Any) -> None:
    if not isinstance(other, dict):
        raise NoSuchMethod("putAll")
    mapping.update(other)


def _map_put_if_absent(mapping: dict[Any, Any], key: Any, value: Any) -> Any:
    current = mapping.get(key)
    if current is None:
        mapping[key] = value
    return current


_MAP_METHODS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "size": (len, (0,)),
    "isEmpty": (lambda m: len(m) == 0, (0,)),
    "get": (lambda m, k: m.get(k), (1,)),
    "getOrDefault": (lambda m, k, d: m[k] if k in m else d, (2,)),
    "containsKey": (lambda m, k: k in m, (1,)),
    "containsValue": (lambda m, v: any(equals(x, v) for x in m.values()), (1,)),
    "put": (_map_put, (2,)),
    "putAll": (_map_put_all, (1,)),
    "putIfAbsent": (_map_put_if_absent, (2,)),
    "remove": (lambda m, k: m.pop(k, None), (1,)),
    "clear": (lambda m: m.clear(), (0,)),
    "keySet": (lambda m: list(m.keys()), (0,)),
    "values": (lambda m: list(m.values()), (0,)),
    "entrySet": (lambda m: [MapEntry(k, v) for k, v in m.items()], (0,)),
}


def _parse_int(_number: Any, text: Any) -> int:
    try:
        return int(_str(text))
    except ValueError:
        raise TemplateError(f'For input string: "{text}"') from None


_NUMBER_METHODS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "intValue": (lambda n: int(n), (0,)),
    "longValue": (lambda n: int(n), (0,)),
    "doubleValue": (lambda n: float(n), (0,)),
    "floatValue": (lambda n: float(n), (0,)),
    "parseInt": (_parse_int, (1,)),
    "valueOf": (_parse_int, (1,)),
}
