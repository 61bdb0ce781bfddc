"""Credit repair (信用修复): pick a record → eligibility → corrective action → obligations → promise → confirm."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, BackendUnavailable, get_client
from actions.messages import eligibility_text, numbered, requirements_text, unavailable_text
from actions.objection import RecordFormValidation, _record_id
from actions.policy import load_policy, repair_promise_items
from actions.submission import SubmitApplication


def repair_summary(slots: dict[str, Any]) -> str:
    """Summary shown before applying for repair."""
    record = next((c for c in slots.get("record_candidates") or [] if c["id"] == str(slots.get("record_id"))), {})
    return "\n".join(
        [
            "业务：信用修复申请",
            f"主体：{slots.get('entity_name') or ''}（{slots.get('uscc') or ''}）",
            f"修复记录：{record.get('line', slots.get('record_id') or '')}",
            f"整改情况：{slots.get('corrective_action') or ''}",
            "法定责任和义务：已履行完毕",
            "《信用修复承诺书》：已签署",
        ]
    )


class ValidateRepairForm(RecordFormValidation):
    """Validates ``repair_form``."""

    purpose = "repair"

    def name(self) -> str:
        return "validate_repair_form"

    def record_chosen(
        self, record: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Eligibility first: a record that cannot be repaired yet ends the form with every reason."""
        try:
            eligibility = get_client().repair_eligibility(record["id"])
        except BackendUnavailable:
            return self.unavailable("record_id", dispatcher)
        except BackendError as error:
            return self.reject("record_id", dispatcher, tracker, error.message)
        if not eligibility.get("eligible"):
            return self.stop(dispatcher, eligibility_text(eligibility), "record_id", record["id"])
        requirements = requirements_text(eligibility)
        dispatcher.utter_message(text="这条记录已经可以申请信用修复。" + (f"\n{requirements}" if requirements else ""))
        return self.accept("record_id", record["id"])

    def validate_corrective_action(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.free_text("corrective_action", value, dispatcher, tracker, min_length=4)

    def validate_obligations_fulfilled(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.yes_no_answer("obligations_fulfilled", value, dispatcher, tracker)
        if isinstance(answer, dict):
            return answer
        if not answer:
            return self.stop(
                dispatcher,
                "申请信用修复需要先履行完毕法定责任和义务（如缴清罚款、完成整改）。履行完毕后欢迎再来申请。",
                "obligations_fulfilled",
                False,
            )
        return self.accept("obligations_fulfilled", True)

    def validate_commitment_signed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.yes_no_answer("commitment_signed", value, dispatcher, tracker)
        if isinstance(answer, dict):
            return answer
        if not answer:
            return self.stop(
                dispatcher,
                "签署《信用修复承诺书》是申请信用修复的必要条件，本次申请未提交。",
                "commitment_signed",
                False,
            )
        return self.accept("commitment_signed", True)


class ActionAskCommitmentSigned(Action):
    """Shows the 信用修复承诺书 and asks the user to sign it by confirming."""

    def name(self) -> str:
        return "action_ask_commitment_signed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            items = repair_promise_items(load_policy())
        except (BackendUnavailable, BackendError):
            # The text is the backend's (policy.yaml): without it there is nothing to sign yet.
            dispatcher.utter_message(text=unavailable_text() + "请稍后回复“同意”继续。")
            return []
        name = tracker.get_slot("entity_name") or "本单位"
        dispatcher.utter_message(
            text=f"《信用修复承诺书》\n{name}郑重承诺：\n{numbered(items)}\n\n回复“同意”即视为签署本承诺书。",
            buttons=[{"title": "同意并签署", "payload": "/affirm"}, {"title": "不同意", "payload": "/deny"}],
        )
        return []


class ActionSubmitRepair(SubmitApplication):
    """POST /api/v1/applications/repairs."""

    def name(self) -> str:
        return "action_submit_repair"

    def body(self, tracker: Tracker) -> dict[str, Any]:
        return {
            "record_id": _record_id(tracker.get_slot("record_id")),
            "corrective_action": tracker.get_slot("corrective_action"),
            "obligations_fulfilled": True,
            "commitment_signed": True,
        }
