"""A conversation lock that holds across Rasa servers: one turn at a time, in order of arrival.

Rasa serves a message inside ``lock_store.lock(sender_id)``. Its RedisLockStore keeps a conversation's
tickets as one JSON value and issues a ticket by reading it, adding the ticket and writing it back
(GET, then SET): two servers that issue at the same moment both read "no ticket", both write ticket 0
and both believe they are served, so two turns of one conversation run at once (Rasa issue 9213;
tests/core/test_lock_store.py replays the interleaving). Two Sanic workers of one server race the same way.

Here every step is one Lua script, which Redis runs atomically:

* a conversation's queue is a sorted set of tickets (a random token each) scored by a number that a
  counter in Redis hands out, so tickets are served in the order Redis received them, whichever server
  issued them; the token (not the number) identifies a ticket, so a late release can never remove
  someone else's;
* every ticket has a lease (an expiry, in Redis's own clock, so the servers' clocks do not matter):
  a waiter renews its lease each time it polls, the holder every third of the lifetime while its turn
  runs, so a long turn keeps its place and a crashed server's ticket expires after ``lifetime`` seconds
  instead of blocking the conversation forever; expired tickets are dropped whenever anyone looks;
* releasing removes the ticket, and the keys once the queue is empty; the keys also expire on their own.

Configured in endpoints.yml (``lock_store:``) with ``type: assistant_core.lock_store.OrderedRedisLockStore``,
the Redis settings of the tracker store, ``lifetime`` (seconds, default 10) and ``poll_interval``
(seconds between a waiter's polls, default 0.05). endpoints.local.yml keeps Rasa's in-memory store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_LIFETIME = 10.0
DEFAULT_POLL_INTERVAL = 0.05
DEFAULT_SOCKET_TIMEOUT = 10.0
KEY_PREFIX = "turnlock"
NEXT_FIELD = "#next"  # the counter, a field of the lease hash (tokens are hex, never "#…")

# The Lua scripts below share these lines: the time in Redis (ms), and dropping expired tickets.
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local queue, leases = KEYS[1], KEYS[2]
for _, member in ipairs(redis.call('ZRANGE', queue, 0, -1)) do
  local expires = redis.call('HGET', leases, member)
  if (not expires) or tonumber(expires) <= now then
    redis.call('ZREM', queue, member)
    redis.call('HDEL', leases, member)
  end
end
"""

# ARGV: token, lifetime (ms), key expiry (ms). Returns the ticket's number.
_ISSUE = (
    _PRELUDE
    + """
local number = redis.call('HINCRBY', leases, '#next', 1)
redis.call('ZADD', queue, number, ARGV[1])
redis.call('HSET', leases, ARGV[1], now + tonumber(ARGV[2]))
redis.call('PEXPIRE', queue, ARGV[3])
redis.call('PEXPIRE', leases, ARGV[3])
return number
"""
)

# ARGV: token, lifetime (ms), key expiry (ms). Renews the ticket's lease and returns how many tickets are
# before it (0: it is served), or -1 when the ticket is gone (expired).
_POLL = (
    _PRELUDE
    + """
local rank = redis.call('ZRANK', queue, ARGV[1])
if not rank then
  return -1
end
redis.call('HSET', leases, ARGV[1], now + tonumber(ARGV[2]))
redis.call('PEXPIRE', queue, ARGV[3])
redis.call('PEXPIRE', leases, ARGV[3])
return rank
"""
)

