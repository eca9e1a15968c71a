"""How large a function's response may be."""

from __future__ import annotations

import orjson

RESPONSE_LIMIT = 6_291_556  # bytes a synchronous invocation's response may have
# What a synchronous Invoke answers (FunctionError Unhandled) for a larger response.
RESPONSE_TOO_LARGE = orjson.dumps(
    {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({RESPONSE_LIMIT} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
)
