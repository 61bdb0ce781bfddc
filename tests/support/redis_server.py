"""A redis-server of one test's own, on a free port: the test may stop it, kill it, start it again or make it refuse
writes, which the Redis every other test shares must never go through."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.processes import Process, free_port, wait_until


class RedisServer:
    """``redis-server`` on 127.0.0.1 with ``options`` (e.g. append-only), its files and log in ``workdir``."""

    def __init__(self, workdir: Path, *options: str, password: str | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is needed on PATH (the CI image has it)")
        self.port, self.workdir, self.password = free_port(), workdir, password
        secret = ["--requirepass", password] if password else []
        self.command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *secret, *options]
        self.process: Process | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_timeout=10)

    def up(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def start(self) -> RedisServer:
        self.process = Process("redis", [*self.command, "--dir", str(self.workdir)], {}, self.workdir).start()
        wait_until(self.up, 20, "the test's redis-server")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stops it (SIGKILL: as a crash would)."""
        if self.process:
            self.process.stop(sig)
            self.process = None


@contextmanager
def redis_server(workdir: Path, *options: str, password: str | None = None) -> Iterator[RedisServer]:
    """A started ``RedisServer``, stopped at the end."""
    server = RedisServer(workdir, *options, password=password).start()
    try:
        yield server
    finally:
        server.stop()
