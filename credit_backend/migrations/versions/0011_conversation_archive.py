"""The conversation archive (issue 14): conversations, their raw events, user messages and form runs.

- ``conversations``: one Rasa session of one sender, its channel, times, turns and review flags.
- ``conversation_events``: every event as stored, unique by its Redis stream id (a replay is stored once).
- ``conversation_messages``: each user message with the NLU's prediction (intent, confidence, runner-up,
  entities, FAQ topic) and what the assistant ran in answer.
- ``conversation_forms``: each run of a service form and how it ended.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("last_event_at", UTC, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("had_fallback", sa.Boolean(), nullable=False),
        sa.Column("had_handoff", sa.Boolean(), nullable=False),
        sa.Column("form_cancelled", sa.Boolean(), nullable=False),
        sa.Column("form_abandoned", sa.Boolean(), nullable=False),
        sa.Column("explained_after_failures", sa.Boolean(), nullable=False),
        sa.Column("open_form", sa.String(length=50), nullable=True),
        sa.Column("reviewed_at", UTC, nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index("ix_conversations_sender_id_id", "conversations", ["sender_id", "id"], unique=False)
    op.create_index("ix_conversations_last_event_at", "conversations", ["last_event_at"], unique=False)
    op.create_index("ix_conversations_day_channel", "conversations", ["day", "channel"], unique=False)

    op.create_table(
        "conversation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.String(length=40), nullable=False),
        sa.Column("stream_ms", sa.BigInteger(), nullable=False),
        sa.Column("stream_seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_events_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_events")),
        sa.UniqueConstraint("stream_id", name=op.f("uq_conversation_events_stream_id")),
    )
    op.create_index(
        "ix_conversation_events_conversation_id_stream",
        "conversation_events",
        ["conversation_id", "stream_ms", "stream_seq"],
        unique=False,
    )

    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("typed", sa.Boolean(), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("top_intent", sa.String(length=100), nullable=True),
        sa.Column("top_confidence", sa.Double(), nullable=True),
        sa.Column("second_intent", sa.String(length=100), nullable=True),
        sa.Column("second_confidence", sa.Double(), nullable=True),
        sa.Column("margin", sa.Double(), nullable=True),
        sa.Column("ranking", sa.JSON(), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("faq_topic", sa.String(length=200), nullable=True),
        sa.Column("faq_confidence", sa.Double(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("form", sa.String(length=50), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["conversation_events.id"],
            name=op.f("fk_conversation_messages_event_id_conversation_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("event_id", name=op.f("uq_conversation_messages_event_id")),
    )
    op.create_index(
        "ix_conversation_messages_conversation_id_id", "conversation_messages", ["conversation_id", "id"], unique=False
    )
    op.create_index("ix_conversation_messages_day_intent", "conversation_messages", ["day", "intent"], unique=False)

    op.create_table(
        "conversation_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=50), nullable=False),
        sa.Column("service", sa.String(length=30), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_forms_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_forms")),
    )
    op.create_index("ix_conversation_forms_conversation_id", "conversation_forms", ["conversation_id"], unique=False)
    op.create_index("ix_conversation_forms_service_outcome", "conversation_forms", ["service", "outcome"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_conversation_forms_service_outcome", table_name="conversation_forms")
    op.drop_index("ix_conversation_forms_conversation_id", table_name="conversation_forms")
    op.drop_table("conversation_forms")
    op.drop_index("ix_conversation_messages_day_intent", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_conversation_id_id", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_index("ix_conversation_events_conversation_id_stream", table_name="conversation_events")
    op.drop_table("conversation_events")
    op.drop_index("ix_conversations_day_channel", table_name="conversations")
    op.drop_index("ix_conversations_last_event_at", table_name="conversations")
    op.drop_index("ix_conversations_sender_id_id", table_name="conversations")
    op.drop_table("conversations")
