"""Each credit record's own polarity, its publication flag and the bar after a revoked repair (issue 12).

- ``credit_records.polarity`` (negative / positive / neutral): the category 其他 holds broken commitments
  and positive facts alike, so the record says which. Filled from the data: the category's polarity
  (vocabulary as of this revision); in 其他, a record with a severity class is 失信信息 (the interim rule
  until now), one without is a positive fact.
- ``credit_records.published``: 轻微 失信信息 is in principle not published (令2025年第36号; policy.yaml
  ``published_by_default: false``); existing 轻微 records become unpublished.
- ``credit_records.barred_until``: first day a repair application is accepted again after a repair
  decision was revoked (policy.yaml ``repair.revocation_bar``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Category polarities as they were when this revision was written (credit_backend.rules.vocabulary).
NEGATIVE = ("行政处罚", "严重失信主体名单", "重点关注名单", "经营异常")
POSITIVE = ("守信激励",)
MIXED = "其他"
UNPUBLISHED_SEVERITY = "轻微"


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (no batch table copy): SQLite would refuse to drop the referenced table.
    op.add_column("credit_records", sa.Column("polarity", sa.String(8), server_default="neutral", nullable=False))
    op.add_column("credit_records", sa.Column("published", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("credit_records", sa.Column("barred_until", sa.Date(), nullable=True))
    records = sa.table(
        "credit_records",
        sa.column("category", sa.String),
        sa.column("severity", sa.String),
        sa.column("polarity", sa.String),
        sa.column("published", sa.Boolean),
    )
    op.execute(records.update().where(records.c.category.in_(NEGATIVE)).values(polarity="negative"))
    op.execute(records.update().where(records.c.category.in_(POSITIVE)).values(polarity="positive"))
    other = records.c.category == MIXED
    op.execute(records.update().where(other, records.c.severity.is_not(None)).values(polarity="negative"))
    op.execute(records.update().where(other, records.c.severity.is_(None)).values(polarity="positive"))
    op.execute(records.update().where(records.c.severity == UNPUBLISHED_SEVERITY).values(published=False))


def downgrade() -> None:
    for column in ("barred_until", "published", "polarity"):
        op.drop_column("credit_records", column)
