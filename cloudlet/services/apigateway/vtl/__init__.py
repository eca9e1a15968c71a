"""API Gateway mapping templates: Velocity (VTL 1.7) with API Gateway's variables.

    render(template, body=..., params=..., context=..., stage_variables=...) -> str
    render_with_overrides(...) -> (str, Overrides)

A template is parsed once into Python closures and cached by its source text
(`compile_template`), then rendered any number of times.

Arguments:
- `body`: the payload `$input` works on (the method request body in a request
  template; the integration's response body in a response template).
- `params`: {"path": {...}, "querystring": {...}, "header": {...}} (header names are
  looked up regardless of case, as on AWS).
- `context`: the `$context` map, nested dicts (requestId, stage, identity.sourceIp,
  authorizer.* ...). The template works on a copy; `$context.requestOverride.*` and
  `$context.responseOverride.*` start empty and may be set with #set.
- `stage_variables`: `$stageVariables`.
- `extra`: further variables by name (e.g. for a response template's own needs).

Supported: references (`$a`, `${a}`, `$!a`, `.property`, `.method(...)`, `[index]`),
#set, #if/#elseif/#else/#end, #foreach with $foreach.* and $velocityCount, #break,
#stop, literals (strings with interpolation in double quotes, numbers, booleans, lists,
ranges, maps), arithmetic, comparison and logic operators (symbols and words), `##` and
`#* *#` comments, `#[[ ]]#`, backslash escapes; the Java methods templates use on
strings, lists and maps; `$input.body/json()/path()/params()`, `$util.*`,
`$context.*`, `$stageVariables.*`; #macro (arguments by value, at most 20 calls deep
as Velocity's default). Not supported (TemplateSyntaxError): #define, #include, #parse,
#evaluate; JSONPath filters.

Errors raise TemplateError (`.status` 500), or InvalidJsonBodyError (`.status` 400)
when `$input.json()`/`$input.path()` meet a body that is not JSON.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cloudlet.services.apigateway.vtl.errors import (
    InvalidJsonBodyError,
    TemplateError,
    TemplateSyntaxError,
)
from cloudlet.services.apigateway.vtl.parser import Break, Frame, Parser, Render, Stop
from cloudlet.services.apigateway.vtl.variables import (
    UTIL,
    InputVariable,
    Overrides,
    prepare_context,
    read_overrides,
)

__all__ = [
    "InvalidJsonBodyError",
    "Overrides",
    "Template",
    "TemplateError",
    "TemplateSyntaxError",
    "compile_template",
    "render",
    "render_with_overrides",
]


class Template:
    """A parsed template, rendered against a frame of variables."""

    __slots__ = ("source", "_body")

    def __init__(self, source: str, body: Render) -> None:
        self.source = source
        self._body = body

    def render(self, frame: Frame) -> str:
        out: list[str] = []
        try:
            self._body(frame, out)
        except (Break, Stop):
            pass
        except RecursionError:
            raise TemplateError("Template recursion too deep") from None
        except TypeError as error:  # e.g. a list as a map key: Python cannot hash it
            raise TemplateError(f"Template evaluation failed: {error}") from None
        return "".join(out)


@lru_cache(maxsize=1024)
def compile_template(source: str) -> Template:
    """Parse `source` (cached by its text); raises TemplateSyntaxError."""
    return Template(source, Parser(source).parse())


def render(
    template: str,
    *,
    body: str,
    params: dict[str, dict[str, str]],
    context: dict[str, Any],
    stage_variables: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> str:
    """Render a mapping template; see the module's docstring."""
    text, _ = render_with_overrides(
        template,
        body=body,
        params=params,
        context=context,
        stage_variables=stage_variables,
        extra=extra,
    )
    return text


def render_with_overrides(
    template: str,
    *,
    body: str,
    params: dict[str, dict[str, str]],
    context: dict[str, Any],
    stage_variables: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> tuple[str, Overrides]:
    """Render, and return what the template set in `$context.requestOverride.*`
    (request templates) and `$context.responseOverride.*` (response templates)."""
    compiled = compile_template(template)
    own_context = prepare_context(context)
    frame: Frame = {
        "input": InputVariable(body, params),
        "util": UTIL,
        "context": own_context,
        "stageVariables": dict(stage_variables),
    }
    if extra:
        frame.update(extra)
    text = compiled.render(frame)
    return text, read_overrides(frame.get("context", own_context))
