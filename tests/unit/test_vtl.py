"""API Gateway mapping templates (cloudlet.services.apigateway.vtl).

Sources of the expectations, cited per test:
- [REF] API Gateway developer guide, "Variables for data transformations" (mapping
  template reference: $context, $input, $stageVariables, $util and their examples).
- [EX] API Gateway developer guide, "Mapping template examples" (the photos example,
  its input and output) and "Examples using variables for mapping template
  transformations".
- [OVR] API Gateway developer guide, "Override your API's request and response
  parameters and status codes" (overrides are final: a second one is a 5XX).
- [VTL] Apache Velocity 1.7 user guide and its grammar (API Gateway runs Velocity 1.7):
  whitespace gobbling, escaping, #set with a null value, #foreach, operators.
- [JAVA] The Java SE String/List/Map methods templates call, Commons Lang's
  escapeJavaScript and java.net.URLEncoder/URLDecoder (what $util wraps).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudlet.services.apigateway.vtl import (
    InvalidJsonBodyError,
    TemplateError,
    TemplateSyntaxError,
    compile_template,
    parser,
    render,
    render_with_overrides,
)

PARAMS = {
    "path": {"petId": "42"},
    "querystring": {"name": "Rex", "limit": "10"},
    "header": {"Content-Type": "application/json", "X-Trace": "t-1"},
}
CONTEXT: dict[str, Any] = {
    "requestId": "req-1",
    "stage": "prod",
    "httpMethod": "POST",
    "resourcePath": "/pets/{petId}",
    "identity": {"sourceIp": "192.0.2.1", "userAgent": "curl/8"},
    "authorizer": {"principalId": "user-1", "role": "admin"},
}


def r(template: str, body: str = "", **extra: Any) -> str:
    return render(
        template,
        body=body,
        params=PARAMS,
        context=CONTEXT,
        stage_variables={"env": "test", "table": "pets"},
        extra=extra or None,
    )


# --- references -------------------------------------------------------------------------


def test_references_forms() -> None:
    # [VTL] $x, ${x}, $!x; undefined references render as written, quiet ones as ""
    assert r("$a|${a}|$!a", a="v") == "v|v|v"
    assert r("$nope|${nope}|$!nope|$!{nope}|$nope.x.y") == "$nope|${nope}|||$nope.x.y"
    assert r("${a}b $ab", a="v") == "vb $ab"


def test_properties_nested_and_index() -> None:
    # [REF] $context.identity.sourceIp, $stageVariables['name'], ${stageVariables['name']}
    assert r("$context.identity.sourceIp $context.authorizer.role") == "192.0.2.1 admin"
    assert r("$stageVariables.env $stageVariables['table'] ${stageVariables['env']}") == (
        "test pets test"
    )
    deep = {"a": {"b": [{}, {"c": "deep"}]}}
    assert r("$m.a.b[1].c $l[-1]", m=deep, l=[1, 2, 3]) == "deep 3"
    assert r("$context.missing.deeper") == "$context.missing.deeper"


def test_identifier_may_hold_hyphen_and_dot_needs_a_letter() -> None:
    # [VTL] identifiers are [a-zA-Z_][a-zA-Z0-9_-]*; "$a." and "$a.1" end the reference
    assert r("$a-b", **{"a-b": "hy"}) == "hy"
    assert r("$a. $a.1 $a.", a="v") == "v. v.1 v."


def test_text_that_is_not_a_reference_or_directive() -> None:
    assert r("cost: $5 #ff0000 # $ {} #notadirective(1)") == (
        "cost: $5 #ff0000 # $ {} #notadirective(1)"
    )


def test_escaping() -> None:
    # [VTL] \$x is "$x" when x is defined, and stays "\$x" when it is not
    assert r("\\$a", a="v") == "$a"
    assert r("\\\\$a", a="v") == "\\v"
    assert r("\\$undefined") == "\\$undefined"
    assert r("\\#if(true)x\\#end") == "#if(true)x#end"
    assert r("a\\b") == "a\\b"


def test_comments_and_unparsed_blocks() -> None:
    # [VTL] ## ends with its newline; #* *# may span lines; #[[ ]]# is output as is
    assert r("a ## note\nb") == "a b"
    assert r("a#* one\ntwo *#b") == "ab"
    assert r("#[[ $not #if ]]#") == " $not #if "
    with pytest.raises(TemplateSyntaxError):
        compile_template("a #* never closed")


# --- #set, literals, operators -----------------------------------------------------------


def test_set_and_literals() -> None:
    template = (
        "#set($i = 7)#set($f = 2.5)#set($b = true)#set($s = 'x')#set($l = [1, 'two', $i])"
        "#set($m = {'k': $s, 'n': 1})$i $f $b $s $l $m $m.k $l.get(1)"
    )
    assert r(template) == "7 2.5 true x [1, two, 7] {k=x, n=1} x two"


def test_double_quotes_interpolate_single_quotes_do_not() -> None:
    assert r("""#set($n = "Rex")#set($a = "hi $n!")#set($b = 'hi $n!')$a|$b""") == (
        "hi Rex!|hi $n!"
    )
    # [VTL] a doubled quote stands for one; backslashes are kept as written
    assert r('#set($q = "say ""hi""")$q') == 'say "hi"'
    assert r("#set($q = 'it''s')$q") == "it's"


