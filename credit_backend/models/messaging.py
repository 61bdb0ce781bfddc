"""Notification outbox, hand-off requests and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credit_backend.models.base import Base, CreatedAt, utcnow


class Notification(CreatedAt, Base):
    """A message waiting for a channel to deliver it (transactional outbox)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # tg / web / staff / sms
    recipient: Mapped[str] = mapped_column(String(100))  # a sender id, or a phone number for sms
    kind: Mapped[str] = mapped_column(String(30))  # otp / decision / reminder
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivered_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_channel_id", "channel", "id"),)


class Handoff(CreatedAt, Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(100), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    role: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # The one-time-code limits count rows by (action, target|actor) over a time window.
    __table_args__ = (
        Index("ix_audit_log_action_target_at", "action", "target", "at"),
        Index("ix_audit_log_action_actor_at", "action", "actor", "at"),
    )
