"""Keep an entity's grade consistent with its published records after a record changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend.models import CreditRecord, Evaluation
from credit_backend.rules.grades import ActiveRecord, recompute_grade


def recompute(session: Session, entity_id: int, today: date, reason: str) -> Evaluation | None:
    """Record a new evaluation when the grade the active records allow differs from the current one."""
    session.flush()
    history = list(
        session.scalars(
            select(Evaluation).where(Evaluation.entity_id == entity_id).order_by(Evaluation.evaluated_on, Evaluation.id)
        )
    )
    if not history:
        return None
    # The base is the platform's own evaluation (the first, pushed one), not an earlier recomputation.
    base = next((e for e in history if e.reason is None), history[0])
    active = [
        ActiveRecord(r.category, r.severity)
        for r in session.scalars(
            select(CreditRecord).where(
                CreditRecord.entity_id == entity_id,
                CreditRecord.status == "active",
                CreditRecord.published.is_(True),  # unpublished (轻微 by default) records do not count
                CreditRecord.punishment_lifted_at.is_(None),  # corrected after an objection: no longer counts
            )
        )
    ]
    grade = recompute_grade(base.grade, active)
    if grade == history[-1].grade:
        return None
    evaluation = Evaluation(
        entity_id=entity_id, grade=grade, evaluated_on=today, source="信用状况变化后重新评定", reason=reason
    )
    session.add(evaluation)
    return evaluation
