"""`cloudlet dev`: deploy the app, stream every function's logs, and redeploy what
changes on save.

A save inside a function's code folder rebuilds that function's zip and sends it with
UpdateFunctionCode, nothing else: Lambda then runs the next invocation in a fresh
environment of the new code. A save of the app file reloads it and goes through the
deployer's plan/apply (new resources, settings, routes). Each reload prints its
save-to-live time: from the saved file's modification time to the moment the update
call returned (the point after which an invocation runs the new code).
"""

from __future__ import annotations

import os
import shlex
import signal
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from cloudlet.app import App, Function
from cloudlet.app.errors import AppError
from cloudlet.app.loader import load
from cloudlet.deploy import Target, apply, build, plan
from cloudlet.deploy.commands import describe
from cloudlet.deploy.target import answers, start_local_cloud
from cloudlet.dev.logs import Annotator, LogEvent, LogTail, Styler

# watchfiles yields a batch once no new change came for STEP_MS (editors write a file
# in several steps); DEBOUNCE_MS caps how long a stream of changes is grouped.
STEP_MS = 30
DEBOUNCE_MS = 300
LOG_POLL_S = 0.2
WATCH_TICK_MS = 200
_IGNORED_PARTS = {".cloudlet", "__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv", "node_modules"}  # fmt: skip
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", "~", ".tmp")


def watched(path: str) -> bool:
    """Whether a changed path can matter: not build output, caches, the local cloud's
    data (`.cloudlet/`) or editor scratch files."""
    parts = Path(path).parts
    if any(part in _IGNORED_PARTS for part in parts):
        return False
    name = parts[-1] if parts else ""
    return not (name.endswith(_IGNORED_SUFFIXES) or name.startswith(".#"))


@dataclass
class Reload:
    """What one batch of saved files asks for."""

    app_file: bool
    functions: list[Function]
    saved_at: float
    """The newest modification time among the changed files (epoch seconds)."""


def classify(app: App, app_file: Path, changed: Iterable[Path]) -> Reload:
    """The app file itself (or a module next to it that is no function's code) means a
    full plan/apply; a file inside a function's code folder means that function's code."""
    paths = [p.resolve() for p in changed]
    functions: list[Function] = []
    full = False
    code_folders = [(f, f.code) for f in app.of_kind(Function)]
    for path in paths:
        owners = [f for f, folder in code_folders if path.is_relative_to(folder)]
        if owners:
            functions += [f for f in owners if f not in functions]
        elif path == app_file or path.suffix == ".py":
            full = True
    saved = [p.stat().st_mtime for p in paths if p.exists()]
    return Reload(full, functions, max(saved) if saved else time.time())


@dataclass
class Printer:
    """One lock for every line, so log lines and reload reports do not interleave."""

    styler: Styler = field(default_factory=Styler)
    lock: threading.Lock = field(default_factory=threading.Lock)
    annotate: Annotator = field(default_factory=Annotator)

    def say(self, text: str = "", err: bool = False) -> None:
        with self.lock:
            click.echo(text, err=err)

    def log(self, event: LogEvent) -> None:
        self.say(self.styler.render(self.annotate.line(event)))


