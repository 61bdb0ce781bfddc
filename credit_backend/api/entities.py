"""Public reading: code check, name search, profile, records, report, repair eligibility, policy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, Query, Response

from credit_backend import clock
from credit_backend.api.deps import AnyCaller, ReadSession
from credit_backend.errors import NotFound
from credit_backend.models import CreditRecord, RepairApplication
from credit_backend.policy.loader import load_policy
from credit_backend.services import entities, repair, report
from credit_backend.services.objection import open_application_for

router = APIRouter(prefix="/api/v1", tags=["entities"])


class JSONBody(Response):
    """JSON rendered in the endpoint's worker thread, for the busiest reads.

    FastAPI validates a sync endpoint's returned dict in another thread-pool round trip (about 0.1 ms,
    a tenth of a SQLite lookup); a returned Response skips that. The bytes are those FastAPI's own
    serializer would produce, and ``response_model`` on the route keeps the documented schema.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


@router.get("/uscc/check")
def check_uscc(session: ReadSession, _: AnyCaller, code: Annotated[str, Query(max_length=60)]) -> dict[str, Any]:
    """Validate a 统一社会信用代码 and suggest existing entities one character away."""
    return entities.check_code(session, code)


@router.get("/entities", response_model=dict[str, Any])
def search(
    session: ReadSession,
    _: AnyCaller,
    q: Annotated[str, Query(max_length=50)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    return JSONBody(entities.search_entities(session, q, limit))


@router.get("/entities/{uscc}", response_model=dict[str, Any])
def get_profile(session: ReadSession, who: AnyCaller, uscc: str) -> Response:
    return JSONBody(entities.profile(session, entities.get_entity(session, uscc), unmasked=who.unmasked))


@router.get("/entities/{uscc}/records")
def list_records(
    session: ReadSession, _: AnyCaller, uscc: str, category: str | None = None, active_only: bool = False
) -> dict[str, Any]:
    records = entities.entity_records(session, entities.get_entity(session, uscc), category, active_only)
    return {"items": [entities.record_view(r, under_repair) for r, under_repair in records]}


@router.get("/entities/{uscc}/report")
def credit_report(session: ReadSession, _: AnyCaller, uscc: str) -> dict[str, Any]:
    return report.credit_report(session, entities.get_entity(session, uscc))


@router.get("/records/{record_id}/repair-eligibility")
def repair_eligibility(session: ReadSession, _: AnyCaller, record_id: int, on: date | None = None) -> dict[str, Any]:
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
