"""Credit query: a code or a name → the entity's public credit profile."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.backend import BackendError, BackendUnavailable, CreditBackend, get_client
from actions.forms_base import CreditFormValidation
from actions.messages import profile_text, unavailable_text


class ValidateQueryForm(CreditFormValidation):
    """Validates ``query_form`` (the entity question only)."""

    def name(self) -> str:
        return "validate_query_form"


class EntityAnswerAction(Action, ABC):
    """After a one-question form: fetch something about the chosen entity and say it."""

    retry_hint = ""  # appended to the apology when the backend is down
    after = ""  # what the user can do next

    @abstractmethod
    def answer(self, client: CreditBackend, uscc: str) -> list[str]:
        """The messages to send; raises the client's exceptions."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        uscc = tracker.get_slot("uscc")
        events: list[EventType] = [SlotSet("uscc", None), SlotSet("failed_attempts", None)]
        if not uscc:
            return events
        try:
            messages = self.answer(get_client(), uscc)
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + self.retry_hint)
            return events
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            return events
        for message in [*messages, self.after]:
            dispatcher.utter_message(text=message)
        return [*events, SlotSet("last_uscc", uscc)]


class ActionQueryCredit(EntityAnswerAction):
    """Shows the profile of the entity chosen in ``query_form``."""

    retry_hint = "您可以稍后再说一次要查询的主体。"
    after = texts.AFTER_QUERY

    def name(self) -> str:
        return "action_query_credit"

    def answer(self, client: CreditBackend, uscc: str) -> list[str]:
        return [profile_text(client.entity(uscc))]
