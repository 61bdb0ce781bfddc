"""Voluntary registration (自愿注册): category → its fields (from the policy) → truthfulness → confirm."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, BackendUnavailable
from actions.forms_base import CreditFormValidation, is_button_noise
from actions.messages import unavailable_text
from actions.policy import load_policy, registration_categories, registration_fields, truthfulness_commitment
from actions.submission import SubmitApplication

SKIP_WORDS = ("跳过", "无", "没有", "不填", "长期", "略")
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def parse_date(text: str) -> date | None:
    """2026-12-31 / 2026年12月31日 / 2026.12.31 → date."""
    match = DATE.search(text or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def next_field(fields: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any] | None:
    """The first field not answered yet."""
    return next((f for f in fields if f.get("key") not in answers), None)


def check_field(field: dict[str, Any], text: str) -> tuple[Any, str | None]:
    """Validate one field value by its type; returns (value, problem)."""
    text = text.strip()
    if not field.get("required") and (not text or any(text.startswith(w) for w in SKIP_WORDS)):
        return "", None
    kind = field.get("type", "text")
    if kind == "date":
        parsed = parse_date(text)
        return (parsed.isoformat(), None) if parsed else (None, "日期格式请写成 2026-12-31 这样。")
    if kind == "amount":
        number = re.sub(r"[,，\s元]", "", text)
        wan = number.endswith("万")
        number = number.rstrip("万")
        try:
            value = float(number) * (10000 if wan else 1)
        except ValueError:
            return None, "金额请填写数字，例如 120000 或 12万。"
        return (f"{value:.2f}", None) if value >= 0 else (None, "金额不能为负数。")
    if len(text) < 2:
        return None, "内容太短了，请再具体一些。"
    return text[:500], None


def registration_summary(slots: dict[str, Any]) -> str:
    """Summary shown before submitting a registration."""
    lines = [
        "业务：信用信息自愿注册",
        f"主体：{slots.get('entity_name') or ''}（{slots.get('uscc') or ''}）",
        f"类别：{slots.get('info_category') or ''}",
    ]
    labels = slots.get("reg_field_labels") or {}
    for key, value in (slots.get("reg_fields") or {}).items():
        lines.append(f"{labels.get(key, key)}：{value or '（未填）'}")
    lines.append("真实性承诺：已作出")
    return "\n".join(lines)


class ValidateRegistrationForm(CreditFormValidation):
    """Validates ``registration_form``."""

    entity_dependent_slots = ()

    def name(self) -> str:
        return "validate_registration_form"

    def dynamic_slots(self, domain_slots: list[str], tracker: Tracker) -> list[str]:
        category = tracker.get_slot("info_category")
        if category:
            try:
                fields = registration_fields(load_policy(), category)
            except (BackendUnavailable, BackendError):
                fields = []
            if next_field(fields, tracker.get_slot("reg_fields") or {}) is None:
                return [s for s in domain_slots if s != "reg_field_value"]
        return domain_slots

    def validate_info_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "info_category"):
            return {"info_category": None}
        try:
            categories = registration_categories(load_policy())
        except BackendUnavailable:
            return self.unavailable("info_category", dispatcher)
        except BackendError as error:
            return self.reject("info_category", dispatcher, tracker, error.message)
        text = str(value)
        match = next((c for c in categories if c in text or text in c), None)
        if match is None:
            return self.reject("info_category", dispatcher, tracker, "请从以下类别中选择：" + "、".join(categories))
        labels = {f.get("key"): f.get("label") for f in categories[match].get("fields") or []}
        return self.accept("info_category", match, reg_fields={}, reg_field_labels=labels)

    def validate_reg_field_value(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "reg_field_value"):
            return {"reg_field_value": None}
        try:
            fields = registration_fields(load_policy(), tracker.get_slot("info_category") or "")
        except BackendUnavailable:
            return self.unavailable("reg_field_value", dispatcher)
        answers = dict(tracker.get_slot("reg_fields") or {})
        field = next_field(fields, answers)
        if field is None:
            return {"reg_field_value": None}
        checked, problem = check_field(field, str(value))
        if problem:
            return self.reject("reg_field_value", dispatcher, tracker, f"「{field.get('label')}」{problem}")
        answers[field["key"]] = checked
        return self.accept("reg_field_value", None, reg_fields=answers)

    def validate_reg_truthful(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.yes_no_answer("reg_truthful", value, dispatcher, tracker)
        if isinstance(answer, dict):
            return answer
        if not answer:
            return self.stop(
                dispatcher,
                "自愿注册需要对信息真实性作出承诺，未作出承诺无法提交。本次办理已结束。",
                "reg_truthful",
                False,
            )
        return self.accept("reg_truthful", True)


class ActionAskInfoCategory(Action):
    """Asks for the registration category with one button per category."""

    def name(self) -> str:
        return "action_ask_info_category"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            categories = registration_categories(load_policy())
        except (BackendUnavailable, BackendError):
            dispatcher.utter_message(text=unavailable_text())
            categories = {c: {} for c in ("资质证照", "市场经营", "合同履约", "社会公益")}
        lines = [f"· {name}：{info.get('description', '')}".rstrip("：") for name, info in categories.items()]
        dispatcher.utter_message(
            text="请选择要登记的信息类别：\n" + "\n".join(lines),
            buttons=[{"title": c, "payload": f'/inform{{"info_category":"{c}"}}'} for c in categories],
        )
        return []


class ActionAskRegFieldValue(Action):
    """Asks for the next field of the chosen category."""

    def name(self) -> str:
        return "action_ask_reg_field_value"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            fields = registration_fields(load_policy(), tracker.get_slot("info_category") or "")
        except (BackendUnavailable, BackendError):
            dispatcher.utter_message(text=unavailable_text() + "请稍后回复任意内容继续。")
            return []
        field = next_field(fields, tracker.get_slot("reg_fields") or {})
        if field is None:
            return []
        text = f"请填写「{field.get('label')}」"
        if field.get("hint"):
            text += f"（{field['hint']}）"
        if not field.get("required"):
            text += "，选填，不填请回复“跳过”"
        dispatcher.utter_message(text=text + "：")
        return []


class ActionAskRegTruthful(Action):
    """Shows the truthfulness commitment of voluntary registration."""

    def name(self) -> str:
        return "action_ask_reg_truthful"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            text = truthfulness_commitment(load_policy())
        except (BackendUnavailable, BackendError):
            text = truthfulness_commitment({})
        dispatcher.utter_message(
            text=f"提交前需要您作出信用承诺：\n{text}\n\n您是否同意作出以上承诺？",
            buttons=[{"title": "同意", "payload": "/affirm"}, {"title": "不同意", "payload": "/deny"}],
        )
        return []


class ActionSubmitRegistration(SubmitApplication):
    """POST /api/v1/applications/registrations."""

    def name(self) -> str:
        return "action_submit_registration"

    def body(self, tracker: Tracker) -> dict[str, Any]:
        fields = {k: v for k, v in (tracker.get_slot("reg_fields") or {}).items() if v not in ("", None)}
        return {"category": tracker.get_slot("info_category"), "fields": fields, "truthful": True}
