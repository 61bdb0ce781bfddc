"""Decision notifications from the backend's outbox (channel ``tg``) to the users' Telegram chats.

Exactly once, across restarts. The backend's ``delivered`` flag is the shared truth; the bridge also
keeps a local journal (state.py) so the order of steps for each notification is:

1. journal says ``sent`` → only mark it delivered in the backend (a crash after step 3 left that undone);
2. send it on Telegram;
3. record ``sent`` in the journal (one SQLite commit, synchronous=FULL);
4. ``POST /notifications/{id}/delivered``.

The only window that can duplicate a message is a crash between Telegram accepting the message (2)
and the journal commit (3), a few milliseconds; the bridge then sends again after the restart. We
chose this (at-least-once inside that window) over the opposite order, which would lose the message
silently: a duplicated decision notice is harmless, a missing one is not. The same applies to a
sendMessage that times out without an answer (Telegram may have delivered it): it is retried.

Permanent Telegram refusals (the user blocked the bot, the chat does not exist) are journalled as
``failed`` and skipped; they stay undelivered in the backend, where staff can see them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.backend_client import BackendClient, BackendUnavailable
from bot.retry import Backoff, poll_forever
from bot.telegram.mapping import ButtonStore, chat_id_of, notification_markup, split_text
from bot.telegram.state import StateDB

log = logging.getLogger(__name__)
CHANNEL = "tg"
PAGE = 50

SendFn = Callable[[int, str, InlineKeyboardMarkup | None], Awaitable[int]]


class Notifier:
    def __init__(
        self,
        backend: BackendClient,
        state: StateDB,
        send: SendFn,
        store: ButtonStore | None = None,
        interval: float = 3.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.backend = backend
        self.state = state
        self.send = send
        self.store = store or state
        self.interval = interval
        self.backoff = backoff or Backoff(first=1.0, maximum=60.0)
        self.after_id = 0  # the backend filters delivered ones, so a restart may start from 0

    async def _deliver(self, n: dict[str, Any]) -> None:
        nid = int(n["id"])
        status = self.state.delivery(nid)
        if status == "failed":
            return
        if status != "sent":
            chat_id = chat_id_of(str(n.get("recipient", "")))
            if chat_id is None:
                log.error("notification %s has no Telegram recipient (%r); skipped", nid, n.get("recipient"))
                self.state.record_delivery(nid, "failed", detail="bad recipient")
                return
            application_no = (n.get("payload") or {}).get("application_no")
            chunks = split_text(str(n.get("body") or "")) or ["（空通知）"]
            try:
                message_id = 0
                for i, chunk in enumerate(chunks):
                    last = i == len(chunks) - 1
                    markup = notification_markup(application_no, self.store) if last else None
                    message_id = await self.send(chat_id, chunk, markup)
            except (Forbidden, BadRequest) as exc:  # blocked, chat not found, …: retrying will not help
                log.warning("notification %s to %s refused by Telegram: %s", nid, chat_id, exc)
                self.state.record_delivery(nid, "failed", detail=str(exc)[:500])
                return
            self.state.record_delivery(nid, "sent", telegram_message_id=message_id)
        await self.backend.mark_delivered(nid)

    async def run_once(self) -> int:
        """Deliver one page of pending notifications; returns how many were handled.

        Stops at the first transient failure (backend down, Telegram network error, flood control)
        without advancing past it, so the order per user is kept and the next round starts there.
        """
        items = await self.backend.notifications(CHANNEL, self.after_id, PAGE)
        for n in items:
            await self._deliver(n)
            self.after_id = int(n["id"])
        return len(items)

    async def run_forever(self) -> None:
        transient = (BackendUnavailable, NetworkError, RetryAfter)
        await poll_forever(self.run_once, self.backoff, self.interval, transient, log, PAGE)
