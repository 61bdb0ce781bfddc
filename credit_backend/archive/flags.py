"""What a conversation's events say: each user message with its prediction, each form run and how it ended, and
the review flags. Pure functions over Rasa event dicts (``Event.as_dict()``, as the tracker store stores them).

The assistant's names come from where the assistant defines them:

* forms, their services and final actions: actions/flows/ (``FLOWS``, standard library only);
* fallback: the intent ``nlu_fallback`` (config.yml's FallbackClassifier), Rasa's ``action_default_fallback``
  and the project's ``action_clarify`` (the rules' answer to nlu_fallback and the policy's core fallback);
* hand-off: ``action_handoff`` (actions/handoff.py), inside or outside a form;
* cancel: ``action_cancel`` (actions/common.py), which the generated rules run after deactivating the form;
* "explain after two failures": ``CreditFormValidation.reject`` (actions/forms_base.py) explains the question
  on the second failed answer and then sets the slot ``failed_attempts`` to ``{"slot": …, "count": 0}`` — the
  only time the count is 0 (a first failure sets 1, an accepted answer clears it).

How a form run ends (``FormRun.outcome``):

* ``completed``: the form's final action ran after it (for a submission: confirmed, not stopped); a final
  action run without its form (a query or report asked with the code in the message, answered in one step)
  is a run of one turn, completed;
* ``declined``: the user answered no to the final confirmation (``confirmed`` false), nothing was filed;
* ``stopped``: the assistant ended it (``flow_stopped``: not eligible, binding failed, …), or the identity
  check it waited for ended without resuming it;
* ``cancelled``: the user cancelled (``action_cancel`` while it was open);
* ``handed_off``: the user asked for a person while it was open;
* ``abandoned``: still open when the session ended (a later session, or a restart);
* ``open``: still open at the last event (the archive's queries count it as abandoned once
  ``archive_abandon_hours`` pass without events).

A flow that needs identity binding hands over to ``binding_form`` and resumes afterwards: the suspended run
carries on when its form is activated again (the user messages of the detour count in its turns).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from actions.flows import FLOWS

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_clarify"})
HANDOFF_ACTION = "action_handoff"
CANCEL_ACTION = "action_cancel"
LISTEN_ACTION = "action_listen"
SESSION_START_ACTION = "action_session_start"
FAQ_INTENT = "faq"  # the retrieval intent of config.yml's ResponseSelector
FAILED_ATTEMPTS_SLOT = "failed_attempts"
OUTCOMES = ("completed", "declined", "stopped", "cancelled", "handed_off", "abandoned", "open")
RANKING_KEPT = 10  # intents kept per message (DIET ranks 10 by default)

FORM_SERVICE: dict[str, str] = {flow.form: flow.name for flow in FLOWS}
FINAL_ACTION: dict[str, str] = {flow.form: flow.final_action for flow in FLOWS}
FINAL_FORM: dict[str, str] = {flow.final_action: flow.form for flow in FLOWS}
SERVICE_LABELS: dict[str, str] = {flow.name: flow.label for flow in FLOWS}


def event_time(data: Mapping[str, Any]) -> datetime:
    """The event's own timestamp (Rasa: seconds since the epoch) as an aware UTC datetime."""
    stamp = data.get("timestamp")
    try:
        return datetime.fromtimestamp(float(stamp), timezone.utc)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, timezone.utc)


def is_session_start(data: Mapping[str, Any]) -> bool:
    return data.get("event") == "action" and data.get("name") == SESSION_START_ACTION


