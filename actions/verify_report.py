"""核验报告: anyone checks a credit report by its number and verification code (issue 12, seed item 3).

``report_verification_form`` asks the number (XYBG-YYYYMMDD-NNNNN, typed in any case, with or without
hyphens, full-width) and the code (ABCD-EFGH); a message carrying both fills both. The answer is the
backend's: genuine and valid (entity, time made, valid until), genuine but expired, or "not found" — the
same for an unknown number and a wrong code, as the backend answers — or, after too many failed checks of
one number in a day, the backend's refusal.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import CreditFormValidation, is_button_noise
from actions.messages import unavailable_text
from credit_backend.rules.report_no import CODE_PATTERN, REPORT_NO_PATTERN, canonical_report_no, parse_code

NUMBER_HINT = "报告编号在报告每页的页脚，形如 XYBG-20261129-00001（XYBG、8位日期、5位序号），请再发一次。"
CODE_HINT = "核验码是报告页脚印的8位字母和数字，形如 ABCD-EFGH（不含数字0、1和字母O、I、L），请再发一次。"


def code_in(text: str) -> str | None:
    """The verification code in a reply ("核验码 abcd efgh" → "ABCD-EFGH"), if there is exactly one."""
    found = {parse_code(m.group(0)) for m in CODE_PATTERN.finditer(text or "")} - {None}
    if len(found) == 1:
        return found.pop()
    return parse_code(text or "")


class ValidateReportVerificationForm(CreditFormValidation):
    """Validates ``report_verification_form``: the report number, then the verification code."""

    def name(self) -> str:
        return "validate_report_verification_form"

    def validate_report_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value):
            return {"report_no": None}
        number = canonical_report_no(str(value or ""))
        if number is None:
            return self.reject("report_no", dispatcher, tracker, f"没有认出报告编号。{NUMBER_HINT}")
        result = self.accept("report_no", number)
        # The code typed in the same message (no entity found, e.g. "编号…，码abcdefgh") is taken too.
        if not tracker.get_slot("verification_code"):
            text = unicodedata.normalize("NFKC", tracker.latest_message.get("text") or "")
            code = code_in(REPORT_NO_PATTERN.sub(" ", text))
            if code:
                result["verification_code"] = code
        return result

    def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value):
            return {"verification_code": None}
        code = code_in(str(value or ""))
        if code is None:
            return self.reject("verification_code", dispatcher, tracker, f"没有认出核验码。{CODE_HINT}")
        return self.accept("verification_code", code)


class ActionVerifyReport(Action):
    """Asks the backend and says what it found; the number and code are cleared either way."""

    def name(self) -> str:
        return "action_verify_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number, code = tracker.get_slot("report_no"), tracker.get_slot("verification_code")
        events: list[EventType] = [SlotSet("report_no", None), SlotSet("verification_code", None)]
        if not number or not code:
            return events
        try:
            answer = get_client().verify_report(number, code)
        except BackendUnavailable:
            dispatcher.utter_message(text=unavailable_text() + "您可以稍后再说一次“核验报告”。")
            return events
        except BackendError as error:  # 429: too many failed checks of this number today
            dispatcher.utter_message(text=error.message)
            return events
        dispatcher.utter_message(text=answer["message"])
        return events
