"""One open objection / repair per record enforced by the database; audit-log indexes for the OTP limits.

- ``objections.is_open`` and ``repair_applications.is_open`` (true while the application is open) with a
  partial unique index on ``record_id WHERE is_open`` (SQLite and PostgreSQL both support partial indexes).
  Existing rows are backfilled from their status; if the old race left several open applications on one
  record, only the earliest keeps ``is_open`` (the others stay visible and decidable as before).
- ``audit_log`` indexes on (action, target, at) and (action, actor, at): the one-time-code limits count
  ``binding_start`` / ``binding_wrong_code`` rows per entity and per sender over a sliding window.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The open states as they were when this revision was written (credit_backend.rules.states).
OPEN_STATES = {
    "objections": ("submitted", "under_verification"),
    "repair_applications": ("submitted", "accepted"),
}
INDEXES = {"objections": "uq_objections_open_record", "repair_applications": "uq_repair_applications_open_record"}


def upgrade() -> None:
    applications = sa.table("applications", sa.column("id", sa.Integer), sa.column("status", sa.String))
    for name, open_states in OPEN_STATES.items():
        op.add_column(name, sa.Column("is_open", sa.Boolean(), server_default=sa.true(), nullable=False))
        table = sa.table(
            name, sa.column("id", sa.Integer), sa.column("record_id", sa.Integer), sa.column("is_open", sa.Boolean)
        )
        open_ids = sa.select(applications.c.id).where(applications.c.status.in_(open_states))
        op.execute(table.update().values(is_open=table.c.id.in_(open_ids)))
        earliest = sa.select(sa.func.min(table.c.id)).where(table.c.is_open == sa.true()).group_by(table.c.record_id)
        op.execute(
            table.update().where(table.c.is_open == sa.true(), table.c.id.not_in(earliest)).values(is_open=False)
        )
        op.create_index(
            INDEXES[name],
            name,
            ["record_id"],
            unique=True,
            sqlite_where=sa.text("is_open"),
            postgresql_where=sa.text("is_open"),
        )
    op.create_index("ix_audit_log_action_target_at", "audit_log", ["action", "target", "at"])
    op.create_index("ix_audit_log_action_actor_at", "audit_log", ["action", "actor", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_actor_at", table_name="audit_log")
    op.drop_index("ix_audit_log_action_target_at", table_name="audit_log")
    for name in reversed(list(OPEN_STATES)):
        op.drop_index(INDEXES[name], table_name=name)
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_column("is_open")
