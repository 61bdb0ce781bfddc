"""信用修复 (seed item 13 under 国家发展改革委令2025年第36号): eligibility first, then accept and decide."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import Conflict, DomainError
from credit_backend.models import CreditRecord, Entity, RepairApplication
from credit_backend.policy.calendar import default_calendar
from credit_backend.policy.loader import WorkingDays, load_policy
from credit_backend.rules.periods import (
    RepairEligibility,
    RepairFacts,
    publicity_window,
    repair_eligibility,
    revocation_bar_end,
)
from credit_backend.rules.states import REPAIR, Transition
from credit_backend.rules.workdays import Deadline
from credit_backend.schemas import RepairIn
from credit_backend.services import evaluation
from credit_backend.services.records import entity_record, get_record, open_application_for, record_view

REPAIR_COMMITMENT_TYPE = "信用修复型"


def eligibility(
    record: CreditRecord, today: date, *, obligations_fulfilled: bool = False, repair_in_progress: bool = False
) -> RepairEligibility:
    facts = RepairFacts(
        category=record.category,
        severity=record.severity,
        decision_date=record.decision_date,
        status=record.status_label,
        under_objection=record.under_objection,
        repair_in_progress=repair_in_progress,
        obligations_fulfilled=obligations_fulfilled or record.obligations_fulfilled,
        legally_non_repairable=record.legally_non_repairable,
        barred_until=record.barred_until,
        polarity=record.polarity,
        authority=record.authority,
    )
    return repair_eligibility(facts, today, load_policy())


def check_record(
    session: Session, record: CreditRecord, today: date, *, obligations_fulfilled: bool = False
) -> tuple[RepairEligibility, RepairApplication | None]:
    """The one repair check of a stored record (eligibility route and submission alike): its
    eligibility, counting an open repair application as "repair in progress", and that application."""
    pending = open_application_for(session, RepairApplication, record.id)
    result = eligibility(
        record, today, obligations_fulfilled=obligations_fulfilled, repair_in_progress=pending is not None
    )
    return result, pending


def record_eligibility(session: Session, record_id: int, on: date, include_unpublished: bool = False) -> dict[str, Any]:
    """The eligibility view of any record on ``on`` (RECORD_NOT_FOUND if there is no such record)."""
    result, _ = check_record(session, get_record(session, record_id, include_unpublished), on)
    return eligibility_view(result, on)


def eligibility_view(result: RepairEligibility, on: date) -> dict[str, Any]:
    return {
        "evaluated_on": on,
        "eligible": result.eligible,
        "earliest_date": result.earliest_date,
        "reasons": [{"code": r.code, "message": r.message} for r in result.reasons],
        "requirements": list(result.requirements),
        "regime": result.regime,
        "window": {
            "published": result.window.published,
            "min_end": result.window.min_end,
            "max_end": result.window.max_end,
        },
        "commitment_items": list(load_policy().commitment_items(REPAIR_COMMITMENT_TYPE)),
    }


class RepairHandler:
    machine = REPAIR

    def build(self, session: Session, entity: Entity, body: RepairIn, today: date):  # type: ignore[no-untyped-def]
        # Who may see an unpublished record was settled at the door (applications._create).
        record = entity_record(session, entity, body.record_id, include_unpublished=True)
        result, pending = check_record(session, record, today, obligations_fulfilled=body.obligations_fulfilled)
        if pending is not None:
            raise Conflict(
                f"该记录已有正在办理的信用修复申请 {pending.application_no}，请查询其进度。",
                code="DUPLICATE_APPLICATION",
                application_no=pending.application_no,
            )
        if not result.eligible:
            raise DomainError(
                "该记录目前不能申请信用修复：" + "；".join(r.message for r in result.reasons),
                code="REPAIR_NOT_ELIGIBLE",
                **eligibility_view(result, today),
            )
        items = list(load_policy().commitment_items(REPAIR_COMMITMENT_TYPE))
        if not body.commitment_signed:
            raise DomainError(
                "申请信用修复须签署《信用修复承诺书》。请确认承诺内容后再提交。",
                code="COMMITMENT_REQUIRED",
                items=items,
            )
        app = RepairApplication(
            record=record,
            corrective_action=body.corrective_action,
            obligations_fulfilled=True,
            commitment_text=items,
            regime=result.regime,
        )
        return app, self._days(today, "acceptance_decision")

    @staticmethod
    def _days(start: date, stage: str) -> Deadline:
        days = getattr(load_policy().repair.deadlines, stage).working_days
        return default_calendar().add_working_days(start, days)

    def apply(self, session: Session, app: RepairApplication, transition: Transition, today: date) -> Deadline | None:
        if transition.action == "accept":
            return self._days(today, "repair_decision")
        if transition.action == "approve":
            # 终止公示、停止共享、解除惩戒, and the evaluation follows (令36号 第三条).
            record = app.record
            record.status = "repaired"
            record.obligations_fulfilled = True
            record.publicity_end = today
            record.punishment_lifted_at = clock.now()
            evaluation.recompute(session, record.entity_id, today, f"信用修复完成（{app.application_no}）")
            return self._days(today, "result_feedback")
        if transition.action == "revoke":
            # The repair is undone: publicity and measures resume, and new applications are barred.
            record = app.record
            policy = load_policy()
            window = publicity_window(
                record.category, record.severity, record.decision_date, today, policy, polarity=record.polarity
            )
            record.status = "active" if window.max_end is None or today < window.max_end else "expired"
            record.publicity_end = window.max_end
            record.punishment_lifted_at = None
            record.barred_until = revocation_bar_end(today, policy)
            evaluation.recompute(session, record.entity_id, today, f"撤销信用修复决定（{app.application_no}）")
        return None

    def details(self, app: RepairApplication) -> dict[str, Any]:
        return {
            "record": record_view(app.record, under_repair=REPAIR.is_open(app.status)),
            "corrective_action": app.corrective_action,
            "commitment_text": app.commitment_text,
            "regime": app.regime,
        }

    def summary(self, app: RepairApplication) -> str:
        return f"申请修复“{app.record.title}”（{app.record.document_no or '无文号'}）"

    def deadline_what(self, status: str) -> str:
        return {"submitted": "受理决定：", "accepted": "修复决定：", "approved": "结果同步："}.get(status, "")

    def deadline_rule(self, app: RepairApplication) -> WorkingDays | None:
        stage = {"submitted": "acceptance_decision", "accepted": "repair_decision", "approved": "result_feedback"}
        name = stage.get(app.status)
        return getattr(load_policy().repair.deadlines, name) if name else None


HANDLER = RepairHandler()
