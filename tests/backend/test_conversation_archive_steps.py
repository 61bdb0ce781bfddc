"""The conversation detail carries the steps a test story needs (issue 14: save a reviewed conversation as a test
story): Rasa's events go through the stream and the archive, come back from GET /api/v1/conversations/{id}, and
training/stories.py makes from them the same story as from the hand-built detail its tests replay with Rasa."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import redis
from sqlalchemy import select

from credit_backend import clock, db
from credit_backend.models import Conversation
from tests.backend.conftest import ADMIN
from tests.backend.test_conversation_archive_scripts import Script, archiver, push, uscc_entity
from tests.training.conversations import USCC, binding_conversation
from training.stories import story_from_conversation

# red, stream
pytest_plugins = ["tests.backend.test_conversation_archive_scripts"]

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def binding_script() -> Script:
    """tests/training/conversations.binding_conversation as the Rasa server records it."""
    s = Script("tg:2001", NOW).session_start().slot("session_started_metadata", {"channel": "tg"})
    s.user("我叫王建国，想认证一下我们企业，手机13912345678", [("query_credit", 0.52), ("bind_entity", 0.40)])
    s.form_starts("binding_form", "uscc")
    code = f"代码是{USCC}"
    entity = {**uscc_entity(USCC), "start": 3, "end": 3 + len(USCC)}
    s.user(code, [("inform", 0.98), ("query_credit", 0.01)], [entity])
    s.action("binding_form").slot("uscc", USCC).slot("requested_slot", "otp_code").bot("请输入验证码").listen()
    s.user("482913", [("inform", 0.95), ("deny", 0.01)]).action("binding_form").slot("otp_code", None)
    s.bot("验证码不对").listen()
    s.user("验证码是 583024", [("inform", 0.97), ("deny", 0.01)]).action("binding_form").slot("otp_code", "已验证")
    s.loop(None).slot("requested_slot", None).action("action_complete_binding").bot("认证成功")
    return s.slot("pending_form", None).listen()


def test_the_detail_has_the_steps_of_a_story(client, session, red: redis.Redis, stream: str, pinned: datetime):
    push(red, stream, binding_script())
    archiver(red, stream).drain()
    with db.get_sessionmaker()() as check:
        conversation_id = check.scalar(select(Conversation.id).where(Conversation.sender_id == "tg:2001"))
    r = client.get(f"/api/v1/conversations/{conversation_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    detail = r.json()
    message_ids = [m["id"] for m in detail["messages"]]
    steps = detail["steps"]
    assert [s["message_id"] for s in steps if s["kind"] == "user"] == message_ids
    assert not [s for s in steps if s["kind"] == "action" and s["name"] in ("action_listen", "action_session_start")]
    assert [(s["kind"], s["name"], s["value"]) for s in steps if s["kind"] != "user"][:5] == [
        ("slot", "session_started_metadata", {"channel": "tg"}),
        ("action", "binding_form", None),
        ("active_loop", "binding_form", None),
        ("slot", "requested_slot", "uscc"),
        ("action", "binding_form", None),
    ]
    assert ("active_loop", None, None) in [(s["kind"], s["name"], s["value"]) for s in steps]

    name = "会话：认证时输错一次验证码"
    hand_built = binding_conversation(detail["id"])
    from_backend = story_from_conversation(detail, name, {message_ids[0]: "bind_entity"})
    expected = story_from_conversation(hand_built.data, name, {hand_built.data["messages"][0]["id"]: "bind_entity"})
    assert from_backend == expected
