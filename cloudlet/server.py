"""Runs the gateway under uvicorn and announces the endpoint once it listens."""

from __future__ import annotations

import socket
import sys

import uvicorn

from cloudlet import __version__
from cloudlet.config import Config
from cloudlet.gateway.app import Gateway


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, gateway: Gateway, state: str) -> None:
        super().__init__(config)
        self.gateway = gateway
        self.state = state

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit:
            return
        port = self.servers[0].sockets[0].getsockname()[1] if self.servers else self.config.port
        self.gateway.endpoint_url = f"http://{self.config.host}:{port}"
        # The one line scripts and cloudlet.testing wait for; --port 0 shows the real port.
        print(
            f"cloudlet {__version__} ready on http://{self.config.host}:{port} "
            f"(state: {self.state})",
            flush=True,
        )

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Requests that wait by design (Runtime API `next`, long polls) would hold the
        # graceful shutdown open: end them first.
        await self.gateway.quiesce()
        await super().shutdown(sockets=sockets)


def run(config: Config) -> int:
    app = Gateway(config)
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        http="httptools",
        lifespan="on",
        log_level=config.log_level,
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
    )
    state = "memory (ephemeral)" if config.ephemeral else str(config.data_dir)
    server = _Server(uv_config, app, state)
    server.run()
    return 0 if server.started else 1
