"""Identity binding: code → one-time code to the registered contact → verified → bound.

At the counter (sender ``staff:<console account>``, issue 11) the staff member checks the representative in
person instead: document type → last four characters of the document number → letter of authorisation yes/no
→ the backend records the check and binds the staff sender for a few hours; applications filed then carry it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import flows, texts
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.clock import CST
from actions.forms_base import CreditFormValidation, is_button_noise, sender_id
from credit_backend.rules.vocabulary import DOCUMENT_TYPE_WORDS, DOCUMENT_TYPES

OTP = re.compile(r"(?<!\d)(\d{6})(?!\d)")
BOUND_MARK = "已验证"
STAFF_PREFIX = "staff:"
LAST4 = re.compile(r"(?<![0-9X])([0-9X]{4})(?![0-9X])")

COUNTER_EXPLANATIONS: dict[str, str] = {
    "id_document_type": f"这里需要选择办事人出示的证件类型：{'、'.join(DOCUMENT_TYPES[:-1])}或{DOCUMENT_TYPES[-1]}。",
    "id_last4": "这里需要办事人证件号码的最后4个字符，只能是数字或字母X，例如“123X”。",
    "authorization_letter": "这里需要确认办事人是否持有该主体出具的授权委托书：回复“是”或“否”。",
}


def at_counter(tracker: Tracker) -> bool:
    """The conversation is a staff member's at the counter (the console's sender ``staff:<account>``)."""
    return sender_id(tracker).startswith(STAFF_PREFIX)


def viewer_of(tracker: Tracker) -> str | None:
    """The ``viewer`` for the backend's reading routes: the staff sender at the counter (unmasked), else None."""
    return sender_id(tracker) if at_counter(tracker) else None


def document_type_in(text: str) -> str | None:
    """The document type a reply names (居民身份证 for "身份证" …), if exactly one is recognisable."""
    text = unicodedata.normalize("NFKC", text or "")
    if text.strip() in DOCUMENT_TYPES:
        return text.strip()
    found = [name for name, words in DOCUMENT_TYPE_WORDS.items() if any(w in text for w in words)]
    return found[0] if len(found) == 1 else None


def last4_in(text: str) -> str | None:
    """The four characters (digits or X) of a reply: "尾号１２３x" → "123X"; None unless exactly four."""
    normal = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).upper()
    found = LAST4.findall(normal)
    return found[0] if len(found) == 1 and len(re.sub(r"[^0-9X]", "", normal)) == 4 else None


def letter_in(value: Any) -> bool | None:
    """A typed answer about the letter of authorisation: "有委托书" → True, "没有"/"无" → False, else None."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip()
    if text.startswith(("没", "无", "未")):
        return False
    return True if text.startswith(("有", "持有", "带了")) else None


def beijing_time(iso: str) -> str:
    """An ISO datetime of the backend (UTC) as Beijing time, e.g. 2026年11月29日 14:05; unparsable: as given."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(CST)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def check_text(check: dict[str, Any] | None) -> str:
    """One line about an in-person check: 居民身份证（尾号123X），持授权委托书，核验人：窗口01."""
    if not check:
        return ""
    letter = "持授权委托书" if check.get("authorization_letter") else "未持授权委托书（法定代表人本人）"
    who = check.get("staff_name") or check.get("staff_account") or ""
    return f"{check.get('document_type', '')}（尾号{check.get('id_last4', '')}），{letter}，核验人：{who}"


def otp_in(text: str) -> str | None:
    """The 6-digit code in a reply (full-width digits and spaces allowed)."""
    normal = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))
    match = OTP.search(normal)
    return match.group(1) if match else None


def challenge_text(entity_name: str, challenge: dict[str, Any]) -> str:
    """Tell the user where the one-time code went."""
    contact = challenge.get("masked_contact") or "登记的联系方式"
    return f"已向「{entity_name}」登记的联系方式 {contact} 发送了6位验证码，10分钟内有效。请把收到的验证码告诉我。"


def counter_check_line(application: dict[str, Any], tracker: Tracker) -> str | None:
    """After filing at the counter: the in-person check the application carries (from the application, or
    from the staff sender's binding when the answer does not show it); None for everyone else."""
    if not at_counter(tracker):
        return None
    check = application.get("identity_check")
    if not check:
        uscc = application.get("uscc") or tracker.get_slot("uscc")
        try:
            bound = get_client().bindings(sender_id(tracker))
        except (BackendUnavailable, BackendError):
            bound = []
        check = next((b.get("identity_check") for b in bound if b.get("uscc") == uscc), None)
    return f"身份核验：已核验（现场）— {check_text(check)}" if check else None


