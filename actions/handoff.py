"""Hand-off to a person: POST /handoffs with a summary of the conversation so far."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

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


def conversation_summary(events: list[dict[str, Any]], slots: dict[str, Any], form: str | None) -> str:
    """Recent user messages, the flow in progress and its answers."""
    lines = []
    label = flows.label(form) or flows.label(slots.get("pending_form"))
    if label:
        lines.append(f"正在办理：{label}")
    for slot, name in SUMMARY_SLOTS.items():
        if slots.get(slot):
            lines.append(f"{name}：{slots[slot]}")
    said = [
        str(e.get("text"))
        for e in events
        if e.get("event") == "user" and e.get("text") and not str(e.get("text")).startswith("/")
    ][-MAX_MESSAGES:]
    if said:
        lines.append("用户最近的话：")
        lines.extend(f"· {text}" for text in said)
    return "\n".join(lines) or "用户请求人工服务。"


class ActionHandoff(Action):
    """Files a hand-off and tells the user what happens next."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop.get("name") or None
        summary = conversation_summary(tracker.events, dict(tracker.slots), form)
        uscc = tracker.get_slot("uscc") or tracker.get_slot("last_uscc")
        try:
            get_client().handoff(sender_id(tracker), summary, uscc)
        except (BackendUnavailable, BackendError):
            dispatcher.utter_message(text=texts.HANDOFF_FAILED)
            return reset_flow()
        dispatcher.utter_message(text=texts.HANDOFF_DONE)
        return reset_flow()
