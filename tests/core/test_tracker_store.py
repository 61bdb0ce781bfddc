"""EventLogRedisTrackerStore on a real Redis, compared with Rasa's own RedisTrackerStore through the real model.

Needs Redis at 127.0.0.1:6379 (database 6 is flushed) and the trained model (``make train``).
.venv-rasa/bin/python -m pytest tests/core
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.agent import Agent
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from assistant_core import rasa_compat
from assistant_core.channels import TRY_AGAIN, DevRestInput, Turn
from assistant_core.tracker_store import EventLogRedisTrackerStore, install
from tests.core.support import REDIS_DB, ROOT, converse, run
from tests.support.redis_server import RedisServer, redis_server

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


# -- one-time codes are not stored ---------------------------------------------------------------

CODE = "482913"


@pytest.fixture
def otp_store(red: redis.Redis) -> Iterator[EventLogRedisTrackerStore]:
    """The store over the project's domain (these tests build their conversations, they need no model)."""
    red.flushdb()
    yield EventLogRedisTrackerStore(Domain.load(str(ROOT / "domain")), host="127.0.0.1", db=REDIS_DB, key_prefix="o")
    red.flushdb()


def ask_for_code() -> list[Event]:
    """The binding form has checked the entity and now asks for the one-time code."""
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("绑定企业", {"name": "bind_entity", "confidence": 1.0}),
        ActionExecuted("binding_form"),
        ActiveLoop("binding_form"),
        SlotSet("uscc", "91220202MA0Y3K7Q6L"),
        SlotSet("requested_slot", "otp_code"),
        ActionExecuted("action_listen"),
    ]


def code_message(text: str) -> UserUttered:
    """What the user types in answer, as the NLU parses it (an entity extractor may pick the digits up)."""
    parse_data = {
        "text": text,
        "intent": {"name": "inform", "confidence": 0.9},
        "entities": [{"entity": "number", "value": CODE, "start": 0, "end": 6, "extractor": "RegexEntityExtractor"}],
        "intent_ranking": [{"name": "inform", "confidence": 0.9}],
    }
    return UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data, metadata={"raw": text})


def test_a_one_time_code_is_masked_in_what_is_stored_not_in_the_turn(
    otp_store: EventLogRedisTrackerStore, red: redis.Redis
) -> None:
    tracker = DialogueStateTracker.from_events("tg:otp", ask_for_code())
    run(otp_store.save(tracker))
    tracker = run(otp_store.retrieve("tg:otp"))
    # The turn: the code (full-width digits, as some keyboards type them), the slot it fills, the check's result.
    typed = f"验证码 {CODE.translate(str.maketrans('0123456789', '０１２３４５６７８９'))}"
    for event in [code_message(typed), SlotSet("otp_code", typed), SlotSet("otp_code", "已验证"), ActiveLoop(None)]:
        tracker.update(event)
    run(otp_store.save(tracker))

    # The tracker of the turn (what the action server verified the code with) is unchanged.
    assert tracker.latest_message.text == typed and tracker.latest_message.parse_data["entities"][0]["value"] == CODE
    raw = red.lrange(otp_store.events_key("tg:otp"), 0, -1)
    assert not any(CODE.encode() in item or "４８２９１３".encode() in item for item in raw)
    stored = [json.loads(item) for item in raw]
    user = next(e for e in stored if e["event"] == "user" and e["text"].startswith("验证码"))
    assert user["text"] == user["parse_data"]["text"] == "验证码 ******"
    assert user["parse_data"]["entities"][0]["value"] == "******" and user["metadata"] == {"raw": "验证码 ******"}
    assert [e["value"] for e in stored if e["event"] == "slot" and e["name"] == "otp_code"] == [
        "验证码 ******",
        "已验证",
    ]
    # Messages that do not answer the code question are kept as typed.
    assert any(e["event"] == "user" and e["text"] == "绑定企业" for e in stored)
    # Read back: the masked conversation, whose form state Rasa predicts from as before.
    again = run(otp_store.retrieve("tg:otp"))
    assert again.latest_message.text == "验证码 ******" and again.get_slot("otp_code") == "已验证"
    assert again.active_loop_name is None


