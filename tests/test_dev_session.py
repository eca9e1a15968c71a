"""The parts of `cloudlet dev` that decide, without a cloud: which saves matter, what a
save redeploys, the curl to try, and how a log line is shown."""

from __future__ import annotations

from pathlib import Path

import click

from cloudlet.app import load
from cloudlet.dev.logs import Annotator, LogEvent, Styler, correlation_id, is_error
from cloudlet.dev.session import DevSession, Printer, classify, try_with_curl, watched

APP = """
from cloudlet.app import App
app = App("shop")
auth = app.function("auth-api", code="functions/api", handler="auth.handler")
products = app.function("products-api", code="functions/api", handler="products.handler")
worker = app.function("worker", code="functions/worker", handler="app.handler")
api = app.rest_api("shop-api")
api.proxy("/auth", auth)
http = app.http_api("orders")
http.route("POST", "/orders/{id}", worker)
"""


def _app(tmp_path: Path) -> Path:
    for folder in ("api", "worker"):
        (tmp_path / "functions" / folder).mkdir(parents=True)
    (tmp_path / "functions" / "api" / "auth.py").write_text("def handler(e, c): pass\n")
    (tmp_path / "functions" / "api" / "products.py").write_text("def handler(e, c): pass\n")
    (tmp_path / "functions" / "worker" / "app.py").write_text("def handler(e, c): pass\n")
    (tmp_path / "app.py").write_text(APP)
    return tmp_path / "app.py"


def test_saves_in_caches_build_output_and_the_data_dir_are_ignored() -> None:
    assert watched("/p/functions/api/auth.py")
    assert watched("/p/app.py")
    assert not watched("/p/.cloudlet/data/state.db-wal")
    assert not watched("/p/.cloudlet/build/auth-api-0123.zip")
    assert not watched("/p/functions/api/__pycache__/auth.cpython-311.pyc")
    assert not watched("/p/functions/api/.auth.py.swp")
    assert not watched("/p/functions/api/auth.py~")
    assert not watched("/p/.git/index")


def test_a_save_in_a_code_folder_updates_the_functions_built_from_it(tmp_path: Path) -> None:
    file = _app(tmp_path)
    app = load(file)
    shared = classify(app, file, [tmp_path / "functions" / "api" / "auth.py"])
    assert not shared.app_file
    assert sorted(f.name for f in shared.functions) == ["auth-api", "products-api"]
    assert shared.saved_at == (tmp_path / "functions" / "api" / "auth.py").stat().st_mtime

    one = classify(app, file, [tmp_path / "functions" / "worker" / "app.py"])
    assert [f.name for f in one.functions] == ["worker"]

    # The app file, or a module beside it that it may import: plan/apply.
    assert classify(app, file, [file]).app_file
    (tmp_path / "settings.py").write_text("X = 1\n")
    assert classify(app, file, [tmp_path / "settings.py"]).app_file
    # A deleted file counts too (no modification time: now).
    gone = classify(app, file, [tmp_path / "functions" / "worker" / "old.py"])
    assert [f.name for f in gone.functions] == ["worker"]
    # Anything else (a README) redeploys nothing.
    (tmp_path / "README.md").write_text("hi")
    nothing = classify(app, file, [tmp_path / "README.md"])
    assert not nothing.app_file and not nothing.functions


def test_the_curl_to_try_uses_the_first_route_with_sample_path_values(tmp_path: Path) -> None:
    app = load(_app(tmp_path))
    rest = {"rest_api:shop-api": {"url": "http://127.0.0.1:4566/restapis/abc/dev/_user_request_"}}
    assert (
        try_with_curl(app, rest)
        == "curl http://127.0.0.1:4566/restapis/abc/dev/_user_request_/auth"
    )
    http = {"http_api:orders": {"url": "http://127.0.0.1:4566/_aws/execute-api/xyz/$default/"}}
    assert try_with_curl(app, http) == (
        "curl -X POST 'http://127.0.0.1:4566/_aws/execute-api/xyz/$default/orders/1' "
        "-H 'content-type: application/json' -d '{}'"
    )
    assert try_with_curl(app, {}) is None


def _event(message: str, stream: str = "s1") -> LogEvent:
    return LogEvent("auth-api", stream, 0, message, message)


def test_log_lines_carry_their_request_errors_and_correlation_ids() -> None:
    annotate = Annotator()
    request = "8b74334b-8cf5-462d-975f-71b0b6113d52"
    start = annotate.line(_event(f"START RequestId: {request} Version: $LATEST"))
    assert start.request_id == request and start.runtime
    printed = annotate.line(_event("hello"))
    assert printed.request_id == request and not printed.error
    # Another environment's stream has no request open.
    assert annotate.line(_event("elsewhere", stream="s2")).request_id is None
    structured = annotate.line(
        _event('{"level": "ERROR", "correlation_id": "c-1", "message": "x"}')
    )
    assert structured.error and structured.correlation_id == "c-1"
    annotate.line(_event(f"REPORT RequestId: {request}\tDuration: 1 ms"))
    assert annotate.line(_event("after")).request_id is None
    # AWS's Python runtime format names the request itself.
    other = "11111111-2222-3333-4444-555555555555"
    tabbed = annotate.line(_event(f"[ERROR]\t2024-01-01T00:00:00.000Z\t{other}\tboom"))
    assert tabbed.request_id == other and tabbed.error


def test_what_counts_as_an_error_line() -> None:
    assert is_error("ERROR:root:bad thing")
    assert is_error("[ERROR] ValueError: asked to fail")
    assert is_error("Traceback (most recent call last):")
    assert is_error('{"errorMessage": "x", "errorType": "ValueError"}')
    assert is_error("2024-01-01T00:00:00Z abc Task timed out after 3.00 seconds")
    assert not is_error("all good: no ERRORS here")
    assert not is_error('{"level": "INFO", "message": "ERROR in the text only"}')
    assert correlation_id('{"correlationId": 42}') == "42"
    assert correlation_id('{"correlation_id": true}') is None
    assert correlation_id("not json {") is None


def test_rendered_lines_name_the_function_and_request_in_its_colour() -> None:
    styler = Styler()
    styler.register(["auth-api", "worker"])
    annotate = Annotator()
    annotate.line(_event("START RequestId: 8b74334b-8cf5-462d-975f-71b0b6113d52 Version: 1"))
    shown = styler.render(annotate.line(_event("ERROR:root:bad")))
    assert click.unstyle(shown) == "auth-api 8b74334b ERROR:root:bad"
    assert "\x1b[31m" in shown  # the error in red
    assert styler.colours["auth-api"] != styler.colours["worker"]


def test_the_summary_reports_the_median_save_to_live(tmp_path: Path) -> None:
    session = DevSession(tmp_path / "app.py", "dev", None, Printer())  # type: ignore[arg-type]
    assert session.summary() == "no code reloads"
    session.timings += [0.080, 0.050, 0.300]
    assert session.summary() == "3 code reloads, save to live: p50 80 ms, max 300 ms"
