"""Waiting on a future with a time limit, without cancelling it.

`asyncio.wait_for(asyncio.shield(f), t)` does this with a task, a shield future and a
timeout context: about 15 µs, on every Lambda invocation and API Gateway integration.
A timer and one callback do the same for a fraction of it.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def settled(future: asyncio.Future[Any], seconds: float) -> bool:
    """Wait until `future` is done or `seconds` pass; True if it is done. The future is
    never cancelled: what it stands for runs on."""
    if future.done():
        return True
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(max(seconds, 0.0), wake)
    future.add_done_callback(wake)
    try:
        await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(wake)
    return future.done()