def test_set_to_null_leaves_the_reference_unchanged() -> None:
    # [VTL] 1.7: "If the RHS is a ... reference that evaluates to null, it will not be
    # assigned to the LHS"
    assert r("#set($a = 'old')#set($a = $nothing)$a") == "old"


def test_set_member_of_map() -> None:
    assert r("#set($m = {})#set($m.key = 'v')#set($m['k2'] = 2)$m") == "{key=v, k2=2}"


def test_ranges() -> None:
    assert r("[1..3] [3..1] [0..0]") == "[1..3] [3..1] [0..0]"  # text, not expressions
    assert r("#set($r = [1..3])$r|#set($r = [3..1])$r") == "[1, 2, 3]|[3, 2, 1]"
    assert r("#set($n = 2)#foreach($i in [0..$n])$i#end") == "012"
    with pytest.raises(TemplateError):
        r("#foreach($i in [0..100000000])#end")


def test_arithmetic() -> None:
    # [VTL] integer arithmetic is Java's: / truncates toward zero, % keeps the sign
    assert r("#set($a = 7 / 2)#set($b = -7 / 2)#set($c = -7 % 3)#set($d = 7.0 / 2)$a $b $c $d") == (
        "3 -3 -1 3.5"
    )
    assert r("#set($x = 2 + 3 * 4)#set($y = (2 + 3) * 4)$x $y") == "14 20"
    assert r("#set($z = 'a')#set($z = 1 / 0)$z") == "a"  # null (division by zero): unchanged
    with pytest.raises(TemplateError):
        r("#set($a = 10)#foreach($i in [1..100])#set($a = $a * $a)#end$a")


def test_conditions() -> None:
    # [VTL] null and false are false; "" and 0 are true
    t = "#if($v)T#{else}F#end"
    values: list[Any] = ["", 0, False, [], "x"]
    assert [r(t, v=v) for v in values] == ["T", "T", "F", "T", "T"]
    assert r(t) == "F"
    t2 = "#if($n < 5)small#elseif($n >= 10)big#{else}mid#end"
    assert [r(t2, n=n) for n in (1, 7, 10)] == ["small", "mid", "big"]


def test_logical_and_word_operators() -> None:
    assert r("#if(true && !false)a#end#if(false || true)b#end#if(not false and true)c#end") == (
        "abc"
    )
    assert r("#if(1 lt 2 and 2 le 2 and 3 gt 2 and 3 ge 3 and 1 eq 1 and 1 ne 2)ok#end") == "ok"
    assert r("#if(!$undefined)none#end") == "none"


def test_equality_rules() -> None:
    # [VTL] numbers by value; different kinds by their toString; null only equals null
    assert r("#if(1 == 1.0)a#end#if('1' == 1)b#end#if('x' == 'x')c#end#if($u == $v)d#end") == (
        "abcd"
    )
    assert r("#if('x' != 'y')a#end#if($u == 'x')b#end#if('b' < 'c')c#end") == "a"
    assert r("#if($t == 'true')yes#end", t=True) == "yes"


