"""No application filed twice when a backend dies between storing it and answering (issue 16), on SQLite and
PostgreSQL.

Two real backend processes (uvicorn) share the suite's database behind a failover proxy (tests/support/
failover_proxy.py). The first stores the application and is killed (SIGKILL) before its answer leaves; the
client's retry with the same Idempotency-Key reaches the second and gets the application filed first. Two
copies of one request reaching both backends at the same moment (a proxy's retry racing the original) file one.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from credit_backend.models import Application, ApplicationCounter, AuditEntry
from tests.backend.api_helpers import API, JIANGCHENG, bind, commitment_body, count, registration_body
from tests.backend.conftest import ASSISTANT
from tests.support.failover_proxy import FailoverProxy, port_in_range
from tests.support.processes import Process

SENDER = "tg:7716"


class Backend:
    """One backend host: uvicorn on the suite's database."""

    def __init__(self, database_url: str, log_dir: Path) -> None:
        self.port = port_in_range()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CREDIT_DATABASE_URL": database_url}
        command = [sys.executable, "-m", "uvicorn", "credit_backend.main:app", "--host", "127.0.0.1"]
        self.process = Process("backend", [*command, "--port", str(self.port), "--log-level", "warning"], env, log_dir)

    def start(self) -> Backend:
        self.process.start().wait_healthy(f"{self.url}/healthz", 60)
        return self

    def kill(self) -> None:
        self.process.stop(signal.SIGKILL)


@pytest.fixture
def backends(database_url: str, engine: object, tmp_path: Path) -> Iterator[tuple[Backend, Backend]]:
    first = Backend(database_url, tmp_path).start()
    second = Backend(database_url, tmp_path).start()
    try:
        yield first, second
    finally:
        first.process.stop()
        second.process.stop()


@pytest.fixture
def bound(client, world):  # type: ignore[no-untyped-def]
    bind(client, SENDER, JIANGCHENG)
    return world


def _post(url: str, path: str, body: dict, key: str) -> httpx.Response:
    headers = {**ASSISTANT, "Idempotency-Key": key}
    return httpx.post(f"{url}{API}/applications/{path}", json=body, headers=headers, timeout=60)


@pytest.mark.parametrize("path", ["commitments", "registrations"])
def test_a_backend_killed_before_answering_files_once_and_the_retry_gets_the_answer(
    session: Session, bound: object, backends: tuple[Backend, Backend], path: str
) -> None:
    first, second = backends
    body = commitment_body(SENDER) if path == "commitments" else registration_body(SENDER)
    port = port_in_range(range(first.port + 1, 7300))
    with FailoverProxy(port, [first.url, second.url]) as proxy:
        proxy.drop_next(first.kill)
        with pytest.raises(httpx.TransportError):  # no answer: the client cannot tell whether it was filed
            _post(proxy.url, path, body, key="attempt-1")
        stored = count(session, Application)
        retry = _post(proxy.url, path, body, key="attempt-1")

    assert stored == 1, "the first backend had stored the application before it died"
    assert retry.status_code == 200, retry.text  # 200: the application filed first, not a new one (201)
    assert [netloc for _, netloc, _ in proxy.served] == [f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"]
    session.expire_all()
    filed = session.query(Application).one()
    assert retry.json()["application_no"] == filed.application_no
    assert count(session, Application) == 1
    assert session.query(ApplicationCounter.last_seq).scalar() == 1, "no application number was used twice"
    assert count(session, AuditEntry, AuditEntry.action.like("submit_%")) == 1
    print(
        f"{path}: stored 1 before the kill, retry answered {retry.status_code}, applications {count(session, Application)}"
    )


def _at_once(urls: list[str], body: dict, key: str) -> list[httpx.Response]:
    """The same request sent to every URL at the same moment."""
    start = threading.Barrier(len(urls))

    def send(url: str) -> httpx.Response:
        start.wait()
        return _post(url, "commitments", body, key)

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(send, urls))


def test_one_request_reaching_both_backends_at_once_files_once(
    session: Session, bound: object, backends: tuple[Backend, Backend]
) -> None:
    first, second = backends
    rounds = 8
    for n in range(rounds):
        answers = _at_once([first.url, second.url], commitment_body(SENDER, matter=f"守法诚信经营第{n}项"), f"race-{n}")
        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        assert len({a.json()["application_no"] for a in answers}) == 1
    assert count(session, Application) == rounds
    print(f"{rounds} requests sent to both backends at once: {count(session, Application)} applications")
