"""What follows an FAQ answer outside a form: the button of the service it explains, and "那我现在就申请" after it.

The answer itself stays Rasa's (``utter_faq``: the ResponseSelector's ``utter_faq/<topic>``, data/responses/faq.yml),
so FAQ answers need no action server. Outside a form ``action_after_faq`` follows it: when the topic explains a
service (``Flow.faq_topics``, actions/flows/) it adds that service's button and remembers the service
(``last_faq_service``) until start_that_service uses it; otherwise it forgets the service remembered before. A topic
tapped in the disambiguation question (``/faq{"faq_topic": …}``, no ResponseSelector output) is answered here too.

Inside a form the answer comes alone (the interruption rules, then the open question again), as help shows no menu
in a form: a button to another service there would leave the form half done, and its tap would be taken as the
answer to the open question.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import flows, texts
from actions.flows.labels import MENU_BUTTONS, faq_title

FAQ_INTENT = "faq"  # the retrieval intent of config.yml's ResponseSelector
TOPIC_ENTITY = "faq_topic"  # carried by the disambiguation's FAQ buttons only
REMEMBERED_SLOT = "last_faq_service"


def tapped_topic(message: dict[str, Any]) -> str | None:
    """The topic a tapped FAQ button carries, as it came (``faq_title`` tells whether it is known)."""
    return next((str(e.get("value")) for e in message.get("entities") or [] if e.get("entity") == TOPIC_ENTITY), None)


def selected_topic(message: dict[str, Any]) -> str | None:
    """The topic the ResponseSelector chose for a typed question."""
    selected = ((message.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
    key = str(selected.get("intent_response_key") or "")  # "faq/<topic>"
    return key.partition("/")[2] or None


def faq_payload(topic: str) -> str:
    """The payload of a button that asks an FAQ question (read by ``tapped_topic``)."""
    return f'/{FAQ_INTENT}{{"{TOPIC_ENTITY}":"{topic}"}}'


def service_button(flow: flows.Flow) -> dict[str, str]:
    return {"title": flow.title, "payload": f"/{flow.intent}"}


class ActionAfterFaq(Action):
    """After an FAQ answer outside a form (see the module docstring)."""

    def name(self) -> str:
        return "action_after_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.active_loop.get("name"):
            return []
        message = tracker.latest_message or {}
        tapped = tapped_topic(message)
        if tapped is not None and faq_title(tapped) is None:  # a forged or outdated button: no such answer
            dispatcher.utter_message(text=texts.CLARIFY, buttons=MENU_BUTTONS)
            return []
        flow = flows.flow_of_faq(tapped or selected_topic(message))
        buttons = [service_button(flow)] if flow else []
        if tapped:
            dispatcher.utter_message(response=f"utter_faq/{tapped}", buttons=buttons)
        elif flow:
            dispatcher.utter_message(text=f"需要的话，可以直接在这里办理{flow.label}：", buttons=buttons)
        return [SlotSet(REMEMBERED_SLOT, flow.form if flow else None)]


class ActionStartThatService(Action):
    """ "那我现在就申请": the service of the last FAQ answer; without one, what can be started.

    The generated rules start the form named by ``service_to_start`` (actions/flows/generate.py)."""

    def name(self) -> str:
        return flows.START_THAT_SERVICE_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        flow = flows.flow_of(tracker.get_slot(REMEMBERED_SLOT))
        if flow is None:
            dispatcher.utter_message(text=texts.WHICH_SERVICE, buttons=MENU_BUTTONS)
            return [SlotSet(flows.SERVICE_TO_START, None)]
        dispatcher.utter_message(text=f"好的，现在开始办理“{flow.label}”。")
        return [SlotSet(flows.SERVICE_TO_START, flow.form), SlotSet(REMEMBERED_SLOT, None)]
