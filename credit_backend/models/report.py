"""Issued credit reports (公共信用信息报告 as a document, seed item 3): number, validity, code hash, content."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, utcnow
from credit_backend.models.entity import Entity


class IssuedReport(Base):
    """One report handed out: the content as issued (so the PDF reads the same every time) and its digest.

    The verification code is printed on the PDF and only its hash is stored; the PDF is rendered again from
    ``content`` when the holder downloads it with the code.
    """

    __tablename__ = "issued_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_no: Mapped[str] = mapped_column(String(24), unique=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_on: Mapped[date]  # the day of issue in China Standard Time
    valid_until: Mapped[date]  # last day the report is valid (inclusive)
    code_hash: Mapped[str] = mapped_column(String(200))
    content_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON of ``content``
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_by: Mapped[str] = mapped_column(String(20))  # the caller's role

    entity: Mapped[Entity] = relationship()


class ReportCounter(Base):
    """Per-day sequence behind report numbers (XYBG-<YYYYMMDD>-<NNNNN>)."""

    __tablename__ = "report_counters"

    day: Mapped[date] = mapped_column(primary_key=True)
    last_seq: Mapped[int]


class ReportCheckFailure(Base):
    """Failed verifications per report number (known or not) and day: bounds the tries at guessing a code."""

    __tablename__ = "report_check_failures"

    report_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    failures: Mapped[int]
