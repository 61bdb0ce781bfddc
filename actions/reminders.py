"""信用提醒 / 风险预警 in chat (seed items 9 and 16): "订阅信用提醒" and "退订".

No form: one action each. Only a sender bound to an entity may subscribe to it (the backend checks it
too: 403); an unbound sender is told why and offered identity binding. A sender bound to several entities
picks one with a button (the button carries the code, so the same action runs again with it).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.api_types import BindingView, SubscriptionView
from actions.backend import BackendError, BackendUnavailable, CreditBackend, get_client
from actions.entity_names import name_to_search, named_in
from actions.forms_base import latest_entity, sender_id
from actions.messages import unavailable_text
from credit_backend.rules.vocabulary import REMINDER_KINDS

BIND_BUTTON = {"title": "验证企业身份", "payload": "/bind_entity"}
# The entity named in the message is used here only; it must not pre-fill the next form.
DONE: list[EventType] = [SlotSet("uscc", None)]


def subscribed_text(name: str) -> str:
    """What a new subscriber will be told, and how to stop it."""
    kinds = "\n".join(f"· {kind}" for kind in REMINDER_KINDS)
    return (
        f"已为「{name}」订阅信用提醒。以后有以下情况，我会在这里提醒您（每件事只提醒一次）：\n{kinds}\n"
        + texts.HOW_TO_UNSUBSCRIBE
    )


def _named(items: list[Any], tracker: Tracker) -> list[Any]:
    """The items (bindings or subscriptions) the latest message names by code or by name (whole, part, without its
    region prefix or with one wrong character; actions/entity_names.py)."""
    code = latest_entity(tracker, "uscc")
    if code:
        return [item for item in items if item["uscc"] == code]
    piece = latest_entity(tracker, "org_name")
    name = name_to_search(piece, tracker, asking=False) if piece else None
    if name:
        return named_in(items, name)
    return items


def _bind_offer(uscc: str | None) -> list[dict[str, str]]:
    if uscc:
        return [{"title": BIND_BUTTON["title"], "payload": f'/bind_entity{{"uscc":"{uscc}"}}'}]
    return [BIND_BUTTON]


class ActionSubscribeReminders(Action):
    """Subscribe the sender to reminders about an entity it is bound to."""

    def name(self) -> str:
        return "action_subscribe_reminders"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        client = get_client()
        sender = sender_id(tracker)
        try:
            bound = client.bindings(sender)
            self.subscribe(client, sender, bound, dispatcher, tracker)
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + "您可以稍后再说一次“订阅信用提醒”。")
        return list(DONE)

    def subscribe(
        self,
        client: CreditBackend,
        sender: str,
        bound: list[BindingView],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        named_code = latest_entity(tracker, "uscc")
        if not bound:
            dispatcher.utter_message(text=texts.SUBSCRIBE_NEEDS_BINDING, buttons=_bind_offer(named_code))
            return
        chosen = _named(bound, tracker)
        if not chosen:
            dispatcher.utter_message(text=texts.SUBSCRIBE_NOT_BOUND_TO_IT, buttons=_bind_offer(named_code))
            return
        if len(chosen) > 1:
            buttons = [
                {
                    "title": item.get("name") or item["uscc"],
                    "payload": f'/subscribe_reminders{{"uscc":"{item["uscc"]}"}}',
                }
                for item in chosen[:5]
            ]
            dispatcher.utter_message(text="您已验证多个主体，请选择要订阅信用提醒的主体：", buttons=buttons)
            return
        try:
            subscription, created = client.subscribe(sender, chosen[0]["uscc"])
        except BackendError as error:
            if error.status == 403:  # the binding ran out between the two calls
                dispatcher.utter_message(text=texts.SUBSCRIBE_NEEDS_BINDING, buttons=_bind_offer(chosen[0]["uscc"]))
            else:
                dispatcher.utter_message(text=error.message)
            return
        if created:
            dispatcher.utter_message(text=subscribed_text(subscription["name"]))
        else:
            dispatcher.utter_message(
                text=f"「{subscription['name']}」已经订阅了信用提醒，不用重复订阅。" + texts.HOW_TO_UNSUBSCRIBE
            )


class ActionUnsubscribeReminders(Action):
    """Unsubscribe: from the entity the message names, else from every subscription of the sender."""

    def name(self) -> str:
        return "action_unsubscribe_reminders"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        client = get_client()
        sender = sender_id(tracker)
        try:
            subscriptions = client.subscriptions(sender)
            if not subscriptions:
                dispatcher.utter_message(text=texts.NOT_SUBSCRIBED)
                return list(DONE)
            chosen: list[SubscriptionView] = _named(subscriptions, tracker)
            if not chosen:
                names = "、".join(f"「{s['name']}」" for s in subscriptions)
                dispatcher.utter_message(text=f"您没有订阅这个主体的信用提醒。您订阅的是：{names}。")
                return list(DONE)
            for subscription in chosen:
                client.unsubscribe(sender, subscription["uscc"])
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + "您可以稍后再说一次“退订”。")
            return list(DONE)
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            return list(DONE)
        names = "、".join(f"「{s['name']}」" for s in chosen)
        dispatcher.utter_message(text=f"已退订{names}的信用提醒，以后不会再发送。" + texts.HOW_TO_SUBSCRIBE)
        return list(DONE)