# --- #foreach, #break, #stop ----------------------------------------------------------------


def test_foreach_scope_and_velocity_count() -> None:
    t = "#foreach($x in $items)$foreach.index:$foreach.count:$velocityCount:$x#if($foreach.hasNext),#end#end"
    assert r(t, items=["a", "b", "c"]) == "0:1:1:a,1:2:2:b,2:3:3:c"
    assert r("#foreach($x in $m)$x#end", m={"k1": "v1", "k2": "v2"}) == "v1v2"  # map values
    assert r("#foreach($x in $nothing)never#end") == ""
    assert r("#foreach($x in ['a'])#if($foreach.first && $foreach.last)only#end#end") == "only"


def test_foreach_restores_the_loop_variable() -> None:
    assert r("#set($x = 'out')#foreach($x in [1, 2])$x#end $x") == "12 out"
    assert r("#foreach($x in [1])#end$x") == "$x"


def test_nested_foreach_parent() -> None:
    t = "#foreach($a in [1, 2])#foreach($b in ['x', 'y'])$foreach.parent.count$b #end#end"
    assert r(t) == "1x 1y 2x 2y "


def test_break_and_stop() -> None:
    assert r("#foreach($i in [1..5])#if($i == 3)#break#end$i#end.") == "12."
    assert r("a#stop b") == "a"
    assert r("#foreach($i in [1..5])$i#if($i == 2)#stop#end#end after") == "12"


# --- whitespace -------------------------------------------------------------------------


def test_directive_lines_leave_no_empty_lines() -> None:
    # [VTL] a directive's ")" and #else/#end swallow trailing spaces and one newline;
    # #set also swallows the indentation that starts its token
    template = '{\n#if(true)\n  "a": 1\n#else\n  "b": 2\n#end\n}'
    assert r(template) == '{\n  "a": 1\n}'
    assert r("x\n#set($a = 1)  \ny") == "x\ny"
    assert r("#if(true)   \nA#end   \nB") == "AB"
    assert r("#foreach($i in [1, 2])\n$i\n#end\n") == "1\n2\n"


def test_set_indentation_is_swallowed_only_where_a_token_starts() -> None:
    # [VTL] Velocity's text token runs across lines: after a newline in plain text the
    # indentation belongs to the text; after a directive it starts #set's own token
    assert r("{\n    #set($a = 1)\n}") == "{\n    }"
    assert r("#if(true)\n    #set($a = 1)\n    x#end") == "    x"
    assert r("  #set($a = 1)x") == "x"


def test_crlf_line_endings() -> None:
    assert r("#if(true)\r\nA\r\n#end\r\nB") == "A\r\nB"


# --- macros -----------------------------------------------------------------------------


def test_macros() -> None:
    # [VTL] #macro(name $params) ... #end, called as #name(args); arguments separated by
    # spaces or commas; the parameters are restored after the call
    template = (
        "#macro(pair $key $value)\"$key\": \"$value\"#end\n{#pair('a' 'b'), #pair('n', $n)}\n$key"
    )
    assert r(template, n=1) == '{"a": "b", "n": "1"}\n$key'
    # a parameter without an argument is undefined, so it renders as written
    assert r("#macro(twice $x)$x$x#end#twice('ab')#twice()") == "abab$x$x"


def test_macro_called_before_its_definition_and_recursively() -> None:
    # a DynamoDB attribute map rendered as plain JSON by a recursive macro
    template = """#macro(plain $v)#if($v.S)"$v.S"#elseif($v.N)$v.N#elseif($v.M){#foreach($k in $v.M.keySet())"$k": #plain($v.M.get($k))#if($foreach.hasNext), #end#end}#end#end
#plain($item)"""
    item = {"M": {"id": {"S": "x"}, "n": {"N": "3"}, "inner": {"M": {"k": {"S": "v"}}}}}
    assert json.loads(r(template, item=item)) == {"id": "x", "n": 3, "inner": {"k": "v"}}
    assert r("#later(1)\n#macro(later $a)[$a]#end") == "[1]"


def test_unknown_macro_renders_as_written() -> None:
    assert r("#nosuch('a' 1) and #nosuch") == "#nosuch('a' 1) and #nosuch"


