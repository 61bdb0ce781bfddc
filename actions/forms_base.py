"""Shared base class for form validation.

Every form of the assistant validates through ``CreditFormValidation``. It gives each form:

* one place to accept or reject an answer; after two failed attempts at the same question it
  explains what is expected and offers 继续 / 取消 / 转人工 as buttons;
* the entity question (``uscc``): a code is checked by the backend (its Chinese message and
  one-character suggestions are shown), a name is searched; flows declared with ``needs_binding``
  (actions/flows/) also check that the sender is bound to the entity and otherwise hand over to
  ``binding_form`` (the generated rules start it, and resume the form after it);
* context: after a query, a flow that asks for the entity first offers the entity just queried ("为「X」办理…吗？",
  是 / 换一个主体: ``entity_to_offer``, ``reply_to_offer``); 是 takes it (and the binding check still applies), 换一个
  asks the question again, a name or code answers it;
* corrections: a new code given while another question is open updates ``uscc``;
* statements: a free-text question that wants a statement (a reason, a measure taken) takes one even when the
  NLU took it for an FAQ question; only a question interrupts the form with the FAQ answer;
* the final confirmation (``confirmed``) of every submission form.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import flows
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.entity_names import look_up_name, name_to_search, not_a_name_text
from actions.messages import entity_buttons, unavailable_text, uscc_problem_text

CODE_LIKE = re.compile(r"[0-9A-Z]{15,20}")

STUCK_BUTTONS = [
    {"title": "继续", "payload": "/inform"},
    {"title": "取消", "payload": "/cancel"},
    {"title": "转人工", "payload": "/human_handoff"},
]

EXPLANATIONS: dict[str, str] = {
    "uscc": "这里需要主体的18位统一社会信用代码（由数字和大写字母组成，营业执照上可以找到），或者它的名称。",
    "otp_code": "这里需要发送到主体登记联系方式的6位数字验证码。",
    "info_category": "请从“资质证照、市场经营、合同履约、社会公益”中选择一类。",
    "reg_field_value": "请按提示填写这一项的内容。",
    "commitment_type": "请从按钮中选择一种承诺类型。",
    "commitment_matter": "请用一句话说明承诺对应的办理事项，例如“食品经营许可证新办”。",
    "missing_materials": "请写明暂缺的材料名称，例如“消防验收意见书”。",
    "materials_due": "请给出补齐材料的日期，例如 2026-12-31；也可以回复“默认”使用系统默认期限。",
    "record_id": "请点击列表中的一条记录，或回复它的序号（如“1”）。",
    "objection_reason": "请写明认为这条记录有误的理由，至少几个字，例如“处罚对象不是本公司”。",
    "requested_outcome": "请选择希望的处理方式：更正 或 撤销。",
    "corrective_action": "请简要说明已经采取的整改措施，例如“罚款已于3月1日全额缴纳并完成整改”。",
    "confirmed": "请回复“确认”提交，或回复“不对”放弃本次提交。",
    "report_no": "这里需要报告页脚的报告编号，形如 XYBG-20261129-00001，大小写、有没有短横线都可以。",
    "verification_code": "这里需要报告页脚的8位核验码，形如 ABCD-EFGH，大小写、有没有短横线都可以。",
}

# A message with one of these asks something (Simplified and Traditional); a reason or a measure taken does not.
QUESTION_MARKERS = (
    "?", "吗", "嗎", "什么", "什麼", "怎么", "怎麼", "怎样", "怎樣", "如何", "多久", "多少", "多长", "多長", "几天",
    "几个", "幾天", "幾個", "哪", "是否", "能否", "可否",
    "有没有", "有沒有", "是不是", "能不能", "可不可以", "会不会", "會不會", "要不要", "为何", "為何", "啥", "咋",
)  # fmt: skip
YES_WORDS = ("确认", "是", "对", "好", "同意", "提交", "可以", "重试", "没问题", "签署", "接受", "已履行", "已经")
NO_WORDS = ("不", "否", "没", "算了", "放弃", "别")

#: The slot holding the entity the entity question offered (``entity_to_offer``), until the next answer.
OFFERED_SLOT = "offered_uscc"
#: The answers to "为「X」办理…吗？": intents, so a tap and a typed 是 / 不是 are understood alike (``reply_to_offer``).
OFFER_BUTTONS = [{"title": "是", "payload": "/affirm"}, {"title": "换一个主体", "payload": "/deny"}]
#: Words of a short reply that wants another entity than the one offered (换一个、换别的、另一家、不是这家).
CHANGE_WORDS = re.compile("换|别的|另一|其他|其它|不是")
#: Replies to the offer up to these lengths may be a typed 换一个 or 是 that the NLU did not take for deny / affirm;
#: longer ones are an answer to the question (a name: "是老张家饺子馆" names another entity).
SHORT_CHANGE, SHORT_YES = 8, 4


def sender_id(tracker: Tracker) -> str:
    """The conversation's sender id, e.g. ``tg:123`` or ``web:<uuid>``."""
    return str(tracker.sender_id)


