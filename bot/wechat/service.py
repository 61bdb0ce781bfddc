"""What the channel does with one pushed message: a Rasa turn (or evidence) answered within WeChat's rules.

WeChat waits 5 seconds for the answer to a POST and, without one, sends the same message again (three tries).
The first delivery of a message claims it in Redis (store.py) and starts its turn as a task of its own; the
request waits for the answer up to the passive budget (WECHAT_PASSIVE_BUDGET, well under 5 s). An answer that
came in time and fits one text message is the passive reply (choices numbered); otherwise the request answers
``success`` (WeChat then neither retries nor shows an error) and the task sends the answer through the
customer-service API when it is ready, buttons as a menu message. A retry never starts a second turn: it gets the
stored passive reply, or ``success`` — and if the first request is still waiting, the retry moves the message to
``async``, so the first request cannot answer passively any more and the task sends the answer through the API
(exactly one of the two ways, decided by one atomic step in Redis). Turns of one user run one at a time, in
order of arrival, across all processes (a lock per user in Redis).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.evidence import EvidenceService
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.wechat import texts
from bot.wechat.api import WeChatAPI, WeChatError, WeChatUnavailable
from bot.wechat.mapping import (
    Inbound,
    Outgoing,
    Reply,
    all_choices,
    choice_number,
    customer_service,
    metadata,
    numbered,
    passive_text,
    replies,
    sender_id,
)
from bot.wechat.store import ASYNC, PASSIVE, Store

log = logging.getLogger(__name__)
FALLBACKS = {"/greet": texts.WELCOME + "\n\n" + texts.HELP, "/help": texts.HELP}


class Channel:
    def __init__(
        self,
        rasa: RasaClient,
        api: WeChatAPI,
        store: Store,
        evidence: EvidenceService,
        passive_budget: float,
        max_evidence_bytes: int,
    ) -> None:
        self.rasa = rasa
        self.api = api
        self.store = store
        self.evidence = evidence
        self.passive_budget = passive_budget
        self.max_evidence_bytes = max_evidence_bytes
        self.tasks: set[asyncio.Task[None]] = set()

    # -- one pushed message ----------------------------------------------------------------------
    async def handle(self, item: Inbound) -> str | None:
        """The passive reply's text, or None for ``success`` (nothing now; maybe customer-service messages later)."""
        if item.kind == "ignore" or not item.openid:
            return None
        if not await self.store.claim(item.dedup_key):
            return await self._retry(item)
        await self.store.touch(item.openid)  # the 48-hour window starts again with every message
        ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        decided: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._turn(item, ready, decided), name=f"wechat-turn-{item.dedup_key}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        passive = False
        try:
            try:
                text = await asyncio.wait_for(asyncio.shield(ready), self.passive_budget)
            except asyncio.TimeoutError:
                text = None
            # Taken only if no retry has moved the message to async meanwhile (one atomic step in Redis).
            if text is not None and await self.store.move(item.dedup_key, PASSIVE, reply=text):
                passive = True
                return text
            await self.store.move(item.dedup_key, ASYNC)
            return None
        finally:
            if not decided.done():
                decided.set_result(passive)

    async def _retry(self, item: Inbound) -> str | None:
        """WeChat sent a message again: never a second turn."""
        if await self.store.move(item.dedup_key, ASYNC):
            log.info(
                "retry of %s while its turn runs: the answer goes through the customer-service API", item.dedup_key
            )
            return None
        if await self.store.state(item.dedup_key) == PASSIVE:
            return await self.store.passive_reply(item.dedup_key)  # the first answer got lost: the same again
        return None

    async def _turn(self, item: Inbound, ready: asyncio.Future[str | None], decided: asyncio.Future[bool]) -> None:
        try:
            async with self.store.user_turn(item.openid):
                items = await self._answer(item)
                text = passive_text(items)
                # Stored before the answer leaves, so a number typed right after it finds its choices.
                await self.store.set_choices(item.openid, all_choices(items) if text is not None else [])
                if not ready.done():
                    ready.set_result(text)
                if await decided:
                    return
                await self._send(item.openid, customer_service(items))
        except Exception:
            log.exception("turn of %s failed", item.dedup_key)
            if not ready.done():
                ready.set_result(texts.ERROR)
        finally:
            if not ready.done():
                ready.set_result(None)

    async def _answer(self, item: Inbound) -> list[Reply]:
        if item.kind == "unsupported":
            return [Reply(text=item.reply)]
        sender = sender_id(item.openid)
        if item.kind == "file" and item.file is not None:
            media_id = item.file.file_id

            async def download() -> bytes:
                data, _ = await self.api.media(media_id, self.max_evidence_bytes)
                return data

            return [Reply(text=await self.evidence.receive(sender, item.file, None, download))]
        message, extra = await self._resolve(item)
        try:
            answers = await self.rasa.send(sender, message, metadata(item, **extra))
        except RasaUnavailable as exc:
            log.warning("Rasa unavailable for %s: %s", sender, exc)
            return [Reply(text=texts.RASA_DOWN)]
        if not answers:
            # Only while a person holds the conversation (a claimed hand-off): they reply through the outbox.
            return []
        return replies(answers) or [Reply(text=FALLBACKS.get(message, texts.NO_ANSWER))]

    async def _resolve(self, item: Inbound) -> tuple[str, dict[str, Any]]:
        """What goes to Rasa: a clicked menu option's or a typed number's payload, else the text itself."""
        if item.menu_id:
            choice = await self.store.menu_item(item.openid, item.menu_id)
            if choice is not None:
                return choice.payload, {"button_title": choice.title}
        choices = await self.store.choices(item.openid)
        number = choice_number(item.text, len(choices))
        if number is not None:
            choice = choices[number - 1]
            return choice.payload, {"button_title": choice.title}
        return item.text, {}

    async def _send(self, openid: str, messages: list[Outgoing]) -> None:
        """Customer-service messages in order; a failed one is logged and the rest still tried."""
        for m in messages:
            try:
                if m.choices:
                    try:
                        items = [(await self.store.put_menu_item(openid, c), c.title) for c in m.choices]
                        await self.api.send_menu(openid, m.text, items)
                    except WeChatError as exc:  # menu messages not allowed here: numbered choices instead
                        log.info("menu message to %s refused (%s): numbered choices instead", openid, exc)
                        await self.store.set_choices(openid, list(m.choices))
                        await self.api.send_text(openid, numbered([Reply(m.text, list(m.choices))]))
                else:
                    await self.api.send_text(openid, m.text)
            except (WeChatError, WeChatUnavailable) as exc:
                log.warning("customer-service message to %s failed: %s", openid, exc)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for the running turns (on shutdown), so an accepted message is still answered."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)
