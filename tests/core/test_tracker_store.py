"""EventLogRedisTrackerStore on a real Redis, compared with Rasa's own RedisTrackerStore through the real model.

Needs Redis at 127.0.0.1:6379 (database 6 is flushed) and the trained model (``make train``).
.venv-rasa/bin/python -m pytest tests/core
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rasa.core.agent import Agent
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from assistant_core.tracker_store import EventLogRedisTrackerStore
from tests.core.support import REDIS_DB, converse, run

# Turns that need no action server: greeting, two policy questions, thanks, a new session, goodbye.
SCRIPT = ["你好", "信用修复需要多长时间", "什么是严重失信主体名单", "谢谢", "/session_start", "你好", "再见"]


@pytest.fixture
def store(red: redis.Redis, agent: Agent) -> Iterator[EventLogRedisTrackerStore]:
    red.flushdb()
    yield EventLogRedisTrackerStore(agent.domain, host="127.0.0.1", port="6379", db=str(REDIS_DB), key_prefix="t")
    red.flushdb()


def comparable(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    """The tracker's events without what differs between two runs of one conversation."""
    events = []
    for event in tracker.events:
        data = event.as_dict()
        data.pop("timestamp", None)
        data.pop("message_id", None)
        data.get("parse_data", {}).pop("message_id", None)
        events.append(data)
    return events


def test_a_conversation_is_stored_as_rasas_redis_store_stores_it(
    agent: Agent, store: EventLogRedisTrackerStore, red: redis.Redis
) -> None:
    stock = RedisTrackerStore(agent.domain, host="127.0.0.1", port=6379, db=REDIS_DB, key_prefix="stock")
    stock_texts = converse(agent, stock, "web:stock", SCRIPT)
    texts = converse(agent, store, "web:ours", SCRIPT)

    assert texts == stock_texts and any("信用修复" in text for text in texts)
    full, stock_full = run(store.retrieve_full_tracker("web:ours")), run(stock.retrieve_full_tracker("web:stock"))
    assert comparable(full) == comparable(stock_full)
    # What Rasa predicts from is the latest session only, exactly as Rasa splits it.
    latest, stock_latest = run(store.retrieve("web:ours")), run(stock.retrieve("web:stock"))
    assert len(get_trackers_for_conversation_sessions(full)) == 2
    assert (
        comparable(latest) == comparable(stock_latest) == comparable(get_trackers_for_conversation_sessions(full)[-1])
    )
    assert latest.current_slot_values() == stock_latest.current_slot_values()


def test_a_turn_appends_its_events_and_leaves_the_stored_ones_alone(
    agent: Agent, store: EventLogRedisTrackerStore, red: redis.Redis
) -> None:
    converse(agent, store, "web:append", SCRIPT[:3])
    key = store.events_key("web:append")
    before = red.lrange(key, 0, -1)
    converse(agent, store, "web:append", ["谢谢"])
    after = red.lrange(key, 0, -1)

    assert after[: len(before)] == before
    user = after[len(before)]
    assert json.loads(user)["event"] == "user" and json.loads(user)["text"] == "谢谢"
    # Compact JSON with the Chinese text as it is, a third of the size of \\u escapes.
    assert "谢谢".encode() in user and b'", "' not in user


def test_a_new_tracker_saved_directly_is_stored(store: EventLogRedisTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("web:new", [ActionExecuted("action_listen"), UserUttered("你好")])
    run(store.save(tracker))

    assert [type(e) for e in run(store.retrieve("web:new")).events] == [ActionExecuted, UserUttered]
    assert run(store.exists("web:new")) and not run(store.exists("web:nobody"))
    assert run(store.retrieve("web:nobody")) is None
    assert list(run(store.keys())) == ["web:new"]


def test_a_copy_of_a_stored_tracker_is_continued_not_duplicated(store: EventLogRedisTrackerStore) -> None:
    run(store.save(DialogueStateTracker.from_events("web:copy", [ActionExecuted("action_listen"), UserUttered("a")])))
    copy = run(store.retrieve_full_tracker("web:copy")).copy()  # a tracker the store did not read itself
    copy.update(BotUttered("b"))
    run(store.save(copy))

    assert [getattr(e, "text", None) for e in run(store.retrieve_full_tracker("web:copy")).events] == [None, "a", "b"]


def test_a_different_tracker_replaces_the_latest_session_only(store: EventLogRedisTrackerStore) -> None:
    first = [ActionExecuted("action_session_start"), ActionExecuted("action_listen"), UserUttered("旧会话")]
    second = [ActionExecuted("action_session_start"), ActionExecuted("action_listen"), UserUttered("新会话")]
    run(store.save(DialogueStateTracker.from_events("web:replace", first + second)))
    # Rasa's HTTP API can hand the store a tracker it built itself (PUT …/tracker/events).
    replacement = [ActionExecuted("action_session_start"), UserUttered("替换"), SlotSet("uscc", "X")]
    run(store.save(DialogueStateTracker.from_events("web:replace", replacement)))

    full = run(store.retrieve_full_tracker("web:replace"))
    assert [getattr(e, "text", None) for e in full.events] == [None, None, "旧会话", None, "替换", None]
    assert run(store.retrieve("web:replace")).get_slot("uscc") == "X"


def test_conversations_expire(red: redis.Redis, agent: Agent) -> None:
    red.flushdb()
    store = EventLogRedisTrackerStore(agent.domain, host="127.0.0.1", port=6379, db=REDIS_DB, record_exp="60")
    run(store.save(DialogueStateTracker.from_events("web:exp", [ActionExecuted("action_session_start")])))

    assert 0 < red.ttl(store.events_key("web:exp")) <= 60 and 0 < red.ttl(store.session_key("web:exp")) <= 60
    red.flushdb()


def test_a_capped_tracker_is_refused(store: EventLogRedisTrackerStore) -> None:
    capped = DialogueStateTracker("web:capped", slots=None, max_event_history=5)
    with pytest.raises(ValueError, match="max_event_history"):
        run(store.save(capped))
