"""The conversation archive's event broker (assistant_core/event_broker.py) on a real Redis (database 12).

endpoints.yml configures it as Rasa reads it (endpoints.local.yml, without Redis, has none); the tracker store
publishes every stored event, masked, one stream entry each; a broken Redis never fails ``publish`` or the
save that calls it; and a real conversation through the real model, published by the broker, is written to a
SQL archive by the backend's archiver (``python -m credit_backend.archive consume --once`` in the backend's
environment).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.agent import Agent
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from assistant_core.event_broker import EVENT_FIELD, SENDER_FIELD, RedisStreamEventBroker
from assistant_core.tracker_store import EventLogRedisTrackerStore
from bot import runner
from tests.core.support import ROOT, converse, run
from tests.core.test_tracker_store import SCRIPT
from tests.support.processes import free_port
from tests.support.rasa_stack import redis_db

REDIS_DB = 12  # the archive's tests (tests/backend/test_conversation_archive*.py use it too, with their own keys)
BACKEND_PYTHON = ROOT / ".venv" / "bin" / "python"
CODE = "314159"


@pytest.fixture
def red12() -> redis.Redis:
    return redis_db(REDIS_DB)


@pytest.fixture
def names(red12: redis.Redis) -> Iterator[tuple[str, str]]:
    """A stream and a tracker-store key prefix of this test's own."""
    tag = uuid.uuid4().hex[:8]
    stream, prefix = f"test:archive:{tag}", f"test{tag}"
    yield stream, prefix
    red12.delete(stream)
    for key in red12.scan_iter(match=f"{prefix}:*"):
        red12.delete(key)


def entries(red: redis.Redis, stream: str) -> list[tuple[str, dict]]:
    return [
        (fields[SENDER_FIELD.encode()].decode(), json.loads(fields[EVENT_FIELD.encode()]))
        for _, fields in red.xrange(stream)
    ]


def test_endpoints_configure_the_broker_and_the_fallback_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"ACTION_SERVER_TOKEN": "tok", "RASA_REDIS_DB": "7"}
    runner.rasa_endpoints(env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "event_broker")
    assert config is not None and config.type == "assistant_core.event_broker.RedisStreamEventBroker"
    broker = run(EventBroker.create(config))
    assert isinstance(broker, RedisStreamEventBroker)
    assert broker.stream == "credit:archive" and broker.maxlen == 1_000_000
    assert broker.red.connection_pool.connection_kwargs["db"] == 7
    assert broker.red.connection_pool.connection_kwargs["password"] is None  # RASA_REDIS_PASSWORD is empty
    assert read_endpoint_config(str(ROOT / "endpoints.local.yml"), "event_broker") is None


def ask_for_code() -> list:
    return [
        ActionExecuted("action_session_start"),
        ActionExecuted("action_listen"),
        UserUttered("我要验证身份", intent={"name": "bind_entity", "confidence": 0.97}),
        ActionExecuted("binding_form"),
        ActiveLoop("binding_form"),
        SlotSet("requested_slot", "otp_code"),
        ActionExecuted("action_listen"),
    ]


def test_every_stored_event_reaches_the_stream_once_and_masked(red12: redis.Redis, names: tuple[str, str]) -> None:
    stream, prefix = names
    broker = RedisStreamEventBroker(host="127.0.0.1", port=6379, db=REDIS_DB, stream=stream)
    store = EventLogRedisTrackerStore(
        Domain.load(str(ROOT / "domain")), host="127.0.0.1", db=REDIS_DB, key_prefix=prefix, event_broker=broker
    )
    tracker = DialogueStateTracker.from_events("tg:arch", ask_for_code())
    run(store.save(tracker))
    tracker = run(store.retrieve("tg:arch"))
    tracker.update(UserUttered(f"验证码{CODE}", intent={"name": "inform", "confidence": 0.9}))
    tracker.update(SlotSet("otp_code", CODE))
    run(store.save(tracker))
    assert broker.flush()

    published = entries(red12, stream)
    stored = [json.loads(raw) for raw in red12.lrange(f"{prefix}:events:tg:arch", 0, -1)]
    assert [event for _, event in published] == [{"sender_id": "tg:arch", **event} for event in stored]
    assert {sender for sender, _ in published} == {"tg:arch"} and len(published) == len(ask_for_code()) + 2
    assert CODE not in json.dumps([event for _, event in published], ensure_ascii=False)
    assert broker.published == len(published) and broker.failures == 0


