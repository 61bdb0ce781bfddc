"""An event broker that appends every stored conversation event to a Redis stream, for the SQL archive.

Rasa hands each event its tracker store saves to the configured event broker; the project's
``EventLogRedisTrackerStore`` publishes them itself, after the turn's events are stored and with one-time
codes already masked (assistant_core/tracker_store.py). ``python -m credit_backend.archive consume`` reads the
stream with a consumer group and writes the conversations to the backend's database.

One round trip per turn: ``publish`` turns the event into JSON and buffers it; the first event of a turn also
schedules a flush on the event loop (``call_soon``), which runs once the tracker store's save has handed over
all of the turn's events, and sends them in one pipelined write (in order). Measured on the 2-core machine
(in-process, the real model, 5 events a turn): one XADD per event cost 150 µs each, about 5 % of a 22 ms turn;
a writer thread fed by a queue cost as much again (its GIL hand-overs land in the turn). Called outside an
event loop, ``publish`` writes at once. ``flush`` writes what is buffered (tests; ``close``).

Why a Redis stream and not Rasa's own brokers: Rasa's SQL broker writes a row per event inside the turn, on
Rasa's SQLAlchemy 1.4 (the backend runs 2.x and owns the schema); Pika and Kafka need servers the project does
not run. Redis is already there, and a stream keeps the events, in order, until the archiver has committed them.

A failing Redis never fails the user's turn: nothing is raised to the caller. A write that fails is logged,
counted (``failures``, ``dropped``) and dropped, and so is everything published in the ``cooldown`` seconds
after it (a down Redis would otherwise cost each turn a connection time-out). What is dropped is still in the
live store until it expires: the archive misses it, the conversation does not.

The stream is capped (``maxlen``, approximate trimming: Redis trims whole nodes, which is cheap) so that it
cannot grow without bound when no archiver runs.

Configured in endpoints.yml as ``event_broker: type: assistant_core.event_broker.RedisStreamEventBroker``
(``url``/``port``/``db``/``password``: the Redis; ``stream``, ``maxlen``, ``cooldown``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from asyncio import AbstractEventLoop
from typing import Any

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_STREAM = "credit:archive"
DEFAULT_MAXLEN = 1_000_000  # about a month of a busy city's events; trimmed approximately
DEFAULT_COOLDOWN = 5.0  # seconds during which published events are dropped after a failed write
# Fields of a stream entry; credit_backend/archive/ingest.py reads the same names.
SENDER_FIELD = "sender"
EVENT_FIELD = "event"


class RedisStreamEventBroker(EventBroker):
    """Buffers a turn's events and appends them to a Redis stream in one round trip (see the module docstring)."""

    def __init__(
        self,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 0,
        username: str | None = None,
        password: str | None = None,
        stream: str = DEFAULT_STREAM,
        maxlen: int | str | None = DEFAULT_MAXLEN,
        cooldown: float | str = DEFAULT_COOLDOWN,
        socket_timeout: float | str = 0.5,
        **_: Any,
    ) -> None:
        # Short time-outs: a turn never waits long for the archive.
        self.red = redis.Redis(
            host=host,
            port=int(port),
            db=int(db),
            username=username or None,
            password=password or None,
            socket_timeout=float(socket_timeout),
            socket_connect_timeout=float(socket_timeout),
        )
        self.stream = stream
        self.maxlen = int(maxlen) if maxlen else None
        self.cooldown = float(cooldown)
        self.published = 0  # events written to the stream
        self.failures = 0  # writes (or events that are not JSON) that failed
        self.dropped = 0  # events not written: failed, or published while cooling down
        self._quiet_until = 0.0
        self._buffer: list[tuple[str, str]] = []

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: AbstractEventLoop | None = None
    ) -> RedisStreamEventBroker | None:
        if broker_config is None:
            return None
        return cls(host=broker_config.url or "localhost", **broker_config.kwargs)

    def publish(self, event: dict[str, Any]) -> None:
        """Buffers the event for the turn's write; never raises."""
        if self._quiet_until and time.monotonic() < self._quiet_until:
            self.dropped += 1
            return
        try:
            # ensure_ascii=False: Chinese text is a third of the size of its \\uXXXX escapes. Serialised now, so
            # that later changes to the event's dicts cannot reach the archive.
            item = (str(event.get("sender_id") or ""), json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        except (TypeError, ValueError) as error:
            self.failures += 1
            self.dropped += 1
            logger.error("Conversation archive: an event that is not JSON was dropped (%s).", error)
            return
        self._buffer.append(item)
        if len(self._buffer) > 1:
            return  # the write is already scheduled
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:  # no event loop: write at once
            self.flush()

    def flush(self) -> bool:
        """Writes the buffered events in one pipelined round trip; False if the write failed (they are dropped)."""
        batch, self._buffer = self._buffer, []
        if not batch:
            return True
        try:
            pipe = self.red.pipeline(transaction=False)
            for sender, body in batch:
                pipe.xadd(self.stream, {SENDER_FIELD: sender, EVENT_FIELD: body}, maxlen=self.maxlen, approximate=True)
            pipe.execute()
        except Exception as error:  # whatever Redis or the network does, the turn goes on
            self._quiet_until = time.monotonic() + self.cooldown
            self.failures += 1
            self.dropped += len(batch)
            logger.error(
                "Conversation archive: could not append %d events to Redis stream %s (%s); events are dropped for "
                "%.0f s (failed writes so far: %d, events dropped: %d).",
                len(batch),
                self.stream,
                error,
                self.cooldown,
                self.failures,
                self.dropped,
            )
            return False
        self._quiet_until = 0.0
        self.published += len(batch)
        return True

    def is_ready(self) -> bool:
        try:
            return bool(self.red.ping())
        except (redis.RedisError, OSError):
            return False

    async def close(self) -> None:
        self.flush()
        self.red.close()
