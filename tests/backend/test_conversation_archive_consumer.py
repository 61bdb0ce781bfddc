"""The archiver as a long-running consumer (issue 14): it keeps archiving across a Redis restart, and a batch the
database refused stays in the stream, unacknowledged, until it is stored. A Redis server of its own on a free
port (restarted by the test) and Redis database 12."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from credit_backend import db
from credit_backend.archive import consumer
from credit_backend.archive.__main__ import main as archive_main
from credit_backend.models import ConversationEvent, ConversationMessage
from credit_backend.settings import get_settings
from tests.backend.test_conversation_archive_scripts import REDIS_DB, Script, archiver, push
from tests.support.processes import wait_until
from tests.support.redis_server import RedisServer, redis_server

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)
pytest_plugins = ["tests.backend.test_conversation_archive_scripts"]  # red, stream


def greeting(sender: str) -> Script:
    return Script(sender, NOW).session_start().user("你好", [("greet", 0.99), ("thank", 0.004)]).action("utter_greet")


def archived_events() -> int:
    with db.get_sessionmaker()() as s:
        return s.scalar(select(func.count()).select_from(ConversationEvent)) or 0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Without persistence: the test stops it and starts it again empty."""
    with redis_server(tmp_path, "--appendonly", "no") as server:
        yield server


def test_the_consumer_carries_on_after_redis_restarts(session, own_redis: RedisServer):
    worker = consumer.Archiver(own_redis.client(), db.get_sessionmaker(), "credit:archive", "archivers", "a1", 50)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        first = push(own_redis.client(), "credit:archive", greeting("tg:before"))
        wait_until(lambda: archived_events() == first, 30, "the first conversation archived")

        own_redis.stop()  # the consumer now fails to read and waits (1 s, 2 s, …)
        own_redis.start()  # an empty Redis: no stream, no group; the consumer creates them again
        second = push(own_redis.client(), "credit:archive", greeting("wx:after"))
        wait_until(lambda: archived_events() == first + second, 60, "the second conversation archived")
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    assert worker.totals.stored == first + second


def test_a_batch_the_database_refuses_stays_pending_until_stored(session, red: redis.Redis, stream: str, tmp_path):
    pushed = push(red, stream, greeting("tg:1"), greeting("tg:2"))
    broken = sessionmaker(bind=create_engine(f"sqlite:///{tmp_path}"))  # a directory: the database cannot be opened
    with pytest.raises(OperationalError):
        consumer.Archiver(red, broken, stream, "test-group", "test-consumer", 3).drain()
    assert red.xpending(stream, "test-group")["pending"] == 3 and red.xlen(stream) == pushed
    assert archived_events() == 0

    totals = archiver(red, stream, batch=3).drain()
    assert (totals.stored, totals.duplicates) == (pushed, 0)
    assert archived_events() == pushed and red.xlen(stream) == 0
    with db.get_sessionmaker()() as s:
        assert s.scalar(select(func.count()).select_from(ConversationMessage)) == 2


def test_the_redis_url_defaults_to_the_rasa_servers_redis():
    settings = type("S", (), {"archive_redis_url": ""})()
    assert consumer.redis_url(settings, {}) == "redis://127.0.0.1:6379/2"  # type: ignore[arg-type]
    env = {
        "RASA_REDIS_HOST": "10.0.0.5",
        "RASA_REDIS_PORT": "6380",
        "RASA_REDIS_DB": "4",
        "RASA_REDIS_PASSWORD": "p@ss/w",
    }
    assert consumer.redis_url(settings, env) == "redis://:p%40ss%2Fw@10.0.0.5:6380/4"  # type: ignore[arg-type]
    settings.archive_redis_url = "redis://elsewhere:6379/9"
    assert consumer.redis_url(settings, env) == "redis://elsewhere:6379/9"  # type: ignore[arg-type]
    settings.archive_redis_url = ""
    parsed = redis.Redis.from_url(consumer.redis_url(settings, env))  # type: ignore[arg-type]
    assert parsed.connection_pool.connection_kwargs["password"] == "p@ss/w"


def test_consume_once_archives_the_stream_and_does_nothing_when_the_archive_is_off(
    session, red: redis.Redis, stream: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(get_settings(), "archive_redis_url", f"redis://127.0.0.1:6379/{REDIS_DB}")
    monkeypatch.setattr(get_settings(), "archive_stream", stream)
    monkeypatch.setattr(get_settings(), "archive_group", "cli-group")
    pushed = push(red, stream, greeting("tg:cli"))
    monkeypatch.setattr(get_settings(), "archive_enabled", False)
    assert archive_main(["consume", "--once"]) == 0
    assert "会话归档未启用" in capsys.readouterr().out and red.xlen(stream) == pushed and archived_events() == 0
    monkeypatch.setattr(get_settings(), "archive_enabled", True)
    assert archive_main(["consume", "--once"]) == 0
    assert f"已归档事件 {pushed} 条" in capsys.readouterr().out and archived_events() == pushed
