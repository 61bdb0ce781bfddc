"""The account's access_token, cached in Redis for every process of the channel and refreshed before it expires.

The platform's token lives about two hours (``expires_in``) and fetching one is limited per day; fetching a new
one also retires the previous one within minutes. So there is one token for all processes: it is kept under
``token:<appid>`` until ``margin`` seconds before it expires, and only the holder of ``token-lock:<appid>`` fetches
a new one; the others wait for the lock and then read what it stored. A token the platform calls invalid
(errcode 40001/40014/42001) is dropped, only if it is still the cached one, and fetched again once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

log = logging.getLogger(__name__)
Fetch = Callable[[], Awaitable[tuple[str, int]]]  # → (access_token, expires_in seconds)

_DROP_IF_SAME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class TokenCache:
    def __init__(self, redis: Redis, appid: str, fetch: Fetch, prefix: str = "credit:wx:", margin: int = 300) -> None:
        self.redis = redis
        self.fetch = fetch
        self.key = f"{prefix}token:{appid}"
        self.lock_key = f"{prefix}token-lock:{appid}"
        self.margin = margin

    async def _cached(self) -> str | None:
        value = await self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    async def get(self) -> str:
        token = await self._cached()
        if token:
            return token
        async with self.redis.lock(self.lock_key, timeout=30, blocking_timeout=35, sleep=0.05):
            token = await self._cached()  # another process may have fetched it while we waited
            if token:
                return token
            token, expires_in = await self.fetch()
            # Kept until `margin` before the platform's expiry, so no process ever uses an expired token.
            ttl = max(60, int(expires_in) - self.margin)
            await self.redis.set(self.key, token, ex=ttl)
            log.info("fetched a new WeChat access_token (cached %d s)", ttl)
            return token

    async def invalidate(self, token: str) -> None:
        """Drop ``token`` if it is still the cached one (another process may have replaced it already)."""
        await self.redis.eval(_DROP_IF_SAME, 1, self.key, token)