class ValidateBindingForm(CreditFormValidation):
    """Validates ``binding_form``: entity, then the one-time code; at the counter the in-person check instead."""

    #: Another entity named mid-check: the document and the letter are checked again for it.
    entity_dependent_slots = flows.counter_slots(flows.BINDING_FORM)

    def name(self) -> str:
        return "validate_binding_form"

    def dynamic_slots(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        """Staff at the counter answer the in-person questions (until bound); everyone else gets the code."""
        if at_counter(tracker) and tracker.get_slot("otp_code") != BOUND_MARK:
            return domain_slots
        counter = flows.counter_slots(self.form_name())
        return [slot for slot in domain_slots if slot not in counter]

    def explain(self, slot: str) -> str:
        return COUNTER_EXPLANATIONS.get(slot) or super().explain(slot)

    def validate_id_document_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "id_document_type"):
            return {"id_document_type": None}
        document = document_type_in(str(value or ""))
        if document is None:
            return self.reject("id_document_type", dispatcher, tracker, "请点击按钮选择办事人出示的证件类型。")
        return self.accept("id_document_type", document)

    def validate_id_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "id_last4"):
            return {"id_last4": None}
        last4 = last4_in(str(value or ""))
        if last4 is None:
            return self.reject(
                "id_last4", dispatcher, tracker, "证件号码后四位应为4个字符，只能是数字或字母X，请核对后再输入。"
            )
        return self.accept("id_last4", last4)

    def validate_authorization_letter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The last answer of the in-person check: the backend records it and binds the staff sender."""
        answer = letter_in(value)
        if answer is None:
            answer = self.yes_no_answer("authorization_letter", value, dispatcher, tracker)
        if isinstance(answer, dict):
            return answer
        try:
            bound = get_client().in_person_binding(
                sender_id(tracker),
                tracker.get_slot("uscc"),
                tracker.get_slot("id_document_type") or "",
                tracker.get_slot("id_last4") or "",
                answer,
            )
        except BackendUnavailable:
            return self.unavailable("authorization_letter", dispatcher)
        except BackendError as error:
            if error.code == "IDENTITY_MISMATCH":  # re-check the document: ask the last four again
                return {**self.reject("id_last4", dispatcher, tracker, error.message), "authorization_letter": None}
            if error.code == "VALIDATION_ERROR":
                dispatcher.utter_message(text=f"{error.message}请重新核验。")
                return {"id_document_type": None, "id_last4": None, "authorization_letter": None}
            return self.stop(dispatcher, f"{error.message}\n本次未完成身份核验。", "authorization_letter")
        until = str(bound.get("bound_until") or "")
        dispatcher.utter_message(
            text=f"✅ 已核验（现场）：{check_text(bound.get('identity_check'))}。"
            f"现在可以为「{bound.get('name', '')}」办理业务，本次核验有效期至 {beijing_time(until)}。"
        )
        return self.accept("authorization_letter", answer, otp_code=BOUND_MARK)

    async def validate_uscc(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = await super().validate_uscc(value, dispatcher, tracker, domain)
        uscc = result.get("uscc")
        if not uscc or (tracker.get_slot("requested_slot") not in (None, "uscc") and "entity_name" not in result):
            return result
        name = result.get("entity_name") or tracker.get_slot("entity_name") or uscc
        try:
            client = get_client()
            if client.is_bound(sender_id(tracker), uscc):
                dispatcher.utter_message(text=f"您已经验证过「{name}」的身份，无需重复验证。")
                return {**result, "entity_name": name, "otp_code": BOUND_MARK}
            if at_counter(tracker):
                dispatcher.utter_message(text=f"请现场核验「{name}」办事人的身份证件（柜台核验，不发送验证码）。")
                return {**result, "entity_name": name, "otp_code": None}
            challenge = client.start_binding(sender_id(tracker), uscc)
        except BackendUnavailable:
            return self.unavailable("uscc", dispatcher)
        except BackendError as error:
            return self.reject("uscc", dispatcher, tracker, error.message)
        dispatcher.utter_message(text=challenge_text(name, challenge))
        return {**result, "entity_name": name, "otp_code": None}

    def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == BOUND_MARK:
            return {"otp_code": BOUND_MARK}
        if is_button_noise(value) or self.is_correction(tracker, "otp_code"):
            return {"otp_code": None}
        code = otp_in(str(value))
        if code is None:
            return self.reject("otp_code", dispatcher, tracker, "验证码是6位数字，请核对后再输入。")
        uscc = tracker.get_slot("uscc")
        try:
            bound = get_client().verify_binding(sender_id(tracker), uscc, code)
        except BackendUnavailable:
            return self.unavailable("otp_code", dispatcher)
        except BackendError as error:
            return self._otp_error(error, dispatcher, tracker)
        until = str(bound.get("bound_until") or "")[:10]
        suffix = f"，有效期至 {until}" if until else ""
        dispatcher.utter_message(text=f"✅ 身份验证成功，您已绑定「{bound.get('name', '')}」{suffix}。")
        return self.accept("otp_code", BOUND_MARK)

    def _otp_error(self, error: BackendError, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Wrong, expired or locked code."""
        if error.code == "OTP_EXPIRED":
            try:
                challenge = get_client().start_binding(sender_id(tracker), tracker.get_slot("uscc"))
            except (BackendUnavailable, BackendError):
                return self.stop(dispatcher, "验证码已过期，重新发送失败，请稍后再说“验证身份”重新开始。", "otp_code")
            name = tracker.get_slot("entity_name") or ""
            dispatcher.utter_message(text="验证码已过期，已为您重新发送。")
            dispatcher.utter_message(text=challenge_text(name, challenge))
            return {"otp_code": None}
        if error.code == "OTP_LOCKED":
            return self.stop(dispatcher, f"{error.message}\n如需帮助，可以说“转人工”。", "otp_code")
        return self.reject("otp_code", dispatcher, tracker, error.message)


class ActionCompleteBinding(Action):
    """After ``binding_form``: clean up and, if a submission was waiting, say that it resumes."""

    def name(self) -> str:
        return "action_complete_binding"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        bound = tracker.get_slot("otp_code") == BOUND_MARK and not tracker.get_slot("flow_stopped")
        pending = tracker.get_slot("pending_form") if bound else None
        if pending:
            dispatcher.utter_message(text=f"好的，我们继续办理{flows.label(pending) or '刚才的业务'}。")
        elif bound:
            dispatcher.utter_message(text=texts.AFTER_BINDING)
        events: list[EventType] = [
            SlotSet("otp_code", None),
            *(SlotSet(slot, None) for slot in flows.counter_slots(flows.BINDING_FORM)),
            SlotSet("binding_needed", False),
            SlotSet("flow_stopped", False),
            SlotSet("failed_attempts", None),
            SlotSet("pending_form", pending),
        ]
        if not pending:
            events.append(SlotSet("uscc", None))
        return events
