"""Credit records as applications see them: finding one, its open application, its view.

Objections and repairs both act on one record; whether a record is "under repair" is decided here
only (``open_application_for`` for one record, ``UNDER_REPAIR`` inside a query over many).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend.errors import NotFound
from credit_backend.models import CreditRecord, Entity, Objection, RepairApplication
from credit_backend.policy.loader import Policy, load_policy
from credit_backend.rules.periods import repair_applies

__all__ = ["UNDER_REPAIR", "entity_record", "get_record", "open_application_for", "record_view"]

# The kinds of application that act on one record.
A = TypeVar("A", Objection, RepairApplication)

# Whether a repair application for the record in the enclosing query is still open. ``is_open`` follows
# the status (models.application._sync_open) and carries the index that allows one open application.
UNDER_REPAIR = (
    select(RepairApplication.id)
    .where(RepairApplication.record_id == CreditRecord.id, RepairApplication.is_open)
    .exists()
    .label("under_repair")
)


def get_record(session: Session, record_id: int, include_unpublished: bool = False) -> CreditRecord:
    """Any record by id, or RECORD_NOT_FOUND.

    An unpublished record (轻微 失信信息 by default, policy.yaml ``published_by_default``) does not exist for
    the public and the assistant: only staff views pass ``include_unpublished`` (issue 12 #5).
    """
    record = session.get(CreditRecord, record_id)
    if record is None or not (record.published or include_unpublished):
        raise NotFound(f"没有编号为 {record_id} 的信用记录。", code="RECORD_NOT_FOUND")
    return record


def entity_record(session: Session, entity: Entity, record_id: int, include_unpublished: bool = False) -> CreditRecord:
    """A record of ``entity`` by id, or RECORD_NOT_FOUND (also for another entity's record, and for an unpublished
    one unless ``include_unpublished``: staff views only)."""
    record = session.get(CreditRecord, record_id)
    if record is None or record.entity_id != entity.id or not (record.published or include_unpublished):
        raise NotFound(
            f"{entity.name}名下没有编号为 {record_id} 的信用记录，请从记录列表中选择。", code="RECORD_NOT_FOUND"
        )
    return record


def open_application_for(session: Session, model: type[A], record_id: int) -> A | None:
    """The open objection or repair (``model``) of a record, if there is one."""
    return session.scalar(select(model).where(model.record_id == record_id, model.is_open))


def record_view(record: CreditRecord, under_repair: bool = False, *, policy: Policy | None = None) -> dict[str, Any]:
    """A record as the API shows it; ``policy`` the one the caller already loaded (a view of several records
    resolves the policy file's path once, not once per record)."""
    return {
        "id": record.id,
        "category": record.category,
        "title": record.title,
        "document_no": record.document_no,
        "authority": record.authority,
        "decision_date": record.decision_date,
        "severity": record.severity,
        "polarity": record.polarity,
        "content": record.content,
        "publicity_end": record.publicity_end,
        "status": record.status,
        "status_label": record.status_label,
        "published": record.published,
        "under_objection": record.under_objection,
        "under_repair": under_repair,
        "obligations_fulfilled": record.obligations_fulfilled,
        # 信用修复 is this record's route (失信信息 of a repaired category); "now?" is repair-eligibility's.
        "repair_applies": repair_applies(
            record.category, record.severity, policy or load_policy(), record.polarity, record.authority
        ),
    }
