"""The conversation archive (issue 14): conversations, their raw events, user messages and form runs.

A conversation is one Rasa session of one sender (it starts at ``action_session_start``; the session expires
after 60 idle minutes, domain/domain.yml). ``conversation_events`` keeps every event as Rasa stored it (one-time
codes masked by the tracker store), keyed by its Redis stream id so that a replayed stream entry is stored
once. ``conversation_messages`` and ``conversation_forms`` are derived from the events by
credit_backend/archive/flags.py, and so are the conversation's flags; they are rewritten whenever the
conversation gains events (a message row keeps its id: later review data can point at it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credit_backend.models.base import Base


class Conversation(Base):
    """One session of one sender, with what the review filters and the analytics read."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))  # the sender's namespace: tg / wx / web / staff, else rest
    started_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    day: Mapped[date]  # the Beijing date of started_at (analytics group by it)
    turns: Mapped[int] = mapped_column(default=0)  # user messages
    had_fallback: Mapped[bool] = mapped_column(default=False)
    had_handoff: Mapped[bool] = mapped_column(default=False)
    form_cancelled: Mapped[bool] = mapped_column(default=False)
    form_abandoned: Mapped[bool] = mapped_column(default=False)  # a form open when a later session began
    explained_after_failures: Mapped[bool] = mapped_column(default=False)
    # The form still open after the last event (abandoned once archive_abandon_hours pass without events).
    open_form: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_conversations_sender_id_id", "sender_id", "id"),
        Index("ix_conversations_last_event_at", "last_event_at"),
        Index("ix_conversations_day_channel", "day", "channel"),
    )


class ConversationEvent(Base):
    """A Rasa event as stored (``Event.as_dict()``), in stream order."""

    __tablename__ = "conversation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    stream_id: Mapped[str] = mapped_column(String(40), unique=True)  # "<ms>-<seq>": a replay is stored once
    stream_ms: Mapped[int] = mapped_column(BigInteger)  # the stream id's parts, for ordering
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))  # Rasa's event name: user / bot / action / slot / …
    at: Mapped[datetime]  # the event's own timestamp
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_conversation_events_conversation_id_stream", "conversation_id", "stream_ms", "stream_seq"),
    )


class ConversationMessage(Base):
    """One user message with the NLU's prediction."""

    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("conversation_events.id", ondelete="CASCADE"), unique=True)
    at: Mapped[datetime]
    day: Mapped[date]  # Beijing date and hour of ``at``
    hour: Mapped[int]
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    typed: Mapped[bool] = mapped_column(default=True)  # False: a button's payload ("/intent{…}")
    intent: Mapped[str | None] = mapped_column(String(100))  # as predicted, nlu_fallback included
    confidence: Mapped[float | None]
    # The classifier's best and second intents, nlu_fallback left out (the FallbackClassifier puts it first).
    top_intent: Mapped[str | None] = mapped_column(String(100))
    top_confidence: Mapped[float | None]
    second_intent: Mapped[str | None] = mapped_column(String(100))
    second_confidence: Mapped[float | None]
    margin: Mapped[float | None]  # top_confidence - second_confidence
    ranking: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"name", "confidence"}, …]
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    faq_topic: Mapped[str | None] = mapped_column(String(200))  # the retrieval intent, e.g. faq/repair_time
    faq_confidence: Mapped[float | None]
    fallback: Mapped[bool] = mapped_column(default=False)  # answered by a fallback (nlu_fallback or the clarifier)
    form: Mapped[str | None] = mapped_column(String(50))  # the form active when it was said
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)  # what the assistant ran in answer

    __table_args__ = (
        Index("ix_conversation_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_conversation_messages_day_intent", "day", "intent"),
    )


class ConversationForm(Base):
    """One run of a service form inside a conversation, and how it ended."""

    __tablename__ = "conversation_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(50))
    service: Mapped[str] = mapped_column(String(30))  # the flow's name: query / registration / …
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # completed / cancelled / declined / stopped / handed_off / abandoned / open (archive/flags.py OUTCOMES)
    outcome: Mapped[str] = mapped_column(String(20))
    turns: Mapped[int] = mapped_column(default=0)  # user messages from the one that started it to its end

    __table_args__ = (
        Index("ix_conversation_forms_conversation_id", "conversation_id"),
        Index("ix_conversation_forms_service_outcome", "service", "outcome"),
    )
