"""Hand-off conversations: claim, messages, close (issue 11).

- ``handoffs`` gains the channel (backfilled from the sender's prefix), who claimed it and when, and when and by
  whom it was closed; its status is open → claimed → closed. An index on (status, id) serves the staff inbox.
- ``handoff_messages``: the conversation (the transcript the assistant sent, then staff and user).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), server_default="web", nullable=False))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=50), nullable=True))
        batch_op.create_index("ix_handoffs_status_id", ["status", "id"], unique=False)
    # The channel is the sender's prefix (shared/CONVERSATION.md sender ids); senders always have one.
    op.execute(
        "UPDATE handoffs SET channel = substr(sender_id, 1, instr(sender_id, ':') - 1) WHERE instr(sender_id, ':') > 1"
        if op.get_bind().dialect.name == "sqlite"
        else "UPDATE handoffs SET channel = split_part(sender_id, ':', 1) WHERE position(':' in sender_id) > 1"
    )
    with op.batch_alter_table("handoffs") as batch_op:
        batch_op.alter_column("channel", server_default=None)
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_handoff_messages_handoff_id_handoffs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index("ix_handoff_messages_handoff_id_id", "handoff_messages", ["handoff_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_handoff_id_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    with op.batch_alter_table("handoffs") as batch_op:
        batch_op.drop_index("ix_handoffs_status_id")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("channel")
