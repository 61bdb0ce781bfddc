"""Real processes for end-to-end tests, shared by both environments (standard library only).

``Process`` runs a command with its output in a log file; ``DemoBackend`` is the credit backend as a
uvicorn process over a fresh SQLite demo city, the way the action-server and Telegram tests use it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

ROOT = Path(__file__).resolve().parents[2]
BACKEND_PYTHON = ROOT / ".venv" / "bin" / "python"
TODAY = "2026-11-26"
OTP_LIMITS = ("CODES_PER_HOUR_ENTITY", "CODES_PER_HOUR_SENDER", "WRONG_PER_DAY_ENTITY", "WRONG_PER_DAY_SENDER")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


class Stack(Protocol):
    def start(self) -> Any: ...
    def stop(self) -> Any: ...
    def logs(self) -> str: ...


S = TypeVar("S", bound=Stack)


@contextlib.contextmanager
def serving(stack: S, session: Any) -> Iterator[S]:
    """Starts ``stack`` for a fixture and stops it afterwards; prints its logs when a test of ``session`` (pytest's
    ``request.session``) failed, so a failure in CI shows what the services said."""
    try:
        stack.start()
        yield stack
    finally:
        failed = session.testsfailed
        stack.stop()
        if failed:
            print(stack.logs(), file=sys.stderr)


class Process:
    """A subprocess with its output in a log file, shown when a test fails."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.command, self.env = name, command, env
        self.log_path = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_healthy(self, url: str, timeout: float) -> None:
        def ok() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            return healthy(url)

        wait_until(ok, timeout, f"{self.name} at {url}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class DemoBackend:
    """The credit backend (uvicorn, backend venv) over a fresh SQLite city of 200 demo entities."""

    def __init__(self, workdir: Path, tokens: dict[str, str], entities: int = 200) -> None:
        self.workdir = workdir
        self.tokens = tokens  # role → bearer token
        self.entities = entities
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{workdir / 'credit.db'}"
        self.env = {
            # The suites bind the same few entities, and issue reports on them, many times within an hour; the
            # one-time-code limits and the daily cap of reports have their own tests
            # (tests/backend/test_security_access.py, test_report_document.py), so here they are out of the way.
            **{f"CREDIT_OTP_{name}": "100000" for name in OTP_LIMITS},
            "CREDIT_REPORT_ISSUES_PER_ENTITY_PER_DAY": "100000",
            **os.environ,
            "CREDIT_DATABASE_URL": self.database_url,
            "CREDIT_TODAY": TODAY,
            "CREDIT_ATTACHMENTS_DIR": str(workdir / "attachments"),
            **{f"CREDIT_TOKENS_{role.upper()}": token for role, token in tokens.items()},
        }
        self.process = Process(
            "backend",
            [
                str(BACKEND_PYTHON),
                "-m",
                "uvicorn",
                "credit_backend.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            self.env,
            workdir,
        )

    def start(self) -> DemoBackend:
        subprocess.run(
            [
                str(BACKEND_PYTHON),
                "-m",
                "credit_backend.demo.cli",
                "--reset",
                "--entities",
                str(self.entities),
                "--database-url",
                self.database_url,
                "--today",
                TODAY,
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.process.start().wait_healthy(f"{self.url}/healthz", 60)
        return self

    def stop(self) -> None:
        self.process.stop()