def test_a_code_typed_after_a_reload_or_in_a_copy_is_masked_and_the_copy_continues(
    otp_store: EventLogRedisTrackerStore, red: redis.Redis
) -> None:
    run(otp_store.save(DialogueStateTracker.from_events("tg:otp2", [*ask_for_code(), code_message(CODE)])))
    # A tracker the store did not read (Rasa's HTTP API): compared masked with masked, so it continues.
    copy = run(otp_store.retrieve_full_tracker("tg:otp2")).copy()
    copy.update(SlotSet("otp_code", None))
    copy.update(ActionExecuted("action_listen"))
    copy.update(code_message(f"{CODE} "))
    run(otp_store.save(copy))

    raw = red.lrange(otp_store.events_key("tg:otp2"), 0, -1)
    assert len(raw) == len(ask_for_code()) + 4 and not any(CODE.encode() in item for item in raw)
    texts = [json.loads(item).get("text") for item in raw if json.loads(item)["event"] == "user"]
    assert texts == ["绑定企业", "******", "****** "]
    # Once the form stopped asking, digits are the user's own business again.
    after = run(otp_store.retrieve("tg:otp2"))
    for event in [
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecuted("action_listen"),
        UserUttered(CODE),
    ]:
        after.update(event)
    run(otp_store.save(after))
    assert json.loads(red.lrange(otp_store.events_key("tg:otp2"), -1, -1)[0])["text"] == CODE


def test_an_event_broker_gets_the_masked_events(
    otp_store: EventLogRedisTrackerStore, tmp_path: Path, red: redis.Redis
) -> None:
    broker = SQLEventBroker(db=str(tmp_path / "events.db"))
    otp_store.event_broker = broker
    tracker = DialogueStateTracker.from_events("tg:otp3", ask_for_code())
    run(otp_store.save(tracker))
    tracker = run(otp_store.retrieve("tg:otp3"))
    tracker.update(code_message(CODE))
    tracker.update(SlotSet("otp_code", CODE))
    run(otp_store.save(tracker))

    with broker.session_scope() as session:
        published = [json.loads(row.data) for row in session.query(broker.SQLBrokerEvent).all()]
    assert len(published) == len(ask_for_code()) + 2 and all(e["sender_id"] == "tg:otp3" for e in published)
    assert not any(CODE in json.dumps(e, ensure_ascii=False) for e in published)
    assert published[-2]["text"] == "******" and published[-1]["value"] == "******"


# -- Redis failing under a turn ---------------------------------------------------------------------------------
@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Append-only, every write on disk, as deployed: the test makes it fail."""
    with redis_server(tmp_path, "--appendonly", "yes", "--appendfsync", "always") as server:
        yield server


@pytest.fixture
def turns_fail_with_their_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """The handlers the Rasa server installs (assistant_core.rasa_server); Rasa's own are back after the test."""
    for member in rasa_compat.STORE_ERROR_HANDLERS:
        monkeypatch.setattr(FailSafeTrackerStore, member.name, getattr(FailSafeTrackerStore, member.name))
    install()


def test_a_turn_redis_cannot_read_or_store_is_answered_try_again_and_not_kept(
    agent: Agent, own_redis: RedisServer, turns_fail_with_their_store: None
) -> None:
    store = EventLogRedisTrackerStore(agent.domain, host="127.0.0.1", port=own_redis.port)
    # As the Rasa server builds it: Rasa wraps every tracker store in a FailSafeTrackerStore.
    agent.tracker_store = agent.processor.tracker_store = FailSafeTrackerStore(store)
    channel, sender = DevRestInput(), "cli:redis-fails"

    def say(text: str) -> list[str]:
        return [m.get("text", "") for m in run(channel.answer(agent.handle_message, Turn(sender, text)))]

    assert say("你好") != [TRY_AGAIN]
    # Redis refuses writes (out of memory) but still reads: the turn runs and is answered, its save fails.
    own_redis.client().config_set("maxmemory", "1")
    assert say("信用修复需要多长时间") == [TRY_AGAIN]
    own_redis.client().config_set("maxmemory", "0")
    # Redis is gone (a crash): the conversation cannot even be read.
    own_redis.stop(signal.SIGKILL)
    assert say("什么是严重失信主体名单") == [TRY_AGAIN]
    own_redis.start()

    # Back: the conversation goes on where it was, in its one session, with the answered turns only.
    assert say("谢谢") != [TRY_AGAIN]
    stored = [json.loads(raw) for raw in own_redis.client().lrange(store.events_key(sender), 0, -1)]
    assert [e["text"] for e in stored if e["event"] == "user"] == ["你好", "谢谢"]
    assert [e for e in stored if e["event"] == "action" and e["name"] == "action_session_start"] == [stored[0]]
