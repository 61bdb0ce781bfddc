"""异议 (seed item 17): verified within 15 working days, corrected and pushed within 5, record flagged meanwhile."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import Conflict, DomainError
from credit_backend.models import Entity, Objection
from credit_backend.policy.calendar import default_calendar
from credit_backend.policy.loader import WorkingDays, load_policy
from credit_backend.rules.states import OBJECTION, Transition
from credit_backend.rules.workdays import Deadline
from credit_backend.schemas import ObjectionIn
from credit_backend.services import evaluation
from credit_backend.services.records import entity_record, open_application_for, record_view


class ObjectionHandler:
    machine = OBJECTION

    def build(self, session: Session, entity: Entity, body: ObjectionIn, today: date):  # type: ignore[no-untyped-def]
        # Who may see an unpublished record was settled at the door (applications._create).
        record = entity_record(session, entity, body.record_id, include_unpublished=True)
        if record.status == "revoked":
            raise DomainError("该记录已撤销，无需再提出异议。", code="RECORD_NOT_OBJECTABLE")
        pending = open_application_for(session, Objection, record.id)
        if pending is not None:
            raise Conflict(
                f"该记录已有正在办理的异议申请 {pending.application_no}，请查询其进度。",
                code="DUPLICATE_APPLICATION",
                application_no=pending.application_no,
            )
        record.under_objection = True  # the record shows 异议处理中 while the objection is open
        app = Objection(
            record=record,
            reason=body.reason,
            requested_outcome=body.requested_outcome,
            contact_phone=body.contact_phone,
        )
        return app, self._verification(today)

    @staticmethod
    def _verification(received: date) -> Deadline:
        return default_calendar().add_working_days(received, load_policy().objection.verification.working_days)

    def apply(self, session: Session, app: Objection, transition: Transition, today: date) -> Deadline | None:
        record = app.record
        if transition.action == "accept":
            return self._verification(app.received_on)
        record.under_objection = False
        if transition.action in ("correct", "withdraw_record"):
            # Found wrong: corrected or withdrawn, pushed to the city platform within 5 working days,
            # and the punishments tied to the record are lifted.
            record.punishment_lifted_at = clock.now()
            if transition.action == "correct":
                record.corrected_at = clock.now()
            else:
                record.status = "revoked"
            evaluation.recompute(session, record.entity_id, today, f"异议核实有误（{app.application_no}）")
            deadline = default_calendar().add_working_days(today, load_policy().objection.correction.working_days)
            app.correct_due = deadline.due
            return deadline
        return None

    def details(self, app: Objection) -> dict[str, Any]:
        return {
            "record": record_view(app.record),
            "reason": app.reason,
            "requested_outcome": app.requested_outcome,
            "correct_due": app.correct_due,
        }

    def summary(self, app: Objection) -> str:
        return f"对“{app.record.title}”（{app.record.document_no or '无文号'}）提出异议"

    def deadline_rule(self, app: Objection) -> WorkingDays | None:
        policy = load_policy().objection
        if app.status in ("submitted", "under_verification"):
            return policy.verification
        return policy.correction if app.status in ("corrected", "withdrawn") else None

    def deadline_what(self, status: str) -> str:
        return {
            "submitted": "核查并书面答复：",
            "under_verification": "核查并书面答复：",
            "corrected": "更正信息报送：",
            "withdrawn": "撤销信息报送：",
        }.get(status, "")


HANDLER = ObjectionHandler()
