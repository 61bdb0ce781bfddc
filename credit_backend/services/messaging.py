"""The notification outbox as channels read it, and hand-off conversations between users and staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import DomainError, Forbidden, NotFound
from credit_backend.models import Entity, Handoff, HandoffMessage, Notification, StaffAccount
from credit_backend.policy.calendar import default_calendar
from credit_backend.rules.masking import mask_phone
from credit_backend.rules.uscc import normalize_uscc
from credit_backend.schemas import HandoffIn
from credit_backend.services import handoffs
from credit_backend.services.common import audit, channel_of, notify
from credit_backend.settings import get_settings

ACTIVE = ("open", "claimed")
HANDOFF_KIND = "handoff"  # notifications.kind of what staff and the hand-off tell the user


def notification_view(n: Notification, unmasked: bool) -> dict[str, Any]:
    payload = dict(n.payload)
    recipient = n.recipient
    if n.kind == "otp" and not unmasked:
        # Only staff (and the SMS gateway, which runs with staff rights) may read one-time codes.
        payload.pop("code", None)
        recipient = mask_phone(recipient) or recipient
    body = n.body if unmasked or n.kind != "otp" else "（验证码短信，内容已隐藏）"
    return {
        "id": n.id,
        "channel": n.channel,
        "recipient": recipient,
        "kind": n.kind,
        "body": body,
        "payload": payload,
        "created_at": n.created_at,
        "delivered_at": n.delivered_at,
    }


OTP_STAFF_ONLY = "验证码短信只能由工作人员账号（短信网关）读取和确认发送。"
OTP_CHANNEL = "sms"  # where one-time codes go (services.bindings.deliver_code)


def pending(
    session: Session, channel: str, after_id: int, limit: int, include_delivered: bool, staff: bool = True
) -> list[Notification]:
    """A channel's notifications after ``after_id``; one-time codes only for staff (403 for the SMS feed)."""
    if not staff and channel == OTP_CHANNEL:
        raise Forbidden(OTP_STAFF_ONLY, code="FORBIDDEN")
    query = select(Notification).where(Notification.channel == channel, Notification.id > after_id)
    if not staff:
        query = query.where(Notification.kind != "otp")
    if not include_delivered:
        query = query.where(Notification.delivered_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id).limit(limit)))


def mark_delivered(session: Session, notification_id: int, staff: bool = True) -> Notification:
    """Record delivery; a one-time code only by staff (the SMS gateway), never by the assistant."""
    n = session.get(Notification, notification_id)
    if n is None:
        raise NotFound(f"没有编号为 {notification_id} 的通知。", code="NOTIFICATION_NOT_FOUND")
    if n.kind == "otp" and not staff:
        raise Forbidden(OTP_STAFF_ONLY, code="FORBIDDEN")
    if n.delivered_at is None:  # idempotent: the first delivery time stays
        n.delivered_at = clock.now()
        session.commit()
    return n


# -- hand-off conversations (issue 11) --------------------------------------------------------------------


def staffed_hours() -> handoffs.Hours:
    return handoffs.hours_from_setting(get_settings().handoff_hours)


def availability(now: datetime) -> tuple[bool, datetime, str]:
    """(staffed now, when someone will answer, what to tell the user) on the backend's calendar."""
    hours = staffed_hours()
    answer_by = handoffs.next_staffed(now, hours, default_calendar().is_workday)
    return answer_by == now, answer_by, handoffs.notice(now, answer_by, hours)


def _active(session: Session, sender_id: str) -> Handoff | None:
    query = select(Handoff).where(Handoff.sender_id == sender_id, Handoff.status.in_(ACTIVE))
    return session.scalar(query.order_by(Handoff.id.desc()).limit(1))


