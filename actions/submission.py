"""Shared submission step: summary → explicit confirmation → POST with an idempotency key.

What each submission files (its kind, its summary, its submit action) is declared in actions/flows/;
the summary builders and submit actions are found from there when needed, not registered on import.
On ``BackendUnavailable`` nothing is reset: the answers and the nonce stay, ``retry_pending``
names the form, and "重试"/affirm submits again with the same ``Idempotency-Key``.

The nonce is drawn when the summary is shown (``action_ask_confirmed``), a turn stored before the user
confirms: the confirming message may be processed twice (a Rasa server that died mid-turn, its message sent
again by the channel or the user, with a new message id), and both runs send the key of that one summary.
"""

from __future__ import annotations

import importlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import flows, texts
from actions.backend import BackendError, BackendUnavailable, get_client, idempotency_key
from actions.binding import counter_check_line
from actions.forms_base import sender_id
from actions.messages import submission_text, unavailable_text

RETRY_BUTTONS = [
    {"title": "重试", "payload": "/affirm"},
    {"title": "取消", "payload": "/cancel"},
    {"title": "转人工", "payload": "/human_handoff"},
]

#: Every slot a flow may leave behind; reset after a submission, a cancel or a stop: the bookkeeping
#: below, then every slot a form asks and every flow's scratch slots (actions/flows/).
FLOW_SLOTS: dict[str, Any] = {
    "uscc": None,
    "entity_name": None,
    "failed_attempts": None,
    "flow_stopped": False,
    "binding_needed": False,
    "pending_form": None,
    "retry_pending": None,
    "submission_nonce": None,
    **{slot: None for slot in flows.question_slots() if slot != "uscc"},
}


def resolve(reference: str) -> Any:
    """The object a declaration names as ``"module:attribute"``."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def summary_builder(form: str | None) -> Callable[[dict[str, Any]], str] | None:
    """The function that builds the confirmation summary of a submission form from the slots."""
    flow = flows.flow_of(form)
    return resolve(flow.submission.summary) if flow and flow.submission else None


def submitter(form: str | None) -> type[SubmitApplication] | None:
    """The submit action class of a submission form."""
    flow = flows.flow_of(form)
    return resolve(flow.submission.action) if flow and flow.submission else None


def reset_flow() -> list[EventType]:
    """SlotSet events that clear every flow slot."""
    return [SlotSet(name, value) for name, value in FLOW_SLOTS.items()]


def error_text(error: BackendError) -> str:
    """A submission refused by the backend, explained in Chinese."""
    if error.code == "DUPLICATE_APPLICATION" and error.details.get("application_no"):
        return f"{error.message}\n已有的申请编号：{error.details['application_no']}，可以直接问我它的进度。"
    if error.code == "VALIDATION_ERROR":
        fields = error.details.get("fields") or []
        problems = "；".join(str(f.get("message", "")) for f in fields if isinstance(f, dict))
        return f"{error.message}{('：' + problems) if problems else ''}\n本次未提交，请重新办理并修改相应内容。"
    if error.code == "BINDING_REQUIRED":
        return f"{error.message}\n请先说“验证身份”完成绑定，再重新办理。"
    return f"{error.message}\n本次未提交。"


def attempt_nonce(tracker: Tracker) -> str:
    """Identifies one submission attempt by the user message that completed the form.

    Running the submit action again on the same tracker (a repeated action call) yields the same
    Idempotency-Key, so the backend files one application; a new confirmation yields a new key.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            mark = event.get("message_id") or event.get("timestamp")
            if mark:
                return f"msg-{mark}"
            break
    return uuid.uuid4().hex


class SubmitApplication(Action, ABC):
    """Runs after a submission form completes; its flow (form, application kind) is the one it ends."""

    @abstractmethod
    def name(self) -> str:
        """``action_submit_<kind>``, the flow's ``final_action``."""

    @abstractmethod
    def body(self, tracker: Tracker) -> dict[str, Any]:
        """The JSON body for POST /api/v1/applications/<kind>."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("flow_stopped"):
            return reset_flow()
        if tracker.get_slot("confirmed") is False:
            dispatcher.utter_message(text=texts.NOT_SUBMITTED)
            return reset_flow()
        flow, submission = flows.submission_of(self.name())
        nonce = tracker.get_slot("submission_nonce") or attempt_nonce(tracker)
        key = idempotency_key(sender_id(tracker), flow.form, nonce)
        body = {"sender_id": sender_id(tracker), "uscc": tracker.get_slot("uscc"), **self.body(tracker)}
        try:
            application = get_client().submit(submission.kind, body, key)
        except BackendUnavailable:
            dispatcher.utter_message(
                text=unavailable_text() + "您填写的内容都已保留，回复“重试”即可再次提交，不会重复提交。",
                buttons=RETRY_BUTTONS,
            )
            return [SlotSet("submission_nonce", nonce), SlotSet("retry_pending", flow.form)]
        except BackendError as error:
            dispatcher.utter_message(text=error_text(error))
            return reset_flow()
        counter = counter_check_line(dict(application), tracker)
        text = submission_text(application)
        dispatcher.utter_message(text=f"{text}\n{counter}" if counter else text)
        return reset_flow()


class ActionAskConfirmed(Action):
    """Shows the summary of the active form and asks for an explicit confirmation."""

    def name(self) -> str:
        return "action_ask_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        builder = summary_builder(tracker.active_loop.get("name"))
        summary = builder(dict(tracker.slots)) if builder else ""
        dispatcher.utter_message(
            text=f"请核对以下内容：\n{summary}\n\n确认提交吗？",
            buttons=[{"title": "确认提交", "payload": "/affirm"}, {"title": "不提交", "payload": "/deny"}],
        )
        # One submission attempt per summary shown (the module's docstring): its Idempotency-Key's nonce.
        return [SlotSet("submission_nonce", uuid.uuid4().hex)]


def retry_pending_submission(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> list[EventType] | None:
    """Submit again after an outage; None when nothing is waiting for a retry."""
    action = submitter(tracker.get_slot("retry_pending"))
    if action is None:
        return None
    return action().run(dispatcher, tracker, domain)