def _confidence(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass
class Prediction:
    """What the NLU made of one user message."""

    text: str
    typed: bool  # False for a button's payload ("/intent{…}"): the NLU did not classify it
    intent: str | None
    confidence: float | None
    top_intent: str | None
    top_confidence: float | None
    second_intent: str | None
    second_confidence: float | None
    margin: float | None
    ranking: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    faq_topic: str | None
    faq_confidence: float | None


def prediction(data: Mapping[str, Any]) -> Prediction:
    """The prediction stored in a ``user`` event (its parse data)."""
    parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    text = str(data.get("text") or parse.get("text") or "")
    intent_data = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    intent = intent_data.get("name") or None
    ranking = [
        {"name": str(item.get("name")), "confidence": _confidence(item.get("confidence"))}
        for item in parse.get("intent_ranking") or []
        if isinstance(item, dict) and item.get("name")
    ][:RANKING_KEPT]
    # The FallbackClassifier puts nlu_fallback first with its threshold as confidence; the classifier's own
    # ranking follows it, and that is what the review's confidence and margin are about.
    real = [item for item in ranking if item["name"] != FALLBACK_INTENT]
    if not real and intent and intent != FALLBACK_INTENT:
        real = [{"name": intent, "confidence": _confidence(intent_data.get("confidence"))}]
    top, second = [*real, None, None][:2]
    top_conf = top["confidence"] if top else None
    second_conf = second["confidence"] if second else None
    entities = [
        {key: item[key] for key in ("entity", "value", "start", "end", "role", "group", "extractor") if key in item}
        for item in (parse.get("entities") or data.get("entities") or [])
        if isinstance(item, dict)
    ]
    faq_topic = faq_conf = None
    if FAQ_INTENT in (intent, top["name"] if top else None):
        selected = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
        faq_topic = selected.get("intent_response_key") or None
        faq_conf = _confidence(selected.get("confidence"))
    return Prediction(
        text=text,
        typed=not text.startswith("/"),
        intent=intent,
        confidence=_confidence(intent_data.get("confidence")),
        top_intent=top["name"] if top else None,
        top_confidence=top_conf,
        second_intent=second["name"] if second else None,
        second_confidence=second_conf,
        margin=top_conf - second_conf if top_conf is not None and second_conf is not None else None,
        ranking=ranking,
        entities=entities,
        faq_topic=faq_topic,
        faq_confidence=faq_conf,
    )


@dataclass
class MessageFacts:
    """A user message: where it is among the events, its prediction, and what followed it."""

    index: int  # position in the events handed to ``derive``
    at: datetime
    prediction: Prediction
    form: str | None  # active when it was said
    actions: list[str] = field(default_factory=list)  # the assistant's actions until the next message
    fallback: bool = False


@dataclass
class FormRun:
    form: str
    service: str
    started_at: datetime
    first_turn: int  # the user message that started it (1-based)
    ended_at: datetime | None = None
    outcome: str = "open"
    last_turn: int = 0
    state: str = "active"  # active / closing (deactivated, its final action not yet run) / suspended / ended

    @property
    def turns(self) -> int:
        return max(1, self.last_turn - self.first_turn + 1)


@dataclass
class Derived:
    """Everything derived from one conversation's events."""

    messages: list[MessageFacts]
    runs: list[FormRun]
    started_at: datetime | None
    last_event_at: datetime | None
    had_fallback: bool = False
    had_handoff: bool = False
    form_cancelled: bool = False
    form_abandoned: bool = False
    explained_after_failures: bool = False
    open_form: str | None = None

    @property
    def turns(self) -> int:
        return len(self.messages)


class _Fold:
    """The walk over the events (one instance per ``derive`` call)."""

    def __init__(self) -> None:
        self.messages: list[MessageFacts] = []
        self.runs: list[FormRun] = []
        self.active: str | None = None
        self.slots: dict[str, Any] = {}
        self.flags: dict[str, bool] = {}
        self.at: datetime | None = None

    def open_runs(self) -> list[FormRun]:
        return [run for run in self.runs if run.state != "ended"]

    def run_of(self, form: str) -> FormRun | None:
        return next((run for run in self.open_runs() if run.form == form), None)

    def end(self, run: FormRun, outcome: str) -> None:
        run.state, run.outcome, run.ended_at, run.last_turn = "ended", outcome, self.at, len(self.messages)

    def end_all(self, outcome: str) -> bool:
        runs = self.open_runs()
        for run in runs:
            self.end(run, outcome)
        return bool(runs)

    def step(self, index: int, data: Mapping[str, Any]) -> None:
        kind = data.get("event")
        self.at = event_time(data)
        if kind == "user":
            facts = MessageFacts(index, self.at, prediction(data), self.active)
            facts.fallback = facts.prediction.intent == FALLBACK_INTENT
            self.messages.append(facts)
        elif kind == "action":
            self.action(str(data.get("name") or ""))
        elif kind == "active_loop":
            self.loop(data.get("name") or None)
        elif kind == "slot":
            self.slot(str(data.get("name") or ""), data.get("value"))
        elif kind in ("restart", "session_started") and self.open_runs():
            # A restart or a new session inside the same stored session: what was open is left behind.
            self.end_all("abandoned")
            self.flags["form_abandoned"] = True
            self.active = None

    def action(self, name: str) -> None:
        if self.messages and name not in (LISTEN_ACTION, SESSION_START_ACTION):
            self.messages[-1].actions.append(name)
            if name in FALLBACK_ACTIONS:
                self.messages[-1].fallback = True
        if name == CANCEL_ACTION:
            if self.end_all("cancelled"):
                self.flags["form_cancelled"] = True
            return
        if name == HANDOFF_ACTION:
            self.flags["had_handoff"] = True
            self.end_all("handed_off")
            return
        finished = False
        for run in self.open_runs():
            if run.state != "closing":
                continue
            if name == FINAL_ACTION.get(run.form):
                outcome = "completed"
                if self.slots.get("flow_stopped"):
                    outcome = "stopped"
                elif self.slots.get("confirmed") is False:
                    outcome = "declined"
                self.end(run, outcome)
                finished = True
            elif name in FORM_SERVICE:
                run.state = "suspended"  # another form first (the identity check), then back to this one
        if not finished and name in FINAL_FORM and self.active is None:
            # Answered in one step, without the form ("查一下9122…": data/rules/conversation.yml).
            form = FINAL_FORM[name]
            run = FormRun(form, FORM_SERVICE[form], self.at, max(1, len(self.messages)))  # type: ignore[arg-type]
            self.runs.append(run)
            self.end(run, "completed")

    def loop(self, name: str | None) -> None:
        if name is None:
            run = self.run_of(self.active) if self.active else None
            if run and run.state == "active":
                run.state = "closing"
            self.active = None
            return
        self.active = name
        if name not in FORM_SERVICE:
            return
        run = self.run_of(name)
        if run is None:
            self.runs.append(FormRun(name, FORM_SERVICE[name], self.at, max(1, len(self.messages))))  # type: ignore[arg-type]
        else:
            run.state = "active"  # resumed after the identity check

    def slot(self, name: str, value: Any) -> None:
        self.slots[name] = value
        if name == FAILED_ATTEMPTS_SLOT and isinstance(value, dict) and value.get("count") == 0:
            self.flags["explained_after_failures"] = True
        elif name == "pending_form":
            # The identity check ended without handing back to a suspended form: that form will not resume.
            for run in self.open_runs():
                if run.state == "suspended" and run.form != value:
                    self.end(run, "stopped")


def derive(events: Sequence[Mapping[str, Any]], *, session_over: bool = False) -> Derived:
    """Messages, form runs and flags of one conversation from its events, in order. ``session_over``: a later
    session of the sender exists, so whatever is still open was abandoned."""
    fold = _Fold()
    for index, data in enumerate(events):
        fold.step(index, data)
    still_open = fold.open_runs()
    if still_open and session_over:
        fold.end_all("abandoned")
        fold.flags["form_abandoned"] = True
    for run in fold.runs:
        if run.state != "ended":
            run.last_turn = len(fold.messages)
    times = [event_time(data) for data in events]
    return Derived(
        messages=fold.messages,
        runs=fold.runs,
        started_at=min(times) if times else None,
        last_event_at=max(times) if times else None,
        had_fallback=any(m.fallback for m in fold.messages),
        had_handoff=fold.flags.get("had_handoff", False),
        form_cancelled=fold.flags.get("form_cancelled", False),
        form_abandoned=fold.flags.get("form_abandoned", False),
        explained_after_failures=fold.flags.get("explained_after_failures", False),
        open_form=None if session_over or not still_open else still_open[-1].form,
    )


def split_sessions(events: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Events cut where each session starts (``action_session_start``); events before the first start form a
    session of their own."""
    sessions: list[list[Mapping[str, Any]]] = []
    for data in events:
        if is_session_start(data) or not sessions:
            sessions.append([])
        sessions[-1].append(data)
    return sessions
