"""endpoints.yml as Rasa reads it: the action server's token in a header, Redis with and without a password.

The password test runs a Redis of its own (``redis-server`` on a free port, with ``requirepass``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from assistant_core.lock_store import OrderedRedisLockStore
from assistant_core.tracker_store import EventLogRedisTrackerStore
from bot import runner
from tests.core.support import ROOT, run
from tests.support.redis_server import RedisServer, redis_server

ENDPOINTS = str(ROOT / "endpoints.yml")
LOCAL_ENDPOINTS = str(ROOT / "endpoints.local.yml")


def read(path: str, kind: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> EndpointConfig:
    """``kind`` of ``path`` as `rasa run` reads it, in an environment filled in by bot.runner plus ``env``."""
    filled: dict[str, str] = {"ACTION_SERVER_TOKEN": "tok-1", **env}
    runner.rasa_endpoints(filled)
    for name, value in filled.items():
        monkeypatch.setenv(name, value)
    config = read_endpoint_config(path, kind)
    assert config is not None
    return config


@pytest.mark.parametrize("path", [ENDPOINTS, LOCAL_ENDPOINTS])
def test_rasa_sends_the_action_server_token(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    config = read(path, "action_endpoint", monkeypatch, ACTION_SERVER_TOKEN="s3cr-et_x", ACTIONS_PORT="5123")
    assert config.url == "http://127.0.0.1:5123/webhook"
    assert config.headers == {"Authorization": "Bearer s3cr-et_x"}


def test_an_empty_redis_password_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_REDIS_PASSWORD", raising=False)
    tracker_store = read(ENDPOINTS, "tracker_store", monkeypatch)
    lock_store = read(ENDPOINTS, "lock_store", monkeypatch)
    assert tracker_store.kwargs["password"] == lock_store.kwargs["password"] == ""


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path, "--appendonly", "no", password=secrets.token_urlsafe(16)) as server:
        yield server


def test_tracker_and_lock_store_use_the_redis_password(
    monkeypatch: pytest.MonkeyPatch, redis_with_password: RedisServer
) -> None:
    port, password = redis_with_password.port, str(redis_with_password.password)
    env = {"RASA_REDIS_PORT": str(port), "RASA_REDIS_DB": "0", "RASA_REDIS_PASSWORD": password}
    domain = Domain.load(str(ROOT / "domain"))
    tracker_store = TrackerStore.create(read(ENDPOINTS, "tracker_store", monkeypatch, **env), domain)
    lock_store = LockStore.create(read(ENDPOINTS, "lock_store", monkeypatch, **env))
    assert isinstance(tracker_store, EventLogRedisTrackerStore) and isinstance(lock_store, OrderedRedisLockStore)

    run(
        tracker_store.save(
            DialogueStateTracker.from_events("dev:pw", [ActionExecuted("action_listen"), UserUttered("你好")])
        )
    )
    assert run(tracker_store.retrieve("dev:pw")).latest_message.text == "你好"
    ticket = lock_store.issue("dev:pw")
    assert lock_store.get_lock("dev:pw") is not None
    assert lock_store.release(ticket)

    # Without the password this Redis refuses every command.
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port).keys()
    assert redis.Redis(port=port, password=password).exists("credit:events:dev:pw")
