"""Credit query: a code or a name → the entity's public credit profile."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.backend import BackendError, BackendUnavailable, CreditBackend, get_client
from actions.binding import viewer_of
from actions.flows.labels import intent_button
from actions.forms_base import CreditFormValidation, code_problem, latest_entity
from actions.messages import profile_text, unavailable_text


class ValidateQueryForm(CreditFormValidation):
    """Validates ``query_form`` (the entity question only)."""

    def name(self) -> str:
        return "validate_query_form"


class EntityAnswerAction(Action, ABC):
    """Fetch something about one entity and say it.

    Runs after a one-question form, or straight away when the message itself carries a code
    ("查一下9122…"): then the code has not been checked yet, and the backend's refusal is explained
    (the exact problem, and the entity one character away if there is one).
    """

    retry_hint = ""  # appended to the apology when the backend is down
    after: ClassVar[str | dict[str, Any]] = ""  # what the user can do next (a text, or utter_message's arguments)

    @abstractmethod
    def answer(self, client: CreditBackend, uscc: str, viewer: str | None = None) -> list[str | dict[str, Any]]:
        """The messages to send (a text, or the keyword arguments of ``utter_message``); ``viewer`` is the staff
        sender at the counter (else None); raises the client's exceptions."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # A code typed in this very message wins over a name the slot may also have taken from it.
        uscc = latest_entity(tracker, "uscc") or tracker.get_slot("uscc")
        events: list[EventType] = [SlotSet("uscc", None), SlotSet("failed_attempts", None)]
        if not uscc:
            return events
        try:
            messages = self.answer(get_client(), uscc, viewer_of(tracker))
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + self.retry_hint)
            return events
        except BackendError as error:
            dispatcher.utter_message(**code_error_reply(error, uscc))
            return events
        for message in [*messages, self.after]:
            if isinstance(message, dict):
                dispatcher.utter_message(**message)
            elif message:
                dispatcher.utter_message(text=message)
        return [*events, SlotSet("last_uscc", uscc)]


def code_error_reply(error: BackendError, code: str) -> dict[str, Any]:
    """The backend refused the code: the same answer as the form gives (exact problem, suggestions)."""
    if error.code == "USCC_INVALID":
        check = {"ok": False, "errors": error.details.get("problems"), "suggestions": error.details.get("suggestions")}
    elif error.code == "ENTITY_NOT_FOUND":
        check = {"ok": True, "code": code}
    else:
        return {"text": error.message}
    text, buttons = code_problem(check, code)
    return {"text": text, "buttons": buttons}


class ActionQueryCredit(EntityAnswerAction):
    """Shows the public credit profile of the entity (from ``query_form`` or the message's code)."""

    retry_hint = "您可以稍后再说一次要查询的主体。"
    # The two services a profile leads to, one tap away; either first offers the entity just queried.
    after: ClassVar[dict[str, Any]] = {
        "text": texts.AFTER_QUERY,
        "buttons": [intent_button("file_objection"), intent_button("apply_repair")],
    }

    def name(self) -> str:
        return "action_query_credit"

    def answer(self, client: CreditBackend, uscc: str, viewer: str | None = None) -> list[str | dict[str, Any]]:
        profile = client.entity(uscc, viewer=viewer)
        if viewer is None:
            return [profile_text(profile)]
        return [profile_text(profile), counter_text(profile)]


def counter_text(profile: dict[str, Any]) -> str:
    """What only staff at the counter see: the registered contact and the legal representative, unmasked."""
    lines = ["【工作人员可见（已记录查看日志）】", f"登记联系电话：{profile.get('registered_contact') or '未登记'}"]
    representative = profile.get("legal_representative") or "未登记"
    id_number = profile.get("legal_rep_id_number")
    lines.append(f"法定代表人：{representative}" + (f"（身份证号码 {id_number}）" if id_number else ""))
    if profile.get("address"):
        lines.append(f"登记地址：{profile['address']}")
    return "\n".join(lines)
