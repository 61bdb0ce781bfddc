"""The staff work queue: GET /api/v1/queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from credit_backend.api.deps import ReadSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import QueuePage
from credit_backend.responses.base import TypedJSON
from credit_backend.services import queue as svc

router = APIRouter(prefix="/api/v1/queue", tags=["console"], responses=error_responses(*COMMON_ERRORS, 403))
MAX_PER_PAGE = 200


@router.get("", response_model=QueuePage)
def work_queue(
    session: ReadSession,
    _: StaffCaller,
    kind: Annotated[
        str | None, Query(max_length=20, description="registration / commitment / objection / repair")
    ] = None,
    status: Annotated[str | None, Query(max_length=30, description="an open status of the kind")] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    overdue: Annotated[bool | None, Query(description="true: only overdue; false: only not overdue")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> Any:
    """Every open application, soonest deadline first (none last), with working days left from the backend's
    calendar; overdue and due-soon (≤2 working days) marked; paged on the server."""
    result: dict[str, Any] = svc.queue_page(
        session,
        kind=kind or None,
        status=status or None,
        department=department or None,
        overdue=overdue,
        page=page,
        per_page=per_page,
    )
    return TypedJSON(QueuePage, result)
