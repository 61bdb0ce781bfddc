"""The daily job that ends publicity when a record's window closes (issue 12 #4).

A record past its end (``rules.publicity``) stops being published: its status becomes the vocabulary's
expired status (已到期), the entity's grade is recomputed from the records still published (a record
that no longer shows cannot cap the grade) and, for a 名单/名录 entry, the entity leaves the list unless
another published entry keeps it there. Each ended record gets an audit entry, and a run that ended any
gets one more with the counts. A second run on the same day finds nothing to end and writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend.models import CreditRecord
from credit_backend.policy.loader import Policy, load_policy
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.publicity import PublicityFacts, publicity_end
from credit_backend.rules.vocabulary import RECORD_STATUSES, record_is_negative
from credit_backend.services import evaluation
from credit_backend.services.common import audit

__all__ = ["ACTIVE", "ACTOR", "EXPIRED", "PublicityRun", "end_publicity", "facts_of"]

ACTIVE = "active"
EXPIRED = "expired"
assert ACTIVE in RECORD_STATUSES and EXPIRED in RECORD_STATUSES  # the vocabulary's status codes
ROLE = "system"
ACTOR = "jobs.daily"


@dataclass
class PublicityRun:
    """What one run did."""

    day: date
    records_ended: int = 0
    entities_affected: int = 0
    grades_changed: int = 0
    lists_left: int = 0  # (entity, list) memberships that ended
    ended_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The counts (the ended records are in the audit log, one entry each)."""
        data = asdict(self)
        data["day"] = self.day.isoformat()
        del data["ended_ids"]
        return data


def _negative(record: CreditRecord) -> bool:
    """The record's own polarity where the model has one (migration 0004), else its category's."""
    own = getattr(record, "is_negative", None)
    return bool(own) if own is not None else record_is_negative(record.category, record.severity)


def facts_of(record: CreditRecord) -> PublicityFacts:
    return PublicityFacts(
        category=record.category,
        severity=record.severity,
        decision_date=record.decision_date,
        negative=_negative(record),
        stored_end=record.publicity_end,
    )


def end_publicity(session: Session, today: date, policy: Policy | None = None) -> PublicityRun:
    """End every active record whose publicity is over on ``today``; recompute grades and list membership."""
    policy = policy or load_policy()
    run = PublicityRun(day=today)
    ended: list[tuple[CreditRecord, date]] = []
    active = session.scalars(select(CreditRecord).where(CreditRecord.status == ACTIVE).order_by(CreditRecord.id))
    for record in active.all():
        facts = facts_of(record)
        end = publicity_end(facts, today, policy)
        if end is None or today < end:
            continue
        record.status = EXPIRED
        record.publicity_end = end
        ended.append((record, end))
        audit(
            session,
            ROLE,
            ACTOR,
            "end_publicity",
            f"record:{record.id}",
            entity_id=record.entity_id,
            category=record.category,
            severity=record.severity,
            publicity_end=end.isoformat(),
            day=today.isoformat(),
        )
    if not ended:
        return run
    session.flush()
    run.records_ended = len(ended)
    run.ended_ids = [r.id for r, _ in ended]
    entity_ids = sorted({r.entity_id for r, _ in ended})
    run.entities_affected = len(entity_ids)
    for entity_id in entity_ids:
        if evaluation.recompute(session, entity_id, today, f"公示期届满，停止公示（{format_cn_date(today)}）"):
            run.grades_changed += 1
    for entity_id, list_name in sorted({(r.entity_id, r.category) for r, _ in ended if facts_of(r).is_listing}):
        still = session.scalar(
            select(CreditRecord.id)
            .where(
                CreditRecord.entity_id == entity_id,
                CreditRecord.category == list_name,
                CreditRecord.status == ACTIVE,
            )
            .limit(1)
        )
        if still is None:
            run.lists_left += 1
            audit(session, ROLE, ACTOR, "leave_list", f"entity:{entity_id}", list=list_name, day=today.isoformat())
    audit(
        session,
        ROLE,
        ACTOR,
        "job_end_publicity",
        today.isoformat(),
        records_ended=run.records_ended,
        entities_affected=run.entities_affected,
        grades_changed=run.grades_changed,
        lists_left=run.lists_left,
    )
    session.commit()
    return run