def test_macro_depth_is_limited() -> None:
    # [VTL] velocimacro.max.depth is 20
    assert r(
        "#macro(down $n)#if($n > 0)#set($m = $n - 1)#down($m)#{else}bottom#end#end#down(19)"
    ) == ("bottom")
    with pytest.raises(TemplateError):
        r("#macro(loop)#loop()#end#loop()")


# --- methods ----------------------------------------------------------------------------


def test_string_methods() -> None:
    # [JAVA]
    s = "  Hello, World  "
    t = (
        "$s.length()|$s.trim()|$s.trim().substring(7)|$s.trim().substring(0, 5)|"
        "$s.indexOf('o')|$s.lastIndexOf('o')|$s.contains('World')|$s.trim().startsWith('He')|"
        "$s.trim().endsWith('ld')|$s.toLowerCase()|$s.toUpperCase()|$s.replace('l', 'L')|"
        "$s.trim().charAt(1)|$s.isEmpty()|$s.trim().equals('Hello, World')|"
        "$s.trim().equalsIgnoreCase('HELLO, WORLD')"
    )
    assert r(t, s=s).split("|") == [
        "16", "Hello, World", "World", "Hello", "6", "10", "true", "true", "true",
        "  hello, world  ", "  HELLO, WORLD  ", "  HeLLo, WorLd  ", "e", "false", "true",
        "true",
    ]  # fmt: skip


def test_regex_methods() -> None:
    # [JAVA] replaceAll/replaceFirst take Java regexes and $n group references
    assert r("$s.replaceAll('(\\w+)@(\\w+)', '$2 at $1')", s="me@host") == "host at me"
    assert r("$s.replaceFirst('o', '0')", s="foo") == "f0o"
    assert r("$s.matches('[a-z]+')|$s.matches('[a-z]')", s="abc") == "true|false"
    # [REF] "$util.escapeJavaScript(data).replaceAll("\\'","'")"
    assert r("""$util.escapeJavaScript($s).replaceAll("\\\\'","'")""", s="it's") == "it's"


def test_split_is_java_split() -> None:
    # [JAVA] trailing empty strings are dropped; a limit keeps the rest whole
    assert r("$s.split(',')", s="a,b,,c,,") == "[a, b, , c]"
    assert r("$s.split(',', 2)", s="a,b,c") == "[a, b,c]"
    assert r("$s.split('')", s="abc") == "[a, b, c]"
    assert r("$s.split(',').size()", s="") == "1"


def test_list_methods() -> None:
    t = (
        "#set($l = [])#set($ok = $l.add('a'))#set($ok = $l.add('b'))"
        "$l.size() $l.get(0) $l.isEmpty() $l.contains('b') $l.indexOf('b') $l"
        "#set($gone = $l.remove(0)) $gone $l $l.empty"
    )
    assert r(t) == "2 a false true 1 [a, b] a [b] false"
    # add() returns true, which renders when not captured
    assert r("#set($l = [])$l.add(1)") == "true"


def test_map_methods() -> None:
    t = (
        "#set($m = {'a': 1})#set($prev = $m.put('b', 2))"
        "$m.size() $m.get('b') $m.containsKey('a') $m.containsKey('z') $m.keySet() "
        "$m.values() #foreach($e in $m.entrySet())$e.key=$e.value;#end $m.isEmpty()"
    )
    assert r(t) == "2 2 true false [a, b] [1, 2] a=1;b=2; false"
    assert r("$m.put('a', 2)", m={"a": 1}) == "1"  # previous value
    assert r("$m.put('new', 2)", m={}) == "$m.put('new', 2)"  # null renders as written


def test_unknown_method_renders_as_written() -> None:
    # [VTL] a method that does not exist (or wrong argument types) gives null
    assert r("$s.noSuchMethod()", s="x") == "$s.noSuchMethod()"
    assert r("$s.substring('a')", s="x") == "$s.substring('a')"
    assert r("$!s.noSuchMethod()", s="x") == ""


def test_throwing_method_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        r("$s.substring(5)", s="abc")
    with pytest.raises(TemplateError):
        r("$l.get(3)", l=[1])


