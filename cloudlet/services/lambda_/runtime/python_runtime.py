"""The Python runtime: a Lambda Runtime API client that runs `module.function` handlers.

Runs inside the function's process (forked from the zygote), with only the standard
library and AWS's packages available. It speaks the same HTTP API as AWS's own runtime
interface client (GET next, POST response / error, POST init/error), or, when cloudlet
forked it with a channel (`CHANNEL_FD`), the same four exchanges as frames on that
socket: no HTTP to parse on either side, which is most of a warm invocation's cost.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import socket
import struct
import sys
import time
import traceback
from typing import Any

# Set by the zygote before main(): the environment's end of its channel to cloudlet.
CHANNEL_FD = -1
# Runtime → cloudlet: kind (N next, R response, E error, I init error), request id length,
# payload length, peak RSS in KiB (the REPORT line's Max Memory Used); then id, payload.
UP = struct.Struct(">cHIQ")
# cloudlet → runtime: meta length, payload length, deadline (epoch ms); then meta (request
# id, invoked ARN, trace id, client context, joined by newlines), payload.
DOWN = struct.Struct(">IIQ")


class CognitoIdentity:
    def __init__(self, identity: Any) -> None:
        identity = identity if isinstance(identity, dict) else {}
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")


class ClientContext:
    def __init__(self, context: Any) -> None:
        context = context if isinstance(context, dict) else {}
        self.client = context.get("client")
        self.custom = context.get("custom")
        self.env = context.get("env")


class LambdaContext:
    """The context object Python handlers receive, with every attribute AWS provides."""

    def __init__(self, request_id: str, headers: dict[str, str]) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0"))
        self.identity = CognitoIdentity(_parse(headers.get("lambda-runtime-cognito-identity")))
        context = _parse(headers.get("lambda-runtime-client-context"))
        self.client_context = ClientContext(context) if context is not None else None
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(message)


def _parse(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _error(error: BaseException, request_id: str = "") -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _init_error(message: str, error_type: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}


def load_handler(spec: str) -> tuple[Any, dict[str, Any] | None]:
    """Import `module.function` (module may be a dotted path or `folder/module`)."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        return None, _init_error(
            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)",
            "Runtime.MalformedHandlerName",
        )
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return None, _init_error(
            f"Unable to import module '{module_name}': {error}", "Runtime.ImportModuleError"
        )
    except SyntaxError as error:
        return None, _init_error(
            f"Syntax error in module '{module_name}': {error}", "Runtime.UserCodeSyntaxError"
        )
    except Exception as error:  # the module raised while loading: AWS reports it as is
        return None, _error(error)
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, _init_error(
            f"Handler '{function_name}' missing on module '{module_name}'",
            "Runtime.HandlerNotFound",
        )
    return handler, None


