"""The Lambda Runtime API (2018-06-01), as AWS serves it to a runtime.

Each environment reaches it at `AWS_LAMBDA_RUNTIME_API` =
`<host>:<port>/_lambda/<environment id>`, so clients that build
`http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next` land here with the
environment named in the path.
"""

from __future__ import annotations

import re

import orjson

from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.lambda_.runtime.pool import EnvironmentGone, Pool

PREFIX = "/_lambda/"
_ROUTE = re.compile(
    r"^/_lambda/(?P<env>[0-9a-f]+)/2018-06-01/runtime/"
    r"(?:(?P<next>invocation/next)|invocation/(?P<id>[^/]+)/(?P<kind>response|error)"
    r"|(?P<init>init/error))$"
)
_JSON = [(b"content-type", b"application/json")]


def _status(code: int, message: str) -> Response:
    return code, list(_JSON), orjson.dumps({"status": message})


async def handle(
    pool: Pool, method: str, path: str, headers: dict[str, str], body: bytes
) -> Response:
    match = _ROUTE.match(path)
    if match is None:
        return 404, list(_JSON), orjson.dumps({"errorMessage": "unknown runtime API path"})
    env = pool.environments.get(match["env"])
    if env is None or env.state == "dead":
        return 410, list(_JSON), orjson.dumps({"errorMessage": "environment is gone"})
    if match["next"]:
        if method != "GET":
            return 405, list(_JSON), b"{}"
        try:
            invocation = await env.next()
        except EnvironmentGone:
            return 410, list(_JSON), orjson.dumps({"errorMessage": "environment is gone"})
        response_headers = [
            (b"content-type", b"application/json"),
            (b"lambda-runtime-aws-request-id", invocation.request_id.encode()),
            (b"lambda-runtime-deadline-ms", str(invocation.deadline_ms).encode()),
            (b"lambda-runtime-invoked-function-arn", invocation.invoked_arn.encode()),
            (b"lambda-runtime-trace-id", invocation.trace_id.encode()),
        ]
        if invocation.client_context:
            response_headers.append(
                (b"lambda-runtime-client-context", invocation.client_context.encode())
            )
        return 200, response_headers, invocation.payload
    if match["init"]:
        env.init_failed(body)
        return _status(202, "OK")
    error = None if match["kind"] == "response" else "Unhandled"
    if not env.respond(match["id"], body, error):
        return 400, list(_JSON), orjson.dumps({"errorMessage": "no such invocation"})
    return _status(202, "OK")
