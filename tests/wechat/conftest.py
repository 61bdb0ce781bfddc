"""Fixtures for the WeChat channel tests: fake platform, scripted Rasa, real backend, real channel process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.credit_backend import ChannelBackend
from tests.support.fake_rasa import FakeRasa
from tests.wechat.fake_wechat import FakeWeChatAPI
from tests.wechat.harness import ADMIN_TOKEN, ASSISTANT_TOKEN, STAFF_TOKEN, WX_SECRET, WeChatChannel, redis_db


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelBackend]:
    b = ChannelBackend(tmp_path_factory.mktemp("backend"), ASSISTANT_TOKEN, STAFF_TOKEN, ADMIN_TOKEN).start()
    yield b
    b.stop()


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatAPI]:
    redis_db().flushdb()  # the cached token, message states and windows of the previous test
    api = FakeWeChatAPI().start()
    yield api
    api.stop()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    rasa = FakeRasa(secret=WX_SECRET, channel="wx").start()
    yield rasa
    rasa.stop()


@pytest.fixture
def channel(
    tmp_path: Path, wechat_api: FakeWeChatAPI, fake_rasa: FakeRasa, backend: ChannelBackend
) -> Iterator[WeChatChannel]:
    c = WeChatChannel(tmp_path, wechat_api.url, fake_rasa.url, backend.url).start()
    yield c
    c.stop()
    print(f"--- channel log ---\n{c.log()[-6000:]}")
