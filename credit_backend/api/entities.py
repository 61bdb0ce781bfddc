"""Public reading: code check, name search, profile, records, report, repair eligibility, policy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.api.deps import AnyCaller, ReadSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.errors import DomainError
from credit_backend.policy.loader import Policy, load_policy
from credit_backend.responses import CreditReport, Profile, RecordList, RepairEligibilityView, SearchResult, UsccCheck
from credit_backend.responses.base import TypedJSON
from credit_backend.rules.periods import format_cn_date
from credit_backend.schemas import ROW_ID_MAX, SENDER_PATTERN
from credit_backend.services import entities, repair, report, staff_viewer

router = APIRouter(prefix="/api/v1", tags=["entities"], responses=error_responses(*COMMON_ERRORS))
NOT_FOUND = error_responses(404)
EXAMPLE_USCC = "91220202MA0Y3K7Q6L"  # 吉林市江城建材有限公司, in the demo city
Uscc = Annotated[str, Path(max_length=60, description="统一社会信用代码, any spelling", examples=[EXAMPLE_USCC])]
Viewer = Annotated[
    str | None,
    Query(
        pattern=SENDER_PATTERN,
        description="the sender the assistant answers (e.g. staff:counter01); a staff:<account> of an active "
        "console account with role staff or admin sees the unmasked view, and the view is audited (view_personal_data)",
    ),
]


def _counter_staff(session: Session, viewer: str | None) -> str | None:
    """The viewer when it is a staff member at the counter (an active console account), else None."""
    return viewer if staff_viewer.staff_account(session, viewer) is not None else None


@router.get("/uscc/check", response_model=UsccCheck)
def check_uscc(
    session: ReadSession, _: AnyCaller, code: Annotated[str, Query(max_length=60, examples=[EXAMPLE_USCC])]
) -> dict[str, Any]:
    """Validate a 统一社会信用代码 and suggest existing entities one character away."""
    return entities.check_code(session, code)


@router.get("/entities", response_model=SearchResult)
def search(
    session: ReadSession,
    _: AnyCaller,
    q: Annotated[str, Query(max_length=50, examples=["江城建材"])],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    return TypedJSON(SearchResult, entities.search_entities(session, q, limit))


@router.get("/entities/{uscc}", response_model=Profile, responses=NOT_FOUND)
def get_profile(session: ReadSession, who: AnyCaller, uscc: Uscc, viewer: Viewer = None) -> Response:
    entity = entities.get_entity(session, uscc)
    staff = _counter_staff(session, viewer)
    profile = entities.profile(session, entity, unmasked=who.unmasked or staff is not None)
    if staff:
        staff_viewer.log_personal_data_view(
            who.role, staff, entity.uscc, view="profile", fields=["registered_contact", "legal_rep_id_number"]
        )
    return TypedJSON(Profile, profile)


@router.get("/entities/{uscc}/records", response_model=RecordList, responses=NOT_FOUND)
def list_records(
    session: ReadSession,
    who: AnyCaller,
    uscc: Uscc,
    category: Annotated[str | None, Query(max_length=20)] = None,
    active_only: bool = False,
    viewer: Viewer = None,
) -> dict[str, Any]:
    entity = entities.get_entity(session, uscc)
    staff = _counter_staff(session, viewer)
    # Unpublished records (轻微 by default) only for staff, marked published: false.
    records = entities.entity_records(
        session, entity, category, active_only, include_unpublished=who.unmasked or staff is not None
    )
    if staff:
        unpublished = sum(1 for r, _ in records if not r.published)
        staff_viewer.log_personal_data_view(who.role, staff, entity.uscc, view="records", unpublished=unpublished)
    policy = load_policy()
    return {"items": [entities.record_view(r, under_repair, policy=policy) for r, under_repair in records]}


@router.get("/entities/{uscc}/report", response_model=CreditReport, responses=NOT_FOUND)
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


@router.get("/records/{record_id}/repair-eligibility", response_model=RepairEligibilityView, responses=NOT_FOUND)
def repair_eligibility(
    session: ReadSession,
    who: AnyCaller,
    record_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)],
    on: Annotated[
        date | None, Query(description="evaluate on this day (default today), on or after the rules apply")
    ] = None,
) -> dict[str, Any]:
    day = on or clock.today()
    _check_rules_apply(day)
    # An unpublished record (轻微 by default) answers like an unknown id, except to staff.
    return repair.record_eligibility(session, record_id, day, include_unpublished=who.unmasked)


@router.get("/policy")
def policy(_: AnyCaller) -> Policy:
    """The policy in force, with each value's source and whether it is verified."""
    return load_policy()
