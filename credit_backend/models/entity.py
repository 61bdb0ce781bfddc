"""Entities (法人和非法人组织) and their public credit evaluations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, CreatedAt


class Entity(CreatedAt, Base):
    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(40))  # 企业 / 个体工商户 / 农民专业合作社 / 社会组织 / 事业单位 …
    region_code: Mapped[str] = mapped_column(String(6))
    legal_representative: Mapped[str] = mapped_column(String(50))
    legal_rep_id_number: Mapped[str | None] = mapped_column(String(18))
    contact_phone: Mapped[str] = mapped_column(String(20))  # the registered contact, where one-time codes go
    address: Mapped[str | None] = mapped_column(String(200))
    established_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="存续")  # 存续 / 在业 / 注销 / 吊销

    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="entity", order_by="desc(Evaluation.evaluated_on)"
    )

    __table_args__ = (Index("ix_entities_name", "name"), Index("ix_entities_short_name", "short_name"))


class Evaluation(CreatedAt, Base):
    """A public credit evaluation (公共信用综合评价) result, grade A–D (seed items 6–7)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str] = mapped_column(String(1))
    score: Mapped[int | None]
    evaluated_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(100), default="公共信用综合评价")
    reason: Mapped[str | None] = mapped_column(String(200))  # why it was (re)computed

    entity: Mapped[Entity] = relationship(back_populates="evaluations")
