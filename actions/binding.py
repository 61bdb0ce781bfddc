"""Identity binding: code → one-time code to the registered contact → verified → bound."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import flows, texts
from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import CreditFormValidation, is_button_noise, sender_id

OTP = re.compile(r"(?<!\d)(\d{6})(?!\d)")
BOUND_MARK = "已验证"


def otp_in(text: str) -> str | None:
    """The 6-digit code in a reply (full-width digits and spaces allowed)."""
    normal = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))
    match = OTP.search(normal)
    return match.group(1) if match else None


def challenge_text(entity_name: str, challenge: dict[str, Any]) -> str:
    """Tell the user where the one-time code went."""
    contact = challenge.get("masked_contact") or "登记的联系方式"
    return f"已向「{entity_name}」登记的联系方式 {contact} 发送了6位验证码，10分钟内有效。请把收到的验证码告诉我。"


class ValidateBindingForm(CreditFormValidation):
    """Validates ``binding_form``: entity, then the one-time code."""

    def name(self) -> str:
        return "validate_binding_form"

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
            SlotSet("binding_needed", False),
            SlotSet("flow_stopped", False),
            SlotSet("failed_attempts", None),
            SlotSet("pending_form", pending),
        ]
        if not pending:
            events.append(SlotSet("uscc", None))
        return events