class LocalCloud:
    """A local cloud this session started (a child process, stopped on exit)."""

    def __init__(self, endpoint: str, data_dir: Path, log_file: Path) -> None:
        self.data_dir = data_dir
        self.log_file = log_file
        self.pid = start_local_cloud(endpoint, data_dir, log_file)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM: the server finishes its writes and closes the database (intact)."""
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if done:
                return
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


@dataclass
class DevSession:
    app_file: Path
    stage: str
    target: Target
    printer: Printer
    app: App | None = None
    names: dict[str, str] = field(default_factory=dict)
    """Logical function name -> physical name, as deployed."""
    codes: dict[str, str] = field(default_factory=dict)
    """Logical function name -> CodeSha256 of the code last sent."""
    timings: list[float] = field(default_factory=list)
    """Save-to-live seconds of each code reload."""
    tail: LogTail | None = None

    # -- deploying -----------------------------------------------------------------------

    def deploy(self) -> bool:
        """Load the app file and plan/apply it; False (after saying why) when it failed."""
        began = time.monotonic()
        try:
            app = load(self.app_file)
            found = plan(app, self.stage, self.target)
            for change in found.pending:
                self.printer.say(describe(change))
            result = apply(found) if not found.empty else None
        except AppError as error:
            self.printer.say(click.style(f"error: {error}", fg="red", bold=True), err=True)
            return False
        except Exception as error:  # noqa: BLE001 - the SDK's message is the user's answer
            self.printer.say(click.style(f"deploy failed: {error}", fg="red", bold=True), err=True)
            return False
        self.app = app
        self.names = {
            f.name: found.context.names[f"function:{f.name}"] for f in app.of_kind(Function)
        }
        self.codes = {
            f.name: found.context.codes[f"function:{f.name}"][1] for f in app.of_kind(Function)
        }
        took = (time.monotonic() - began) * 1000
        if result is None:
            self.printer.say(f"{app.name} ({self.stage}) is up to date ({took:.0f} ms)")
            from cloudlet.deploy.engine import collect_outputs

            values, resources = _outputs(lambda: collect_outputs(found.context, found.nodes))
        else:
            self.printer.say(
                f"deployed {app.name} ({self.stage}): {len(found.pending)} changes in {took:.0f} ms"
            )
            values, resources = result.values, result.resources
        self._show(app, values, resources)
        self._follow_logs()
        return True

    def _show(self, app: App, values: dict[str, str], resources: dict[str, dict[str, str]]) -> None:
        for name, value in values.items():
            self.printer.say(f"  {name} = {click.style(value, bold=True)}")
        # Every API's URL, also when the app declares no output for it.
        for key, found in resources.items():
            url = found.get("url")
            if key.startswith(("rest_api:", "http_api:")) and url and url not in values.values():
                self.printer.say(
                    f"  {key.replace('_api:', ' API ', 1)} = {click.style(url, bold=True)}"
                )
        curl = try_with_curl(app, resources)
        if curl:
            self.printer.say(f"try: {click.style(curl, fg='green')}")

    def _follow_logs(self) -> None:
        groups = {logical: f"/aws/lambda/{physical}" for logical, physical in self.names.items()}
        self.printer.styler.register(groups)
        if self.tail is None:
            start = int(time.time() * 1000)
            self.tail = LogTail(self.target.client("logs"), groups, start_ms=start)
        else:
            self.tail.functions = groups

    def update_code(self, function: Function, saved_at: float) -> None:
        """Rebuild one function's zip and send it (UpdateFunctionCode), if it changed."""
        try:
            data, sha = build(function)
        except AppError as error:
            self.printer.say(click.style(f"error: {error}", fg="red", bold=True), err=True)
            return
        if self.codes.get(function.name) == sha:
            return  # a save that left the package as it was
        name = self.names[function.name]
        lam = self.target.client("lambda")
        try:
            answer = lam.update_function_code(FunctionName=name, ZipFile=data)
            if answer.get("LastUpdateStatus") == "InProgress":
                _wait_updated(lam, name)
        except Exception as error:  # noqa: BLE001
            self.printer.say(click.style(f"update of {function.name} failed: {error}", fg="red"))
            return
        live = time.time() - saved_at
        self.codes[function.name] = sha
        self.timings.append(live)
        self.printer.say(
            click.style(f"↻ {function.name} updated", fg="green")
            + f" (save to live {live * 1000:.0f} ms)"
        )

    def reload(self, changed: Iterable[Path]) -> None:
        assert self.app is not None
        what = classify(self.app, self.app_file, changed)
        if what.app_file:
            self.printer.say(
                click.style(f"↻ {self.app_file.name} changed: redeploying", fg="yellow")
            )
            self.deploy()
            return
        if len(what.functions) == 1:
            self.update_code(what.functions[0], what.saved_at)
        elif what.functions:
            # Functions built from one shared folder update side by side.
            with ThreadPoolExecutor(len(what.functions), "cloudlet-dev-update") as pool:
                for job in [
                    pool.submit(self.update_code, f, what.saved_at) for f in what.functions
                ]:
                    job.result()

    def summary(self) -> str:
        if not self.timings:
            return "no code reloads"
        ms = sorted(t * 1000 for t in self.timings)
        return (
            f"{len(ms)} code reloads, save to live: p50 {statistics.median(ms):.0f} ms, "
            f"max {ms[-1]:.0f} ms"
        )


