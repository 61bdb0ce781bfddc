"""Notification feed for channels and hand-off conversations for staff (the audit log: api/audit.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query

from credit_backend import clock
from credit_backend.api.deps import AnyCaller, Caller, DbSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import (
    HandoffCreated,
    HandoffDetail,
    HandoffList,
    HandoffMessageView,
    NotificationList,
    NotificationView,
    RelayAnswer,
)
from credit_backend.schemas import ROW_ID_MAX, HandoffIn, HandoffRelayIn, HandoffReplyIn
from credit_backend.services import messaging

ACCOUNT_PATTERN = r"^[A-Za-z0-9_.@\-]{1,50}$"  # a console account name

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


# -- hand-off conversations (issue 11) --------------------------------------------------------------------

HandoffId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
# Before console sessions name the account (Caller.account), a staff token names its person in X-Actor.
ActorHeader = Annotated[str | None, Header(alias="X-Actor", min_length=1, max_length=50, pattern=ACCOUNT_PATTERN)]


def account_of(who: Caller, header: str | None) -> str:
    """The staff account acting: the console session's account, else X-Actor, else the role name."""
    return getattr(who, "account", None) or header or who.role


@router.post("/handoffs", status_code=201, response_model=HandoffCreated, responses=error_responses(413))
def create_handoff(session: DbSession, who: AnyCaller, body: HandoffIn) -> dict[str, Any]:
    """A user asks for a person (the assistant calls this): the transcript is kept, and the answer says when
    someone will reply (working days of the backend's calendar, CREDIT_HANDOFF_HOURS in Beijing time)."""
    handoff = messaging.create_handoff(session, body, who.role)
    staffed, answer_by, notice = messaging.availability(clock.now())
    detail = messaging.handoff_detail(session, handoff.id)
    del detail["messages"]
    return {**detail, "staffed_now": staffed, "answer_by": answer_by, "notice": notice}


@router.get("/handoffs", response_model=HandoffList, responses=error_responses(403))
def list_handoffs(
    session: DbSession,
    _: StaffCaller,
    status: Annotated[Literal["open", "claimed", "closed", "active"] | None, Query()] = None,
) -> dict[str, Any]:
    """Newest first, at most 200; ``active`` = open and claimed."""
    return {"items": messaging.list_handoffs(session, status)}


@router.post("/handoffs/relay", response_model=RelayAnswer, responses=error_responses(413))
def relay(session: DbSession, _: AnyCaller, body: HandoffRelayIn) -> dict[str, Any]:
    """A user's message, offered by the assistant: when a person holds the sender's conversation it is stored
    for them (``relayed``) and the assistant does not answer; otherwise nothing is stored."""
    relayed, handoff_id = messaging.relay(session, body.sender_id, body.text)
    return {"relayed": relayed, "handoff_id": handoff_id}


@router.get("/handoffs/{handoff_id}", response_model=HandoffDetail, responses=error_responses(403, 404))
def handoff_detail(session: DbSession, _: StaffCaller, handoff_id: HandoffId) -> dict[str, Any]:
    return messaging.handoff_detail(session, handoff_id)


@router.post("/handoffs/{handoff_id}/claim", response_model=HandoffDetail, responses=error_responses(403, 404, 409))
def claim_handoff(
    session: DbSession, who: StaffCaller, handoff_id: HandoffId, actor: ActorHeader = None
) -> dict[str, Any]:
    """Take the conversation: the user is told a person joined. 409 HANDOFF_TAKEN when another holds it."""
    messaging.claim(session, handoff_id, account_of(who, actor), who.role)
    return messaging.handoff_detail(session, handoff_id)


@router.post(
    "/handoffs/{handoff_id}/messages",
    status_code=201,
    response_model=HandoffMessageView,
    responses=error_responses(403, 404, 409, 413),
)
def reply_handoff(
    session: DbSession, who: StaffCaller, handoff_id: HandoffId, body: HandoffReplyIn, actor: ActorHeader = None
) -> dict[str, Any]:
    """A reply, sent to the user on their channel; only by the staff member holding the conversation
    (403 HANDOFF_NOT_YOURS; 409 HANDOFF_NOT_CLAIMED / HANDOFF_CLOSED)."""
    return messaging.message_view(messaging.reply(session, handoff_id, account_of(who, actor), who.role, body.text))


@router.post("/handoffs/{handoff_id}/close", response_model=HandoffDetail, responses=error_responses(403, 404))
def close_handoff(
    session: DbSession, who: StaffCaller, handoff_id: HandoffId, actor: ActorHeader = None
) -> dict[str, Any]:
    """End the conversation (the assistant answers again); the user is told once. Its holder, an admin, or
    anyone while nobody holds it; closing a closed one changes nothing."""
    messaging.close(session, handoff_id, account_of(who, actor), who.role)
    return messaging.handoff_detail(session, handoff_id)
