"""Stream entries into the archive's tables, in the caller's transaction; a replayed entry is stored once.

Each entry is one event as the Rasa server stored it (assistant_core/event_broker.py: fields ``sender`` and
``event``, the JSON of ``Event.as_dict()`` with ``sender_id``). Events go to the sender's latest conversation;
``action_session_start`` begins a new one. Every conversation that gained events is then derived again from all
its events (archive/flags.py): its flags, messages (updated in place, so a message keeps its row id) and form
runs; so is the sender's previous conversation when a new one begins (what it left open was abandoned).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credit_backend.archive import flags
from credit_backend.models import Conversation, ConversationEvent, ConversationForm, ConversationMessage

log = logging.getLogger(__name__)

CST = timezone(timedelta(hours=8), "CST")
CHANNELS = ("tg", "wx", "web", "staff")  # sender namespaces (shared/CONVERSATION.md); others: the REST channel
SENDER_FIELD = "sender"  # assistant_core/event_broker.py writes these fields
EVENT_FIELD = "event"


def channel_of(sender_id: str) -> str:
    """``tg:123`` → ``tg``; a sender outside the channels' namespaces spoke over the development REST channel."""
    prefix, sep, _ = sender_id.partition(":")
    return prefix if sep and prefix in CHANNELS else "rest"


@dataclass(frozen=True)
class Entry:
    """A stream entry, decoded."""

    stream_id: str
    sender_id: str
    data: dict[str, Any]

    @property
    def position(self) -> tuple[int, int]:
        ms, _, seq = self.stream_id.partition("-")
        return int(ms), int(seq or 0)


@dataclass
class IngestReport:
    stored: int = 0  # new events
    duplicates: int = 0  # already archived (a replay)
    malformed: list[str] = field(default_factory=list)  # stream ids of entries that are not events
    conversations: set[int] = field(default_factory=set)  # conversations derived again


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode(stream_id: Any, fields: Mapping[Any, Any]) -> Entry | None:
    """An entry from its raw stream fields; None for one that is not an event of a sender (or was deleted from
    the stream while pending: Redis then returns no fields)."""
    if not fields:
        return None
    values = {_text(key): value for key, value in fields.items()}
    try:
        data = json.loads(_text(values[EVENT_FIELD]))
        sender = _text(values.get(SENDER_FIELD) or data.get("sender_id") or "")
        entry = Entry(_text(stream_id), sender, data)
        entry.position  # noqa: B018 - a stream id that is not "<ms>-<seq>" raises here
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    if not sender or not isinstance(data, dict) or not data.get("event"):
        return None
    return entry


def ingest(session: Session, raw: Iterable[tuple[Any, Mapping[Any, Any]]]) -> IngestReport:
    """Stores the stream entries ``raw`` (``(id, fields)`` as XREADGROUP returns them) and derives again the
    conversations they touch. Does not commit."""
    report = IngestReport()
    entries: list[Entry] = []
    for stream_id, fields in raw:
        entry = decode(stream_id, fields)
        if entry is None:
            report.malformed.append(_text(stream_id))
        else:
            entries.append(entry)
    if not entries:
        return report
    known = set(
        session.scalars(
            select(ConversationEvent.stream_id).where(ConversationEvent.stream_id.in_([e.stream_id for e in entries]))
        )
    )
    fresh: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: e.position):
        if entry.stream_id in known or entry.stream_id in fresh:
            report.duplicates += 1
        else:
            fresh[entry.stream_id] = entry
    by_sender: dict[str, list[Entry]] = {}
    for entry in fresh.values():
        by_sender.setdefault(entry.sender_id, []).append(entry)
    for sender_id, sender_entries in by_sender.items():
        report.conversations |= _store(session, sender_id, sender_entries)
        report.stored += len(sender_entries)
    session.flush()
    for conversation_id in sorted(report.conversations):
        derive_again(session, conversation_id)
    return report