def test_a_broken_redis_never_fails_publish_or_the_turn(red12: redis.Redis, names: tuple[str, str]) -> None:
    stream, prefix = names
    dead = RedisStreamEventBroker(host="127.0.0.1", port=free_port(), stream=stream, cooldown=3600)
    dead.publish({"sender_id": "tg:x", "event": "action", "name": "action_listen"})  # does not raise
    assert dead.flush()
    assert (dead.failures, dead.dropped, dead.published) == (1, 1, 0)
    dead.publish({"sender_id": "tg:x", "event": "action", "name": "action_listen"})  # cooling down: not tried
    assert dead.flush()
    assert (dead.failures, dead.dropped) == (1, 2)

    store = EventLogRedisTrackerStore(
        Domain.load(str(ROOT / "domain")), host="127.0.0.1", db=REDIS_DB, key_prefix=prefix, event_broker=dead
    )
    run(store.save(DialogueStateTracker.from_events("tg:turn", ask_for_code())))
    assert run(store.retrieve("tg:turn")).latest_message.text == "我要验证身份"  # the turn was stored
    assert dead.flush() and dead.dropped == 2 + len(ask_for_code())

    # An event that cannot be written as JSON is dropped the same way, and a working Redis is tried again.
    live = RedisStreamEventBroker(host="127.0.0.1", port=6379, db=REDIS_DB, stream=stream, cooldown=0)
    live.publish({"sender_id": "tg:x", "event": "slot", "value": object()})
    live.publish({"sender_id": "tg:x", "event": "action", "name": "action_listen"})
    assert live.flush()
    assert (live.failures, live.published) == (1, 1) and len(entries(red12, stream)) == 1
    assert live.is_ready() and not dead.is_ready()


def test_a_real_conversation_reaches_the_sql_archive(
    agent: Agent, red12: redis.Redis, names: tuple[str, str], tmp_path: Path
) -> None:
    stream, prefix = names
    broker = RedisStreamEventBroker(host="127.0.0.1", port=6379, db=REDIS_DB, stream=stream)
    store = EventLogRedisTrackerStore(
        agent.domain, host="127.0.0.1", db=REDIS_DB, key_prefix=prefix, event_broker=broker
    )
    converse(agent, store, "web:archive-e2e", SCRIPT)
    assert broker.flush()
    published = len(entries(red12, stream))
    assert published == red12.llen(f"{prefix}:events:web:archive-e2e")

    database = tmp_path / "archive.db"
    env = {
        **os.environ,
        "CREDIT_DATABASE_URL": f"sqlite:///{database}",
        "CREDIT_ARCHIVE_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CREDIT_ARCHIVE_STREAM": stream,
        "CREDIT_ARCHIVE_GROUP": "test-group",
    }
    for command in (["-m", "credit_backend.migrate"], ["-m", "credit_backend.archive", "consume", "--once"]):
        done = subprocess.run(
            [str(BACKEND_PYTHON), *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert f"已归档事件 {published} 条" in done.stdout
    assert red12.xlen(stream) == 0

    with sqlite3.connect(database) as sql:
        conversations = sql.execute("SELECT channel, turns FROM conversations ORDER BY id").fetchall()
        messages = sql.execute(
            "SELECT text, intent, top_intent, confidence, faq_topic, ranking FROM conversation_messages ORDER BY id"
        ).fetchall()
        events = sql.execute("SELECT count(*) FROM conversation_events").fetchone()[0]
    # The message "/session_start" ends the first conversation; its action_session_start begins the second.
    first = SCRIPT.index("/session_start") + 1
    assert conversations == [("web", first), ("web", len(SCRIPT) - first)]
    assert [m[0] for m in messages] == SCRIPT and events == published
    faq = [m for m in messages if m[1] == "faq"]
    assert len(faq) == 2 and all(m[4] and m[4].startswith("faq/") for m in faq)
    typed = [m for m in messages if not m[0].startswith("/")]
    assert all(m[2] == m[1] and 0 < m[3] <= 1 and len(json.loads(m[5])) > 1 for m in typed)


def test_a_turns_events_are_written_together_once_the_turn_hands_over(
    red12: redis.Redis, names: tuple[str, str]
) -> None:
    stream, _ = names
    broker = RedisStreamEventBroker(host="127.0.0.1", port=6379, db=REDIS_DB, stream=stream)
    events = [{"sender_id": "tg:t", "event": "action", "name": f"a{i}"} for i in range(5)]

    async def turn() -> tuple[int, int]:
        for event in events:
            broker.publish(event)
        during = red12.xlen(stream)  # still in the turn: buffered
        await asyncio.sleep(0)  # the turn hands over to the event loop: the scheduled write runs
        return during, red12.xlen(stream)

    assert run(turn()) == (0, len(events))
    assert [event["name"] for _, event in entries(red12, stream)] == [f"a{i}" for i in range(5)]
    assert broker.published == len(events)
