"""Notification outbox, hand-off conversations and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
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
    """A conversation in which a user asked for a person: open → claimed (one staff member) → closed."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(100), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="web")  # the sender's prefix: tg / wx / web / staff
    uscc: Mapped[str | None] = mapped_column(String(18))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / claimed / closed
    claimed_by: Mapped[str | None] = mapped_column(String(50))  # the staff account holding the conversation
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(50))

    # The inbox lists by status, newest first; the relay looks a sender up by sender_id (indexed above).
    __table_args__ = (Index("ix_handoffs_status_id", "status", "id"),)


class HandoffMessage(Base):
    """One line of a hand-off conversation: what the user or the assistant said before, or staff and user after."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))  # user / bot / staff / system
    author: Mapped[str | None] = mapped_column(String(100))  # the staff account for role staff
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_handoff_messages_handoff_id_id", "handoff_id", "id"),)


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