def test_java_tostring_of_values() -> None:
    assert (
        r("$v", v={"a": [1, 2.0, None, True], "b": {"c": "d"}})
        == "{a=[1, 2.0, null, true], b={c=d}}"
    )
    assert r("$a $b $c", a=1e20, b=0.0001, c=-3.0) == "1.0E20 1.0E-4 -3.0"


# --- $input ---------------------------------------------------------------------------------


def test_input_body_json_path() -> None:
    body = '{"pets": [{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat"}], "name": "x", "n": null}'
    assert r("$input.body", body) == body
    assert r("$input.json('$.pets[0]')", body) == '{"id":1,"type":"dog","price":249.99}'
    assert r("$input.json('$.name')", body) == '"x"'
    assert r("$input.json('$.pets[*].type')", body) == '["dog","cat"]'
    assert r("$input.json('$.n')", body) == "null"
    assert r("$input.path('$.pets').size() $input.path('$.pets[1].type')", body) == "2 cat"
    assert r("$input.path('$.pets[0].price')", body) == "249.99"
    assert r("$input.path('$')['name']", body) == "x"


def test_input_json_path_misses() -> None:
    # a definite path that matches nothing: json() gives "" (an empty JSON string) and
    # path() an empty string; an indefinite one gives an empty list
    assert r("$input.json('$.missing')", '{"a": 1}') == '""'
    assert r("[$input.path('$.missing.deeper')]", '{"a": 1}') == "[]"
    assert r("$input.json('$.a[*]')", '{"a": 1}') == "[]"


def test_input_on_an_empty_body_is_an_empty_object() -> None:
    assert r("$input.json('$')|$input.path('$').size()|$input.body|") == "{}|0||"


def test_input_on_a_body_that_is_not_json() -> None:
    assert r("$input.body", "not json") == "not json"  # the raw body needs no parsing
    with pytest.raises(InvalidJsonBodyError) as caught:
        r("$input.json('$')", "not json")
    assert caught.value.status == 400
    assert caught.value.message.startswith("Could not parse request body into json")


def test_input_path_result_can_be_changed_without_touching_the_body() -> None:
    body = '{"a": {"b": 1}}'
    assert r("#set($o = $input.path('$.a'))#set($o.b = 2)$o.b $input.json('$.a')", body) == (
        '2 {"b":1}'
    )


def test_jsonpath_forms() -> None:
    body = json.dumps(
        {"store": {"book": [{"t": "A", "p": 8}, {"t": "B", "p": 12}, {"t": "C", "p": 9}]},
         "weird key": {"x": 1}}
    )  # fmt: skip
    assert r("$input.json(\"$['store']['book'][0]['t']\")", body) == '"A"'
    assert r("$input.json('$.store.book[-1].t')", body) == '"C"'
    assert r("$input.json('$.store.book[0:2].t')", body) == '["A","B"]'
    assert r("$input.json('$..p')", body) == "[8,12,9]"
    assert r("$input.json(\"$['weird key'].x\")", body) == "1"
    assert r("$input.json('$.store.book[0,2].t')", body) == '["A","C"]'
    assert r("$input.json('store.book[1].t')", body) == '"B"'  # no "$": from the root
    # Jayway's functions on what the path matched
    assert r("$input.json('$.store.book.length()')", body) == "3"
    assert r("$input.json('$..p.sum()') $input.json('$.store.book[*].p.max()')", body) == (
        "29.0 12.0"
    )
    assert r("$input.json('$.store.keys()')", body) == '["book"]'
    with pytest.raises(TemplateError):
        r("$input.json('$.store.book.nosuch()')", body)


