"""The conversation archive for admins: review lists, one conversation with its predictions, marking it
reviewed, and the analytics figures (archive/queries.py does the selecting and the arithmetic).

Conversations hold what users typed (names, phone numbers, statements): listing them and opening one are
audited (``view_conversations``, ``view_conversation``), and so is marking one reviewed.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend.archive import flags, queries
from credit_backend.archive.flags import SERVICE_LABELS
from credit_backend.errors import NotFound
from credit_backend.models import Conversation, ConversationEvent, ConversationForm, ConversationMessage
from credit_backend.services.common import audit
from credit_backend.settings import Settings, get_settings

PREVIEW_CHARS = 60


def thresholds(settings: Settings | None = None) -> queries.Thresholds:
    s = settings or get_settings()
    return queries.Thresholds(s.archive_low_confidence, s.archive_small_margin, s.archive_abandon_hours)


def _previews(session: Session, ids: list[int]) -> dict[int, str]:
    """The first typed message of each conversation, shortened."""
    if not ids:
        return {}
    rows = session.execute(
        select(ConversationMessage.conversation_id, ConversationMessage.text)
        .where(ConversationMessage.conversation_id.in_(ids), ConversationMessage.typed.is_(True))
        .order_by(ConversationMessage.conversation_id, ConversationMessage.id)
    ).all()
    previews: dict[int, str] = {}
    for conversation_id, text in rows:
        previews.setdefault(conversation_id, text[:PREVIEW_CHARS])
    return previews


def conversation_view(c: Conversation, now: datetime, t: queries.Thresholds, preview: str = "") -> dict[str, Any]:
    return {
        "id": c.id,
        "sender_id": c.sender_id,
        "channel": c.channel,
        "started_at": c.started_at,
        "last_event_at": c.last_event_at,
        "turns": c.turns,
        "had_fallback": c.had_fallback,
        "had_handoff": c.had_handoff,
        "form_cancelled": c.form_cancelled,
        "form_abandoned": queries.is_abandoned(c, now, t),
        "explained_after_failures": c.explained_after_failures,
        "open_form": c.open_form,
        "reviewed_at": c.reviewed_at,
        "reviewed_by": c.reviewed_by,
        "preview": preview,
    }


def search(
    session: Session,
    f: queries.ConversationFilter,
    page: int,
    per_page: int,
    *,
    role: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """One page of matching conversations (audited: the list shows senders and what they wrote)."""
    t = thresholds()
    rows, total = queries.search(session, f, now, t, page, per_page)
    previews = _previews(session, [c.id for c in rows])
    audit(session, role, actor, "view_conversations", "conversations", count=len(rows), **f.described())
    session.commit()
    return {
        "items": [conversation_view(c, now, t, previews.get(c.id, "")) for c in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(total / per_page)),
        "low_confidence": t.low_confidence,
        "small_margin": t.small_margin,
    }


def message_view(m: ConversationMessage, t: queries.Thresholds) -> dict[str, Any]:
    return {
        "id": m.id,
        "at": m.at,
        "text": m.text,
        "typed": m.typed,
        "intent": m.intent,
        "confidence": m.confidence,
        "top_intent": m.top_intent,
        "top_confidence": m.top_confidence,
        "second_intent": m.second_intent,
        "second_confidence": m.second_confidence,
        "margin": m.margin,
        "ranking": m.ranking,
        "entities": m.entities,
        "faq_topic": m.faq_topic,
        "faq_confidence": m.faq_confidence,
        "fallback": m.fallback,
        "low_confidence": m.typed and m.top_confidence is not None and m.top_confidence < t.low_confidence,
        "small_margin": m.typed and m.margin is not None and m.margin < t.small_margin,
        "form": m.form,
        "actions": m.actions,
    }


EventRow = tuple[int, str, datetime, dict[str, Any]]  # event id, type, time, Rasa's event dict


def _events(session: Session, conversation_id: int) -> list[EventRow]:
    """The conversation's stored events in the order they happened."""
    rows = session.execute(
        select(ConversationEvent.id, ConversationEvent.type, ConversationEvent.at, ConversationEvent.data)
        .where(ConversationEvent.conversation_id == conversation_id)
        .order_by(ConversationEvent.stream_ms, ConversationEvent.stream_seq)
    ).all()
    return [(event_id, kind, at, data) for event_id, kind, at, data in rows]