def create_handoff(session: Session, body: HandoffIn, role: str) -> Handoff:
    """A new hand-off with the transcript; a sender who already waits for a person keeps their conversation."""
    uscc = normalize_uscc(body.uscc) if body.uscc else None
    now = clock.now()
    handoff = _active(session, body.sender_id)
    if handoff is None:
        handoff = Handoff(
            sender_id=body.sender_id,
            channel=channel_of(body.sender_id),
            uscc=uscc,
            summary=body.summary,
            status="open",
            created_at=now,
        )
        session.add(handoff)
        session.flush()
        lines = [
            HandoffMessage(handoff_id=handoff.id, role=line.role, text=line.text, at=now) for line in body.transcript
        ]
        session.add_all(lines)
    else:
        handoff.summary = body.summary
        handoff.uscc = handoff.uscc or uscc
        said = [line.text for line in body.transcript if line.role == "user"][-1:]
        session.add(HandoffMessage(handoff_id=handoff.id, role="system", text=handoffs.AGAIN, at=now))
        session.add_all(HandoffMessage(handoff_id=handoff.id, role="user", text=t, at=now) for t in said)
    audit(session, role, body.sender_id, "handoff", body.sender_id, handoff_id=handoff.id)
    session.commit()
    return handoff


def _message_count(handoff_id: Any) -> Any:
    return select(func.count()).where(HandoffMessage.handoff_id == handoff_id).scalar_subquery()


def _last_message_at(handoff_id: Any) -> Any:
    return select(func.max(HandoffMessage.at)).where(HandoffMessage.handoff_id == handoff_id).scalar_subquery()


def _rows(session: Session, where: Any, limit: int) -> list[dict[str, Any]]:
    query = (
        select(
            Handoff,
            Entity.name,
            StaffAccount.display_name,
            _message_count(Handoff.id),
            _last_message_at(Handoff.id),
        )
        .outerjoin(Entity, Entity.uscc == Handoff.uscc)
        .outerjoin(StaffAccount, StaffAccount.name == Handoff.claimed_by)
        .where(*where)
        .order_by(Handoff.id.desc())
        .limit(limit)
        .execution_options(populate_existing=True)  # sessions keep objects after commit: read what is stored
    )
    return [
        handoff_view(h, entity_name=name, claimed_by_name=display, message_count=n or 0, last_message_at=last)
        for h, name, display, n, last in session.execute(query)
    ]


def handoff_view(
    h: Handoff,
    *,
    entity_name: str | None = None,
    claimed_by_name: str | None = None,
    message_count: int = 0,
    last_message_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": h.id,
        "sender_id": h.sender_id,
        "channel": h.channel,
        "uscc": h.uscc,
        "entity_name": entity_name,
        "summary": h.summary,
        "status": h.status,
        "status_label": handoffs.STATUS_LABELS.get(h.status, h.status),
        "created_at": h.created_at,
        "claimed_by": h.claimed_by,
        "claimed_by_name": claimed_by_name or h.claimed_by,
        "claimed_at": h.claimed_at,
        "closed_at": h.closed_at,
        "closed_by": h.closed_by,
        "message_count": message_count,
        "last_message_at": last_message_at,
    }


def list_handoffs(session: Session, status: str | None) -> list[dict[str, Any]]:
    """Newest first (at most 200); ``status`` open / claimed / closed, or ``active`` for open and claimed."""
    statuses = ACTIVE if status == "active" else (status,) if status else None
    return _rows(session, [Handoff.status.in_(statuses)] if statuses else [], 200)


def message_view(m: HandoffMessage) -> dict[str, Any]:
    return {"id": m.id, "role": m.role, "author": m.author, "text": m.text, "at": m.at}


def handoff_detail(session: Session, handoff_id: int) -> dict[str, Any]:
    rows = _rows(session, [Handoff.id == handoff_id], 1)
    if not rows:
        raise NotFound(f"没有编号为 {handoff_id} 的人工服务会话。", code="HANDOFF_NOT_FOUND")
    messages = session.scalars(
        select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id).order_by(HandoffMessage.id)
    )
    return {**rows[0], "messages": [message_view(m) for m in messages]}


def _locked(session: Session, handoff_id: int) -> Handoff:
    """The hand-off, locked for this transaction on PostgreSQL (SQLite serialises writers anyway)."""
    handoff = session.scalar(
        select(Handoff).where(Handoff.id == handoff_id).with_for_update().execution_options(populate_existing=True)
    )
    if handoff is None:
        raise NotFound(f"没有编号为 {handoff_id} 的人工服务会话。", code="HANDOFF_NOT_FOUND")
    return handoff


