"""The notification outbox as channels read it, and hand-off requests for staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import Forbidden, NotFound
from credit_backend.models import Handoff, Notification
from credit_backend.rules.masking import mask_phone
from credit_backend.rules.uscc import normalize_uscc
from credit_backend.schemas import HandoffIn
from credit_backend.services.common import audit


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


def create_handoff(session: Session, body: HandoffIn, role: str) -> Handoff:
    uscc = normalize_uscc(body.uscc) if body.uscc else None
    handoff = Handoff(sender_id=body.sender_id, uscc=uscc, summary=body.summary)
    session.add(handoff)
    audit(session, role, body.sender_id, "handoff", body.sender_id)
    session.commit()
    return handoff


def handoff_view(h: Handoff) -> dict[str, Any]:
    return {
        "id": h.id,
        "sender_id": h.sender_id,
        "uscc": h.uscc,
        "summary": h.summary,
        "status": h.status,
        "created_at": h.created_at,
    }


def list_handoffs(session: Session, status: str | None) -> list[Handoff]:
    query = select(Handoff)
    if status:
        query = query.where(Handoff.status == status)
    return list(session.scalars(query.order_by(Handoff.id.desc()).limit(200)))
