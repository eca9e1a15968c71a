"""Runs the gateway under uvicorn and announces the endpoint once it listens."""

from __future__ import annotations

import sys

import uvicorn

from cloudlet import __version__
from cloudlet.config import Config
from cloudlet.gateway.app import Gateway


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[object] | None = None) -> None:
        await super().startup(sockets=sockets)  # type: ignore[arg-type]
        if self.should_exit:
            return
        port = self.servers[0].sockets[0].getsockname()[1] if self.servers else 0
        host = self.config.host
        store = (
            "memory (ephemeral)"
            if self.config.app.config.ephemeral
            else str(  # type: ignore[attr-defined]
                self.config.app.config.data_dir  # type: ignore[attr-defined]
            )
        )
        print(f"cloudlet {__version__} ready on http://{host}:{port} (state: {store})", flush=True)


def run(config: Config) -> int:
    app = Gateway(config)
    loop = "uvloop" if sys.platform != "win32" else "asyncio"
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        loop=loop,
        http="httptools",
        lifespan="on",
        log_level=config.log_level,
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_keep_alive=30,
    )
    server = _Server(uv_config)
    server.run()
    return 0 if server.started else 1
