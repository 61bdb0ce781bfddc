"""Credit commitment (信用承诺): type → matter → (容缺受理型: missing materials, due date) → text → confirm."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock
from actions.backend import BackendError, BackendUnavailable
from actions.forms_base import CreditFormValidation, is_button_noise
from actions.messages import numbered, unavailable_text
from actions.policy import commitment_items, commitment_types, load_policy, rongque_due_days, rongque_due_verified
from actions.registration import parse_date
from actions.submission import SubmitApplication
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE

RONGQUE = "容缺受理型"
DEFAULT_WORDS = ("默认", "按规定", "系统", "随便", "都行")
RONGQUE_SLOTS = ("missing_materials", "materials_due")


def commitment_summary(slots: dict[str, Any]) -> str:
    """Summary shown before submitting a commitment."""
    lines = [
        "业务：信用承诺",
        f"主体：{slots.get('entity_name') or ''}（{slots.get('uscc') or ''}）",
        f"承诺类型：{slots.get('commitment_type') or ''}",
        f"承诺事项：{slots.get('commitment_matter') or ''}",
    ]
    if slots.get("commitment_type") == RONGQUE:
        lines.append(f"暂缺材料：{slots.get('missing_materials') or ''}")
        lines.append(f"补齐期限：{slots.get('materials_due') or '按默认期限'}")
    lines.append("承诺书内容：已阅读并同意")
    return "\n".join(lines)


class ValidateCommitmentForm(CreditFormValidation):
    """Validates ``commitment_form``."""

    def name(self) -> str:
        return "validate_commitment_form"

    def dynamic_slots(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        if tracker.get_slot("commitment_type") == RONGQUE:
            return domain_slots
        return [s for s in domain_slots if s not in RONGQUE_SLOTS]

    def validate_commitment_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "commitment_type"):
            return {"commitment_type": None}
        try:
            types = commitment_types(load_policy())
        except BackendUnavailable:
            return self.unavailable("commitment_type", dispatcher)
        except BackendError as error:
            return self.reject("commitment_type", dispatcher, tracker, error.message)
        text = str(value)
        match = next((t for t in types if t in text or text.rstrip("型") in t), None)
        if match is None:
            return self.reject("commitment_type", dispatcher, tracker, "请从以下类型中选择：" + "、".join(types))
        extra = {} if match == RONGQUE else {"missing_materials": None, "materials_due": None}
        return self.accept("commitment_type", match, commitment_accepted=None, **extra)

    def validate_commitment_matter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.free_text("commitment_matter", value, dispatcher, tracker, max_length=200)

    def validate_missing_materials(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.free_text("missing_materials", value, dispatcher, tracker, max_length=300)

    def validate_materials_due(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "materials_due"):
            return {"materials_due": None}
        text = str(value)
        if any(w in text for w in DEFAULT_WORDS):
            return self.accept("materials_due", "默认")
        due = parse_date(text)
        if due is None:
            return self.reject("materials_due", dispatcher, tracker, "日期格式请写成 2026-12-31 这样，或回复“默认”。")
        if due <= clock.today():
            return self.reject("materials_due", dispatcher, tracker, "补齐日期需要晚于今天。")
        return self.accept("materials_due", due.isoformat())

    def validate_commitment_accepted(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.yes_no_answer("commitment_accepted", value, dispatcher, tracker)
        if isinstance(answer, dict):
            return answer
        if not answer:
            return self.stop(
                dispatcher, "信用承诺需要同意承诺书内容才能提交。本次办理已结束。", "commitment_accepted", False
            )
        return self.accept("commitment_accepted", True)


class ActionAskCommitmentType(Action):
    """Asks for the commitment type with one button per type."""

    def name(self) -> str:
        return "action_ask_commitment_type"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            types = commitment_types(load_policy())
        except (BackendUnavailable, BackendError):
            dispatcher.utter_message(text=unavailable_text())
            return []
        lines = [f"· {name}：{info.get('description', '')}" for name, info in types.items()]
        dispatcher.utter_message(
            text="请选择承诺类型：\n" + "\n".join(lines),
            buttons=[{"title": t, "payload": f'/inform{{"commitment_type":"{t}"}}'} for t in types],
        )
        return []


class ActionAskMaterialsDue(Action):
    """Asks for the due date of the missing materials, mentioning the default."""

    def name(self) -> str:
        return "action_ask_materials_due"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            policy = load_policy()
            days, verified = rongque_due_days(policy), rongque_due_verified(policy)
        except (BackendUnavailable, BackendError):
            days, verified = None, True
        default = f"默认期限为{days}个工作日{'' if verified else UNVERIFIED_NOTE}" if days else "也可以使用默认期限"
        dispatcher.utter_message(
            text=f"您承诺在哪天之前补齐材料？请回复日期（如 2026-12-31），{default}。",
            buttons=[{"title": "使用默认期限", "payload": "默认"}],
        )
        return []


class ActionAskCommitmentAccepted(Action):
    """Shows the standard text items of the chosen type."""

    def name(self) -> str:
        return "action_ask_commitment_accepted"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kind = tracker.get_slot("commitment_type") or ""
        try:
            items = commitment_items(load_policy(), kind)
        except (BackendUnavailable, BackendError):
            dispatcher.utter_message(text=unavailable_text() + "请稍后回复“同意”继续。")
            return []
        dispatcher.utter_message(
            text=f"《{kind}信用承诺书》主要内容：\n{numbered(items)}\n\n您是否同意以上承诺内容？",
            buttons=[{"title": "同意", "payload": "/affirm"}, {"title": "不同意", "payload": "/deny"}],
        )
        return []


class ActionSubmitCommitment(SubmitApplication):
    """POST /api/v1/applications/commitments."""

    def name(self) -> str:
        return "action_submit_commitment"

    def body(self, tracker: Tracker) -> dict[str, Any]:
        body: dict[str, Any] = {
            "commitment_type": tracker.get_slot("commitment_type"),
            "matter": tracker.get_slot("commitment_matter"),
            "accepted": True,
        }
        if body["commitment_type"] == RONGQUE:
            body["missing_materials"] = tracker.get_slot("missing_materials")
            due = tracker.get_slot("materials_due")
            if due and due != "默认":
                body["materials_due"] = due
        return body
