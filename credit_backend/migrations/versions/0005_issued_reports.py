"""Issued credit reports (seed item 3, issue 12): the report as a document anyone can verify.

- ``issued_reports``: report number (XYBG-<YYYYMMDD>-<NNNNN>), entity, issue time and day (China Standard
  Time), last valid day (policy.yaml ``credit_report.validity_days``), the verification code's hash (never
  the code), the content as issued and its SHA-256 digest.
- ``report_counters``: the per-day sequence behind report numbers.
- ``report_check_failures``: failed verifications per report number and day (bounded tries).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_no", sa.String(length=24), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_issued_reports_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_reports")),
        sa.UniqueConstraint("report_no", name=op.f("uq_issued_reports_report_no")),
    )
    op.create_index(op.f("ix_issued_reports_entity_id"), "issued_reports", ["entity_id"], unique=False)
    op.create_table(
        "report_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_counters")),
    )
    op.create_table(
        "report_check_failures",
        sa.Column("report_no", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("report_no", "day", name=op.f("pk_report_check_failures")),
    )


def downgrade() -> None:
    op.drop_table("report_check_failures")
    op.drop_table("report_counters")
    op.drop_index(op.f("ix_issued_reports_entity_id"), table_name="issued_reports")
    op.drop_table("issued_reports")
