"""`cloudlet dev` in a subprocess on a small app: it starts a local cloud, deploys, picks
up a saved handler (the next invocation runs the new code) and a changed app file
(plan/apply), streams the function's logs, and on Ctrl-C stops with exit 0, the data
dir intact."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import make_client

from cloudlet.testing import CloudletServer

APP = """
from cloudlet.app import App

app = App("devtest")
hello = app.function("hello", code="functions/hello", handler="app.handler")
"""

HANDLER = """
def handler(event, context):
    print("answering {version}")
    return {{"version": {version}}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dev:
    """`cloudlet dev` running, its output collected line by line."""

    def __init__(self, app_dir: Path, endpoint: str) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cloudlet", "dev", str(app_dir), "--endpoint", endpoint],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> int:
        """The index of the first line from `after` on that contains `text`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for index in range(after, len(self.lines)):
                    if text in self.lines[index]:
                        return index
                left = deadline - time.monotonic()
                assert left > 0 and self.process.poll() is None, f"no {text!r} in:\n" + "".join(
                    self.lines
                )
                self.changed.wait(min(left, 0.5))

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(60)
        self.reader.join(30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code


def _until(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_dev_deploys_reloads_on_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    code = app_dir / "functions" / "hello"
    code.mkdir(parents=True)
    (app_dir / "app.py").write_text(APP)
    (code / "app.py").write_text(HANDLER.format(version=1))
    endpoint = f"http://127.0.0.1:{_free_port()}"

    dev = Dev(app_dir, endpoint)
    try:
        dev.wait_for(f"started the local cloud at {endpoint}")
        dev.wait_for("deployed devtest (dev)")
        watching = dev.wait_for("watching")
        lam = make_client("lambda", endpoint)

        def answer(name: str = "devtest-dev-hello") -> Any:
            return json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())

        assert answer() == {"version": 1}
        # The invocation's log lines stream to the terminal, with the function's name.
        dev.wait_for("answering 1", after=watching)
        line = dev.lines[dev.wait_for("answering 1", after=watching)]
        assert line.split()[0] == "hello"

        # Save a new handler: the next invocations run it.
        (code / "app.py").write_text(HANDLER.format(version=2))
        updated = dev.wait_for("hello updated (save to live", after=watching)
        assert answer() == {"version": 2}

        # A change to the app file goes through plan/apply: a second function appears,
        # its code in a folder outside the app's, which is watched from then on.
        bye = tmp_path / "shared" / "bye"
        bye.mkdir(parents=True)
        (bye / "app.py").write_text("def handler(event, context):\n    return 'bye'\n")
        (app_dir / "app.py").write_text(
            APP + 'app.function("bye", code="../shared/bye", handler="app.handler")\n'
        )
        redeployed = dev.wait_for("app.py changed: redeploying", after=updated)
        dev.wait_for(f"watching {app_dir}, {bye}", after=redeployed)
        assert _until(lambda: _exists(lam, "devtest-dev-bye"))
        assert answer("devtest-dev-bye") == "bye"
        (bye / "app.py").write_text("def handler(event, context):\n    return 'bye again'\n")
        dev.wait_for("bye updated (save to live", after=redeployed)
        assert answer("devtest-dev-bye") == "bye again"

        # A handler with a syntax error is reported and not sent; the old code keeps serving.
        (code / "app.py").write_text("def handler(event, context)\n    return 3\n")
        dev.wait_for("syntax error", after=updated)
        assert answer() == {"version": 2}
    finally:
        code_ = dev.interrupt()
    output = "".join(dev.lines)
    assert code_ == 0, output
    assert "stopping the local cloud" in output
    assert "code reloads, save to live: p50" in output
    assert (app_dir / ".cloudlet" / "data" / "state.db").is_file()
    # The cloud it started is gone; started again on the same data, the app is still there.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(endpoint.rsplit(":", 1)[1]))) != 0
    with CloudletServer(data_dir=app_dir / ".cloudlet" / "data") as again:
        lam = make_client("lambda", again.endpoint_url)
        names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
        assert {"devtest-dev-hello", "devtest-dev-bye"} <= names


def test_dev_uses_a_running_cloud_and_leaves_it_running(endpoint: str, tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    code = app_dir / "functions" / "hello"
    code.mkdir(parents=True)
    (app_dir / "app.py").write_text(APP.replace('"devtest"', '"devshared"'))
    (code / "app.py").write_text(HANDLER.format(version=7))
    dev = Dev(app_dir, endpoint)
    try:
        dev.wait_for(f"using the cloud at {endpoint}")
        dev.wait_for("watching")
    finally:
        code_ = dev.interrupt()
    assert code_ == 0, "".join(dev.lines)
    lam = make_client("lambda", endpoint)
    payload = lam.invoke(FunctionName="devshared-dev-hello", Payload=b"{}")["Payload"].read()
    assert json.loads(payload) == {"version": 7}
    assert not (app_dir / ".cloudlet" / "data").exists()


def test_dev_reports_a_broken_app_file_and_exits_on_ctrl_c(endpoint: str, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from cloudlet.app import App\napp = App('broken'\n")
    dev = Dev(tmp_path, endpoint)
    try:
        dev.wait_for(f"{tmp_path / 'app.py'}:")
        dev.wait_for("syntax error")
        dev.wait_for("watching")
    finally:
        code_ = dev.interrupt()
    assert code_ == 0, "".join(dev.lines)


def test_dev_without_an_app_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cloudlet", "dev", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"no app file at {tmp_path / 'app.py'}" in done.stderr


def _exists(lam: Any, name: str) -> bool:
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        return False
    return True