class RuntimeClient:
    """The Runtime API over one kept-alive connection, with a minimal HTTP/1.1 exchange:
    http.client's header parsing (the email package) was most of the runtime's own
    time per invocation."""

    def __init__(self, address: str) -> None:
        host, _, prefix = address.partition("/")
        self.prefix = ("/" + prefix if prefix else "") + "/2018-06-01/runtime"
        self.host = host
        name, _, port = host.rpartition(":")
        self.address = (name.strip("[]"), int(port)) if name and port.isdigit() else (host, 80)
        self.sock: socket.socket | None = None
        self.reader: Any = None

    def _connect(self) -> None:
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def _close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        payload = body or b""
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
        for attempt in (1, 2):  # the server may have closed an idle connection
            if self.sock is None:
                self._connect()
            try:
                assert self.sock is not None
                self.sock.sendall(request)
                return self._response()
            except (ConnectionError, OSError):
                self._close()
                if attempt == 2:
                    raise
        raise ConnectionError("unreachable")

    def _response(self) -> tuple[bytes, dict[str, str]]:
        status = self.reader.readline()
        if not status:
            raise ConnectionError("the Runtime API closed the connection")
        headers: dict[str, str] = {}
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        data = self.reader.read(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            self._close()
        return data, headers

    def next(self) -> tuple[bytes, dict[str, str]]:
        return self._request("GET", "/invocation/next")

    def respond(self, request_id: str, body: bytes) -> None:
        self._request("POST", f"/invocation/{request_id}/response", body)

    def fail(self, request_id: str, error: dict[str, Any]) -> None:
        headers = {"Lambda-Runtime-Function-Error-Type": error.get("errorType", "Unhandled")}
        self._request("POST", f"/invocation/{request_id}/error", _json(error), headers)

    def init_error(self, error: dict[str, Any]) -> None:
        headers = {"Lambda-Runtime-Function-Error-Type": error.get("errorType", "Unhandled")}
        self._request("POST", "/init/error", _json(error), headers)

    def respond_next(self, request_id: str, body: bytes) -> tuple[bytes, dict[str, str]]:
        self.respond(request_id, body)
        return self.next()

    def fail_next(self, request_id: str, error: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        self.fail(request_id, error)
        return self.next()


class ChannelClient:
    """The four Runtime API exchanges as frames on the socket cloudlet forked us with."""

    def __init__(self, fd: int) -> None:
        os.set_inheritable(fd, False)  # not into the function's own subprocesses
        self.sock = socket.socket(fileno=fd)
        self.reader = self.sock.makefile("rb")

    def _send(self, kind: bytes, request_id: str, payload: bytes = b"") -> None:
        rid = request_id.encode()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.sock.sendall(UP.pack(kind, len(rid), len(payload), peak) + rid + payload)

    def next(self) -> tuple[bytes, dict[str, str]]:
        self._send(b"N", "")
        return self._receive()

    def _receive(self) -> tuple[bytes, dict[str, str]]:
        head = self.reader.read(DOWN.size)
        if len(head) < DOWN.size:
            raise ConnectionError("cloudlet closed the channel")
        meta_size, size, deadline = DOWN.unpack(head)
        request_id, arn, trace, context = self.reader.read(meta_size).decode().split("\n", 3)
        headers = {
            "lambda-runtime-aws-request-id": request_id,
            "lambda-runtime-deadline-ms": str(deadline),
            "lambda-runtime-invoked-function-arn": arn,
            "lambda-runtime-trace-id": trace,
        }
        if context:
            headers["lambda-runtime-client-context"] = context
        return self.reader.read(size), headers

    def respond_next(self, request_id: str, body: bytes) -> tuple[bytes, dict[str, str]]:
        """A response, and the next invocation: one frame each way."""
        self._send(b"R", request_id, body)
        return self._receive()

    def fail_next(self, request_id: str, error: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        self._send(b"E", request_id, _json(error))
        return self._receive()

    def init_error(self, error: dict[str, Any]) -> None:
        self._send(b"I", "", _json(error))
        self.reader.read(1)  # cloudlet has it: only now may the process exit


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _log_error(report: dict[str, Any]) -> None:
    """The log line AWS's Python runtime writes for an unhandled error."""
    stack = "".join(report["stackTrace"])
    sys.stderr.write(
        f"[ERROR] {report['errorType']}: {report['errorMessage']}\n"
        f"Traceback (most recent call last):\n{stack}"
    )
    _flush()


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()


class _RequestId(logging.Filter):
    """Stamps each record with the current invocation's request id."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_logging() -> _RequestId:
    """The root logger's handler that AWS's Python runtime installs: lines like
    `[INFO]\t2024-01-01T00:00:00.123Z\t<request id>\tmessage` on the function's log.
    The root logger keeps Python's default level (WARNING) unless the function or
    AWS_LAMBDA_LOG_LEVEL (advanced logging controls) sets it."""
    stamp = _RequestId()
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(stamp)
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
        names = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}
        root.setLevel(names.get(level, level))
    return stamp


def main() -> None:
    stamp = _install_logging()
    client: Any = (
        ChannelClient(CHANNEL_FD)
        if CHANNEL_FD >= 0
        else RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    )
    handler, failure = load_handler(os.environ["_HANDLER"])
    _flush()
    if failure is not None:
        client.init_error(failure)
        os._exit(1)
    body, headers = client.next()
    while True:
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        stamp.request_id = request_id
        if "lambda-runtime-trace-id" in headers:
            os.environ["_X_AMZN_TRACE_ID"] = headers["lambda-runtime-trace-id"]
        try:
            event = json.loads(body) if body else None
            result = handler(event, LambdaContext(request_id, headers))
        except MemoryError:
            _flush()
            os._exit(137)  # reported as AWS reports an out-of-memory death
        except Exception as error:
            report = _error(error, request_id)
            _log_error(report)
            body, headers = client.fail_next(request_id, report)
            continue
        try:
            payload = _json(result)
        except (TypeError, ValueError) as error:
            report = _init_error(f"Unable to marshal response: {error}", "Runtime.MarshalError")
            report["requestId"] = request_id
            _log_error(report)
            body, headers = client.fail_next(request_id, report)
            continue
        _flush()
        body, headers = client.respond_next(request_id, payload)