def test_jsonpath_filters() -> None:
    # Jayway's filter forms, as API Gateway evaluates $input.json/$input.path
    body = json.dumps(
        {"store": {"limit": 10, "book": [
            {"t": "A", "p": 8, "cat": "ref", "isbn": "1"},
            {"t": "B", "p": 12, "cat": "fic"},
            {"t": "C", "p": 9, "cat": "fic", "isbn": "2"}]}}
    )  # fmt: skip
    cases = {
        "$.store.book[?(@.p < 10)].t": ["A", "C"],
        "$.store.book[?(@.isbn)].t": ["A", "C"],
        "$.store.book[?(!(@.isbn))].t": ["B"],
        "$.store.book[?(@.cat == 'fic' && @.p > 10)].t": ["B"],
        "$.store.book[?(@.p >= 9 || @.cat == 'ref')].t": ["A", "B", "C"],
        "$.store.book[?(@.p < $.store.limit)].t": ["A", "C"],
        "$.store.book[?(@.t =~ /a|b/i)].t": ["A", "B"],
        "$.store.book[?(@.p == '8')].t": [],  # a number is not a string
        "$..book[?(@.p == 12)].cat": ["fic"],
    }
    for path, expected in cases.items():
        assert json.loads(r(f'$input.json("{path}")', body)) == expected, path
    assert (
        r("""#foreach($b in $input.path("$.store.book[?(@.cat == 'fic')]"))$b.t#end""", body)
        == "BC"
    )
    for bad in ("$.a[?(@.x ==)]", "$.a[?(@.x = 1)]", "$.a[?(1)]", "$.a[?(@.x =~ 'a')]"):
        with pytest.raises(TemplateError):
            r(f'$input.json("{bad}")', body)


def test_input_params() -> None:
    # [REF] $input.params(x) searches path, then query string, then headers
    assert r("$input.params('petId') $input.params('name') $input.params('X-Trace')") == (
        "42 Rex t-1"
    )
    assert r("$input.params('x-trace') $input.params('content-type')") == "t-1 application/json"
    assert r("[$input.params('absent')]") == "[]"
    assert r("$input.params().path.petId $input.params().querystring.get('limit')") == "42 10"
    assert r("$input.params().header.get('x-TRACE')") == "t-1"
    assert r("$input.params().keySet()") == "[path, querystring, header]"


def test_all_params_example() -> None:
    # [REF] "Parameter mapping template example": every parameter as JSON
    template = """#set($allParams = $input.params())
{
  "params" : {
    #foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
    "$type" : {
      #foreach($paramName in $params.keySet())
      "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
      #if($foreach.hasNext),#end
      #end
    }
    #if($foreach.hasNext),#end
    #end
  }
}"""
    out = r(template)
    assert json.loads(out) == {
        "params": {
            "path": {"petId": "42"},
            "querystring": {"name": "Rex", "limit": "10"},
            "header": {"Content-Type": "application/json", "X-Trace": "t-1"},
        }
    }
    # the indentation of the directive lines stays, their newlines go (Velocity 1.7)
    assert out.startswith('{\n  "params" : {\n        "path" : {\n            "petId" : "42"\n')


def test_input_example_templates() -> None:
    # [REF] "Example JSON mapping template using $input" and the request/response example
    body = '{"mykey": {"a": [1, 2]}, "things": {"1": {}, "2": {}, "3": {}}}'
    out = r(
        '{\n    "name" : "$input.params(\'name\')",\n    "body" : $input.json(\'$.mykey\')\n}', body
    )
    assert json.loads(out) == {"name": "Rex", "body": {"a": [1, 2]}}
    template = (
        '{\n    "id" : "$input.params(\'petId\')",\n'
        '    "count" : "$input.path(\'$.things\').size()",\n'
        "    \"things\" : $input.json('$.things')\n}"
    )
    assert json.loads(r(template, body)) == {
        "id": "42", "count": "3", "things": {"1": {}, "2": {}, "3": {}}
    }  # fmt: skip


PHOTOS_INPUT = {
    "photos": {
        "page": 1,
        "pages": "1234",
        "perpage": 100,
        "total": "123398",
        "photo": [
            {"id": "12345678901", "owner": "23456789@A12", "photographer_first_name": "Saanvi",
             "photographer_last_name": "Sarkar", "secret": "abc123d456", "server": "1234",
             "farm": 1, "title": "Sample photo 1", "ispublic": True, "isfriend": False,
             "isfamily": False},
            {"id": "23456789012", "owner": "34567890@B23", "photographer_first_name": "Richard",
             "photographer_last_name": "Roe", "secret": "bcd234e567", "server": "2345",
             "farm": 2, "title": "Sample photo 2", "ispublic": True, "isfriend": False,
             "isfamily": False},
        ],
    }
}  # fmt: skip


