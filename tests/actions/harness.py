"""Test harness: a real backend process and a small driver that runs actions the way Rasa does.

``BackendProcess`` starts ``uvicorn credit_backend.main:app`` from the backend venv on a free port
over a fresh demo database. ``Chat`` keeps one conversation's tracker state (slots, events, active
loop) and runs actions against it: for forms it mimics Rasa's ``FormAction`` — the user's answer
becomes a slot candidate after the user event, the ``validate_<form>`` action validates it, and the
next empty required slot is asked with its ``action_ask_<slot>``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions
from tests.support.processes import DemoBackend

ROOT = Path(__file__).resolve().parents[2]


def load_domain(directory: Path) -> dict[str, Any]:
    """The domain directory's files merged as Rasa merges them (slots, forms and responses by name, lists joined)."""
    merged: dict[str, Any] = {}
    for path in sorted(directory.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(v for v in value if v not in merged[key])
            else:
                merged.setdefault(key, value)
    return merged


DOMAIN: dict[str, Any] = load_domain(ROOT / "domain")

ASSISTANT_TOKEN = "actions-test-assistant"
STAFF_TOKEN = "actions-test-staff"
ADMIN_TOKEN = "actions-test-admin"

_MISSING = object()


class BackendProcess(DemoBackend):
    """The credit backend as a real uvicorn process over a temporary SQLite demo database."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, {"assistant": ASSISTANT_TOKEN, "staff": STAFF_TOKEN, "admin": ADMIN_TOKEN})

    def start(self) -> BackendProcess:
        super().start()
        return self

    # -- direct API access (what staff or the user could check) --------------------------------

    def get(self, path: str, token: str = ASSISTANT_TOKEN, **params: Any) -> Any:
        response = requests.get(
            f"{self.url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any], token: str = ASSISTANT_TOKEN) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        response = requests.post(f"{self.url}{path}", json=body, headers=headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def latest_otp(self, uscc: str) -> str:
        """The newest one-time code sent for ``uscc`` (read from the SMS outbox with the staff token)."""
        code, after = None, 0
        while True:
            items = self.get("/api/v1/notifications", STAFF_TOKEN, channel="sms", after_id=after, limit=200)["items"]
            if not items:
                break
            for item in items:
                if (item.get("payload") or {}).get("uscc") == uscc and item["payload"].get("code"):
                    code = item["payload"]["code"]
            after = items[-1]["id"]
        assert code, f"no one-time code was sent for {uscc}"
        return str(code)

    def bind(self, sender_id: str, uscc: str) -> None:
        """Bind a sender to an entity through the API (for tests about something else)."""
        self.post("/api/v1/bindings/start", {"sender_id": sender_id, "uscc": uscc})
        self.post("/api/v1/bindings/verify", {"sender_id": sender_id, "uscc": uscc, "code": self.latest_otp(uscc)})

    def application(self, number: str) -> dict[str, Any]:
        """What the backend holds (read with staff rights: the assistant sees only a sender's own)."""
        return self.get(f"/api/v1/applications/{number}", STAFF_TOKEN)

    def applications(self, sender_id: str) -> list[dict[str, Any]]:
        """The applications ``sender_id`` filed (staff rights: filtered by filer)."""
        return self.get("/api/v1/applications", STAFF_TOKEN, sender_id=sender_id)["items"]

    def records(self, uscc: str) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/entities/{uscc}/records")["items"]


# -- the actions ---------------------------------------------------------------------------------


def _registry() -> dict[str, type[Action]]:
    """Every concrete action of the ``actions`` package, by name."""
    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"actions.{module.name}")
    found: dict[str, type[Action]] = {}

    def walk(cls: type[Action]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("actions.") and not inspect.isabstract(sub):
                found[sub().name()] = sub
            walk(sub)

    walk(Action)
    return found


ACTIONS = _registry()


@dataclass
class Turn:
    """What one step showed the user and which events it returned."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("text") or "") for m in self.messages)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    def payloads(self) -> list[str]:
        return [b["payload"] for b in self.buttons]

    def slot_events(self) -> dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}

    def extend(self, other: Turn) -> Turn:
        self.messages.extend(other.messages)
        self.events.extend(other.events)
        return self


class Chat:
    """One conversation's tracker state, driven like Rasa drives the action server."""

    def __init__(self, sender_id: str) -> None:
        self.sender_id = sender_id
        self.slots: dict[str, Any] = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
        self.slots["requested_slot"] = None
        self.events: list[dict[str, Any]] = []
        self.active_loop: dict[str, Any] = {}
        self.latest_message: dict[str, Any] = {}

    # -- tracker -----------------------------------------------------------------------------

    def tracker(self) -> Tracker:
        return Tracker(
            self.sender_id,
            dict(self.slots),
            dict(self.latest_message),
            list(self.events),
            False,
            None,
            dict(self.active_loop),
            None,
        )

    def user(self, text: str, intent: str = "inform", entities: dict[str, str] | None = None) -> None:
        """A user message with its NLU parse."""
        message_id = uuid.uuid4().hex
        self.latest_message = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
            "message_id": message_id,
        }
        self.events.append({"event": "action", "name": "action_listen"})
        self.events.append(
            {
                "event": "user",
                "timestamp": time.time(),
                "text": text,
                "parse_data": self.latest_message,
                "message_id": message_id,
            }
        )

    def set_slots(self, **values: Any) -> None:
        for name, value in values.items():
            self.events.append({"event": "slot", "name": name, "value": value})
            self.slots[name] = value

    def apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.events.append(event)
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            elif event.get("event") == "active_loop":
                self.active_loop = {"name": event["name"]} if event.get("name") else {}
            elif event.get("event") == "restart":
                raise AssertionError("an action restarted the conversation")

    def call(self, name: str, tracker: Tracker | None = None) -> Turn:
        """Run one action on the current (or a given) tracker, without applying its events."""
        dispatcher = CollectingDispatcher()
        result = ACTIONS[name]().run(dispatcher, tracker or self.tracker(), DOMAIN)
        if inspect.isawaitable(result):
            result = asyncio.run(result)
        return Turn(list(dispatcher.messages), [dict(e) for e in result or []])

    def run(self, name: str) -> Turn:
        """Run one action and apply its events to the conversation."""
        turn = self.call(name)
        self.events.append({"event": "action", "name": name})
        # What the action said, as Rasa stores it (BotUttered events after the action).
        self.events += [{"event": "bot", "text": m.get("text"), "data": {}} for m in turn.messages]
        self.apply(turn.events)
        return turn

    # -- forms -------------------------------------------------------------------------------

    def start_form(
        self,
        form: str,
        text: str,
        intent: str,
        entities: dict[str, str] | None = None,
        slots: dict[str, Any] | None = None,
    ) -> Turn:
        """A message that activates ``form``; ``slots`` are what Rasa extracts from it (entities)."""
        self.user(text, intent, entities)
        self.apply([{"event": "active_loop", "name": form}])
        return self._form_step(dict(slots or {}))

    def answer(
        self,
        text: str,
        intent: str = "inform",
        entities: dict[str, str] | None = None,
        value: Any = _MISSING,
        slots: dict[str, Any] | None = None,
    ) -> Turn:
        """The user answers the requested slot; by default the text fills it (``from_text``)."""
        assert self.active_loop, "no form is active"
        self.user(text, intent, entities)
        if slots is None:
            slots = {self.slots["requested_slot"]: text if value is _MISSING else value}
        return self._form_step(slots)

    def _form_step(self, candidates: dict[str, Any]) -> Turn:
        form = self.active_loop["name"]
        self.set_slots(**candidates)
        turn = self.run(f"validate_{form}")
        requested = next(
            (e for e in reversed(turn.events) if e.get("event") == "slot" and e["name"] == "requested_slot"), None
        )
        if requested is not None:
            next_slot = requested["value"]
        else:
            required = DOMAIN["forms"][form]["required_slots"]
            next_slot = next((s for s in required if self.slots.get(s) is None), None)
        if next_slot is None:
            self.apply(
                [{"event": "slot", "name": "requested_slot", "value": None}, {"event": "active_loop", "name": None}]
            )
            return turn
        self.apply([{"event": "slot", "name": "requested_slot", "value": next_slot}])
        return turn.extend(self.run(f"action_ask_{next_slot}"))

    @property
    def requested(self) -> str | None:
        return self.slots.get("requested_slot") if self.active_loop else None
