"""Fixtures for the Telegram bridge tests: fake Bot API, scripted Rasa, real backend, real bridge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.telegram.fake_bot_api import FakeBotAPI
from tests.telegram.harness import Backend, Bridge, FakeRasa


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    b = Backend(tmp_path_factory.mktemp("backend")).start()
    yield b
    b.stop()


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI().start()
    yield api
    api.stop()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    rasa = FakeRasa().start()
    yield rasa
    rasa.stop()


@pytest.fixture
def bridge(
    tmp_path: Path, bot_api: FakeBotAPI, fake_rasa: FakeRasa, backend: Backend, request: pytest.FixtureRequest
) -> Iterator[Bridge]:
    b = Bridge(tmp_path, bot_api.base_url, bot_api.token, fake_rasa.url, backend.url).start()
    yield b
    b.stop()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(f"--- bridge log ---\n{b.log()[-6000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