def normalise_text(text: str) -> str:
    """Full-width → half-width, upper case, without spaces and hyphens."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-－—_]", "", text).upper()


def code_in(text: str) -> str | None:
    """A code-like token (15–20 letters/digits) in the text, if any."""
    match = CODE_LIKE.search(normalise_text(text))
    return match.group(0) if match else None


def is_button_noise(value: Any) -> bool:
    """True for raw button payloads such as ``/inform`` that reached a free-text slot."""
    return isinstance(value, str) and value.strip().startswith("/")


def yes_no(text: str) -> bool | None:
    """Interpret a free-text answer to a yes/no question."""
    text = (text or "").strip()
    if not text or is_button_noise(text):
        return None
    if any(text.startswith(w) for w in NO_WORDS):
        return False
    if any(w in text for w in YES_WORDS):
        return True
    return None


def looks_like_question(text: str) -> bool:
    """Whether ``text`` asks something: a question mark (any width) or a question word (吗, 怎么, 多久, 哪, 是否…)."""
    normal = unicodedata.normalize("NFKC", text)
    return any(marker in normal for marker in QUESTION_MARKERS) or normal.rstrip().endswith("呢")


def typed_text(tracker: Tracker) -> str:
    """The latest user message as typed (the user event), not the NLU's normalised text."""
    typed = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    return str(typed.get("text") or "").strip()


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def statement_answer(tracker: Tracker) -> tuple[str, str] | None:
    """(slot, text) when the latest message answers the open free-text question although the NLU took it for an
    FAQ question: the question wants a statement (``FormSlot.statement``) and the message asks nothing. Otherwise
    the FAQ interrupts the form as usual (actions/flows/: INTERRUPTIONS)."""
    slot = tracker.get_slot("requested_slot")
    spec = flows.FORM_SLOTS.get(slot) if isinstance(slot, str) else None
    intent = latest_intent(tracker)
    # As typed, not normalised (full-width punctuation made ASCII).
    text = typed_text(tracker)
    if spec is None or not spec.statement or intent != "faq" or not text or text.startswith("/"):
        return None
    if tracker.get_slot(slot) is not None or looks_like_question(text):
        return None
    return slot, text


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """Value of an entity in the latest user message."""
    return next(tracker.get_latest_entity_values(name), None)


def names_an_entity(tracker: Tracker) -> bool:
    """The latest message carries a code or a name."""
    return latest_entity(tracker, "uscc") is not None or latest_entity(tracker, "org_name") is not None


