"""Decision notifications against the real backend's outbox: once each, across restarts and failures.

Telegram's side is a recording ``send`` function here (the e2e tests use the fake Bot API server).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError

from bot.backend_client import BackendClient, BackendUnavailable
from bot.telegram.notifier import Notifier
from bot.telegram.state import StateDB
from tests.support.processes import free_port
from tests.telegram.harness import ASSISTANT_TOKEN, Backend


class Telegram:
    """Records what would have been sent; can refuse or fail for chosen chats."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, InlineKeyboardMarkup | None]] = []
        self.refuse: set[int] = set()
        self.network_down = False

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> int:
        if self.network_down:
            raise NetworkError("connection reset")
        if chat_id in self.refuse:
            raise Forbidden("Forbidden: bot was blocked by the user")
        self.sent.append((chat_id, text, markup))
        return len(self.sent)

    def to(self, chat_id: int) -> list[str]:
        return [text for c, text, _ in self.sent if c == chat_id]


def run_notifier(backend_url: str, state: StateDB, telegram: Telegram) -> int:
    async def go() -> int:
        client = BackendClient(backend_url, ASSISTANT_TOKEN)
        try:
            return await Notifier(client, state, telegram.send).run_once()
        finally:
            await client.close()

    return asyncio.run(go())


def decided_application(backend: Backend, user_id: int) -> tuple[str, dict[str, Any]]:
    """An objection of tg:<user_id>, accepted by staff; returns its number and the tg notification."""
    sender = f"tg:{user_id}"
    backend.bind(sender)
    app = backend.file_objection(sender)
    backend.decide(app["application_no"], "accept", "已受理，正在核查。")
    [n] = [n for n in backend.notifications() if n["recipient"] == sender]
    return app["application_no"], n


def delivered(backend: Backend, notification_id: int) -> bool:
    [n] = [n for n in backend.notifications() if n["id"] == notification_id]
    return n["delivered_at"] is not None


@pytest.fixture
def state(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "state.db")


def test_each_notification_is_sent_once_and_marked_delivered(backend: Backend, tmp_path: Path) -> None:
    application_no, n = decided_application(backend, 910001)
    telegram = Telegram()
    run_notifier(backend.url, StateDB(tmp_path / "s.db"), telegram)
    [text] = telegram.to(910001)
    assert application_no in text and "核查中" in text
    [(_, _, markup)] = [s for s in telegram.sent if s[0] == 910001]
    assert markup.inline_keyboard[0][0].text == "查看办理进度"
    assert delivered(backend, n["id"])
    # A restart (new notifier, same state file) sends nothing again.
    again = Telegram()
    run_notifier(backend.url, StateDB(tmp_path / "s.db"), again)
    assert again.to(910001) == []


def test_a_crash_between_sending_and_marking_does_not_resend(backend: Backend, state: StateDB) -> None:
    _, n = decided_application(backend, 910002)
    state.record_delivery(n["id"], "sent", telegram_message_id=1)  # sent, then the bridge died
    assert not delivered(backend, n["id"])
    telegram = Telegram()
    run_notifier(backend.url, state, telegram)
    assert telegram.to(910002) == []
    assert delivered(backend, n["id"])


def test_a_user_who_blocked_the_bot_is_skipped_not_retried(backend: Backend, state: StateDB) -> None:
    _, n = decided_application(backend, 910003)
    telegram = Telegram()
    telegram.refuse.add(910003)
    run_notifier(backend.url, state, telegram)
    assert state.delivery(n["id"]) == "failed"
    assert not delivered(backend, n["id"])  # honest: it never reached the user
    telegram.refuse.clear()
    run_notifier(backend.url, state, telegram)
    assert telegram.to(910003) == []


def test_telegram_network_errors_are_retried_later(backend: Backend, state: StateDB) -> None:
    application_no, n = decided_application(backend, 910004)
    telegram = Telegram()
    telegram.network_down = True
    with pytest.raises(NetworkError):
        run_notifier(backend.url, state, telegram)
    assert state.delivery(n["id"]) is None and not delivered(backend, n["id"])
    telegram.network_down = False
    run_notifier(backend.url, state, telegram)
    assert [application_no in t for t in telegram.to(910004)] == [True]
    assert delivered(backend, n["id"])


def test_backend_down_raises_for_backoff_and_sends_nothing(state: StateDB) -> None:
    telegram = Telegram()
    with pytest.raises(BackendUnavailable):
        run_notifier(f"http://127.0.0.1:{free_port()}", state, telegram)
    assert telegram.sent == []
