"""Identity binding routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from credit_backend.api.deps import AnyCaller, DbSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import BindingList, BindingView, ChallengeView, ThrottleList
from credit_backend.schemas import SENDER_PATTERN, BindingStart, BindingVerify
from credit_backend.services import bindings, otp_limits

router = APIRouter(prefix="/api/v1/bindings", tags=["identity"], responses=error_responses(*COMMON_ERRORS))
Sender = Annotated[str, Query(pattern=SENDER_PATTERN)]


@router.post("/start", response_model=ChallengeView, responses=error_responses(404, 413, 423, 429))
def start(session: DbSession, who: AnyCaller, body: BindingStart) -> dict[str, Any]:
    return bindings.start(session, body.sender_id, body.uscc, who.role)


@router.post("/verify", response_model=BindingView, responses=error_responses(404, 410, 413, 423, 429))
def verify(session: DbSession, who: AnyCaller, body: BindingVerify) -> dict[str, Any]:
    return bindings.verify(session, body.sender_id, body.uscc, body.code, who.role)


@router.get("", response_model=BindingList)
def list_bindings(session: DbSession, _: AnyCaller, sender_id: Sender) -> dict[str, Any]:
    return {"items": bindings.active_bindings(session, sender_id)}


@router.delete("/{uscc}", status_code=204, responses=error_responses(404))
def unbind(session: DbSession, who: AnyCaller, uscc: str, sender_id: Sender) -> None:
    bindings.unbind(session, sender_id, uscc, who.role)


@router.get("/throttles", response_model=ThrottleList, responses=error_responses(403))
def throttles(session: DbSession, _: StaffCaller) -> dict[str, Any]:
    """Entities and senders the one-time-code limits currently hold back (staff and admins)."""
    return {"items": otp_limits.throttled(session)}