def _transcript(events: list[EventRow], message_ids: dict[int, int]) -> list[dict[str, Any]]:
    """The user's and the assistant's lines in order; a user line names its message."""
    lines = []
    for event_id, kind, at, data in events:
        if kind not in ("user", "bot"):
            continue
        buttons = (data.get("data") or {}).get("buttons") if kind == "bot" else None
        lines.append(
            {
                "role": kind,
                "at": at,
                "text": str(data.get("text") or ""),
                "buttons": [str(b.get("title", "")) for b in buttons or [] if isinstance(b, dict)],
                "message_id": message_ids.get(event_id),
            }
        )
    return lines


def _steps(events: list[EventRow], message_ids: dict[int, int]) -> list[dict[str, Any]]:
    """What a Rasa story of the conversation needs, in order: each user message (by id), each action the
    assistant ran (not listening or the session start), each slot set and each form (de)activated
    (training/stories.py turns them into a test story)."""
    steps: list[dict[str, Any]] = []
    for event_id, kind, _, data in events:
        if kind == "user" and event_id in message_ids:
            steps.append({"kind": "user", "name": None, "value": None, "message_id": message_ids[event_id]})
        elif kind == "action" and data.get("name") not in (None, flags.LISTEN_ACTION, flags.SESSION_START_ACTION):
            steps.append({"kind": "action", "name": str(data["name"]), "value": None, "message_id": None})
        elif kind == "slot" and data.get("name"):
            steps.append({"kind": "slot", "name": str(data["name"]), "value": data.get("value"), "message_id": None})
        elif kind == "active_loop":
            steps.append({"kind": "active_loop", "name": data.get("name") or None, "value": None, "message_id": None})
    return steps


def detail(session: Session, conversation_id: int, *, role: str, actor: str, now: datetime) -> dict[str, Any]:
    """One conversation: every user message with its prediction, the transcript, the form runs and the story
    steps (audited)."""
    c = session.get(Conversation, conversation_id)
    if c is None:
        raise NotFound("没有找到这段会话，可能已按保存期限删除。", code="CONVERSATION_NOT_FOUND")
    t = thresholds()
    messages = session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.conversation_id == c.id)
        .order_by(ConversationMessage.at, ConversationMessage.id)
    ).all()
    forms = session.scalars(
        select(ConversationForm)
        .where(ConversationForm.conversation_id == c.id)
        .order_by(ConversationForm.started_at, ConversationForm.id)
    ).all()
    audit(session, role, actor, "view_conversation", f"conversation:{c.id}", sender_id=c.sender_id)
    session.commit()
    abandoned = queries.is_abandoned(c, now, t)
    events = _events(session, c.id)
    message_ids = {m.event_id: m.id for m in messages}
    return {
        **conversation_view(c, now, t, next((m.text[:PREVIEW_CHARS] for m in messages if m.typed), "")),
        "messages": [message_view(m, t) for m in messages],
        "transcript": _transcript(events, message_ids),
        "steps": _steps(events, message_ids),
        "forms": [
            {
                "form": r.form,
                "service": r.service,
                "label": SERVICE_LABELS.get(r.service, r.service),
                "started_at": r.started_at,
                "ended_at": r.ended_at,
                "outcome": "abandoned" if r.outcome == "open" and abandoned else r.outcome,
                "turns": r.turns,
            }
            for r in forms
        ],
        "low_confidence": t.low_confidence,
        "small_margin": t.small_margin,
    }


def mark_reviewed(session: Session, conversation_id: int, *, role: str, actor: str, now: datetime) -> dict[str, Any]:
    """Marks a conversation reviewed by ``actor`` (again: the latest review counts)."""
    c = session.get(Conversation, conversation_id)
    if c is None:
        raise NotFound("没有找到这段会话，可能已按保存期限删除。", code="CONVERSATION_NOT_FOUND")
    c.reviewed_at, c.reviewed_by = now, actor
    audit(session, role, actor, "review_conversation", f"conversation:{c.id}")
    session.commit()
    return conversation_view(c, now, thresholds())


def analytics(session: Session, period: queries.Period, now: datetime) -> dict[str, Any]:
    """The analytics figures (aggregates only: no personal data, not audited)."""
    return queries.analytics(session, period, now, thresholds())
