"""Retention (issue 14): ``archive purge`` deletes exactly the conversations whose last event is older than the
limit, from the archive and from the live Redis store (the tracker store's lists), and prints what it deleted.
Redis database 12, a key prefix and a stream of their own per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import redis
from sqlalchemy import func, select

from credit_backend import clock, db
from credit_backend.archive import flags, retention
from credit_backend.archive.__main__ import main as archive_main
from credit_backend.models import Conversation, ConversationEvent, ConversationForm, ConversationMessage
from credit_backend.settings import get_settings
from tests.backend.test_conversation_archive_scripts import REDIS_DB, Script, archiver, push

DAYS = 30
CUTOFF = datetime(2026, 10, 30, 4, 0, tzinfo=timezone.utc)
NOW = CUTOFF + timedelta(days=DAYS)
pytest_plugins = ["tests.backend.test_conversation_archive_scripts"]  # red


@pytest.fixture
def prefix(red: redis.Redis) -> Iterator[str]:
    name = f"test{uuid.uuid4().hex[:8]}"
    yield name
    for key in red.scan_iter(match=f"{name}:*"):
        red.delete(key)


def session_ending_at(sender: str, end: datetime, text: str) -> Script:
    """One session whose last event is exactly ``end`` (as the archive reads event times)."""
    script = Script(sender, end - timedelta(minutes=5)).session_start()
    script.user(text, [("greet", 0.99), ("thank", 0.005)]).action("utter_greet").listen()
    shift = end.timestamp() - script.events[-1]["timestamp"]
    for event in script.events:
        event["timestamp"] += shift
    assert flags.event_time(script.events[-1]) == end
    return script


def live_store(red: redis.Redis, prefix: str, sender: str, *sessions: Script) -> None:
    """The sender's sessions as EventLogRedisTrackerStore keeps them: one list, the latest session's index."""
    events = [e for s in sessions for e in s.events]
    red.rpush(f"{prefix}:events:{sender}", *[json.dumps(e, ensure_ascii=False) for e in events])
    red.set(f"{prefix}:session:{sender}", len(events) - len(sessions[-1].events))
    red.expire(f"{prefix}:events:{sender}", 40 * 86400)
    red.expire(f"{prefix}:session:{sender}", 40 * 86400)


def second(seconds: int) -> datetime:
    return CUTOFF + timedelta(seconds=seconds)


@pytest.fixture
def stores(session, red: redis.Redis, prefix: str) -> dict[str, list[Script]]:
    """Four senders, archived and live: only old (1 s past the limit), old and new sessions, exactly at the
    cutoff, and 1 s inside the limit."""
    senders = {
        "tg:old": [session_ending_at("tg:old", second(-1), "旧")],
        "tg:both": [session_ending_at("tg:both", second(-3600), "更早"), session_ending_at("tg:both", second(1), "新")],
        "tg:edge": [session_ending_at("tg:edge", CUTOFF, "刚好")],
        "wx:new": [session_ending_at("wx:new", second(1), "新的")],
    }
    stream = f"{prefix}:stream"
    push(red, stream, *[s for sessions in senders.values() for s in sessions])
    archiver(red, stream).drain()
    for sender, sessions in senders.items():
        live_store(red, prefix, sender, *sessions)
    return senders


def archived_senders() -> list[tuple[str, str]]:
    with db.get_sessionmaker()() as s:
        rows = s.execute(select(Conversation.sender_id, Conversation.last_event_at).order_by(Conversation.id)).all()
    return [(sender, at.isoformat()) for sender, at in rows]


def test_the_archive_keeps_a_conversation_whose_last_event_is_at_the_cutoff(stores):
    with db.get_sessionmaker()() as s, s.begin():
        purged = retention.purge_archive(s, CUTOFF)
    assert sorted((p.sender_id, p.last_event_at) for p in purged) == [
        ("tg:both", second(-3600)),
        ("tg:old", second(-1)),
    ]
    assert archived_senders() == [
        ("tg:both", second(1).isoformat()),
        ("tg:edge", CUTOFF.isoformat()),
        ("wx:new", second(1).isoformat()),
    ]
    with db.get_sessionmaker()() as s:
        # Nothing of the deleted conversations is left behind.
        kept = set(s.scalars(select(Conversation.id)))
        for model in (ConversationEvent, ConversationMessage, ConversationForm):
            owners = set(s.scalars(select(model.conversation_id).distinct()))
            assert owners <= kept
        assert s.scalar(select(func.count()).select_from(ConversationMessage)) == 3


def test_purge_deletes_exactly_what_is_older_than_the_limit_in_both_stores(
    stores, red: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(get_settings(), "archive_redis_url", f"redis://127.0.0.1:6379/{REDIS_DB}")
    monkeypatch.setattr(get_settings(), "archive_tracker_prefix", prefix)
    monkeypatch.setattr(get_settings(), "archive_stream", f"{prefix}:unread")
    both_old = len(stores["tg:both"][0].events)
    # Entries no archiver has read: one added 1 ms before the cutoff, one at it.
    cutoff_ms = int(CUTOFF.timestamp() * 1000)
    red.xadd(f"{prefix}:unread", {"sender": "tg:late", "event": "{}"}, id=f"{cutoff_ms - 1}-0")
    red.xadd(f"{prefix}:unread", {"sender": "tg:late", "event": "{}"}, id=f"{cutoff_ms}-0")

    # A dry run prints the same and changes nothing.
    before = archived_senders()
    assert archive_main(["purge", "--days", str(DAYS), "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "将删除" in dry and archived_senders() == before and red.exists(f"{prefix}:events:tg:old")
    assert "事件流：将删除早于截止时间、尚未归档的事件 1 条" in dry and red.xlen(f"{prefix}:unread") == 2

    assert archive_main(["purge", "--days", str(DAYS)]) == 0
    out = capsys.readouterr().out
    assert f"保存期限截止时间：{CUTOFF.isoformat()}" in out
    assert "已删除会话" in out and "tg:old" in out
    assert f"在线会话：已删除 tg:both 的较早的事件 {both_old} 条" in out
    assert "合计：会话归档 2 段，在线会话 2 个发送方" in out
    assert "事件流：已删除早于截止时间、尚未归档的事件 1 条" in out
    assert [entry_id for entry_id, _ in red.xrange(f"{prefix}:unread")] == [f"{cutoff_ms}-0".encode()]
    assert [sender for sender, _ in archived_senders()] == ["tg:both", "tg:edge", "wx:new"]

    # Live store: tg:old is gone, tg:both keeps its second session only (the session index moved with it,
    # the expiry kept), the conversation exactly at the cutoff and the newer one are untouched.
    assert not red.exists(f"{prefix}:events:tg:old") and not red.exists(f"{prefix}:session:tg:old")
    kept = [json.loads(raw) for raw in red.lrange(f"{prefix}:events:tg:both", 0, -1)]
    assert kept == stores["tg:both"][1].events
    assert red.get(f"{prefix}:session:tg:both") == b"0"
    assert red.ttl(f"{prefix}:events:tg:both") > 0 and red.ttl(f"{prefix}:session:tg:both") > 0
    for sender in ("tg:edge", "wx:new"):
        assert [json.loads(raw) for raw in red.lrange(f"{prefix}:events:{sender}", 0, -1)] == stores[sender][0].events

    # Run again: nothing more to delete.
    assert archive_main(["purge", "--days", str(DAYS)]) == 0
    assert "合计：会话归档 0 段，在线会话 0 个发送方" in capsys.readouterr().out


def test_the_default_limit_is_the_setting_and_must_be_a_day_at_least(
    stores, red: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(days=5))
    monkeypatch.setattr(get_settings(), "archive_redis_url", f"redis://127.0.0.1:6379/{REDIS_DB}")
    monkeypatch.setattr(get_settings(), "archive_tracker_prefix", prefix)
    monkeypatch.setattr(get_settings(), "archive_retention_days", DAYS + 5)
    assert archive_main(["purge"]) == 0
    assert "合计：会话归档 2 段，在线会话 2 个发送方" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        archive_main(["purge", "--days", "0"])
    assert "保存天数至少为 1" in capsys.readouterr().err


def test_stale_head_counts_whole_sessions_only():
    old = session_ending_at("tg:x", second(-10), "旧")
    new = session_ending_at("tg:x", second(10), "新")
    raw = [json.dumps(e).encode() for e in old.events + new.events]
    assert retention.stale_head(raw, CUTOFF) == len(old.events)
    assert retention.stale_head(raw, second(-11)) == 0
    assert retention.stale_head(raw, second(11)) == len(raw)
