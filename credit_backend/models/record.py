"""Credit records in every category that a 信用中国 report shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit_backend.models.base import Base, CreatedAt
from credit_backend.models.entity import Entity
from credit_backend.policy.loader import load_policy
from credit_backend.rules.periods import published_by_default
from credit_backend.rules.vocabulary import RECORD_STATUSES, record_is_negative, record_polarity


def _default_polarity(context: Any) -> str:
    """A record inserted without a polarity gets its category's (其他: negative with a severity)."""
    params = context.get_current_parameters()
    return record_polarity(params["category"], params.get("severity")).value


def _default_published(context: Any) -> bool:
    """A record inserted without saying whether it is published follows the policy (issue 12 #5): 失信信息 of a
    class with ``published_by_default: false`` (轻微, 令2025年第36号) is not published; everything else is.

    The one place the policy's default is applied, whatever creates the record (services, imports, tests)."""
    params = context.get_current_parameters()
    severity, decided = params.get("severity"), params.get("decision_date")
    if severity is None or decided is None:
        return True
    polarity = params.get("polarity") or record_polarity(params["category"], severity).value
    if not record_is_negative(params["category"], severity, polarity):
        return True
    try:
        return published_by_default(severity, decided, load_policy())
    except ValueError:  # a decision before every configured regime: published, as records were then
        return True


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
    # vocabulary.Polarity value of this record (negative / positive / neutral): the record's own, so that
    # a 其他 record can be a broken commitment (negative) or a 文明单位 (positive); migration 0004.
    polarity: Mapped[str] = mapped_column(String(8), default=_default_polarity, server_default="neutral")
    # Whether the record is published: 轻微 失信信息 is not by default (令2025年第36号; policy.yaml
    # ``published_by_default``). Staff still see an unpublished record, marked as such.
    published: Mapped[bool] = mapped_column(default=_default_published, server_default=true())
    content: Mapped[str | None] = mapped_column(Text)
    # 处罚依据 / 许可依据 of a record entered by a department (双公示, issue 11); None for older records.
    legal_basis: Mapped[str | None] = mapped_column(Text)
    publicity_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")  # a key of vocabulary.RECORD_STATUSES
    under_objection: Mapped[bool] = mapped_column(default=False)
    obligations_fulfilled: Mapped[bool] = mapped_column(default=False)
    legally_non_repairable: Mapped[bool] = mapped_column(default=False)
    punishment_lifted_at: Mapped[datetime | None]
    corrected_at: Mapped[datetime | None]
    # First day a new repair application is accepted again after a repair decision was revoked
    # (policy.yaml repair.revocation_bar).
    barred_until: Mapped[date | None]

    entity: Mapped[Entity] = relationship()

    __table_args__ = (
        Index("ix_credit_records_entity_category", "entity_id", "category", "decision_date"),
        # A decision is entered once: the import and the entry form look a decision number up by authority.
        Index("ix_credit_records_authority_document", "authority", "document_no"),
    )

    @property
    def is_negative(self) -> bool:
        """Whether the record is 失信信息 (its own polarity, in the mixed category 其他 too)."""
        return record_is_negative(self.category, self.severity, self.polarity)

    @property
    def status_label(self) -> str:
        return RECORD_STATUSES[self.status]
