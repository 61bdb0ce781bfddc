"""Credit query: a code or a name → the entity's public credit profile."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import CreditFormValidation
from actions.messages import profile_text, unavailable_text


class ValidateQueryForm(CreditFormValidation):
    """Validates ``query_form`` (the entity question only)."""

    def name(self) -> str:
        return "validate_query_form"


class ActionQueryCredit(Action):
    """Shows the profile of the entity chosen in ``query_form``."""

    def name(self) -> str:
        return "action_query_credit"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        uscc = tracker.get_slot("uscc")
        events: list[EventType] = [SlotSet("uscc", None), SlotSet("failed_attempts", None)]
        if not uscc:
            return events
        try:
            profile = get_client().entity(uscc)
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + "您可以稍后再说一次要查询的主体。")
            return events
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            return events
        dispatcher.utter_message(text=profile_text(profile))
        dispatcher.utter_message(text=texts.AFTER_QUERY)
        return [*events, SlotSet("last_uscc", uscc)]
