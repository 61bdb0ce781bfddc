"""Credit records in every category that a 信用中国 report shows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, CreatedAt
from credit_backend.models.entity import Entity
from credit_backend.rules.vocabulary import RECORD_STATUSES


class CreditRecord(CreatedAt, Base):
    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))  # rules.vocabulary.CATEGORY_NAMES
    title: Mapped[str] = mapped_column(String(200))
    document_no: Mapped[str | None] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date]
    severity: Mapped[str | None] = mapped_column(String(4))  # vocabulary.SEVERITIES; only for 失信信息
    content: Mapped[str | None] = mapped_column(Text)
    publicity_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")  # a key of vocabulary.RECORD_STATUSES
    under_objection: Mapped[bool] = mapped_column(default=False)
    obligations_fulfilled: Mapped[bool] = mapped_column(default=False)
    legally_non_repairable: Mapped[bool] = mapped_column(default=False)
    punishment_lifted_at: Mapped[datetime | None]
    corrected_at: Mapped[datetime | None]

    entity: Mapped[Entity] = relationship()

    __table_args__ = (Index("ix_credit_records_entity_category", "entity_id", "category", "decision_date"),)

    @property
    def status_label(self) -> str:
        return RECORD_STATUSES[self.status]
