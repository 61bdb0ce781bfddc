"""Credit report: the backend's plain-text rendering, sent as a message."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import CreditFormValidation
from actions.messages import unavailable_text

MAX_MESSAGE = 3500


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split a long report at line breaks into chat-sized messages."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines():
        if current and len(current) + len(line) + 1 > limit:
            parts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


class ValidateReportForm(CreditFormValidation):
    """Validates ``report_form`` (the entity question only)."""

    def name(self) -> str:
        return "validate_report_form"


class ActionCreditReport(Action):
    """Sends the credit report of the entity chosen in ``report_form``."""

    def name(self) -> str:
        return "action_credit_report"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        uscc = tracker.get_slot("uscc")
        events: list[EventType] = [SlotSet("uscc", None), SlotSet("failed_attempts", None)]
        if not uscc:
            return events
        try:
            report = get_client().report(uscc)
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + "您可以稍后再说一次“出信用报告”。")
            return events
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            return events
        for part in split_text(str(report.get("text") or "")) or ["报告暂时没有内容。"]:
            dispatcher.utter_message(text=part)
        dispatcher.utter_message(text=texts.AFTER_REPORT)
        return [*events, SlotSet("last_uscc", uscc)]
