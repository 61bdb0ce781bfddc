"""Public reading: code check, name search, profile, records, report, repair eligibility, policy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from credit_backend import clock
from credit_backend.api.deps import AnyCaller, DbSession
from credit_backend.errors import NotFound
from credit_backend.models import CreditRecord, RepairApplication
from credit_backend.policy.loader import load_policy
from credit_backend.services import entities, repair, report
from credit_backend.services.objection import open_application_for

router = APIRouter(prefix="/api/v1", tags=["entities"])


@router.get("/uscc/check")
def check_uscc(session: DbSession, _: AnyCaller, code: Annotated[str, Query(max_length=60)]) -> dict[str, Any]:
    """Validate a 统一社会信用代码 and suggest existing entities one character away."""
    return entities.check_code(session, code)


@router.get("/entities")
def search(
    session: DbSession,
    _: AnyCaller,
    q: Annotated[str, Query(max_length=50)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    return entities.search_entities(session, q, limit)


@router.get("/entities/{uscc}")
def get_profile(session: DbSession, who: AnyCaller, uscc: str) -> dict[str, Any]:
    return entities.profile(session, entities.get_entity(session, uscc), unmasked=who.unmasked)


@router.get("/entities/{uscc}/records")
def list_records(
    session: DbSession, _: AnyCaller, uscc: str, category: str | None = None, active_only: bool = False
) -> dict[str, Any]:
    entity = entities.get_entity(session, uscc)
    records = entities.entity_records(session, entity, category, active_only)
    repairing = entities.open_repair_record_ids(session, [r.id for r in records])
    return {"items": [entities.record_view(r, r.id in repairing) for r in records]}


@router.get("/entities/{uscc}/report")
def credit_report(session: DbSession, _: AnyCaller, uscc: str) -> dict[str, Any]:
    return report.credit_report(session, entities.get_entity(session, uscc))


@router.get("/records/{record_id}/repair-eligibility")
def repair_eligibility(session: DbSession, _: AnyCaller, record_id: int, on: date | None = None) -> dict[str, Any]:
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的信用记录。", code="RECORD_NOT_FOUND")
    in_progress = open_application_for(session, RepairApplication, record.id) is not None
    day = on or clock.today()
    return repair.eligibility_view(repair.eligibility(record, day, repair_in_progress=in_progress), day)


@router.get("/policy")
def policy(_: AnyCaller) -> dict[str, Any]:
    """The policy in force, with each value's source and whether it is verified."""
    return load_policy().model_dump(mode="json")
