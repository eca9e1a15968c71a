"""The zygote: a Python process that has already imported the runtime and boto3, and
forks a ready interpreter for each new execution environment.

Started by cloudlet as `python -I -S zygote.py <socket-fd> <runtime-lib-dir> <runtime.py>`,
so it sees only the standard library and the AWS-provided packages. It reads spawn
requests (one JSON packet each on a SOCK_SEQPACKET socket, with the environment's log
pipe and the runtime's end of its channel to cloudlet passed as file descriptors), forks, and answers with the child's pid; when a child exits it reports
`{"exit": pid, "status": code}`. A fork costs a few milliseconds, against the hundreds
a fresh interpreter importing boto3 would.
"""

# mypy: disable-error-code="import-untyped,type-arg,type-var"
import importlib.util
import io
import json
import os
import resource
import select
import signal
import socket
import sys
import time


def _preload(runtime_lib: str) -> None:
    """Import what handlers import at load time, and warm botocore's model cache."""
    sys.path.append(runtime_lib)
    try:
        import boto3  # noqa: F401
        import botocore.session  # noqa: F401
    except ImportError:
        return
    session = boto3.Session(region_name="us-east-1")
    loader = session._session.get_component("data_loader")
    for name in ("sqs", "dynamodb", "s3", "sns", "lambda", "events", "stepfunctions"):
        try:
            loader.load_service_model(name, "service-2")
            loader.load_service_model(name, "endpoint-rule-set-1")
        except Exception:
            pass
    for name in ("sqs", "dynamodb", "s3", "sns"):
        try:
            session.client(name, aws_access_key_id="x", aws_secret_access_key="x")
        except Exception:
            pass
    # The warmed loader is shared with the default session the function will use.
    boto3.DEFAULT_SESSION = None
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION._session.register_component("data_loader", loader)


def _load_runtime(path: str) -> object:
    spec = importlib.util.spec_from_file_location("_lambda_runtime", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PRELOADED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def _child(request: dict, log_fd: int, channel_fd: int, runtime: object) -> None:
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    paths = request["paths"]
    # A function that ships its own boto3 (or botocore, ...) gets it, not the preloaded one.
    for name in _PRELOADED:
        if any(os.path.exists(os.path.join(p, name)) for p in paths):
            for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[loaded]
    sys.path[:0] = paths
    os.chdir(request["cwd"])
    limit = request.get("memory_bytes")
    if limit:
        with open("/proc/self/status") as status:
            vm = next(
                (int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize")), 0
            )
        resource.setrlimit(resource.RLIMIT_AS, (vm + limit, vm + limit))
    runtime.CHANNEL_FD = channel_fd  # type: ignore[attr-defined]
    try:
        runtime.main()  # type: ignore[attr-defined]
    finally:
        os._exit(1)


def main() -> None:
    fd, runtime_lib, runtime_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sock = socket.socket(fileno=fd)
    _preload(runtime_lib)
    runtime = _load_runtime(runtime_path)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sock.send(b'{"ready": true}')
    while True:
        readable, _, _ = select.select([sock, wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 512)
            _reap(sock)
        if sock in readable:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
            if not message:
                return  # cloudlet has gone: so do we
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                sock.close()
                os.close(wake_r)
                os.close(wake_w)
                _child(request, fds[0], fds[1] if len(fds) > 1 else -1, runtime)
            for extra in fds:
                os.close(extra)
            sock.send(json.dumps({"id": request["id"], "pid": pid}).encode())


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        sock.send(json.dumps({"exit": pid, "status": code}).encode())


if __name__ == "__main__":
    main()
