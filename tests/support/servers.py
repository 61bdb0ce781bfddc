"""Run an ASGI app with uvicorn in a background thread on a free localhost port (real HTTP)."""

from __future__ import annotations

import threading
from typing import Any

import uvicorn

from tests.support.processes import free_port, wait_until


class ThreadedServer:
    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        wait_until(lambda: self.server.started, 15, "the test server to start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
