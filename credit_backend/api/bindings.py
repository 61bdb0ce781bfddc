"""Identity binding routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from credit_backend.api.deps import AdminCaller, AnyCaller, DbSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.errors import Forbidden, invalid_field
from credit_backend.responses import BindingList, BindingView, ChallengeView, ThrottleList
from credit_backend.responses.audit import OutboxList
from credit_backend.schemas import SENDER_PATTERN, BindingInPerson, BindingStart, BindingVerify
from credit_backend.services import bindings, code_outbox, otp_limits

router = APIRouter(prefix="/api/v1/bindings", tags=["identity"], responses=error_responses(*COMMON_ERRORS))
Sender = Annotated[str, Query(pattern=SENDER_PATTERN)]


@router.post("/start", response_model=ChallengeView, responses=error_responses(404, 413, 423, 429))
def start(session: DbSession, who: AnyCaller, body: BindingStart) -> dict[str, Any]:
    return bindings.start(session, body.sender_id, body.uscc, who.role)


@router.post("/verify", response_model=BindingView, responses=error_responses(404, 410, 413, 423, 429))
def verify(session: DbSession, who: AnyCaller, body: BindingVerify) -> dict[str, Any]:
    return bindings.verify(session, body.sender_id, body.uscc, body.code, who.role)


@router.post("/in-person", response_model=BindingView, status_code=201, responses=error_responses(403, 404, 413))
def in_person(session: DbSession, who: AnyCaller, body: BindingInPerson) -> dict[str, Any]:
    """A staff member at the counter checked the representative in person (document type, last four characters
    of the document number, letter of authorisation): binds the ``staff:<account>`` sender to the entity for a
    few hours (CREDIT_IN_PERSON_BINDING_HOURS, default 2). Only senders of an active console account: others 403."""
    return bindings.in_person(session, body, who.role)


@router.get("", response_model=BindingList, responses=error_responses(403, 404))
def list_bindings(
    session: DbSession,
    who: AnyCaller,
    sender_id: Annotated[str | None, Query(pattern=SENDER_PATTERN)] = None,
    uscc: Annotated[str | None, Query(max_length=60, description="staff: every active binding of this entity")] = None,
) -> dict[str, Any]:
    """A sender's active bindings (``sender_id``), or, for staff, an entity's (``uscc``; both: the sender's to it)."""
    if uscc is None:
        if sender_id is None:
            raise invalid_field("sender_id", "请提供 sender_id（会话标识），或由工作人员按 uscc 查询。")
        return {"items": bindings.active_bindings(session, sender_id)}
    if not who.unmasked:
        raise Forbidden("按主体查询身份绑定仅限工作人员。", code="FORBIDDEN")
    return {"items": bindings.entity_bindings(session, uscc, sender_id, who.role, who.actor)}


@router.delete("/{uscc}", status_code=204, responses=error_responses(404))
def unbind(session: DbSession, who: AnyCaller, uscc: str, sender_id: Sender) -> None:
    bindings.unbind(session, sender_id, uscc, who.role)


@router.get("/throttles", response_model=ThrottleList, responses=error_responses(403))
def throttles(session: DbSession, _: StaffCaller) -> dict[str, Any]:
    """Entities and senders the one-time-code limits currently hold back (staff and admins)."""
    return {"items": otp_limits.throttled(session)}


@router.get("/outbox", response_model=OutboxList, responses=error_responses(403))
def code_outbox_list(session: DbSession, who: AdminCaller) -> dict[str, Any]:
    """One-time codes waiting for delivery when no SMS gateway is configured (admins; viewing is audited):
    each with the entity, its registered contact and the code, until the code is used or expires."""
    return {"items": code_outbox.view_outbox(session, who.role, who.actor)}
