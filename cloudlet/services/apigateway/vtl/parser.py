"""Velocity Template Language parsed once into Python closures.

The parser reads a template and returns a `Render` closure tree: rendering is a walk of
plain function calls over a frame (the variables, a dict) appending to a list of strings.

Whitespace follows Velocity 1.7, the engine API Gateway runs: a directive's closing
parenthesis (`#if(...)`, `#elseif(...)`, `#foreach(...)`, `#set(...)`) and `#else` and
`#end` swallow the spaces and the one newline that follow them; `#set` also swallows the
indentation before it; `##` comments swallow their newline. The indentation before other
directives stays, so a directive alone on a line leaves no empty line behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from cloudlet.services.apigateway.vtl.errors import TemplateError, TemplateSyntaxError
from cloudlet.services.apigateway.vtl.runtime import (
    ForeachScope,
    NoSuchMethod,
    arithmetic,
    call_method,
    compare,
    equals,
    get_index,
    get_property,
    set_member,
    to_text,
    truthy,
)

Frame = dict[str, Any]
Render = Callable[[Frame, list[str]], None]
Expr = Callable[[Frame], Any]
Step = Callable[[Any, Frame], Any]

MAX_RANGE = 1_000_000
"""The longest [a..b] a template may build (cloudlet's guard against runaway memory)."""
MAX_ITERATIONS = 1_000_000
"""#foreach iterations per render, all loops together (cloudlet's guard)."""


class Break(Exception):
    """#break: leaves the innermost #foreach (or the template)."""


class Stop(Exception):
    """#stop: ends the rendering, keeping what was output so far."""


_SPECIAL = re.compile(r"[$#\\]")
_IDENT = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_DIRECTIVE = re.compile(r"#(?:\{([a-zA-Z][a-zA-Z0-9_]*)\}|([a-zA-Z][a-zA-Z0-9_]*))")
_LINE_END = re.compile(r"[ \t]*(?:\r\n|\n|\r)")
_SPACE = re.compile(r"\s*")
_NUMBER = re.compile(r"\d+(?:\.(?!\.)\d*)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_DIRECTIVES = frozenset(
    {
        "set",
        "if",
        "elseif",
        "else",
        "end",
        "foreach",
        "break",
        "stop",
        "macro",
        "define",
        "include",
        "parse",
        "evaluate",
    }
)
MAX_MACRO_DEPTH = 20
"""Velocity's velocimacro.max.depth."""


class Macro(NamedTuple):
    params: tuple[str, ...]
    body: Render


def _nothing(frame: Frame, out: list[str]) -> None:
    return None


class _Ref:
    """A reference: `$root` with property, method and index steps."""

    __slots__ = ("root", "steps", "literal", "quiet", "lhs")

    def __init__(
        self,
        root: str,
        steps: list[Step],
        literal: str,
        quiet: bool,
        lhs: tuple[str, Expr] | None,
    ) -> None:
        self.root = root
        self.steps = steps
        self.literal = literal
        self.quiet = quiet
        self.lhs = lhs  # the last step as (kind, key) when it can be assigned to

    def evaluator(self, drop_last: bool = False) -> Expr:
        root = self.root
        steps = self.steps[:-1] if drop_last else self.steps
        if not steps:
            return lambda frame: frame.get(root)

        def evaluate(frame: Frame) -> Any:
            value = frame.get(root)
            for step in steps:
                if value is None:
                    return None
                value = step(value, frame)
            return value

        return evaluate

    def renderer(self, backslashes: int = 0) -> Render:
        evaluate = self.evaluator()
        literal = self.literal
        missing = "" if self.quiet else literal
        if backslashes:
            # Velocity: \$x renders "$x" when x is defined, "\$x" when it is not
            kept = "\\" * (backslashes // 2)
            escaped = backslashes % 2 == 1
            undefined = "\\" * backslashes + literal

            def render_escaped(frame: Frame, out: list[str]) -> None:
                value = evaluate(frame)
                if value is None:
                    out.append(undefined)
                else:
                    out.append(kept + (literal if escaped else to_text(value)))

            return render_escaped

        def render(frame: Frame, out: list[str]) -> None:
            value = evaluate(frame)
            if value is None:
                out.append(missing)
            else:
                out.append(value if type(value) is str else to_text(value))

        return render


def _property_step(name: str) -> Step:
    return lambda value, frame: get_property(value, name)


def _index_step(key: Expr) -> Step:
    return lambda value, frame: get_index(value, key(frame))


def _method_step(name: str, arguments: list[Expr]) -> Step:
    def step(value: Any, frame: Frame) -> Any:
        args = [argument(frame) for argument in arguments]
        try:
            return call_method(value, name, args)
        except NoSuchMethod:
            return None
        except (TemplateError, Break, Stop):
            raise
        except Exception as error:  # a Java method throwing: MethodInvocationException
            raise TemplateError(
                f"Invocation of method '{name}' threw {type(error).__name__}: {error}"
            ) from None

    return step


def _sequence(nodes: list[Render]) -> Render:
    if len(nodes) == 1:
        return nodes[0]
    items = tuple(nodes)

    def render(frame: Frame, out: list[str]) -> None:
        for node in items:
            node(frame, out)

    return render


def _text(text: str) -> Render:
    def render(frame: Frame, out: list[str]) -> None:
        out.append(text)

    return render


class Parser:
    def __init__(self, source: str, macros: dict[str, Macro] | None = None) -> None:
        self.src = source
        self.pos = 0
        # #macro definitions of the whole template (string literals share them); looked
        # up when a call renders, so a macro may be called before its definition
        self.macros: dict[str, Macro] = {} if macros is None else macros

    # --- errors --------------------------------------------------------------------

    def error(self, message: str, position: int | None = None) -> TemplateSyntaxError:
        position = self.pos if position is None else position
        line = self.src.count("\n", 0, position) + 1
        column = position - (self.src.rfind("\n", 0, position) + 1) + 1
        return TemplateSyntaxError(f"{message} at line {line}, column {column}")

    def encountered(self) -> TemplateSyntaxError:
        if self.pos >= len(self.src):
            return self.error('Encountered "<EOF>"')
        return self.error(f'Encountered "{self.src[self.pos]}"')

    # --- template text ---------------------------------------------------------------

    def parse(self) -> Render:
        try:
            body, _ = self.block(frozenset(), self.pos)
        except RecursionError:
            raise self.error("Template nested too deeply") from None
        return body

    def block(self, stops: frozenset[str], opened: int) -> tuple[Render, str]:
        """Nodes up to one of the directives in `stops` (returned) or the end."""
        src = self.src
        nodes: list[Render] = []
        text: list[str] = []

        def flush() -> None:
            if text:
                joined = "".join(text)
                text.clear()
                if joined:
                    nodes.append(_text(joined))

        while True:
            match = _SPECIAL.search(src, self.pos)
            if match is None:
                text.append(src[self.pos :])
                self.pos = len(src)
                break
            start = match.start()
            run = src[self.pos : start]  # one text token of Velocity's lexer
            if run:
                text.append(run)
            self.pos = start
            char = src[start]
            if char == "$":
                ref = self.reference(in_text=True)
                if ref is None:
                    text.append("$")
                    self.pos += 1
                else:
                    flush()
                    nodes.append(ref.renderer())
            elif char == "\\":
                self.escape(text, nodes, flush)
            elif src.startswith("##", start):
                line_end = _next_line(src, start)
                self.pos = line_end
            elif src.startswith("#*", start):
                close = src.find("*#", start + 2)
                if close < 0:
                    raise self.error("Unterminated #* comment", start)
                self.pos = close + 2
            elif src.startswith("#[[", start):
                close = src.find("]]#", start + 3)
                if close < 0:
                    raise self.error("Unterminated #[[ block", start)
                text.append(src[start + 3 : close])
                self.pos = close + 3
            else:
                directive = _DIRECTIVE.match(src, start)
                name = (directive.group(1) or directive.group(2)) if directive else ""
                if directive is not None and name not in _DIRECTIVES and directive.group(2):
                    call = self.macro_call(name, start, directive.end())
                    if call is not None:
                        flush()
                        nodes.append(call)
                        continue
                if directive is None or name not in _DIRECTIVES:
                    text.append("#")
                    self.pos += 1
                    continue
                self.pos = directive.end()
                if name in ("elseif", "else", "end"):
                    if name not in stops:
                        raise self.error(
                            f'Encountered "#{name}" without a matching directive', start
                        )
                    if name != "elseif":
                        self.gobble_line()
                    flush()
                    return _sequence(nodes), name
                if name == "set" and run and not run.strip(" \t"):
                    text.pop()  # #set swallows the indentation that starts its token
                flush()
                nodes.append(self.directive(name, start))
        if stops:
            raise self.error('Encountered "<EOF>": #end expected for the directive', opened)
        flush()
        return _sequence(nodes), ""

    def escape(self, text: list[str], nodes: list[Render], flush: Callable[[], None]) -> None:
        src = self.src
        start = self.pos
        end = start
        while end < len(src) and src[end] == "\\":
            end += 1
        count = end - start
        self.pos = end
        if src.startswith("$", end):
            ref = self.reference(in_text=True)
            if ref is not None:
                flush()
                nodes.append(ref.renderer(backslashes=count))
                return
            self.pos = end
        elif src.startswith("#", end):
            directive = _DIRECTIVE.match(src, end)
            if directive and (directive.group(1) or directive.group(2)) in _DIRECTIVES:
                text.append("\\" * (count // 2))
                if count % 2:
                    text.append(directive.group())
                    self.pos = directive.end()
                return
        text.append("\\" * count)

    def gobble_line(self) -> None:
        match = _LINE_END.match(self.src, self.pos)
        if match:
            self.pos = match.end()

    # --- directives ------------------------------------------------------------------

    def directive(self, name: str, start: int) -> Render:
        if name == "set":
            return self.set_directive()
        if name == "if":
            return self.if_directive(start)
        if name == "foreach":
            return self.foreach_directive(start)
        if name == "break":
            return _raise(Break)
        if name == "stop":
            return _raise(Stop)
        if name == "macro":
            return self.macro_definition(start)
        raise self.error(f"#{name} is not supported in mapping templates", start)

    def macro_definition(self, start: int) -> Render:
        """#macro(name $param ...) body #end: defines; renders nothing."""
        self.open_paren()
        self.skip_space()
        word = _WORD.match(self.src, self.pos)
        if word is None:
            raise self.error("#macro needs a name", self.pos)
        self.pos = word.end()
        params: list[str] = []
        while True:
            self.skip_space()
            if self.src.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.src.startswith(")", self.pos):
                break
            at = self.pos
            ref = self.reference(in_text=False)
            if ref is None or ref.steps:
                raise self.error("#macro parameters are references: #macro(name $a $b)", at)
            params.append(ref.root)
        self.close_paren()
        body, _ = self.block(frozenset({"end"}), start)
        self.macros[word.group()] = Macro(tuple(params), body)
        return _nothing

    def macro_call(self, name: str, start: int, after: int) -> Render | None:
        """`#name(args)`: a call of a macro when one of that name exists as it renders,
        else the text as written. None when no argument list follows."""
        src = self.src
        match = _SPACE.match(src, after)
        position = match.end() if match else after
        if not src.startswith("(", position):
            return None
        self.pos = position + 1
        arguments: list[Expr] = []
        try:
            while True:
                self.skip_space()
                if src.startswith(",", self.pos):
                    self.pos += 1
                    continue
                if src.startswith(")", self.pos):
                    break
                arguments.append(self.expression())
        except TemplateSyntaxError:
            self.pos = start
            return None
        self.pos += 1
        literal = src[start : self.pos]
        self.gobble_line()
        macros = self.macros

        def render(frame: Frame, out: list[str]) -> None:
            macro = macros.get(name)
            if macro is None:
                out.append(literal)
                return
            values = [argument(frame) for argument in arguments]
            depth: list[int] = frame.setdefault("\0depth", [0])
            if depth[0] >= MAX_MACRO_DEPTH:
                raise TemplateError(f"Macro #{name} nested deeper than {MAX_MACRO_DEPTH}")
            saved = {param: frame[param] for param in macro.params if param in frame}
            for index, param in enumerate(macro.params):
                value = values[index] if index < len(values) else None
                if value is None:
                    frame.pop(param, None)
                else:
                    frame[param] = value
            depth[0] += 1
            try:
                macro.body(frame, out)
            finally:
                depth[0] -= 1
                for param in macro.params:
                    if param in saved:
                        frame[param] = saved[param]
                    else:
                        frame.pop(param, None)

        return render

    def open_paren(self) -> None:
        self.skip_space()
        if not self.src.startswith("(", self.pos):
            raise self.encountered()
        self.pos += 1

    def close_paren(self) -> None:
        self.skip_space()
        if not self.src.startswith(")", self.pos):
            raise self.encountered()
        self.pos += 1
        self.gobble_line()

    def set_directive(self) -> Render:
        self.open_paren()
        self.skip_space()
        at = self.pos
        ref = self.reference(in_text=False)
        if ref is None:
            raise self.error("#set needs a reference on the left side", at)
        self.skip_space()
        if not self.src.startswith("=", self.pos):
            raise self.encountered()
        self.pos += 1
        value = self.expression()
        self.close_paren()
        root = ref.root
        if not ref.steps:

            def assign(frame: Frame, out: list[str]) -> None:
                result = value(frame)
                if result is not None:  # Velocity 1.7 leaves the reference as it was
                    frame[root] = result

            return assign
        if ref.lhs is None:
            raise self.error("#set cannot assign to a method call", at)
        target = ref.evaluator(drop_last=True)
        key = ref.lhs[1]

        def assign_member(frame: Frame, out: list[str]) -> None:
            result = value(frame)
            if result is not None:
                container = target(frame)
                if container is not None:
                    set_member(container, key(frame), result)

        return assign_member

    def if_directive(self, start: int) -> Render:
        branches: list[tuple[Expr, Render]] = []
        stops = frozenset({"elseif", "else", "end"})
        ending = "elseif"
        while ending == "elseif":
            self.open_paren()
            condition = self.expression()
            self.close_paren()
            body, ending = self.block(stops, start)
            branches.append((condition, body))
        otherwise: Render | None = None
        if ending == "else":
            otherwise, ending = self.block(frozenset({"end"}), start)
        chosen = tuple(branches)

        def render(frame: Frame, out: list[str]) -> None:
            for condition, body in chosen:
                if truthy(condition(frame)):
                    body(frame, out)
                    return
            if otherwise is not None:
                otherwise(frame, out)

        return render

    def foreach_directive(self, start: int) -> Render:
        self.open_paren()
        self.skip_space()
        at = self.pos
        ref = self.reference(in_text=False)
        if ref is None or ref.steps:
            raise self.error("#foreach needs a variable: #foreach($item in $list)", at)
        self.skip_space()
        word = _WORD.match(self.src, self.pos)
        if word is None or word.group() != "in":
            raise self.encountered()
        self.pos = word.end()
        collection = self.expression()
        self.close_paren()
        body, _ = self.block(frozenset({"end"}), start)
        name = ref.root

        def render(frame: Frame, out: list[str]) -> None:
            items = _iterable(collection(frame))
            if not items:
                return
            saved = {
                key: frame[key]
                for key in (name, "foreach", "velocityCount", "velocityHasNext")
                if key in frame
            }
            scope = ForeachScope(len(items), frame.get("foreach"))
            frame["foreach"] = scope
            budget: list[int] = frame.setdefault("\0iterations", [MAX_ITERATIONS])
            try:
                for index, item in enumerate(items):
                    budget[0] -= 1
                    if budget[0] < 0:
                        raise TemplateError("Too many #foreach iterations in one rendering")
                    scope.index = index
                    if item is None:
                        frame.pop(name, None)
                    else:
                        frame[name] = item
                    frame["velocityCount"] = index + 1
                    frame["velocityHasNext"] = index + 1 < len(items)
                    try:
                        body(frame, out)
                    except Break:
                        break
            finally:
                for key in (name, "foreach", "velocityCount", "velocityHasNext"):
                    if key in saved:
                        frame[key] = saved[key]
                    else:
                        frame.pop(key, None)

        return render

    # --- references --------------------------------------------------------------------

    def reference(self, in_text: bool) -> _Ref | None:
        """`$name`, `$!name`, `${name}` with `.prop`, `.method(args)` and `[index]`
        steps; None (position unchanged) when `$` starts no reference."""
        src = self.src
        start = self.pos
        index = start + 1
        quiet = src.startswith("!", index)
        if quiet:
            index += 1
        braced = src.startswith("{", index)
        if braced:
            index += 1
        match = _IDENT.match(src, index)
        if match is None:
            return None
        root = match.group()
        index = match.end()
        steps: list[Step] = []
        lhs: tuple[str, Expr] | None = None
        while True:
            if src.startswith(".", index):
                member = _IDENT.match(src, index + 1)
                if member is None or src[index + 1] == "_":
                    break
                name = member.group()
                if src.startswith("(", member.end()):
                    self.pos = member.end() + 1
                    arguments = self.arguments()
                    steps.append(_method_step(name, arguments))
                    lhs = None
                    index = self.pos
                else:
                    steps.append(_property_step(name))
                    lhs = ("property", _constant(name))
                    index = member.end()
            elif src.startswith("[", index):
                self.pos = index + 1
                try:
                    key = self.expression()
                    self.skip_space()
                    if not src.startswith("]", self.pos):
                        raise self.encountered()
                except TemplateSyntaxError:
                    if not in_text:
                        raise
                    break  # text such as "$a[b c]" is not an index
                self.pos += 1
                steps.append(_index_step(key))
                lhs = ("index", key)
                index = self.pos
            else:
                break
        if braced:
            if not src.startswith("}", index):
                if in_text:
                    self.pos = start
                    return None
                self.pos = index
                raise self.encountered()
            index += 1
        self.pos = index
        return _Ref(root, steps, src[start:index], quiet, lhs)

    def arguments(self) -> list[Expr]:
        """Method arguments after `(`, through the closing `)`."""
        arguments: list[Expr] = []
        self.skip_space()
        if self.src.startswith(")", self.pos):
            self.pos += 1
            return arguments
        while True:
            arguments.append(self.expression())
            self.skip_space()
            if self.src.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.src.startswith(")", self.pos):
                self.pos += 1
                return arguments
            raise self.encountered()

    # --- expressions -------------------------------------------------------------------

    def skip_space(self) -> None:
        match = _SPACE.match(self.src, self.pos)
        if match:
            self.pos = match.end()

    def operator(self, symbols: tuple[str, ...], words: dict[str, str]) -> str | None:
        self.skip_space()
        src = self.src
        for symbol in symbols:
            if src.startswith(symbol, self.pos):
                self.pos += len(symbol)
                return symbol
        if words:
            word = _WORD.match(src, self.pos)
            if word and word.group() in words:
                self.pos = word.end()
                return words[word.group()]
        return None

    def expression(self) -> Expr:
        left = self.and_expression()
        while self.operator(("||",), {"or": "||"}):
            left = _either(left, self.and_expression())
        return left

    def and_expression(self) -> Expr:
        left = self.equality()
        while self.operator(("&&",), {"and": "&&"}):
            left = _both(left, self.equality())
        return left

    def equality(self) -> Expr:
        left = self.relation()
        while op := self.operator(("==", "!="), {"eq": "==", "ne": "!="}):
            left = _equality(op, left, self.relation())
        return left

    def relation(self) -> Expr:
        left = self.additive()
        while op := self.operator(
            ("<=", ">=", "<", ">"), {"lt": "<", "gt": ">", "le": "<=", "ge": ">="}
        ):
            left = _relation(op, left, self.additive())
        return left

    def additive(self) -> Expr:
        left = self.multiplicative()
        while op := self.operator(("+", "-"), {}):
            left = _arithmetic(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Expr:
        left = self.unary()
        while op := self.operator(("*", "/", "%"), {}):
            left = _arithmetic(op, left, self.unary())
        return left

    def unary(self) -> Expr:
        if self.operator(("!",), {"not": "!"}):
            operand = self.unary()
            return lambda frame: not truthy(operand(frame))
        if self.operator(("-",), {}):
            operand = self.unary()
            return _arithmetic("-", _constant(0), operand)
        return self.primary()

    def primary(self) -> Expr:
        self.skip_space()
        src = self.src
        position = self.pos
        char = src[position] if position < len(src) else ""
        if char == "$":
            ref = self.reference(in_text=False)
            if ref is None:
                raise self.encountered()
            return ref.evaluator()
        if char in ("'", '"'):
            return self.string(char)
        if char == "[":
            return self.list_or_range()
        if char == "{":
            return self.map_literal()
        if char == "(":
            self.pos += 1
            inner = self.expression()
            self.skip_space()
            if not src.startswith(")", self.pos):
                raise self.encountered()
            self.pos += 1
            return inner
        number = _NUMBER.match(src, position)
        if number:
            self.pos = number.end()
            text = number.group()
            is_float = any(mark in text for mark in ".eE")
            try:
                return _constant(float(text) if is_float else int(text))
            except ValueError:  # more digits than Python converts
                raise self.error(f"Number too long: {text[:20]}...", position) from None
        word = _WORD.match(src, position)
        if word and word.group() in ("true", "false"):
            self.pos = word.end()
            return _constant(word.group() == "true")
        raise self.encountered()

    def string(self, quote: str) -> Expr:
        src = self.src
        start = self.pos
        index = start + 1
        chars: list[str] = []
        while True:
            if index >= len(src):
                raise self.error("Unterminated string literal", start)
            char = src[index]
            if char == quote:
                if src.startswith(quote, index + 1):  # a doubled quote stands for one
                    chars.append(quote)
                    index += 2
                    continue
                break
            if char == "\\" and index + 1 < len(src):
                chars.append(src[index : index + 2])  # kept as written, as Velocity does
                index += 2
                continue
            chars.append(char)
            index += 1
        self.pos = index + 1
        content = "".join(chars)
        if quote == "'" or ("$" not in content and "#" not in content):
            return _constant(content)
        inner = Parser(content, self.macros)
        try:
            render = inner.parse()
        except TemplateSyntaxError as error:
            raise self.error(f"In the string literal: {error.message};", start) from None

        def interpolate(frame: Frame) -> str:
            out: list[str] = []
            render(frame, out)
            return "".join(out)

        return interpolate

    def list_or_range(self) -> Expr:
        self.pos += 1
        self.skip_space()
        if self.src.startswith("]", self.pos):
            self.pos += 1
            return lambda frame: []
        first = self.expression()
        self.skip_space()
        if self.src.startswith("..", self.pos):
            self.pos += 2
            last = self.expression()
            self.skip_space()
            if not self.src.startswith("]", self.pos):
                raise self.encountered()
            self.pos += 1
            return _range(first, last)
        items = [first]
        while self.src.startswith(",", self.pos):
            self.pos += 1
            items.append(self.expression())
            self.skip_space()
        if not self.src.startswith("]", self.pos):
            raise self.encountered()
        self.pos += 1
        return lambda frame: [item(frame) for item in items]

    def map_literal(self) -> Expr:
        self.pos += 1
        entries: list[tuple[Expr, Expr]] = []
        self.skip_space()
        if self.src.startswith("}", self.pos):
            self.pos += 1
            return lambda frame: {}
        while True:
            key = self.expression()
            self.skip_space()
            if not self.src.startswith(":", self.pos):
                raise self.encountered()
            self.pos += 1
            entries.append((key, self.expression()))
            self.skip_space()
            if self.src.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.src.startswith("}", self.pos):
                self.pos += 1
                break
            raise self.encountered()
        return lambda frame: {key(frame): value(frame) for key, value in entries}


_COMMENT_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")


def _next_line(src: str, start: int) -> int:
    """Where the line holding `start` ends, its newline included."""
    match = _COMMENT_LINE.match(src, start)
    assert match is not None
    return match.end()


def _constant(value: Any) -> Expr:
    return lambda frame: value


def _raise(signal: type[Exception]) -> Render:
    def render(frame: Frame, out: list[str]) -> None:
        raise signal()

    return render


def _iterable(value: Any) -> list[Any]:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())  # Velocity iterates a map's values
    return []


def _either(left: Expr, right: Expr) -> Expr:
    return lambda frame: truthy(left(frame)) or truthy(right(frame))


def _both(left: Expr, right: Expr) -> Expr:
    return lambda frame: truthy(left(frame)) and truthy(right(frame))


def _equality(op: str, left: Expr, right: Expr) -> Expr:
    if op == "==":
        return lambda frame: equals(left(frame), right(frame))
    return lambda frame: not equals(left(frame), right(frame))


def _relation(op: str, left: Expr, right: Expr) -> Expr:
    return lambda frame: compare(op, left(frame), right(frame))


def _arithmetic(op: str, left: Expr, right: Expr) -> Expr:
    return lambda frame: arithmetic(op, left(frame), right(frame))


def _range(first: Expr, last: Expr) -> Expr:
    def evaluate(frame: Frame) -> Any:
        low, high = first(frame), last(frame)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high)):
            return None
        if abs(high - low) >= MAX_RANGE:
            raise TemplateError(f"Range [{low}..{high}] is too long")
        step = 1 if high >= low else -1
        return list(range(low, high + step, step))

    return evaluate
