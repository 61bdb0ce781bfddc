"""Credit records in every category that a 信用中国 report shows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, CreatedAt
from credit_backend.models.entity import Entity

CATEGORIES = (
    "行政许可",
    "行政处罚",
    "守信激励",
    "严重失信主体名单",
    "重点关注名单",
    "经营异常",
    "信用承诺",
    "信用评价",
    "司法判决",
    "其他",
)
SEVERITIES = ("轻微", "一般", "严重")

# Record status codes and their labels as 信用中国 shows them.
RECORD_STATUS_LABELS = {"active": "公示中", "expired": "已到期", "repaired": "已修复", "revoked": "已撤销"}


class CreditRecord(CreatedAt, Base):
    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    document_no: Mapped[str | None] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date]
    severity: Mapped[str | None] = mapped_column(String(4))  # only for negative records
    content: Mapped[str | None] = mapped_column(Text)
    publicity_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")
    under_objection: Mapped[bool] = mapped_column(default=False)
    obligations_fulfilled: Mapped[bool] = mapped_column(default=False)
    legally_non_repairable: Mapped[bool] = mapped_column(default=False)
    punishment_lifted_at: Mapped[datetime | None]
    corrected_at: Mapped[datetime | None]

    entity: Mapped[Entity] = relationship()

    __table_args__ = (Index("ix_credit_records_entity_category", "entity_id", "category", "decision_date"),)

    @property
    def status_label(self) -> str:
        return RECORD_STATUS_LABELS[self.status]
