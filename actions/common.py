"""Help menu, fallback clarification (with the disambiguation's choices), cancel and the context-aware entity
question (which first offers the entity just queried)."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import disambiguation, flows, texts
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.faq import REMEMBERED_SLOT
from actions.flows.labels import MENU_BUTTONS
from actions.forms_base import OFFER_BUTTONS, OFFERED_SLOT, entity_to_offer, sender_id
from actions.messages import APPLICATION_NO_LABEL
from actions.submission import reset_flow, retry_pending_submission

RETRY_WORDS = re.compile(r"重试|再试|重新提交|再提交|再交")
NOTHING_PENDING = "好的。还有需要随时告诉我，也可以说“帮助”查看我能办的业务。"
ALREADY_FILED = "这份申请已经提交过了，不会重复提交。提交结果如下：\n"

SERVICES_TEXT = (
    "我是“信用中国（吉林市）”信用服务助手，可以帮您：\n"
    "· 查询任一主体的信用状况（名称或统一社会信用代码）\n"
    "· 验证企业身份后，办理自愿注册、信用承诺、异议申请、信用修复\n"
    "· 查询申请进度，出具和核验信用报告，订阅信用提醒\n"
    "· 解答信用政策问题"
)
MENU_TEXT = SERVICES_TEXT + "\n请点击下方按钮，或直接告诉我您想办什么。"

SUBMIT_QUESTION = "请问为哪个主体办理？请提供统一社会信用代码或名称。"


def help_text(active_form: str | None) -> str:
    """The main menu; inside a form, what is in progress and how to go on, then the services (without buttons)."""
    progress = in_progress_text(active_form)
    return f"{progress}\n\n{SERVICES_TEXT}" if progress else MENU_TEXT


def in_progress_text(active_form: str | None) -> str:
    """What the form in progress is and how to go on with it, or leave it ("" outside a form)."""
    label = flows.label(active_form)
    return f"您正在办理“{label}”。可以直接回答上面的问题继续，说“取消”退出，或说“转人工”。" if label else ""


class ActionShowHelp(Action):
    """Main menu with buttons."""

    def name(self) -> str:
        return "action_show_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop.get("name")
        buttons = [] if form else MENU_BUTTONS
        dispatcher.utter_message(text=help_text(form), buttons=buttons)
        return []


class ActionClarify(Action):
    """Fallback: when the NLU was unsure (nlu_fallback), outside a form, its best intents as buttons, and the query
    of a name said alone first (actions/disambiguation.py); otherwise ask the user to rephrase, with every service as
    a button. Inside a form (which could not use the message), how to go on with it, and nothing else.

    While a submission waits for a retry, "重试"/"再试一次" is understood here too.
    """

    def name(self) -> str:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if RETRY_WORDS.search(tracker.latest_message.get("text") or ""):
            events = retry_pending_submission(dispatcher, tracker, domain)
            if events is not None:
                return events
        form = tracker.active_loop.get("name")
        if form:  # the question the form asked is still open: say how to go on, offer nothing else
            dispatcher.utter_message(text=texts.NOT_UNDERSTOOD + in_progress_text(form))
            return []
        offered = disambiguation.choices(tracker.latest_message or {}, tracker.get_slot(REMEMBERED_SLOT))
        if offered:
            dispatcher.utter_message(text=texts.WHICH_ONE, buttons=disambiguation.buttons(offered))
            return []
        dispatcher.utter_message(text=texts.CLARIFY, buttons=MENU_BUTTONS)
        return []


class ActionCancel(Action):
    """Abandon whatever is in progress; nothing is submitted."""

    def name(self) -> str:
        return "action_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=texts.CANCELLED)
        return reset_flow()


def entity_label(uscc: str) -> str:
    """The entity's name for the offer, or its code when the backend cannot say."""
    try:
        check = get_client().check_uscc(uscc)
    except (BackendUnavailable, BackendError):
        return uscc
    return str((check.get("entity") or {}).get("name") or uscc)


class ActionAskUscc(Action):
    """The entity question, worded for the active flow (actions/flows/); a submission offers bound entities.

    Right after a query, a flow that continues with the entity queried asks first "为「X」办理…吗？" (是 / 换一个主体;
    the answer is read in actions/forms_base.py, ``reply_to_offer``)."""

    def name(self) -> str:
        return "action_ask_uscc"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop.get("name") or ""
        flow = flows.flow_of(form)
        offer = entity_to_offer(tracker, flow)
        if offer and flow:
            dispatcher.utter_message(text=f"为「{entity_label(offer)}」办理{flow.label}吗？", buttons=OFFER_BUTTONS)
            return [SlotSet(OFFERED_SLOT, offer)]
        # Asked again (another entity wanted, or a wrong answer): the offer is over.
        events: list[EventType] = [SlotSet(OFFERED_SLOT, None)] if tracker.get_slot(OFFERED_SLOT) else []
        if flow and flow.uscc_question:
            buttons = []
            last = tracker.get_slot("last_uscc")
            if last and form != flows.BINDING_FORM:
                buttons = [{"title": f"再看 {last}", "payload": f'/inform{{"uscc":"{last}"}}'}]
            dispatcher.utter_message(text=flow.uscc_question, buttons=buttons)
            return events
        try:
            bound = get_client().bindings(sender_id(tracker))
        except (BackendUnavailable, BackendError):
            bound = []
        buttons = [
            {"title": item.get("name") or item["uscc"], "payload": f'/inform{{"uscc":"{item["uscc"]}"}}'}
            for item in bound[:5]
        ]
        text = SUBMIT_QUESTION + ("\n您已验证身份的主体：" if buttons else "")
        dispatcher.utter_message(text=text, buttons=buttons)
        return events


def filed_in_last_turn(tracker: Tracker) -> str | None:
    """The previous turn's answer when it filed an application: a second tap on 确认提交, or a confirmation sent
    again because its answer was lost (a server that died after storing the turn, issue 16), gets it again."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                break
        elif users == 1 and event.get("event") == "bot" and APPLICATION_NO_LABEL in str(event.get("text") or ""):
            return str(event["text"]).removeprefix(ALREADY_FILED)
    return None


class ActionRetrySubmission(Action):
    """Affirm outside a form: resubmit after an outage, repeat a filing just made, otherwise just acknowledge."""

    def name(self) -> str:
        return "action_retry_submission"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events = retry_pending_submission(dispatcher, tracker, domain)
        if events is not None:
            return events
        filed = filed_in_last_turn(tracker)
        dispatcher.utter_message(text=ALREADY_FILED + filed if filed else NOTHING_PENDING)
        return []


class ActionDecline(Action):
    """Deny outside a form: drop a pending retry, otherwise just acknowledge."""

    def name(self) -> str:
        return "action_decline"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("retry_pending"):
            dispatcher.utter_message(text=texts.CANCELLED)
            return reset_flow()
        dispatcher.utter_message(text=NOTHING_PENDING)
        return []