def test_photos_example_output_is_exact() -> None:
    # [EX] the photos request template and the exact output the guide shows for it
    template = """#set($inputRoot = $input.path('$'))
{
  "photos": [
#foreach($elem in $inputRoot.photos.photo)
    {
      "id": "$elem.id",
      "photographedBy": "$elem.photographer_first_name $elem.photographer_last_name",
      "title": "$elem.title",
      "ispublic": $elem.ispublic,
      "isfriend": $elem.isfriend,
      "isfamily": $elem.isfamily
    }#if($foreach.hasNext),#end

#end
  ]
}"""
    expected = """{
  "photos": [
    {
      "id": "12345678901",
      "photographedBy": "Saanvi Sarkar",
      "title": "Sample photo 1",
      "ispublic": true,
      "isfriend": false,
      "isfamily": false
    },
    {
      "id": "23456789012",
      "photographedBy": "Richard Roe",
      "title": "Sample photo 2",
      "ispublic": true,
      "isfriend": false,
      "isfamily": false
    }
  ]
}"""
    assert r(template, json.dumps(PHOTOS_INPUT)) == expected


def test_context_variables_example() -> None:
    # [EX] Example 1: $context variables into the integration request
    template = """{
    "stage" : "$context.stage",
    "request_id" : "$context.requestId",
    "http_method" : "$context.httpMethod",
    "source_ip" : "$context.identity.sourceIp",
    "user-agent" : "$context.identity.userAgent",
    "principal" : "$context.authorizer.principalId"
}"""
    assert json.loads(r(template)) == {
        "stage": "prod", "request_id": "req-1", "http_method": "POST",
        "source_ip": "192.0.2.1", "user-agent": "curl/8", "principal": "user-1",
    }  # fmt: skip


# --- $util ---------------------------------------------------------------------------------


def test_escape_javascript() -> None:
    # [JAVA] Commons Lang escapeJavaScript: quotes, backslash, slash, controls, non-ASCII
    assert r("$util.escapeJavaScript($s)", s='it\'s "q" a\\b </x>\n\t\u0001é€😀') == (
        'it\\\'s \\"q\\" a\\\\b <\\/x>\\n\\t\\u0001\\u00E9\\u20AC\\uD83D\\uDE00'
    )
    assert r("$util.escapeJavaScript($input.json('$'))", '{"a": "b"}') == '{\\"a\\":\\"b\\"}'


def test_parse_json() -> None:
    # [REF] $util.parseJson example: the errorMessage holds stringified JSON
    body = json.dumps({"errorMessage": json.dumps({"key1": "var1", "key2": {"arr": [1, 2, 3]}})})
    template = (
        "#set ($errorMessageObj = $util.parseJson($input.path('$.errorMessage')))\n"
        '{\n   "errorMessageObjKey2ArrVal" : $errorMessageObj.key2.arr[0]\n}\n'
    )
    assert r(template, body) == '{\n   "errorMessageObjKey2ArrVal" : 1\n}\n'
    with pytest.raises(TemplateError):
        r("$util.parseJson('{nope')")


def test_url_and_base64() -> None:
    # [JAVA] URLEncoder: "+" for space, * . - _ kept, everything else %XX (UTF-8)
    assert r("$util.urlEncode($s)", s="a b&c=d/é*~") == "a+b%26c%3Dd%2F%C3%A9*%7E"
    assert r("$util.urlDecode($s)", s="a+b%26c%3Dd%2F%C3%A9") == "a b&c=d/é"
    with pytest.raises(TemplateError):
        r("$util.urlDecode('%zz')")
    assert r("$util.base64Encode($s)", s="hello é") == "aGVsbG8gw6k="
    assert r("$util.base64Decode($s)", s="aGVsbG8gw6k=") == "hello é"
    assert r("$util.base64Decode($s)", s="aGk") == "hi"  # padding is optional
    with pytest.raises(TemplateError):
        r("$util.base64Decode('***')")


# --- overrides -------------------------------------------------------------------------------


