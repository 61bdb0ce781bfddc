"""The audit log for admins: filters, server paging and a CSV export (issue 11)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from credit_backend.api.deps import AdminCaller, DbSession, ReadSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.clock import today
from credit_backend.errors import invalid_field
from credit_backend.models import AuditEntry
from credit_backend.responses import AuditItem, AuditPage
from credit_backend.schemas import AuditEventIn
from credit_backend.services import audit_log

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=error_responses(*COMMON_ERRORS, 403))
CSV = {
    200: {
        "description": "The matching entries (newest first, at most 100,000) as CSV: UTF-8 with BOM, Chinese headers",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def audit_filter(
    actor: Annotated[str | None, Query(max_length=100, description="part of the actor, e.g. staff:counter01")] = None,
    target: Annotated[str | None, Query(max_length=100, description="part of the target")] = None,
    uscc: Annotated[
        str | None, Query(max_length=60, description="an entity: entries about it, its applications and records")
    ] = None,
    action: Annotated[str | None, Query(max_length=50, description="one action, e.g. console_login")] = None,
    date_from: Annotated[date | None, Query(description="from this day (Beijing time), inclusive")] = None,
    date_to: Annotated[date | None, Query(description="to this day (Beijing time), inclusive")] = None,
) -> audit_log.AuditFilter:
    if date_from and date_to and date_from > date_to:
        raise invalid_field("date_from", "起始日期不能晚于截止日期。", "起始日期晚于截止日期")
    return audit_log.AuditFilter(
        actor=actor or None,
        target=target or None,
        uscc=uscc or None,
        action=action or None,
        date_from=date_from,
        date_to=date_to,
    )


Filter = Annotated[audit_log.AuditFilter, Depends(audit_filter)]


@router.get("/audit", response_model=AuditPage)
def audit_entries(
    session: ReadSession,
    _: AdminCaller,
    f: Filter,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000)] = 50,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="the first page of this size (older name)")] = None,
) -> dict[str, Any]:
    """Matching entries, newest first, one page at a time, with the total and every action for a filter list."""
    if limit is not None:
        page, per_page = 1, limit
    return audit_log.search(session, f, page, per_page)


@router.get("/audit.csv", response_class=Response, responses=CSV)
def audit_csv(session: ReadSession, _: AdminCaller, f: Filter) -> Response:
    """The matching entries as a CSV file for Excel (UTF-8 with BOM, Chinese column headers)."""
    name = f"audit-{today():%Y%m%d}.csv"
    return Response(
        audit_log.export_csv(session, f),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/audit/events", response_model=AuditItem, status_code=201)
def audit_event(session: DbSession, who: AdminCaller, body: AuditEventIn) -> dict[str, Any]:
    """Records what an admin did in the console outside the backend (annotating an example into the training
    data, saving a test story, starting a retrain, rolling back a model), as the caller."""
    entry = AuditEntry(role=who.role, actor=who.actor, action=body.action, target=body.target, details=body.details)
    session.add(entry)
    session.commit()
    return audit_log.entry_view(entry)