def started_this_turn(tracker: Tracker, form: str) -> bool:
    """``form`` was activated after the latest user message (Rasa passes the activation to the first question)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == form:
            return True
    return False


def entity_to_offer(tracker: Tracker, flow: flows.Flow | None) -> str | None:
    """The entity of the last query (``last_uscc``), offered when a flow that continues with it asks for its entity the
    first time (the form started with this message) and the message named none."""
    last = tracker.get_slot("last_uscc")
    if not last or flow is None or not flow.offers_last_entity or names_an_entity(tracker):
        return None
    return str(last) if started_this_turn(tracker, flow.form) else None


def reply_to_offer(tracker: Tracker) -> bool | None:
    """The answer to "为「X」办理…吗？": True takes X, False wants another entity not named yet, None is an answer
    to the entity question itself (a name or a code, or anything else)."""
    if names_an_entity(tracker):
        return None
    intent = latest_intent(tracker)
    if intent in ("affirm", "deny", flows.START_THAT_SERVICE):  # "那就办吧" goes ahead with the entity offered
        return intent != "deny"
    text = typed_text(tracker)
    if not text or is_button_noise(text) or len(text) > SHORT_CHANGE:
        return None
    if CHANGE_WORDS.search(text):
        return False
    return yes_no(text) if len(text) <= SHORT_YES else None


def previous_slot_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
            continue
        if seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


class CreditFormValidation(FormValidationAction, ABC):
    """Base class of every form validator (see module docstring)."""

    #: Slots that depend on the entity and are cleared when ``uscc`` changes.
    entity_dependent_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    @property
    def needs_binding(self) -> bool:
        """Whether the flow files something for the entity, so the sender must be bound to it (actions/flows/)."""
        flow = flows.flow_of(self.form_name())
        return bool(flow and flow.needs_binding)

    # -- required slots ----------------------------------------------------------------------

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Stop early (empty list) when binding is needed or the flow was stopped."""
        if tracker.get_slot("flow_stopped") or (self.needs_binding and tracker.get_slot("binding_needed")):
            return []
        return self.dynamic_slots(list(domain_slots), tracker)

    def dynamic_slots(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        """Override to add or drop questions depending on earlier answers."""
        return domain_slots

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Also a statement answering a free-text question that the NLU took for an FAQ question (the mapping's
        ``not_intent`` left it out); it is validated like any other answer."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        answer = statement_answer(tracker)
        if answer is not None:
            events.append(SlotSet(*answer))
        return events

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """An answer to the offered entity (``entity_to_offer``): 是 validates the offered entity like a typed code,
        换一个 clears the question (asked again, without the offer); anything else is validated as it is."""
        offered = tracker.get_slot(OFFERED_SLOT)
        if not offered or tracker.get_slot("requested_slot") != "uscc":
            return await super().get_validation_events(dispatcher, tracker, domain)
        done = SlotSet(OFFERED_SLOT, None)
        reply = reply_to_offer(tracker)
        if reply is False:
            return [SlotSet("uscc", None), done]
        if reply is True:
            tracker.add_slots([SlotSet("uscc", offered)])  # the candidate validate_uscc sees
        return [*await super().get_validation_events(dispatcher, tracker, domain), done]

    # -- accept / reject ---------------------------------------------------------------------

    def explain(self, slot: str) -> str:
        return EXPLANATIONS.get(slot, "请按提示回答当前问题。")

    def accept(self, slot: str, value: Any, **extra: Any) -> dict[str, Any]:
        """Accept an answer and reset the failure counter."""
        return {slot: value, "failed_attempts": None, **extra}

    def reject(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        message: str | None,
        buttons: list[dict[str, str]] | None = None,
        count: bool = True,
    ) -> dict[str, Any]:
        """Refuse an answer; the second failure at one question explains and offers a way out."""
        if message:
            dispatcher.utter_message(text=message, buttons=buttons or [])
        result: dict[str, Any] = {slot: None}
        if not count:
            return result
        failures = tracker.get_slot("failed_attempts") or {}
        attempts = int(failures.get("count", 0)) + 1 if failures.get("slot") == slot else 1
        if attempts >= 2:
            dispatcher.utter_message(
                text=f"{self.explain(slot)}\n您可以继续回答，也可以取消本次办理，或转人工服务。",
                buttons=STUCK_BUTTONS,
            )
            attempts = 0
        result["failed_attempts"] = {"slot": slot, "count": attempts}
        return result

    def stop(self, dispatcher: CollectingDispatcher, message: str, slot: str, value: Any = None) -> dict:
        """End the form without submitting anything."""
        dispatcher.utter_message(text=message)
        return {slot: value, "flow_stopped": True, "failed_attempts": None}

    def unavailable(self, slot: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """The backend is down during a question: apologise, keep everything, ask again."""
        dispatcher.utter_message(text=unavailable_text() + "您的回答都已保留，稍后可以再回复一次。")
        return {slot: None}

    def free_text(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        min_length: int = 2,
        max_length: int = 500,
    ) -> dict[str, Any]:
        """Validate a free-text answer (length; ignore payloads and code corrections)."""
        if is_button_noise(value) or self.is_correction(tracker, slot):
            return {slot: None}
        text = str(value or "").strip()
        if len(text) < min_length:
            return self.reject(slot, dispatcher, tracker, "内容太短了，请再具体一些。")
        if len(text) > max_length:
            return self.reject(slot, dispatcher, tracker, f"内容请控制在{max_length}字以内。")
        return self.accept(slot, text)

    def yes_no_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> bool | dict[str, Any] | None:
        """Turn an affirm/deny or free-text reply into True/False; a dict means "rejected"."""
        if isinstance(value, bool):
            return value
        if is_button_noise(value):
            return {slot: None}
        answer = yes_no(str(value))
        if answer is None:
            return self.reject(slot, dispatcher, tracker, "没太明白您的意思。")
        return answer

    @staticmethod
    def is_correction(tracker: Tracker, slot: str) -> bool:
        """The latest message carries a new code while another question is open."""
        return slot != "uscc" and latest_entity(tracker, "uscc") is not None

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The final "submit this?" of a submission form: True submits, False files nothing."""
        answer = self.yes_no_answer("confirmed", value, dispatcher, tracker)
        return answer if isinstance(answer, dict) else self.accept("confirmed", answer)

    # -- the entity question -----------------------------------------------------------------

    async def validate_uscc(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Resolve a code or a name to one entity; for submissions, check the binding."""
        if is_button_noise(value):
            return {"uscc": None}
        previous = previous_slot_value(tracker, "uscc")
        requested = tracker.get_slot("requested_slot")
        text = str(value or "").strip()
        code = code_in(text)
        if code is None and requested not in (None, "uscc") and previous:
            # A name mentioned in passing while another question is open: keep the entity.
            return {"uscc": previous}
        try:
            resolved = self.resolve_entity(text, code, dispatcher, tracker)
            if resolved is None or "uscc" not in resolved or resolved.get("uscc") is None:
                return resolved or {"uscc": None}
            result = dict(resolved)
            if previous and previous != result["uscc"]:
                if requested is not None:  # a correction mid-form, not a form (re)starting
                    dispatcher.utter_message(text=f"好的，已改为「{result.get('entity_name', '')}」。")
                result.update({slot: None for slot in self.entity_dependent_slots})
            if self.needs_binding:
                result.update(self.binding_check(result, dispatcher, tracker))
            return result
        except BackendUnavailable:
            return self.unavailable("uscc", dispatcher)

    def resolve_entity(
        self, text: str, code: str | None, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Code → /uscc/check; name → /entities search. Returns slot updates."""
        client = get_client()
        if code:
            check = client.check_uscc(code)
            entity = check.get("entity") if check.get("ok") else None
            if not entity:
                problem, buttons = code_problem(check, code)
                return self.reject("uscc", dispatcher, tracker, problem, buttons)
            return self.accept("uscc", entity["uscc"], entity_name=entity.get("name"))
        # The whole name the user wrote (actions/entity_names.py), not only the piece the slot got.
        name = name_to_search(text, tracker, asking=tracker.get_slot("requested_slot") == "uscc")
        if name is None:
            return self.reject("uscc", dispatcher, tracker, not_a_name_text(text))
        if len(name) < 2:
            return self.reject("uscc", dispatcher, tracker, "请告诉我主体名称（至少两个字）或统一社会信用代码。")
        lookup = look_up_name(client, name)
        if lookup.entity is not None:
            if lookup.message:
                dispatcher.utter_message(text=lookup.message)
            return self.accept("uscc", lookup.entity["uscc"], entity_name=lookup.entity.get("name"))
        if not lookup.buttons:
            return self.reject("uscc", dispatcher, tracker, lookup.message)
        dispatcher.utter_message(text=lookup.message, buttons=lookup.buttons)
        return {"uscc": None}

    def binding_check(
        self, resolved: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Hand over to binding_form when the sender is not bound to the entity."""
        if get_client().is_bound(sender_id(tracker), resolved["uscc"]):
            return {"binding_needed": False}
        name = resolved.get("entity_name", "")
        at_counter = sender_id(tracker).startswith("staff:")  # a staff member files for the business in front of them
        dispatcher.utter_message(
            text=f"为保护主体信息安全，代「{name}」办理前需要先现场核验办事人的身份。"
            if at_counter
            else f"为保护主体信息安全，办理前需要先验证您是「{name}」的经办人。"
        )
        return {"binding_needed": True, "pending_form": self.form_name()}


def code_problem(check: dict[str, Any], code: str) -> tuple[str, list[dict[str, str]]]:
    """Why a code found no entity (the backend's /uscc/check answer), with suggestion buttons."""
    if not check.get("ok"):
        return uscc_problem_text(check), entity_buttons(check.get("suggestions") or [])
    return f"代码 {check.get('code', code)} 格式正确，但平台上没有找到这个主体。请核对代码，或者告诉我主体名称。", []


def backend_message(error: BackendError) -> str:
    """The backend's Chinese message, with a fallback."""
    return error.message or "请求未能完成，请核对后重试。"
