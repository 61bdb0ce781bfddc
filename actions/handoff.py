"""Hand-off to a person: POST /handoffs with a summary and the recent conversation; says when someone answers.

The transcript is the conversation's recent user and assistant messages (tracker events), oldest first. A message
the user sent while the binding form asked for the one-time code has its digits masked, as the tracker store masks
it (assistant_core/tracker_store.py): a code never leaves the conversation.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import api_types as api
from actions import flows, texts
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import sender_id
from actions.submission import reset_flow

SUMMARY_SLOTS = {
    "entity_name": "主体",
    "uscc": "代码",
    "info_category": "注册类别",
    "commitment_type": "承诺类型",
    "commitment_matter": "承诺事项",
    "record_id": "记录编号",
    "objection_reason": "异议理由",
    "corrective_action": "整改情况",
}
MAX_MESSAGES = 8
SUMMARY_CHARS = 4000  # the backend's limit
TRANSCRIPT_LINES = 30  # the backend takes at most 40
LINE_CHARS = 2000  # the backend's limit per line
OTP_SLOT = "otp_code"
MASK = "*"


def conversation_summary(events: list[dict[str, Any]], slots: dict[str, Any], form: str | None) -> str:
    """Recent user messages, the flow in progress and its answers."""
    lines = []
    label = flows.label(form) or flows.label(slots.get("pending_form"))
    if label:
        lines.append(f"正在办理：{label}")
    for slot, name in SUMMARY_SLOTS.items():
        if slots.get(slot):
            lines.append(f"{name}：{slots[slot]}")
    said = [line["text"] for line in transcript(events, limit=len(events)) if line["role"] == "user"][-MAX_MESSAGES:]
    if said:
        lines.append("用户最近的话：")
        lines.extend(f"· {text}" for text in said)
    return "\n".join(lines)[:SUMMARY_CHARS] or "用户请求人工服务。"


def mask_digits(text: str) -> str:
    """Every digit (full-width ones too) as ``*``, like the tracker store masks one-time codes."""
    return "".join(MASK if ch.isdigit() or unicodedata.normalize("NFKC", ch).isdigit() else ch for ch in text)


def _user_text(event: dict[str, Any]) -> str | None:
    """What the user said: the text, or for a pressed button its title (a payload like ``/affirm`` means nothing)."""
    text = str(event.get("text") or "").strip()
    if text.startswith("/"):
        title = (event.get("metadata") or {}).get("button_title")
        return str(title).strip() if isinstance(title, str) and title.strip() else None
    return text or None


def transcript(events: list[dict[str, Any]], limit: int = TRANSCRIPT_LINES) -> list[api.TranscriptLine]:
    """The recent user and assistant messages, oldest first, one-time codes masked."""
    lines: list[api.TranscriptLine] = []
    loop, requested = None, None  # the form state a user message answers
    for event in events:
        kind = event.get("event")
        if kind == "active_loop":
            loop = event.get("name")
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind in ("restart", "session_started"):
            loop, requested = None, None
        elif kind == "reset_slots":
            requested = None
        elif kind == "user":
            said = _user_text(event)
            if said:
                asks_code = loop == flows.BINDING_FORM and requested == OTP_SLOT
                lines.append({"role": "user", "text": (mask_digits(said) if asks_code else said)[:LINE_CHARS]})
        elif kind == "bot" and str(event.get("text") or "").strip():
            lines.append({"role": "bot", "text": str(event["text"]).strip()[:LINE_CHARS]})
    return lines[-limit:]


class ActionHandoff(Action):
    """Files a hand-off and tells the user what happens next."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop.get("name") or None
        summary = conversation_summary(tracker.events, dict(tracker.slots), form)
        uscc = tracker.get_slot("uscc") or tracker.get_slot("last_uscc")
        said = transcript(tracker.events)
        try:
            answer = get_client().handoff(sender_id(tracker), summary, uscc, said)
        except (BackendUnavailable, BackendError):
            dispatcher.utter_message(text=texts.HANDOFF_FAILED)
            return reset_flow()
        # The backend knows the working days and hours: now, or when a person will answer.
        dispatcher.utter_message(text=answer["notice"] or texts.HANDOFF_DONE)
        return reset_flow()
