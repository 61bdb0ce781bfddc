"""Identity bindings: a sender (``tg:123``) proven to represent an entity by a one-time code, or a staff
sender (``staff:counter01``) who checked the business's representative in person at the counter (issue 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, CreatedAt
from credit_backend.models.entity import Entity


class BindingChallenge(CreatedAt, Base):
    __tablename__ = "binding_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(100), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked: Mapped[bool] = mapped_column(default=False)
    consumed_at: Mapped[datetime | None]


class Binding(CreatedAt, Base):
    __tablename__ = "bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    bound_until: Mapped[datetime]
    #: How the sender was proven: ``otp`` (one-time code to the registered contact) or ``in_person``.
    method: Mapped[str] = mapped_column(String(20), default="otp", server_default="otp")
    #: For ``in_person``: document type, last four characters, letter of authorisation, staff account, time.
    identity_check: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    entity: Mapped[Entity] = relationship()

    __table_args__ = (UniqueConstraint("sender_id", "entity_id", name="uq_bindings_sender_entity"),)
