"""Scripted Rasa conversations for the archive tests (no tests here): event dicts exactly as Rasa 3.6's ``Event.as_dict()`` writes
them (tests/core/test_event_broker.py runs real Rasa events through the broker and the archiver), pushed into a
Redis stream as assistant_core/event_broker.py pushes them. Also a plugin of fixtures (``pytest_plugins``): the
archive tests' Redis (database 12) and a stream of each test's own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import redis

from credit_backend import db
from credit_backend.archive import consumer
from credit_backend.archive.ingest import EVENT_FIELD, SENDER_FIELD
from tests.support.rasa_stack import redis_db

REDIS_DB = 12  # the archive's tests (tests/core/test_event_broker.py too), each with keys of its own


@pytest.fixture
def red() -> redis.Redis:
    return redis_db(REDIS_DB)


@pytest.fixture
def stream(red: redis.Redis) -> Iterator[str]:
    name = f"test:archive:{uuid.uuid4().hex[:8]}"
    yield name
    red.delete(name)


def archiver(red: redis.Redis, stream: str, batch: int = 7) -> consumer.Archiver:
    return consumer.Archiver(red, db.get_sessionmaker(), stream, "test-group", "test-consumer", batch)


class Script:
    """One sender's events; each event 10 ms after the previous one unless ``wait`` moves the clock."""

    def __init__(self, sender: str, start: datetime) -> None:
        self.sender = sender
        self.clock = start.timestamp()
        self.events: list[dict[str, Any]] = []

    def _add(self, data: dict[str, Any]) -> Script:
        self.clock += 0.01
        self.events.append({"event": data.pop("event"), "timestamp": self.clock, **data})
        return self

    def wait(self, seconds: float) -> Script:
        self.clock += seconds
        return self

    def action(self, name: str, policy: str | None = "RulePolicy") -> Script:
        return self._add(
            {
                "event": "action",
                "name": name,
                "policy": policy,
                "confidence": 1.0 if policy else None,
                "action_text": None,
                "hide_rule_turn": False,
            }
        )

    def listen(self) -> Script:
        return self.action("action_listen")

    def session_start(self) -> Script:
        self.action("action_session_start", None)
        self._add({"event": "session_started"})
        return self.action("action_listen", None)

    def user(
        self,
        text: str,
        ranking: list[tuple[str, float]],
        entities: list[dict[str, Any]] | None = None,
        faq: tuple[str, float] | None = None,
        fallback: float | None = None,
    ) -> Script:
        """A user message; ``fallback``: the FallbackClassifier's threshold, put first as nlu_fallback."""
        ranked = [{"name": name, "confidence": conf} for name, conf in ranking]
        if fallback is not None:
            ranked.insert(0, {"name": "nlu_fallback", "confidence": fallback})
        parse: dict[str, Any] = {
            "text": text,
            "intent": dict(ranked[0]),
            "entities": entities or [],
            "message_id": f"m{len(self.events)}",
            "metadata": {},
            "intent_ranking": ranked,
        }
        if faq:
            parse["response_selector"] = {
                "all_retrieval_intents": ["faq"],
                "faq": {
                    "response": {
                        "responses": [{"text": "答案"}],
                        "confidence": faq[1],
                        "intent_response_key": faq[0],
                        "utter_action": f"utter_{faq[0]}",
                    },
                    "ranking": [],
                },
            }
        return self._add(
            {
                "event": "user",
                "text": text,
                "parse_data": parse,
                "input_channel": "trusted",
                "message_id": parse["message_id"],
                "metadata": {},
            }
        )

    def bot(self, text: str, buttons: list[str] | None = None) -> Script:
        data = {"buttons": [{"title": b, "payload": f"/{b}"} for b in buttons]} if buttons else {}
        return self._add({"event": "bot", "metadata": {}, "text": text, "data": data})

    def loop(self, name: str | None) -> Script:
        return self._add({"event": "active_loop", "name": name})

    def slot(self, name: str, value: Any) -> Script:
        return self._add({"event": "slot", "name": name, "value": value})

    def form_starts(self, form: str, first_slot: str) -> Script:
        return self.action(form).loop(form).slot("requested_slot", first_slot).bot("请回答").listen()


def push(red: redis.Redis, stream: str, *scripts: Script) -> int:
    """XADDs every event of the scripts as the Rasa server's event broker would; the number added."""
    added = 0
    for script in scripts:
        for data in script.events:
            body = json.dumps({"sender_id": script.sender, **data}, ensure_ascii=False)
            red.xadd(stream, {SENDER_FIELD: script.sender, EVENT_FIELD: body})
            added += 1
    return added


def uscc_entity(value: str) -> dict[str, Any]:
    return {"entity": "uscc", "value": value, "start": 0, "end": len(value), "extractor": "RegexEntityExtractor"}
