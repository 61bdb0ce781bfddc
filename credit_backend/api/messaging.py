"""Notification feed for channels, hand-offs for staff, and the audit log for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from credit_backend.api.deps import AdminCaller, AnyCaller, DbSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.models import AuditEntry
from credit_backend.responses import AuditLog, HandoffList, HandoffView, NotificationList, NotificationView
from credit_backend.schemas import ROW_ID_MAX, HandoffIn
from credit_backend.services import messaging

router = APIRouter(prefix="/api/v1", tags=["messaging"], responses=error_responses(*COMMON_ERRORS))


@router.get("/notifications", response_model=NotificationList, responses=error_responses(403))
def notifications(
    session: DbSession,
    who: AnyCaller,
    channel: Annotated[str, Query(max_length=20)],
    after_id: Annotated[int, Query(ge=0, le=ROW_ID_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    include_delivered: bool = False,
) -> dict[str, Any]:
    rows = messaging.pending(session, channel, after_id, limit, include_delivered, staff=who.unmasked)
    return {"items": [messaging.notification_view(n, who.unmasked) for n in rows]}


@router.post(
    "/notifications/{notification_id}/delivered", response_model=NotificationView, responses=error_responses(403, 404)
)
def delivered(
    session: DbSession, who: AnyCaller, notification_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
) -> dict[str, Any]:
    note = messaging.mark_delivered(session, notification_id, staff=who.unmasked)
    return messaging.notification_view(note, who.unmasked)


@router.post("/handoffs", status_code=201, response_model=HandoffView, responses=error_responses(413))
def create_handoff(session: DbSession, who: AnyCaller, body: HandoffIn) -> dict[str, Any]:
    return messaging.handoff_view(messaging.create_handoff(session, body, who.role))


@router.get("/handoffs", response_model=HandoffList, responses=error_responses(403))
def list_handoffs(session: DbSession, _: StaffCaller, status: str | None = None) -> dict[str, Any]:
    return {"items": [messaging.handoff_view(h) for h in messaging.list_handoffs(session, status)]}


@router.get("/audit", response_model=AuditLog, responses=error_responses(403))
def audit_log(session: DbSession, _: AdminCaller, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return {
        "items": [
            {
                "id": a.id,
                "at": a.at,
                "role": a.role,
                "actor": a.actor,
                "action": a.action,
                "target": a.target,
                "details": a.details,
            }
            for a in rows
        ]
    }