def _outputs(
    collect: Callable[[], Any],
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    try:
        found = collect()
    except AppError:
        return {}, {}
    return found.values, found.resources


def _wait_updated(lam: Any, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = lam.get_function_configuration(FunctionName=name).get("LastUpdateStatus")
        if status != "InProgress":
            return
        time.sleep(0.02)


def try_with_curl(app: App, resources: dict[str, dict[str, str]]) -> str | None:
    """A request to try: the first route of the first deployed API, path parameters
    filled with a sample value."""
    from cloudlet.app.constructs import Api

    for api in app.of_kind(Api):
        found = resources.get(f"{api.kind}:{api.name}", {})
        url = found.get("url")
        if not url or not api.routes:
            continue
        route = api.routes[0]
        path = route.path.replace("{proxy+}", "hello")
        while "{" in path:
            start, end = path.index("{"), path.index("}", path.index("{"))
            path = path[:start] + "1" + path[end + 1 :]
        method = route.method if route.method not in ("ANY", "GET") else "GET"
        # Quoted: an HTTP API's URL holds `$default`, which a shell would expand.
        full = shlex.quote(url.rstrip("/") + path)
        if method == "GET":
            return f"curl {full}"
        return f"curl -X {method} {full} -H 'content-type: application/json' -d '{{}}'"
    return None


def run(app_file: Path | None, stage: str, endpoint: str | None, region: str) -> int:
    """The `cloudlet dev` command; returns the exit code."""
    from cloudlet.app.loader import resolve_app_file
    from cloudlet.deploy.target import DEFAULT_ENDPOINT

    try:
        file = resolve_app_file(app_file)
    except AppError as error:
        raise click.ClickException(str(error)) from None
    printer = Printer()
    url = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
    cloud: LocalCloud | None = None
    stop = threading.Event()
    # SIGTERM ends the session like Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, lambda *_: _interrupt())
    try:
        if not answers(url):
            data_dir = file.parent / ".cloudlet" / "data"
            log = file.parent / ".cloudlet" / "cloud.log"
            try:
                cloud = _start_uninterrupted(url, data_dir, log)
            except RuntimeError as error:
                raise click.ClickException(str(error)) from None
            printer.say(f"started the local cloud at {url} (data in {data_dir}, log {log})")
        else:
            printer.say(f"using the cloud at {url}")
        session = DevSession(file, stage, Target(url, region), printer)
        if not session.deploy():
            printer.say("fix the app file and save: cloudlet dev deploys it then", err=True)
        logs = threading.Thread(
            target=_stream_logs, args=(session, stop), name="cloudlet-dev-logs", daemon=True
        )
        logs.start()
        watch(session, stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, previous)
        if cloud is not None:
            printer.say(f"stopping the local cloud (its data stays in {cloud.data_dir})")
            cloud.stop()
    if "session" in locals():
        printer.say(session.summary())
    return 0


def roots(session: DevSession) -> list[Path]:
    """The folders to watch: the app file's, and code folders outside it."""
    base = session.app_file.parent
    found = [base]
    if session.app is not None:
        for function in session.app.of_kind(Function):
            if not any(function.code.is_relative_to(root) for root in found):
                found.append(function.code)
    return found


def watch(session: DevSession, stop: threading.Event) -> None:
    """Hand each batch of saves to the session until `stop` (or Ctrl-C); when a
    redeploy changes which folders hold code, watch the new set."""
    import watchfiles

    while not stop.is_set():
        watching = roots(session)
        announced = False
        for changes in watchfiles.watch(
            *watching,
            watch_filter=lambda _, path: watched(path),
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            raise_interrupt=True,
            # The first (empty) yield says the watcher is live: only then "watching".
            rust_timeout=WATCH_TICK_MS,
            yield_on_timeout=True,
        ):
            if not announced:
                shown = ", ".join(str(root) for root in watching)
                session.printer.say(click.style(f"watching {shown} (Ctrl-C to stop)", dim=True))
                announced = True
            if not changes:
                continue
            paths = [Path(path) for _, path in changes]
            if session.app is None:
                session.deploy()  # the last deploy failed: any save retries it
            else:
                session.reload(paths)
            if roots(session) != watching:
                break


def _interrupt() -> None:
    raise KeyboardInterrupt


def _start_uninterrupted(url: str, data_dir: Path, log: Path) -> LocalCloud:
    """Start the local cloud with Ctrl-C held back until its pid is known, so an early
    Ctrl-C stops it instead of leaving it running in its own session."""
    held: list[int] = []
    handlers = {sig: signal.signal(sig, lambda s, _: held.append(s)) for sig in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    try:
        cloud = LocalCloud(url, data_dir, log)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if held:
        cloud.stop()
        raise KeyboardInterrupt
    return cloud


def _stream_logs(session: DevSession, stop: threading.Event) -> None:
    while not stop.is_set():
        tail = session.tail
        if tail is not None:
            try:
                for event in tail.poll():
                    session.printer.log(event)
            except Exception as error:  # noqa: BLE001 - a lost connection at shutdown
                if stop.is_set():
                    return
                session.printer.say(click.style(f"(logs: {error})", dim=True), err=True)
        stop.wait(LOG_POLL_S)
