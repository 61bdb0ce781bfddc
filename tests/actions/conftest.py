"""Fixtures: one real backend process per session, a fresh client per test, unique senders."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from actions import policy
from actions.backend import CreditBackend, set_client
from tests.actions.harness import ASSISTANT_TOKEN, BackendProcess, Chat
from tests.support.processes import free_port

_senders = itertools.count(1001)


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    process = BackendProcess(tmp_path_factory.mktemp("backend")).start()
    try:
        yield process
    finally:
        process.stop()


def use_backend(url: str) -> None:
    """Point the actions' process-wide client at ``url`` and forget the cached policy."""
    set_client(CreditBackend(url, token=ASSISTANT_TOKEN, timeout=(1.0, 10.0)))
    policy.clear_cache()


@pytest.fixture(autouse=True)
def client(backend: BackendProcess) -> Iterator[None]:
    use_backend(backend.url)
    yield
    set_client(None)
    policy.clear_cache()


@pytest.fixture
def closed_url() -> str:
    """A localhost URL nothing listens on: the backend is down."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def chat() -> Chat:
    """A conversation with a Telegram sender id nobody else uses."""
    return Chat(f"tg:{next(_senders)}")


@pytest.fixture
def new_chat() -> Callable[[], Chat]:
    """Factory for further conversations with fresh sender ids."""
    return lambda: Chat(f"tg:{next(_senders)}")
