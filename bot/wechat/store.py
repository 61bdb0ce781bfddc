"""The channel's shared state in Redis, the same for every instance of the channel (several behind the proxy).

- ``msg:<key>``: one pushed message's fate (``running`` → ``passive`` | ``async``), set once with NX, so a
  message WeChat retries is never turned into a second Rasa turn whichever process the retry reaches. The
  passive reply itself is kept under ``reply:<key>`` so a retry (the first answer got lost) is answered again
  with the same XML.
- ``seen:<openid>``: when the user last wrote, for WeChat's 48-hour customer-service window.
- ``choices:<openid>``: the choices of the user's latest answer, picked by typing their number.
- ``menu:<id>``: the option behind a msgmenu item id (numeric, from ``menu:seq``).
- ``lock:<openid>``: one turn at a time per user, so the user's messages reach Rasa and the answers reach the
  user in order.
- ``notifier``: the one process that delivers the outbox.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import LockError

from bot.wechat.mapping import Choice

PREFIX = "credit:wx:"
MESSAGE_TTL = 24 * 3600  # far longer than WeChat's retries (three tries within about 15 s)
WINDOW = 48 * 3600  # the customer-service window after the user's last message
CHOICES_TTL = 7 * 24 * 3600
TURN_LOCK_TIMEOUT = 180  # a turn never holds the user's lock longer (Rasa's own timeout is 60 s)

# running → to, atomically; also stores the passive reply when one is given. Returns 1 when it moved.
_MOVE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
  return 1
end
return 0
"""
_LEAD = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""
_RESIGN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
RUNNING, PASSIVE, ASYNC = "running", "passive", "async"


class Store:
    def __init__(self, redis: Redis, prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # -- the fate of one pushed message ------------------------------------------------------------
    async def claim(self, dedup_key: str) -> bool:
        """True for the first delivery of a message (its turn is ours to run), False for a retry."""
        return bool(await self.redis.set(self.key("msg", dedup_key), RUNNING, nx=True, ex=MESSAGE_TTL))

    async def state(self, dedup_key: str) -> str | None:
        value = await self.redis.get(self.key("msg", dedup_key))
        return value.decode() if isinstance(value, bytes) else value

    async def move(self, dedup_key: str, to: str, reply: str = "") -> bool:
        """``running`` → ``to`` if still running (with the passive reply when ``to`` is passive)."""
        keys = [self.key("msg", dedup_key), self.key("reply", dedup_key)]
        return bool(await self.redis.eval(_MOVE, 2, *keys, RUNNING, to, reply, MESSAGE_TTL))

    async def passive_reply(self, dedup_key: str) -> str | None:
        value = await self.redis.get(self.key("reply", dedup_key))
        return value.decode() if isinstance(value, bytes) else value

    # -- the 48-hour window ----------------------------------------------------------------------------
    async def touch(self, openid: str, now: float | None = None) -> None:
        await self.redis.set(self.key("seen", openid), str(time.time() if now is None else now), ex=WINDOW)

    async def in_window(self, openid: str, now: float | None = None, margin: float = 60.0) -> bool:
        """True while a customer-service message still reaches the user (a minute's margin before 48 h)."""
        value = await self.redis.get(self.key("seen", openid))
        if value is None:
            return False
        now = time.time() if now is None else now
        return now - float(value) < WINDOW - margin

    # -- choices ---------------------------------------------------------------------------------------
    async def set_choices(self, openid: str, choices: list[Choice]) -> None:
        key = self.key("choices", openid)
        if not choices:
            await self.redis.delete(key)
            return
        data = json.dumps([[c.title, c.payload] for c in choices], ensure_ascii=False)
        await self.redis.set(key, data, ex=CHOICES_TTL)

    async def choices(self, openid: str) -> list[Choice]:
        value = await self.redis.get(self.key("choices", openid))
        return [Choice(title, payload) for title, payload in json.loads(value)] if value else []

    async def put_menu_item(self, openid: str, choice: Choice) -> str:
        """A new numeric msgmenu id for ``choice`` (kept a week)."""
        item_id = str(await self.redis.incr(self.key("menu", "seq")))
        data = json.dumps({"openid": openid, "title": choice.title, "payload": choice.payload}, ensure_ascii=False)
        await self.redis.set(self.key("menu", item_id), data, ex=CHOICES_TTL)
        return item_id

    async def menu_item(self, openid: str, item_id: str) -> Choice | None:
        """The option behind a clicked msgmenu id, only if it was sent to this user."""
        value = await self.redis.get(self.key("menu", item_id))
        if not value:
            return None
        data = json.loads(value)
        return Choice(data["title"], data["payload"]) if data.get("openid") == openid else None

    # -- locks -----------------------------------------------------------------------------------------
    @asynccontextmanager
    async def user_turn(self, openid: str) -> AsyncIterator[None]:
        """Hold the user's turn lock (waits for the turn before, in any process)."""
        lock = self.redis.lock(
            self.key("lock", openid), timeout=TURN_LOCK_TIMEOUT, blocking_timeout=TURN_LOCK_TIMEOUT, sleep=0.05
        )
        acquired = await lock.acquire()
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(LockError):  # expired meanwhile: nothing left to release
                    await lock.release()

    async def lead_notifier(self, holder: str, ttl: int) -> bool:
        """Become (or stay) the process delivering the outbox, for ``ttl`` seconds."""
        return bool(await self.redis.eval(_LEAD, 1, self.key("notifier"), holder, ttl))

    async def resign_notifier(self, holder: str) -> None:
        """Give the lease up (on shutdown), so another process takes over at once."""
        await self.redis.eval(_RESIGN, 1, self.key("notifier"), holder)