def _store(session: Session, sender_id: str, entries: Sequence[Entry]) -> set[int]:
    """Adds the sender's new events to its conversations; the ids of the conversations to derive again."""
    touched: set[int] = set()
    current = session.scalars(
        select(Conversation).where(Conversation.sender_id == sender_id).order_by(Conversation.id.desc()).limit(1)
    ).first()
    for entry in entries:
        at = flags.event_time(entry.data)
        if current is None or flags.is_session_start(entry.data):
            if current is not None:
                touched.add(current.id)  # its session is over
            current = Conversation(
                sender_id=sender_id,
                channel=channel_of(sender_id),
                started_at=at,
                last_event_at=at,
                day=at.astimezone(CST).date(),
            )
            session.add(current)
            session.flush()
        ms, seq = entry.position
        session.add(
            ConversationEvent(
                conversation_id=current.id,
                stream_id=entry.stream_id,
                stream_ms=ms,
                stream_seq=seq,
                type=str(entry.data.get("event"))[:40],
                at=at,
                data=entry.data,
            )
        )
        touched.add(current.id)
    return touched


def derive_again(session: Session, conversation_id: int) -> None:
    """Rewrites the conversation's flags, messages and form runs from its stored events."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return
    rows = session.scalars(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id)
        .order_by(ConversationEvent.stream_ms, ConversationEvent.stream_seq)
    ).all()
    later = session.scalar(
        select(Conversation.id)
        .where(Conversation.sender_id == conversation.sender_id, Conversation.id > conversation_id)
        .limit(1)
    )
    derived = flags.derive([row.data for row in rows], session_over=later is not None)
    if derived.started_at is not None and derived.last_event_at is not None:
        conversation.started_at, conversation.last_event_at = derived.started_at, derived.last_event_at
        conversation.day = derived.started_at.astimezone(CST).date()
    conversation.turns = derived.turns
    conversation.had_fallback = derived.had_fallback
    conversation.had_handoff = derived.had_handoff
    conversation.form_cancelled = derived.form_cancelled
    conversation.form_abandoned = derived.form_abandoned
    conversation.explained_after_failures = derived.explained_after_failures
    conversation.open_form = derived.open_form
    _sync_messages(session, conversation, [rows[m.index].id for m in derived.messages], derived.messages)
    session.execute(delete(ConversationForm).where(ConversationForm.conversation_id == conversation_id))
    for run in derived.runs:
        session.add(
            ConversationForm(
                conversation_id=conversation_id,
                form=run.form,
                service=run.service,
                started_at=run.started_at,
                ended_at=run.ended_at,
                outcome=run.outcome,
                turns=run.turns,
            )
        )


def _sync_messages(
    session: Session, conversation: Conversation, event_ids: list[int], facts: list[flags.MessageFacts]
) -> None:
    existing = {
        row.event_id: row
        for row in session.scalars(
            select(ConversationMessage).where(ConversationMessage.conversation_id == conversation.id)
        )
    }
    for event_id, message in zip(event_ids, facts, strict=True):
        row = existing.pop(event_id, None)
        if row is None:
            row = ConversationMessage(conversation_id=conversation.id, event_id=event_id)
            session.add(row)
        p = message.prediction
        local = message.at.astimezone(CST)
        row.at, row.day, row.hour, row.channel = message.at, local.date(), local.hour, conversation.channel
        row.text, row.typed = p.text, p.typed
        row.intent, row.confidence = p.intent and p.intent[:100], p.confidence
        row.top_intent, row.top_confidence = p.top_intent and p.top_intent[:100], p.top_confidence
        row.second_intent, row.second_confidence = p.second_intent and p.second_intent[:100], p.second_confidence
        row.margin, row.ranking, row.entities = p.margin, p.ranking, p.entities
        row.faq_topic, row.faq_confidence = p.faq_topic and p.faq_topic[:200], p.faq_confidence
        row.fallback, row.form, row.actions = message.fallback, message.form, message.actions
    for row in existing.values():
        session.delete(row)
