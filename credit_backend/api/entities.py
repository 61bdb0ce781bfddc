"""Public reading: code check, name search, profile, records, report, repair eligibility, policy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, Path, Query, Response

from credit_backend import clock
from credit_backend.api.deps import AnyCaller, ReadSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.errors import DomainError, NotFound
from credit_backend.models import CreditRecord, RepairApplication
from credit_backend.policy.loader import load_policy
from credit_backend.rules.periods import format_cn_date
from credit_backend.schemas import ROW_ID_MAX
from credit_backend.services import entities, repair, report
from credit_backend.services.objection import open_application_for

router = APIRouter(prefix="/api/v1", tags=["entities"], responses=error_responses(*COMMON_ERRORS))
NOT_FOUND = error_responses(404)
EXAMPLE_USCC = "91220202MA0Y3K7Q6L"  # 吉林市江城建材有限公司, in the demo city
Uscc = Annotated[str, Path(max_length=60, description="统一社会信用代码, any spelling", examples=[EXAMPLE_USCC])]


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
def check_uscc(
    session: ReadSession, _: AnyCaller, code: Annotated[str, Query(max_length=60, examples=[EXAMPLE_USCC])]
) -> dict[str, Any]:
    """Validate a 统一社会信用代码 and suggest existing entities one character away."""
    return entities.check_code(session, code)


@router.get("/entities", response_model=dict[str, Any])
def search(
    session: ReadSession,
    _: AnyCaller,
    q: Annotated[str, Query(max_length=50, examples=["江城建材"])],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    return JSONBody(entities.search_entities(session, q, limit))


@router.get("/entities/{uscc}", response_model=dict[str, Any], responses=NOT_FOUND)
def get_profile(session: ReadSession, who: AnyCaller, uscc: Uscc) -> Response:
    return JSONBody(entities.profile(session, entities.get_entity(session, uscc), unmasked=who.unmasked))


@router.get("/entities/{uscc}/records", responses=NOT_FOUND)
def list_records(
    session: ReadSession,
    _: AnyCaller,
    uscc: Uscc,
    category: Annotated[str | None, Query(max_length=20)] = None,
    active_only: bool = False,
) -> dict[str, Any]:
    records = entities.entity_records(session, entities.get_entity(session, uscc), category, active_only)
    return {"items": [entities.record_view(r, under_repair) for r, under_repair in records]}


@router.get("/entities/{uscc}/report", responses=NOT_FOUND)
def credit_report(session: ReadSession, _: AnyCaller, uscc: Uscc) -> dict[str, Any]:
    return report.credit_report(session, entities.get_entity(session, uscc))


def _check_rules_apply(day: date) -> None:
    """Refuse a day no repair regime covers (before the first one took effect): no rules decide it."""
    policy = load_policy()
    try:
        policy.regime_for(day)
    except ValueError:
        first = min(r.effective_from for r in policy.repair.regimes)
        message = f"{format_cn_date(day)}没有适用的信用修复规则：相关规定自{format_cn_date(first)}起施行，请选择该日或以后的日期。"
        raise DomainError(
            message, code="VALIDATION_ERROR", fields=[{"field": "on", "message": message}], earliest_date=first
        ) from None


@router.get("/records/{record_id}/repair-eligibility", responses=NOT_FOUND)
def repair_eligibility(
    session: ReadSession,
    _: AnyCaller,
    record_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)],
    on: Annotated[
        date | None, Query(description="evaluate on this day (default today), on or after the rules apply")
    ] = None,
) -> dict[str, Any]:
    day = on or clock.today()
    _check_rules_apply(day)
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的信用记录。", code="RECORD_NOT_FOUND")
    in_progress = open_application_for(session, RepairApplication, record.id) is not None
    return repair.eligibility_view(repair.eligibility(record, day, repair_in_progress=in_progress), day)


@router.get("/policy")
def policy(_: AnyCaller) -> dict[str, Any]:
    """The policy in force, with each value's source and whether it is verified."""
    return load_policy().model_dump(mode="json")