# ARGV: token. Removes the ticket; deletes the keys when no ticket is left. Returns 1 if the ticket was there.
_RELEASE = (
    _PRELUDE
    + """
local removed = redis.call('ZREM', queue, ARGV[1])
redis.call('HDEL', leases, ARGV[1])
if redis.call('ZCARD', queue) == 0 then
  redis.call('DEL', queue, leases)
end
return removed
"""
)


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket of this store: its place in the queue and the token that identifies it."""

    conversation_id: str
    number: int
    token: str


class OrderedRedisLockStore(LockStore):
    """Rasa's LockStore interface over atomic Redis scripts (see the module's docstring)."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        key_prefix: str | None = None,
        lifetime: float = DEFAULT_LIFETIME,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
    ) -> None:
        settings: Mapping[str, Any] = {}
        if endpoint_config is not None:
            settings = endpoint_config.kwargs
            host = endpoint_config.url or host
        self.red = redis.Redis(
            host=host,
            port=int(settings.get("port", port)),
            db=int(settings.get("db", db)),
            password=settings.get("password", password) or None,
            socket_timeout=float(settings.get("socket_timeout", socket_timeout)),
        )
        prefix = settings.get("key_prefix", key_prefix)
        self.key_prefix = f"{prefix}:{KEY_PREFIX}" if prefix else KEY_PREFIX
        self.lifetime = float(settings.get("lifetime", lifetime))
        self.poll_interval = float(settings.get("poll_interval", poll_interval))
        if self.lifetime <= 0 or self.poll_interval <= 0:
            raise ValueError("lock_store: lifetime and poll_interval must be positive")
        self._issue = self.red.register_script(_ISSUE)
        self._poll = self.red.register_script(_POLL)
        self._release = self.red.register_script(_RELEASE)
        super().__init__()

    # Keys: the queue (sorted set token → number) and the leases (hash token → expiry in ms, plus the counter).
    # The conversation id comes last and the kinds differ before it, so no two conversations share a key.
    def _keys(self, conversation_id: str) -> list[str]:
        return [f"{self.key_prefix}:queue:{conversation_id}", f"{self.key_prefix}:lease:{conversation_id}"]

    def _ms(self, seconds: float) -> int:
        return max(1, int(seconds * 1000))

    def issue(self, conversation_id: str, lifetime: float | None = None) -> IssuedTicket:
        """Takes a place at the end of the conversation's queue."""
        token = secrets.token_hex(16)
        lease = self._ms(lifetime or self.lifetime)
        try:
            number = self._issue(keys=self._keys(conversation_id), args=[token, lease, 2 * lease])
        except redis.RedisError as error:
            raise LockError(f"Could not issue a ticket for conversation '{conversation_id}': {error}") from error
        return IssuedTicket(conversation_id, int(number), token)

    def poll(self, ticket: IssuedTicket, lifetime: float | None = None) -> int:
        """Renews the ticket's lease; returns the number of tickets before it (0: served), -1 if it expired."""
        lease = self._ms(lifetime or self.lifetime)
        return int(self._poll(keys=self._keys(ticket.conversation_id), args=[ticket.token, lease, 2 * lease]))

    def release(self, ticket: IssuedTicket) -> bool:
        """Leaves the queue; False if the ticket had already expired."""
        return bool(self._release(keys=self._keys(ticket.conversation_id), args=[ticket.token]))

    async def acquire(self, ticket: IssuedTicket, lifetime: float | None = None) -> None:
        """Waits until the ticket is served (renewing its lease meanwhile); LockError if it expired."""
        while True:
            try:
                before = self.poll(ticket, lifetime)
            except redis.RedisError as error:
                raise LockError(f"Lost the lock store while waiting: {error}") from error
            if before == 0:
                return
            if before < 0:
                raise LockError(f"The ticket of conversation '{ticket.conversation_id}' expired while waiting.")
            await asyncio.sleep(self.poll_interval)

    async def _keep(self, ticket: IssuedTicket, lifetime: float) -> None:
        """Renews the holder's lease every third of its lifetime while the turn runs."""
        while True:
            await asyncio.sleep(lifetime / 3)
            try:
                if self.poll(ticket, lifetime) != 0:
                    logger.warning("The lock of conversation '%s' expired during its turn.", ticket.conversation_id)
                    return
            except redis.RedisError as error:
                logger.warning("Could not renew the lock of '%s': %s", ticket.conversation_id, error)

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Serves the body when every earlier ticket of the conversation is done (Rasa's entry point).

        Rasa passes only the conversation id; ``lock_lifetime`` defaults to the configured lifetime.
        ``wait_time_in_seconds`` is accepted for Rasa's signature; the configured poll interval is used.
        """
        lifetime = lock_lifetime or self.lifetime
        ticket = self.issue(conversation_id, lifetime)
        keeper: asyncio.Task[None] | None = None
        try:
            await self.acquire(ticket, lifetime)
            keeper = asyncio.ensure_future(self._keep(ticket, lifetime))
            yield TicketLock(conversation_id, deque([Ticket(ticket.number, 0.0)]))
        finally:
            if keeper is not None:
                keeper.cancel()
            try:
                self.release(ticket)
            except redis.RedisError as error:
                # The lease expires on its own: the conversation is blocked for at most the lifetime.
                logger.warning("Could not release the lock of '%s': %s", conversation_id, error)

    # Rasa's other LockStore methods, for callers that inspect a lock.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's tickets as Rasa's TicketLock (expiry in seconds since the epoch), or None."""
        queue, leases = self._keys(conversation_id)
        members = self.red.zrange(queue, 0, -1, withscores=True)
        if not members:
            return None
        expiries = self.red.hgetall(leases)
        tickets = [Ticket(int(score), int(expiries.get(token, 0)) / 1000) for token, score in members]
        return TicketLock(conversation_id, deque(tickets))

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("OrderedRedisLockStore issues tickets atomically: use lock() or issue()")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = DEFAULT_LIFETIME) -> int:
        raise NotImplementedError("OrderedRedisLockStore identifies tickets by token: use lock() or issue()")
