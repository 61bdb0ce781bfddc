"""Application status: by number, or the sender's own applications."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import latest_entity, normalise_text, sender_id
from actions.messages import application_button, application_text, unavailable_text
from credit_backend.rules.vocabulary import TYPE_CODES

NUMBER = re.compile(rf"({'|'.join(TYPE_CODES)})(\d{{8}})(\d{{4}})")  # on normalise_text()
MAX_LISTED = 5


def application_number(text: str) -> str | None:
    """Canonical <TYPE>-<YYYYMMDD>-<NNNN> from any spelling, or None."""
    match = NUMBER.search(normalise_text(text))
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else None


class ActionCheckApplication(Action):
    """Answers "how is my application going"."""

    def name(self) -> str:
        return "action_check_application"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        raw = latest_entity(tracker, "application_id") or tracker.get_slot("application_id")
        if not raw:
            raw = application_number(tracker.latest_message.get("text") or "")
        events: list[EventType] = [SlotSet("application_id", None)]
        try:
            if raw:
                number = application_number(str(raw)) or str(raw)
                dispatcher.utter_message(text=application_text(get_client().application(number, sender_id(tracker))))
            else:
                self.list_mine(dispatcher, tracker)
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text())
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
        return events

    @staticmethod
    def list_mine(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The sender's applications, newest first, as buttons.

        The backend also lists the applications of entities the sender is bound to; "my applications"
        are the ones the sender filed.
        """
        sender = sender_id(tracker)
        items = [a for a in get_client().applications(sender) if a.get("sender_id") == sender]
        if not items:
            dispatcher.utter_message(
                text="没有查到您提交过的申请。如果是在其他渠道提交的，请告诉我申请编号（如 YY-20261126-0003）。"
            )
            return
        if len(items) == 1:
            dispatcher.utter_message(text=application_text(items[0]))
            return
        dispatcher.utter_message(
            text=f"您共有 {len(items)} 个申请，最近的几个如下，点击查看进度：",
            buttons=[application_button(a) for a in items[:MAX_LISTED]],
        )
