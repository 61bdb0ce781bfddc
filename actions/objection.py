"""Objection (异议): pick a record → reason → requested outcome → confirm."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, BackendUnavailable, get_client
from actions.forms_base import CreditFormValidation, is_button_noise
from actions.records import candidates_for, pick_record
from actions.submission import SubmitApplication

OUTCOMES = {"更正": "更正", "改正": "更正", "修改": "更正", "撤销": "撤销", "删除": "撤销", "撤下": "撤销"}
NO_PREFERENCE = ("由部门", "都可以", "不确定", "随便", "核定")


def objection_summary(slots: dict[str, Any]) -> str:
    """Summary shown before filing an objection."""
    record = next((c for c in slots.get("record_candidates") or [] if c["id"] == str(slots.get("record_id"))), {})
    return "\n".join(
        [
            "业务：异议申请",
            f"主体：{slots.get('entity_name') or ''}（{slots.get('uscc') or ''}）",
            f"异议记录：{record.get('line', slots.get('record_id') or '')}",
            f"异议理由：{slots.get('objection_reason') or ''}",
            f"希望的处理：{slots.get('requested_outcome') or '由认定部门核实后决定'}",
        ]
    )


class RecordFormValidation(CreditFormValidation):
    """Shared entity → records step of the objection and repair forms."""

    purpose = "objection"
    entity_dependent_slots = ("record_id", "record_candidates")

    async def validate_uscc(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = await super().validate_uscc(value, dispatcher, tracker, domain)
        uscc = result.get("uscc")
        if not uscc or result.get("binding_needed"):
            return result
        if tracker.get_slot("record_candidates") and uscc == tracker.get_slot("uscc") and "entity_name" not in result:
            return result
        try:
            records = get_client().records(uscc)
        except BackendUnavailable:
            return self.unavailable("uscc", dispatcher)
        except BackendError as error:
            return self.reject("uscc", dispatcher, tracker, error.message)
        candidates = candidates_for(records, self.purpose)
        if not candidates:
            what = "可以申请信用修复的失信记录" if self.purpose == "repair" else "可以提出异议的公示记录"
            return self.stop(dispatcher, f"「{result.get('entity_name', '')}」目前没有{what}。", "uscc", uscc)
        return {**result, "record_candidates": candidates}

    def validate_record_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "record_id"):
            return {"record_id": None}
        record = pick_record(tracker.get_slot("record_candidates") or [], str(value))
        if record is None:
            return self.reject("record_id", dispatcher, tracker, "没有对应的记录，请点击列表中的一条。")
        return self.record_chosen(record, dispatcher, tracker)

    def record_chosen(
        self, record: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """What picking a record leads to: an objection takes it at once (repair checks first)."""
        return self.accept("record_id", record["id"])


class ValidateObjectionForm(RecordFormValidation):
    """Validates ``objection_form``."""

    purpose = "objection"

    def name(self) -> str:
        return "validate_objection_form"

    def validate_objection_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.free_text("objection_reason", value, dispatcher, tracker, min_length=4)

    def validate_requested_outcome(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_button_noise(value) or self.is_correction(tracker, "requested_outcome"):
            return {"requested_outcome": None}
        text = str(value)
        if any(w in text for w in NO_PREFERENCE):
            return self.accept("requested_outcome", "由部门核定")
        outcome = next((v for k, v in OUTCOMES.items() if k in text), None)
        if outcome is None:
            return self.reject("requested_outcome", dispatcher, tracker, "请选择“更正”或“撤销”。")
        return self.accept("requested_outcome", outcome)


class ActionSubmitObjection(SubmitApplication):
    """POST /api/v1/applications/objections."""

    def name(self) -> str:
        return "action_submit_objection"

    def body(self, tracker: Tracker) -> dict[str, Any]:
        body: dict[str, Any] = {
            "record_id": _record_id(tracker.get_slot("record_id")),
            "reason": tracker.get_slot("objection_reason"),
        }
        if tracker.get_slot("requested_outcome") in ("更正", "撤销"):
            body["requested_outcome"] = tracker.get_slot("requested_outcome")
        return body


def _record_id(value: Any) -> Any:
    """Record ids travel as strings in slots; send integers as integers."""
    text = str(value)
    return int(text) if text.isdigit() else text