def display_name(session: Session, account: str | None) -> str | None:
    if not account:
        return None
    return session.scalar(select(StaffAccount.display_name).where(StaffAccount.name == account)) or account


def _refuse(refusal: handoffs.Refusal | None) -> None:
    if refusal is not None:
        raise DomainError(refusal.message, code=refusal.code, status=refusal.status)


def _tell_user(
    session: Session, handoff: Handoff, text: str, event: str, role: str, author: str | None
) -> HandoffMessage:
    """One line of the conversation and its notification to the user, in the same transaction (exactly once)."""
    now = clock.now()
    message = HandoffMessage(handoff_id=handoff.id, role=role, author=author, text=text, at=now)
    session.add(message)
    session.flush()
    notify(session, handoff.sender_id, HANDOFF_KIND, text, handoff_id=handoff.id, event=event, message_id=message.id)
    return message


def claim(session: Session, handoff_id: int, account: str, role: str) -> None:
    """``account`` takes the conversation: the user is told a person joined; 409 HANDOFF_TAKEN if another holds it."""
    handoff = _locked(session, handoff_id)
    _refuse(
        handoffs.claim_refusal(handoff.status, handoff.claimed_by, account, display_name(session, handoff.claimed_by))
    )
    if handoff.status == "claimed":  # already theirs: nothing changes, nothing is sent again
        session.rollback()
        return
    now = clock.now()
    taken = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "open")
        .values(status="claimed", claimed_by=account, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # another staff member was faster (SQLite: no row lock above)
        session.rollback()
        handoff = _locked(session, handoff_id)
        _refuse(
            handoffs.claim_refusal(
                handoff.status, handoff.claimed_by, account, display_name(session, handoff.claimed_by)
            )
        )
        return
    joined = handoffs.JOINED.format(name=display_name(session, account))
    _tell_user(session, handoff, joined, "claimed", "system", account)
    audit(session, role, f"staff:{account}", "handoff_claim", f"handoff:{handoff_id}", sender_id=handoff.sender_id)
    session.commit()


def reply(session: Session, handoff_id: int, account: str, role: str, text: str) -> HandoffMessage:
    """A reply of the staff member holding the conversation, sent to the user."""
    handoff = _locked(session, handoff_id)
    _refuse(
        handoffs.reply_refusal(handoff.status, handoff.claimed_by, account, display_name(session, handoff.claimed_by))
    )
    message = _tell_user(session, handoff, text, "reply", "staff", account)
    audit(session, role, f"staff:{account}", "handoff_reply", f"handoff:{handoff_id}", chars=len(text))
    session.commit()
    return message


def close(session: Session, handoff_id: int, account: str, role: str) -> None:
    """Ends the conversation (the assistant answers again); the user is told once; closing again changes nothing."""
    handoff = _locked(session, handoff_id)
    holder = display_name(session, handoff.claimed_by)
    _refuse(handoffs.close_refusal(handoff.status, handoff.claimed_by, account, role == "admin", holder))
    if handoff.status == "closed":
        session.rollback()
        return
    now = clock.now()
    ended = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == handoff.status)
        .values(status="closed", closed_at=now, closed_by=account)
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # changed meanwhile: decide again on what it is now
        session.rollback()
        close(session, handoff_id, account, role)
        return
    _tell_user(session, handoff, handoffs.CLOSED, "closed", "system", account)
    audit(session, role, f"staff:{account}", "handoff_close", f"handoff:{handoff_id}", sender_id=handoff.sender_id)
    session.commit()


def relay(session: Session, sender_id: str, text: str) -> tuple[bool, int | None]:
    """A user's message while a person holds their conversation: stored for staff, and the assistant stays silent."""
    active = session.execute(
        select(Handoff.id, Handoff.status)
        .where(Handoff.sender_id == sender_id, Handoff.status.in_(ACTIVE))
        .order_by(Handoff.id.desc())
        .limit(1)
    ).first()
    if active is None:
        return False, None
    handoff_id, status = active
    if status != "claimed":
        return False, handoff_id
    session.add(HandoffMessage(handoff_id=handoff_id, role="user", text=text, at=clock.now()))
    session.commit()
    return True, handoff_id
