"""Retention: conversations whose last event is older than the limit leave the archive and the live store.

``cutoff = now - days``; a conversation (a session of a sender) whose last event is before the cutoff is
deleted, one whose last event is at or after it stays (exactly: one second inside the limit stays).

* Archive: the conversation's row with its events, messages and form runs.
* The event stream: entries added before the cutoff that no archiver has read yet (the archiver deletes what it
  has stored) are trimmed (XTRIM MINID), so an archiver that was off for longer than the limit cannot bring
  them back.
* Live store (assistant_core/tracker_store.py: the Redis list ``<prefix>:events:<sender>`` with one JSON event
  per element and ``<prefix>:session:<sender>``, the index where the latest session starts): the sender's
  sessions that ended before the cutoff are cut from the head of the list, and the session index is moved by
  as many events; a sender with nothing left loses both keys. Each sender is changed in a WATCH/MULTI
  transaction, so a turn stored at the same moment is never cut (the purge tries that sender again).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credit_backend.archive import flags
from credit_backend.models import Conversation, ConversationEvent, ConversationForm, ConversationMessage

WATCH_RETRIES = 5


@dataclass(frozen=True)
class PurgedConversation:
    id: int
    sender_id: str
    last_event_at: datetime


@dataclass(frozen=True)
class TrimmedSender:
    sender_id: str
    events: int  # events cut from the head of the list
    deleted: bool  # nothing was left: both keys deleted


@dataclass
class PurgeReport:
    cutoff: datetime
    archive: list[PurgedConversation] = field(default_factory=list)
    live: list[TrimmedSender] = field(default_factory=list)
    stream_entries: int = 0  # unread stream entries older than the cutoff
    busy: list[str] = field(default_factory=list)  # senders changed by Rasa on every try: left for the next run

    def lines(self, dry_run: bool = False) -> list[str]:
        """What ``archive purge`` prints (cron mails it to the operator)."""
        verb = "将删除" if dry_run else "已删除"
        out = [f"保存期限截止时间：{self.cutoff.isoformat()}（最后一条事件早于此时间的会话被删除）"]
        for c in self.archive:
            out.append(f"会话归档：{verb}会话 {c.id}（{c.sender_id}，最后事件 {c.last_event_at.isoformat()}）")
        for s in self.live:
            what = "全部" if s.deleted else "较早的"
            out.append(f"在线会话：{verb} {s.sender_id} 的{what}事件 {s.events} 条")
        if self.stream_entries:
            out.append(f"事件流：{verb}早于截止时间、尚未归档的事件 {self.stream_entries} 条")
        for sender in self.busy:
            out.append(f"在线会话：{sender} 在清理时有新消息，留待下次清理")
        out.append(f"合计：会话归档 {len(self.archive)} 段，在线会话 {len(self.live)} 个发送方")
        return out


def purge_archive(session: Session, cutoff: datetime, *, dry_run: bool = False) -> list[PurgedConversation]:
    """Deletes (unless ``dry_run``) the archived conversations whose last event is before ``cutoff``."""
    rows = session.execute(
        select(Conversation.id, Conversation.sender_id, Conversation.last_event_at)
        .where(Conversation.last_event_at < cutoff)
        .order_by(Conversation.id)
    ).all()
    purged = [PurgedConversation(row.id, row.sender_id, row.last_event_at) for row in rows]
    if purged and not dry_run:
        ids = [c.id for c in purged]
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            # Children first: the same on every database, whatever its foreign-key settings.
            session.execute(delete(ConversationMessage).where(ConversationMessage.conversation_id.in_(chunk)))
            session.execute(delete(ConversationForm).where(ConversationForm.conversation_id.in_(chunk)))
            session.execute(delete(ConversationEvent).where(ConversationEvent.conversation_id.in_(chunk)))
            session.execute(delete(Conversation).where(Conversation.id.in_(chunk)))
    return purged


def purge_stream(red: redis.Redis, stream: str, cutoff: datetime, *, dry_run: bool = False) -> int:
    """Trims the stream's entries added before ``cutoff`` (their ids are their Redis times in milliseconds)."""
    cutoff_ms = int(cutoff.timestamp() * 1000)
    if dry_run:
        return len(red.xrange(stream, "-", f"{cutoff_ms - 1}-18446744073709551615"))
    return int(red.xtrim(stream, minid=f"{cutoff_ms}-0", approximate=False))


def _event_time(raw: bytes) -> datetime:
    try:
        return flags.event_time(json.loads(raw))
    except ValueError:
        return flags.event_time({})


def stale_head(raw_events: list[bytes], cutoff: datetime) -> int:
    """How many events at the head of a sender's list belong to sessions that ended before ``cutoff``."""
    events = [json.loads(raw) for raw in raw_events]
    sessions = flags.split_sessions(events)
    cut = 0
    for session_events in sessions:
        if max(flags.event_time(e) for e in session_events) >= cutoff:
            break
        cut += len(session_events)
    return cut


def _senders(red: redis.Redis, prefix: str) -> Iterator[str]:
    head = len(f"{prefix}:events:")
    for key in red.scan_iter(match=f"{prefix}:events:*", count=500):
        yield (key.decode() if isinstance(key, bytes) else key)[head:]


def purge_live(
    red: redis.Redis, prefix: str, cutoff: datetime, *, dry_run: bool = False
) -> tuple[list[TrimmedSender], list[str]]:
    """Cuts the sessions that ended before ``cutoff`` from every sender's list in the live store."""
    trimmed: list[TrimmedSender] = []
    busy: list[str] = []
    for sender in list(_senders(red, prefix)):
        events_key, session_key = f"{prefix}:events:{sender}", f"{prefix}:session:{sender}"
        first = red.lindex(events_key, 0)
        if first is None or _event_time(first) >= cutoff:
            continue  # its oldest event is inside the limit: nothing to cut
        for _ in range(WATCH_RETRIES):
            try:
                with red.pipeline(transaction=True) as pipe:
                    pipe.watch(events_key, session_key)
                    raw_events = pipe.lrange(events_key, 0, -1)
                    cut = stale_head(raw_events, cutoff)
                    if cut == 0:
                        break
                    everything = cut >= len(raw_events)
                    if not dry_run:
                        stored = pipe.get(session_key)
                        pipe.multi()
                        if everything:
                            pipe.delete(events_key, session_key)
                        else:
                            pipe.ltrim(events_key, cut, -1)
                            if stored is not None:
                                pipe.set(session_key, max(0, int(stored) - cut), keepttl=True)
                        pipe.execute()
                    trimmed.append(TrimmedSender(sender, cut, everything))
                    break
            except redis.WatchError:
                continue
        else:
            busy.append(sender)
    return trimmed, busy
