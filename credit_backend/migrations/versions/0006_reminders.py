"""Credit-reminder subscriptions and the reminders-sent ledger (issue 12: 信用提醒 / 风险预警, daily jobs).

- ``subscriptions``: one row per (sender, entity) a bound sender subscribed to.
- ``reminders_sent``: one row per reminder the daily jobs queued in the outbox; its unique ``key`` keeps a
  second run, or two concurrent runs, from queueing the same reminder twice.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_subscriptions_entity_id_entities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("sender_id", "entity_id", name="uq_subscriptions_sender_entity"),
    )
    op.create_index(op.f("ix_subscriptions_sender_id"), "subscriptions", ["sender_id"], unique=False)
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_reminders_sent_notification_id_notifications"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint("key", name=op.f("uq_reminders_sent_key")),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
    op.drop_index(op.f("ix_subscriptions_sender_id"), table_name="subscriptions")
    op.drop_table("subscriptions")
