"""Credit-reminder subscriptions and the ledger that makes each reminder unique (issue 12, seed items 9/16)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, CreatedAt
from credit_backend.models.entity import Entity


class Subscription(CreatedAt, Base):
    """A bound sender asked for 信用提醒 / 风险预警 about an entity it represents."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(100), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))

    entity: Mapped[Entity] = relationship()

    __table_args__ = (UniqueConstraint("sender_id", "entity_id", name="uq_subscriptions_sender_entity"),)


class ReminderSent(CreatedAt, Base):
    """One row per reminder ever queued: its key is unique, so a rerun or a concurrent run cannot repeat it.

    Keys: ``<kind>:<recipient>:<subject>`` (e.g. ``record_published:tg:1:record:7``,
    ``staff_deadline:staff:RP2026...:approaching:2026-12-01``).
    """

    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(250), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(100))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
