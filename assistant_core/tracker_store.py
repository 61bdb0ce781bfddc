"""A Redis tracker store that appends each turn's new events instead of rewriting the conversation.

Rasa's RedisTrackerStore keeps a conversation as one JSON document. Every turn it reads the document,
rebuilds every event (looking each event's class up by walking Rasa's class tree), replays them, splits
the conversation into sessions, and on saving reads and rebuilds it all again to merge earlier sessions
before writing the whole document back. A turn's cost grows with the conversation: for an 80-turn
conversation of `make bench`, reading took 32 ms and saving 66 ms, half of the Rasa server's time.

Here a conversation is a Redis list with one compact JSON event per element, plus the list index at
which its latest session starts:

* reading the latest session reads that slice of the list and rebuilds its events through a class table;
* saving pushes only the events the turn added (counted from what was read), in one MULTI/EXEC with the
  session index and the expiry, so a failed save stores nothing;
* a tracker this store did not read (a new conversation, or one built by Rasa's HTTP API) is compared
  with what is stored: if it continues the stored events the rest is appended, otherwise it replaces the
  latest session.

One-time codes are not kept: a message the user sends while the binding form asks for ``otp_code`` is
stored with its digits masked (its text, the text and entities of its parse data, the code wherever else it
appears in the event), and so is every value of the ``otp_code`` slot; events sent to an event broker are
masked the same way. Only what is stored is masked: the tracker of the turn itself (what the action server
gets to verify the code) keeps what the user typed.

When Redis cannot be read or written, the turn fails (``fail_the_turn``) and the channel answers "please try
again": Rasa's own wrapper would go on with an empty conversation or keep the turn in the worker's memory.

Configured in endpoints.yml as ``type: assistant_core.tracker_store.EventLogRedisTrackerStore``.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any, NamedTuple

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from actions.flows import BINDING_FORM
from assistant_core import rasa_compat

rasa_compat.require_rasa()

# Attribute set on trackers this store built or saved: (list index of their first event, events stored,
# the form state after them).
_POSITION = "_event_log_position"

# The form that asks for the one-time code, and its slot, as actions/flows/ declares them.
OTP_FORM = BINDING_FORM
OTP_SLOT = "otp_code"
REQUESTED_SLOT = "requested_slot"
MASK = "*"
# Elsewhere in a masked message (metadata, other parse data) runs of this many digits typed in it are masked.
_CODE_RUN = re.compile(r"\d{4,}")


class FormState(NamedTuple):
    """What a user message answers: the active loop and the slot it asks for."""

    active_loop: str | None = None
    requested_slot: Any = None

    @property
    def asks_for_code(self) -> bool:
        return self.active_loop == OTP_FORM and self.requested_slot == OTP_SLOT


START = FormState()


def next_state(state: FormState, event: Event) -> FormState:
    """The form state after ``event`` (only what decides whether a user message answers the code question)."""
    if isinstance(event, ActiveLoop):
        return state._replace(active_loop=event.name)
    if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
        return state._replace(requested_slot=event.value)
    if isinstance(event, (Restarted, SessionStarted)):
        return START
    if isinstance(event, AllSlotsReset):
        return state._replace(requested_slot=None)
    return state


def fold(events: Iterable[Event], state: FormState = START) -> FormState:
    for event in events:
        state = next_state(state, event)
    return state


def _is_digit(char: str) -> bool:
    return char.isdigit() or unicodedata.normalize("NFKC", char).isdigit()


def mask_digits(text: str) -> str:
    """Every digit (full-width ones included) replaced by ``*``: ``"123456"`` → ``"******"``."""
    return "".join(MASK if _is_digit(char) else char for char in text)


def _mask_runs(value: Any, runs: list[str]) -> Any:
    """``value`` (JSON data) with every occurrence of the digit runs in ``runs`` masked."""
    if isinstance(value, str):
        for run in runs:
            value = value.replace(run, MASK * len(run))
        return value
    if isinstance(value, list):
        return [_mask_runs(item, runs) for item in value]
    if isinstance(value, dict):
        return {key: _mask_runs(item, runs) for key, item in value.items()}
    return value


def _mask_user_message(data: dict[str, Any]) -> dict[str, Any]:
    """A UserUttered event's dict with the code masked; ``data`` (it shares the event's parse data) is not changed."""
    data = copy.deepcopy(data)
    text = str(data.get("text") or "")
    normal = unicodedata.normalize("NFKC", text)
    runs = sorted(
        set(_CODE_RUN.findall(normal))
        | set(_CODE_RUN.findall(re.sub(r"\s", "", normal)))
        | set(_CODE_RUN.findall(text)),
        key=len,
        reverse=True,
    )
    if data.get("text"):
        data["text"] = mask_digits(text)
    parse_data = data.get("parse_data")
    if isinstance(parse_data, dict):
        if isinstance(parse_data.get("text"), str):
            parse_data["text"] = mask_digits(parse_data["text"])
        for entity in parse_data.get("entities") or []:
            for key in ("value", "text"):
                if isinstance(entity, dict) and isinstance(entity.get(key), (str, int, float)):
                    entity[key] = mask_digits(str(entity[key]))
        data["parse_data"] = _mask_runs(parse_data, runs)
    if data.get("metadata"):
        data["metadata"] = _mask_runs(data["metadata"], runs)
    return data


def stored_form(event: Event, state: FormState) -> dict[str, Any]:
    """The event as stored (and sent to an event broker): ``as_dict()`` with one-time codes masked.
    ``state`` is the form state before the event."""
    data = event.as_dict()
    if isinstance(event, SlotSet) and event.key == OTP_SLOT and isinstance(event.value, (str, int, float)):
        masked = mask_digits(str(event.value))
        return data if masked == str(event.value) else {**data, "value": masked}
    if isinstance(event, UserUttered) and state.asks_for_code:
        return _mask_user_message(data)
    return data


def stored_forms(events: Iterable[Event], state: FormState = START) -> tuple[list[dict[str, Any]], FormState]:
    """The events as stored, and the form state after them."""
    forms = []
    for event in events:
        forms.append(stored_form(event, state))
        state = next_state(state, event)
    return forms, state


def _event_classes() -> dict[str, type[Event]]:
    return {cls.type_name: cls for cls in all_subclasses(Event)}


def dump(data: dict[str, Any]) -> str:
    # ensure_ascii=False: Chinese text is a third of the size of its \\uXXXX escapes.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def dump_event(event: Event, state: FormState = START) -> str:
    """The event as stored (one-time codes masked; ``state``: the form state before it)."""
    return dump(stored_form(event, state))


def fail_the_turn(self: Any, error: Exception) -> None:
    """In place of the two error handlers of Rasa's FailSafeTrackerStore, which wraps every tracker store: raises
    the store's error, so the turn fails and the stored conversation stays as it was.

    Rasa's handlers only log. After a failed read Rasa goes on with a new, empty conversation (the user's form and
    context are gone, and that conversation replaces the stored session when it is saved); after a failed save it
    keeps the turn in the worker's memory (the user is answered, but no other worker, and no restart, knows the
    turn). Both were seen while Redis restarted (tests/cluster/test_faults.py)."""
    raise error


def install() -> None:
    """Puts ``fail_the_turn`` in the place of Rasa's handlers (rasa_compat.STORE_ERROR_HANDLERS), before the
    Rasa server builds its agent."""
    for member in rasa_compat.STORE_ERROR_HANDLERS:
        rasa_compat.replace_function(member, fail_the_turn)


def is_session_start(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME


class EventLogRedisTrackerStore(TrackerStore):
    """Conversations as append-only Redis lists of events (see the module docstring)."""

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 0,
        username: str | None = None,
        password: str | None = None,
        key_prefix: str = "tracker",
        record_exp: float | str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        self.red = redis.Redis(host=host, port=int(port), db=int(db), username=username, password=password)
        self.key_prefix = key_prefix
        # Seconds a conversation is kept after its last save (None: for ever).
        self.record_exp = int(float(record_exp)) if record_exp else None
        self._classes = _event_classes()
        super().__init__(domain, event_broker, **kwargs)

    def events_key(self, sender_id: str) -> str:
        return f"{self.key_prefix}:events:{sender_id}"

    def session_key(self, sender_id: str) -> str:
        return f"{self.key_prefix}:session:{sender_id}"

    def _load_event(self, raw: bytes) -> Event:
        data = json.loads(raw)
        cls = self._classes.get(data.get("event"))
        # Rasa's own lookup walks the class tree per event; it is kept for names not in the table.
        return rasa_compat.event_from_parameters(cls, data) if cls else Event.from_parameters(data)

    def _build(self, sender_id: str, start: int, raw_events: Sequence[bytes]) -> DialogueStateTracker:
        tracker = self.init_tracker(sender_id)
        state = START
        for raw in raw_events:
            event = self._load_event(raw)
            tracker.update(event)
            state = next_state(state, event)
        setattr(tracker, _POSITION, (start, len(raw_events), state))
        return tracker

    def _latest_session_start(self, sender_id: str) -> int:
        stored = self.red.get(self.session_key(sender_id))
        return int(stored) if stored is not None else 0

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's latest session (what Rasa predicts from)."""
        start = self._latest_session_start(sender_id)
        raw_events = self.red.lrange(self.events_key(sender_id), start, -1)
        return self._build(sender_id, start, raw_events) if raw_events else None

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Every session of the conversation (Rasa's HTTP API, exports)."""
        raw_events = self.red.lrange(self.events_key(sender_id), 0, -1)
        return self._build(sender_id, 0, raw_events) if raw_events else None

    async def exists(self, conversation_id: str) -> bool:
        return bool(self.red.exists(self.events_key(conversation_id)))

    async def keys(self) -> Iterable[str]:
        head = len(self.events_key(""))
        return [key.decode()[head:] for key in self.red.scan_iter(match=self.events_key("*"))]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the events the tracker gained since it was read, or reconciles a tracker built elsewhere."""
        if rasa_compat.max_event_history(tracker) is not None:
            # A capped tracker drops old events, so "events gained" cannot be counted from its length.
            raise ValueError("EventLogRedisTrackerStore needs trackers without max_event_history")
        sender_id = tracker.sender_id
        position = getattr(tracker, _POSITION, None)
        if position is None:
            start, kept, replace, state = self._reconcile(sender_id, list(tracker.events))
        else:
            start, kept, state = position
            replace = False
        # Only the turn's events: no copy of the whole session on every save.
        new_events = list(islice(tracker.events, kept, None))
        forms, state = stored_forms(new_events, state)
        dumped = [dump(data) for data in forms]
        list_base = start + kept  # list index of the first new event
        session_starts = [list_base + i for i, event in enumerate(new_events) if is_session_start(event)]

        pipe = self.red.pipeline(transaction=True)
        events_key, session_key = self.events_key(sender_id), self.session_key(sender_id)
        if replace:
            pipe.ltrim(events_key, 0, start - 1) if start else pipe.delete(events_key)
        if dumped:
            pipe.rpush(events_key, *dumped)
        if session_starts:
            pipe.set(session_key, session_starts[-1])
        if self.record_exp:
            pipe.expire(events_key, self.record_exp)
            pipe.expire(session_key, self.record_exp)
        pipe.execute()

        setattr(tracker, _POSITION, (start, len(tracker.events), state))
        if self.event_broker and forms:
            for data in forms:
                self.event_broker.publish({"sender_id": sender_id, **data})

    # A private hook of Rasa's TrackerStore (rasa_compat.OVERRIDDEN_HOOKS), called by stream_events.
    async def _stream_new_events(self, event_broker: EventBroker, new_events: list[Event], sender_id: str) -> None:
        """Rasa's streaming (``stream_events``), masked as stored; without the conversation before them, a user
        message is known to answer the code question only if the form's question is among ``new_events``."""
        for data in stored_forms(new_events)[0]:
            event_broker.publish({"sender_id": sender_id, **data})

    def _reconcile(self, sender_id: str, events: list[Event]) -> tuple[int, int, bool, FormState]:
        """Where a tracker this store did not read goes: (list index of its first event, how many of its
        events are already stored there, whether the stored events from that index on are replaced, the form
        state after the stored ones)."""
        stored = self.red.lrange(self.events_key(sender_id), 0, -1)
        if not stored:
            return 0, 0, False, START
        forms, _ = stored_forms(events[: len(stored)])
        if [raw.decode() for raw in stored] == [dump(data) for data in forms]:
            # The whole conversation, continued.
            return 0, len(stored), False, fold(events[: len(stored)])
        return self._latest_session_start(sender_id), 0, True, START
