"""Bad app definitions get a message naming the file and line: syntax errors, missing
handlers, two resources with one name, reference cycles, and more."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from deploy_support import HANDLER, write_app

from cloudlet.app import AppError, load
from cloudlet.cli import main
from cloudlet.deploy import Target, plan


def error_of(file: Path) -> AppError:
    with pytest.raises(AppError) as caught:
        plan(load(file), "dev", Target("http://127.0.0.1:1"))
    return caught.value


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    file = write_app(tmp_path, 'from cloudlet.app import App\napp = App("x")\napp.queue("q"\n')
    error = error_of(file)
    assert error.location is not None and error.location.file == str(file)
    assert error.location.line in (3, 4)
    assert "syntax error" in str(error) and str(file) in str(error)


def test_exception_in_app_file_names_the_line(tmp_path: Path) -> None:
    file = write_app(
        tmp_path, 'from cloudlet.app import App\napp = App("x")\n\nmissing_name.go()\n'
    )
    error = error_of(file)
    assert f"{file}:4" in str(error) and "NameError" in str(error)


def test_file_without_an_app(tmp_path: Path) -> None:
    file = write_app(tmp_path, "x = 1\n")
    assert "no App created" in str(error_of(file))
    two = write_app(tmp_path / "two", 'from cloudlet.app import App\na = App("a")\nb = App("b")\n')
    assert "2 Apps created" in str(error_of(two))


def test_two_resources_with_one_name(tmp_path: Path) -> None:
    file = write_app(
        tmp_path,
        'from cloudlet.app import App\napp = App("x")\napp.queue("jobs")\n\napp.queue("jobs")\n',
    )
    error = error_of(file)
    assert str(error).startswith(f"{file}:5: two queues named 'jobs' (the first at {file}:3)")


def test_rest_and_http_api_share_names(tmp_path: Path) -> None:
    file = write_app(
        tmp_path,
        'from cloudlet.app import App\napp = App("x")\napp.rest_api("api")\napp.http_api("api")\n',
    )
    assert f"{file}:4: two apis named 'api'" in str(error_of(file))


def test_handler_module_missing_from_the_code_folder(tmp_path: Path) -> None:
    source = 'from cloudlet.app import App\napp = App("x")\napp.function("f", code="functions/f", handler="main.handler")\n'
    file = write_app(tmp_path, source, {"f": HANDLER})
    error = error_of(file)
    assert str(error).startswith(f"{file}:3: handler 'main.handler' of function 'f': no main.py in")


def test_handler_function_missing_from_its_module(tmp_path: Path) -> None:
    source = 'from cloudlet.app import App\napp = App("x")\napp.function("f", code="functions/f", handler="app.main")\n'
    file = write_app(tmp_path, source, {"f": HANDLER})
    assert f"{file}:3: handler 'app.main' of function 'f': app.py defines no 'main'" in str(
        error_of(file)
    )


def test_code_folder_missing(tmp_path: Path) -> None:
    source = 'from cloudlet.app import App\napp = App("x")\n\napp.function("f", code="nowhere")\n'
    file = write_app(tmp_path, source)
    assert f"{file}:4: code folder 'nowhere' of function 'f' does not exist" in str(error_of(file))


def test_reference_cycle_names_each_declaration(tmp_path: Path) -> None:
    source = """
    from cloudlet.app import App
    app = App("x")
    a = app.function("a", code="functions/a")
    api = app.http_api("api")
    api.proxy("/a", a)
    a.environment["API_URL"] = api.url
    """
    file = write_app(tmp_path, source, {"a": HANDLER})
    message = str(error_of(file))
    assert "reference cycle" in message
    assert f"function 'a' ({file}:3)" in message and f"http_api 'api' ({file}:4)" in message


def test_functions_may_link_each_other(tmp_path: Path) -> None:
    source = """
    from cloudlet.app import App
    app = App("x")
    a = app.function("a", code="functions/a")
    b = app.function("b", code="functions/b")
    a.link(b)
    b.link(a)
    """
    file = write_app(tmp_path, source, {"a": HANDLER, "b": HANDLER})
    assert "does not answer" in str(error_of(file))  # past every check of the app


def test_bad_names_and_options(tmp_path: Path) -> None:
    cases = {
        'App("Shop")': "app name 'Shop'",
        'App("x").queue("a b")': "queue name 'a b'",
        'App("x").table("t", key=("id", "X"))': "key of table 't'",
        'App("x").queue("q", max_receive_count=0)': "max_receive_count",
        'App("x").function("f", code=".", environment={"1A": "x"})': "environment variable name '1A'",
    }
    for expression, expected in cases.items():
        file = write_app(tmp_path, f"from cloudlet.app import App\n\n{expression}\n")
        error = error_of(file)
        assert expected in str(error) and f"{file}:3" in str(error), (expression, str(error))


def test_route_mistakes(tmp_path: Path) -> None:
    source = """
    from cloudlet.app import App
    app = App("x")
    f = app.function("f", code="functions/f")
    api = app.rest_api("api")
    api.route("GET", "/a", f)
    api.route("GET", "/a", f)
    """
    file = write_app(tmp_path, source, {"f": HANDLER})
    assert f"{file}:6: rest_api 'api' already has a route GET /a" in str(error_of(file))
    file.write_text(
        file.read_text().replace('api.route("GET", "/a", f)\n', "", 1).replace('"GET"', '"FETCH"')
    )
    assert "unknown HTTP method 'FETCH'" in str(error_of(file))


def test_unknown_stage_name(tmp_path: Path) -> None:
    file = write_app(tmp_path, 'from cloudlet.app import App\napp = App("x")\n')
    with pytest.raises(AppError, match="stage name 'Prod!'"):
        plan(load(file), "Prod!", Target("http://127.0.0.1:1"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_endpoint_that_does_not_answer(tmp_path: Path) -> None:
    file = write_app(tmp_path, 'from cloudlet.app import App\napp = App("x")\napp.queue("q")\n')
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(AppError, match=f"the endpoint {url} does not answer"):
        plan(load(file), "dev", Target(url))
    result = CliRunner().invoke(main, ["deploy", str(file), "--endpoint", url])
    assert result.exit_code == 1
    assert f"the endpoint {url} does not answer" in result.output


def test_cli_reports_app_errors_without_a_traceback(tmp_path: Path) -> None:
    file = write_app(tmp_path, 'from cloudlet.app import App\napp = App("x")\napp.queue("q"\n')
    result = CliRunner().invoke(main, ["deploy", str(file), "--endpoint", "http://127.0.0.1:1"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {file}:")
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(main, ["deploy", str(tmp_path / "nothing.py")])
    assert missing.exit_code == 1 and "no app file at" in missing.output


def test_authorizer_mistakes(tmp_path: Path) -> None:
    base = (
        'from cloudlet.app import App\napp = App("x")\nf = app.function("f", code="functions/f")\n'
    )
    cases = {
        'app.rest_api("r").jwt_authorizer("j", issuer="https://i", audience=["a"])': "JWT authorizers are for HTTP APIs",
        'a = app.http_api("a"); b = app.http_api("b"); b.route("GET", "/x", f, authorizer=a.lambda_authorizer("l", f))': "the authorizer must be one of http_api 'b'",
        'app.http_api("a").route("GET", "/x", f, scopes=["s"])': "scopes need a JWT authorizer",
    }
    for line, expected in cases.items():
        file = write_app(tmp_path, base + line + "\n", {"f": HANDLER})
        error = error_of(file)
        assert expected in str(error) and f"{file}:4" in str(error), (line, str(error))


def test_link_variables_may_not_collide(tmp_path: Path) -> None:
    source = """
    from cloudlet.app import App
    app = App("x")
    users = app.table("users", key=("id", "S"))
    f = app.function("f", code="functions/f", environment={"USERS_TABLE_NAME": "mine"})
    f.link(users)
    """
    file = write_app(tmp_path, source, {"f": HANDLER})
    message = str(error_of(file))
    assert message.startswith(
        f"{file}:5: function 'f': the link to <table users> sets USERS_TABLE_NAME"
    )
    assert "the function's environment sets too" in message
