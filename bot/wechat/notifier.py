"""Staff decisions, hand-off replies and credit reminders from the backend's outbox (channel ``wx``) to WeChat.

Exactly once, across restarts, as the Telegram bridge does it (bot/telegram/notifier.py): for each notification

1. journal says ``sent`` → only mark it delivered in the backend (a crash after step 3 left that undone);
2. send it: by the customer-service API while the user's 48-hour window is open (the last message is in
   Redis, store.py), else as a template message (WECHAT_TEMPLATE_ID), and also as a template when the platform
   answers 45015 (the window closed meanwhile);
3. record ``sent`` in the journal (one SQLite commit, synchronous=FULL);
4. ``POST /notifications/{id}/delivered``.

Only a crash between the platform accepting a message (2) and the journal commit (3) can send it twice; the
opposite order could lose it silently. A notification that cannot reach the user (outside the window with no
template configured, an unknown or unsubscribed openid) is journalled ``failed`` and stays undelivered in the
backend, where staff can see it. Only one process of the channel delivers at a time (a lease in Redis).
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from bot.backend_client import BackendClient, BackendUnavailable
from bot.retry import Backoff, poll_forever
from bot.wechat import texts
from bot.wechat.api import OUT_OF_WINDOW, REFUSED_FOR_GOOD, WeChatAPI, WeChatError, WeChatUnavailable
from bot.wechat.config import Config
from bot.wechat.journal import Journal
from bot.wechat.mapping import openid_of, split_text
from bot.wechat.store import Store
from credit_backend.rules.states import MACHINES
from credit_backend.rules.vocabulary import APPLICATION_KINDS

log = logging.getLogger(__name__)
CHANNEL = "wx"
PAGE = 50
LEASE = 30  # seconds the delivering process holds its lease without renewing it
FIELD_LIMIT = 20  # characters of a template keyword shown by the platform; longer values are cut with "…"
LONG_FIELDS = {"first", "remark"}  # the classic template's free-text lines, shown in full up to 200


class Unreachable(Exception):
    """The notification cannot reach the user now or later through this channel."""


def status_label(application_no: str, status: str) -> str:
    """``YY-…`` + ``under_verification`` → 核查中 (the backend's state names), else the status as given."""
    code = application_no.split("-", 1)[0].upper()
    kind = next((k.kind for k in APPLICATION_KINDS if k.type_code == code), "")
    machine = MACHINES.get(kind)
    return machine.states.get(status, status) if machine else status


def template_data(config: Config, notification: dict[str, Any]) -> dict[str, str]:
    """The template's fields from a notification (WECHAT_TEMPLATE_FIELDS names which goes where)."""
    payload = notification.get("payload") or {}
    kind = str(notification.get("kind") or "")
    created = str(notification.get("created_at") or "")[:16].replace("T", " ")
    sources = {
        "title": texts.TEMPLATE_TITLES.get(kind, texts.TEMPLATE_TITLE),
        "application_no": str(payload.get("application_no") or "—"),
        "status": status_label(str(payload.get("application_no") or ""), str(payload.get("status") or ""))
        or texts.TEMPLATE_TITLES.get(kind, texts.TEMPLATE_TITLE),
        "time": created or "—",
        "body": str(notification.get("body") or texts.EMPTY_NOTIFICATION),
    }
    data: dict[str, str] = {}
    for key, source in config.template_fields:
        value = sources[source]
        limit = 200 if key in LONG_FIELDS else FIELD_LIMIT
        data[key] = value if len(value) <= limit else value[: limit - 1] + "…"
    return data


class Notifier:
    def __init__(
        self,
        config: Config,
        backend: BackendClient,
        api: WeChatAPI,
        store: Store,
        journal: Journal,
        backoff: Backoff | None = None,
    ) -> None:
        self.config = config
        self.backend = backend
        self.api = api
        self.store = store
        self.journal = journal
        self.backoff = backoff or Backoff(first=1.0, maximum=60.0)
        self.after_id = 0
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    async def _send(self, openid: str, n: dict[str, Any]) -> str:
        """Send one notification; returns how (customer_service | template)."""
        if await self.store.in_window(openid):
            try:
                for chunk in split_text(str(n.get("body") or "")) or [texts.EMPTY_NOTIFICATION]:
                    await self.api.send_text(openid, chunk)
                return "customer_service"
            except WeChatError as exc:
                if exc.errcode != OUT_OF_WINDOW:
                    raise
                log.info("notification %s: the window of %s closed; sending a template message", n["id"], openid)
        if not self.config.template_id:
            raise Unreachable("outside the 48-hour window and no WECHAT_TEMPLATE_ID configured")
        await self.api.send_template(
            openid, self.config.template_id, template_data(self.config, n), self.config.template_url
        )
        return "template"

    async def _deliver(self, n: dict[str, Any]) -> None:
        nid = int(n["id"])
        status = self.journal.status(nid)
        if status == "failed":
            return
        if status != "sent":
            openid = openid_of(str(n.get("recipient", "")))
            try:
                if openid is None:
                    raise Unreachable(f"bad recipient {n.get('recipient')!r}")
                via = await self._send(openid, n)
            except Unreachable as exc:
                log.warning("notification %s cannot be delivered: %s", nid, exc)
                self.journal.record(nid, "failed", detail=str(exc)[:500])
                return
            except WeChatError as exc:
                if exc.errcode not in REFUSED_FOR_GOOD:
                    raise
                log.warning("notification %s refused by WeChat: %s", nid, exc)
                self.journal.record(nid, "failed", detail=str(exc)[:500])
                return
            self.journal.record(nid, "sent", via=via)
            log.info("notification %s sent to %s by %s", nid, openid, via)
        await self.backend.mark_delivered(nid)

    async def run_once(self) -> int:
        """Deliver one page of pending notifications; stops at the first transient failure, keeping the order."""
        items = await self.backend.notifications(CHANNEL, self.after_id, PAGE)
        for n in items:
            await self._deliver(n)
            self.after_id = int(n["id"])
        return len(items)

    async def run_as_leader(self) -> int | None:
        """One page, if this process holds the delivery lease; None (nothing done) if another one does."""
        if not await self.store.lead_notifier(self.holder, LEASE):
            self.after_id = 0  # when this process takes over later, it starts from the oldest undelivered
            return None
        return await self.run_once()

    async def run_forever(self) -> None:
        transient = (BackendUnavailable, WeChatUnavailable, WeChatError)
        await poll_forever(self.run_as_leader, self.backoff, self.config.notify_interval, transient, log, PAGE)
