"""Work queue (department, identity check on applications, indexes) and records entered by departments (issue 11).

- ``applications.department``: who decides the application (rules.departments): the authority of the record
  an objection or repair concerns, or a commitment's linked department record; else the credit centre.
  Existing rows are filled the same way.
- ``applications.identity_check``: the in-person identity check of an application filed at the counter.
- ``applications.in_queue``: the status is open; partial indexes over these rows serve the work queue.
  Filled from the open states of each kind's state machine as of this revision.
- ``credit_records.legal_basis`` (处罚依据 / 许可依据) and an index to find a decision by authority and number.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# policy.yaml departments.credit_centre as of this revision.
CREDIT_CENTRE = "吉林市发展和改革委员会（市信用中心）"
# The open states of each kind (credit_backend.rules.states) as of this revision.
OPEN_STATES = {
    "registration": ("submitted",),
    "commitment": ("in_force",),
    "objection": ("submitted", "under_verification"),
    "repair": ("submitted", "accepted"),
}
COMMITMENT_CATEGORY = "信用承诺"  # a commitment's own publication: not a department's record
QUEUE_INDEXES = {
    "ix_applications_queue_due": ["due_on", "id"],
    "ix_applications_queue_department": ["department", "kind", "status", "due_on"],
    "ix_applications_queue_status": ["status", "due_on"],
    "ix_applications_queue_kind": ["kind", "due_on"],
}


def _backfill() -> None:
    apps = sa.table(
        "applications",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("department", sa.String),
        sa.column("in_queue", sa.Boolean),
    )
    records = sa.table(
        "credit_records",
        sa.column("id", sa.Integer),
        sa.column("authority", sa.String),
        sa.column("category", sa.String),
    )
    for kind, table_name in (
        ("objection", "objections"),
        ("repair", "repair_applications"),
        ("commitment", "commitments"),
    ):
        kind_table = sa.table(table_name, sa.column("id", sa.Integer), sa.column("record_id", sa.Integer))
        where = [kind_table.c.id == apps.c.id, records.c.id == kind_table.c.record_id, records.c.authority != ""]
        if kind == "commitment":
            where.append(records.c.category != COMMITMENT_CATEGORY)
        authority = sa.select(records.c.authority).where(*where).scalar_subquery()
        has_one = sa.select(records.c.id).where(*where).exists()
        op.execute(apps.update().where(apps.c.kind == kind, has_one).values(department=authority))
    for kind, states in OPEN_STATES.items():
        op.execute(apps.update().where(apps.c.kind == kind, apps.c.status.not_in(states)).values(in_queue=False))


def upgrade() -> None:
    # Plain ADD COLUMN (no batch table copy): SQLite would refuse to drop the referenced table. The
    # department's server default fills existing rows; PostgreSQL then drops it (SQLite cannot), and the
    # application always sets the column itself.
    op.add_column("applications", sa.Column("department", sa.String(100), server_default=CREDIT_CENTRE, nullable=False))
    op.add_column("applications", sa.Column("identity_check", sa.JSON(), nullable=True))
    op.add_column("applications", sa.Column("in_queue", sa.Boolean(), server_default=sa.true(), nullable=False))
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("applications", "department", server_default=None)
    for name, columns in QUEUE_INDEXES.items():
        op.create_index(
            name,
            "applications",
            columns,
            unique=False,
            sqlite_where=sa.text("in_queue"),
            postgresql_where=sa.text("in_queue"),
        )
    op.add_column("credit_records", sa.Column("legal_basis", sa.Text(), nullable=True))
    op.create_index(
        "ix_credit_records_authority_document", "credit_records", ["authority", "document_no"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_credit_records_authority_document", table_name="credit_records")
    op.drop_column("credit_records", "legal_basis")
    for name in QUEUE_INDEXES:
        op.drop_index(name, table_name="applications")
    for column in ("in_queue", "identity_check", "department"):
        op.drop_column("applications", column)