def test_response_overrides() -> None:
    # [OVR] the status-code tutorial's template
    template = (
        "#set($inputRoot = $input.path('$'))\n$input.json(\"$\")\n"
        '#if($inputRoot.toString().contains("error"))\n'
        "#set($context.responseOverride.status = 400)\n"
        "#set($context.responseOverride.header.Content-Type = 'application/problem+json')\n"
        "#end\n"
    )
    body = '{"errors": [{"key": "GetPetRequest.petId", "message": "The value is out of range."}]}'
    text, overrides = render_with_overrides(
        template, body=body, params=PARAMS, context=CONTEXT, stage_variables={}
    )
    assert json.loads(text) == json.loads(body)
    assert overrides.status == 400
    assert overrides.response_headers == {"Content-Type": "application/problem+json"}
    _, none = render_with_overrides(
        template, body='{"ok": true}', params=PARAMS, context=CONTEXT, stage_variables={}
    )
    assert none.status is None and none.response_headers == {}


def test_request_overrides() -> None:
    # [OVR] the request-header tutorial's template
    template = (
        '#set($header1Override = "foo")\n'
        "#set($header3Value = \"$input.params('header1')$input.params('header2')\")\n"
        '$input.json("$")\n'
        "#set($context.requestOverride.header.header3 = $header3Value)\n"
        "#set($context.requestOverride.header.header1 = $header1Override)\n"
        "#set($context.requestOverride.querystring.q = 'v')\n"
        "#set($context.requestOverride.path.petId = 7)\n"
    )
    params = {"header": {"header1": "header1Val", "header2": "header2Val"}}
    text, overrides = render_with_overrides(
        template, body='{"a": 1}', params=params, context={}, stage_variables={}
    )
    assert text == '{"a":1}\n'
    assert overrides.request_headers == {"header3": "header1Valheader2Val", "header1": "foo"}
    assert overrides.request_querystring == {"q": "v"}
    assert overrides.request_path == {"petId": "7"}


def test_an_override_is_final() -> None:
    # [OVR] "Trying to override the same parameter multiple times will result in 5XX"
    with pytest.raises(TemplateError):
        r(
            "#set($context.responseOverride.status = 400)#set($context.responseOverride.status = 500)"
        )


def test_template_cannot_change_the_callers_context() -> None:
    context = {"authorizer": {"role": "user"}}
    render("#set($context.authorizer.role = 'admin')", body="", params={}, context=context,
           stage_variables={})  # fmt: skip
    assert context == {"authorizer": {"role": "user"}}


# --- errors and caching --------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "#if(true)never closed",
        "#foreach($x in [1])",
        "#end",
        "#else",
        "#if(true",
        "#set($a = )",
        "#set(a = 1)",
        "#foreach($x of $y)#end",
        "$a.b(1, )",
        "#set($a = 'unterminated)",
        "#macro(m)x",
        "#macro($m)x#end",
        "#define($block)x#end",
        "#include('other.vm')",
    ],
)
def test_syntax_errors(template: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(template)
    assert caught.value.status == 500
    assert "line 1, column" in caught.value.message


def test_syntax_error_position() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template("line one\n  #if($a ==)x#end")
    assert "at line 2, column 12" in caught.value.message


def test_compiled_once_per_source() -> None:
    source = "#set($x = 1)$x-cached"
    assert compile_template(source) is compile_template(source)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(TemplateError):
        compile_template("#set($a = " + "(" * 5000 + "1" + ")" * 5000 + ")")
    with pytest.raises(TemplateError):
        r("#set($m = {})#set($ok = $m.put('self', $m))$m")


@pytest.mark.parametrize(
    "template",
    [
        "#set($m = {[1]: 2})",
        "#set($m = {})$m[[1]]",
        "#set($m = {})#set($m[[1]] = 2)",
        "$m.get([1])",
    ],
)
def test_a_list_as_a_map_key_is_a_template_error(template: str) -> None:
    with pytest.raises(TemplateError):
        r(template, m={})


def test_runaway_loops_are_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    # cloudlet's guard: a budget of #foreach iterations per rendering (1,000,000; smaller
    # here to keep the test quick)
    monkeypatch.setattr(parser, "MAX_ITERATIONS", 1000)
    assert len(r("#foreach($a in [1..30])#foreach($b in [1..30])x#end#end")) == 900
    with pytest.raises(TemplateError):
        r("#foreach($a in [1..40])#foreach($b in [1..40])x#end#end")
