"""The archiver: reads the Rasa server's event stream with a Redis consumer group and writes it to the archive.

Each batch (``archive_batch`` entries) is stored in one database transaction; only after the commit are its
entries acknowledged (XACK) and deleted from the stream (XDEL: the stream holds conversation text, which the
archive's retention governs from then on). A crash between the commit and the XACK leaves the entries pending:
they are read again first ("0") and stored once, because every event is unique by its stream id.

Redis or the database going away is waited out with a growing pause (1 s up to 30 s); the batch is not
acknowledged, so nothing is lost. Entries another archiver left pending for more than a minute are claimed
(XAUTOCLAIM), so a second archiver can take over from a dead one.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from credit_backend.archive.ingest import ingest
from credit_backend.settings import Settings

log = logging.getLogger(__name__)

CLAIM_IDLE_MS = 60_000  # pending this long at another consumer: claimed
BLOCK_MS = 5_000  # a read waits this long for new entries
MAX_PAUSE = 30.0


def redis_url(settings: Settings, env: dict[str, str] | None = None) -> str:
    """CREDIT_ARCHIVE_REDIS_URL, else the Rasa server's Redis as bot/runner.py configures it (RASA_REDIS_*)."""
    if settings.archive_redis_url:
        return settings.archive_redis_url
    env = dict(os.environ) if env is None else env
    host = env.get("RASA_REDIS_HOST") or "127.0.0.1"
    port = env.get("RASA_REDIS_PORT") or "6379"
    db = env.get("RASA_REDIS_DB") or "2"
    password = env.get("RASA_REDIS_PASSWORD") or ""
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port}/{db}"


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(redis_url(settings), socket_timeout=BLOCK_MS / 1000 + 5, socket_connect_timeout=5)


@dataclass
class Totals:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    malformed: int = 0


class Archiver:
    """One consumer of the group (see the module docstring)."""

    def __init__(
        self,
        red: redis.Redis,
        sessions: sessionmaker[Session],
        stream: str,
        group: str,
        consumer: str | None = None,
        batch: int = 500,
        linger: float = 0.0,
    ) -> None:
        self.red, self.sessions, self.stream, self.group = red, sessions, stream, group
        self.consumer = consumer or f"{socket.gethostname()}-archiver"
        self.batch = batch
        # After a batch that did not fill, wait this long before reading again: a conversation is derived again
        # from all its events each time it gains some (ingest.py), so reading every turn as it arrives would
        # derive a busy conversation once per turn; lingering derives it once per pause, with the turns in between.
        self.linger = linger
        self.totals = Totals()

    def ensure_group(self) -> None:
        """The consumer group, created at the stream's beginning (with the stream) if missing."""
        try:
            self.red.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def _read(self, start: str, block: int | None) -> list[tuple[Any, dict[Any, Any]]]:
        answer = self.red.xreadgroup(self.group, self.consumer, {self.stream: start}, count=self.batch, block=block)
        return list(answer[0][1]) if answer else []

    def _claim(self) -> list[tuple[Any, dict[Any, Any]]]:
        answer = self.red.xautoclaim(
            self.stream, self.group, self.consumer, min_idle_time=CLAIM_IDLE_MS, start_id="0-0", count=self.batch
        )
        return [(entry_id, fields) for entry_id, fields in answer[1] if fields is not None]

    def handle(self, entries: list[tuple[Any, dict[Any, Any]]], *, ack: bool = True) -> int:
        """Stores ``entries`` in one transaction, then acknowledges and deletes them; the number stored."""
        if not entries:
            return 0
        with self.sessions() as session, session.begin():
            report = ingest(session, entries)
        if report.malformed:
            log.warning(
                "archive: %d stream entries are not events, skipped: %s", len(report.malformed), report.malformed[:5]
            )
        if ack:
            ids = [entry_id for entry_id, _ in entries]
            pipe = self.red.pipeline(transaction=True)
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            pipe.execute()
        self.totals.batches += 1
        self.totals.stored += report.stored
        self.totals.duplicates += report.duplicates
        self.totals.malformed += len(report.malformed)
        return report.stored

    def drain(self) -> Totals:
        """Everything pending and new, until the stream has nothing more for this group (``consume --once``)."""
        self.ensure_group()
        while entries := self._read("0", None):  # this consumer's own pending entries first
            self.handle(entries)
        while entries := self._claim():
            self.handle(entries)
        while entries := self._read(">", None):
            self.handle(entries)
        return self.totals

    def run(self, stop: threading.Event) -> Totals:
        """Consumes until ``stop`` is set, waiting out Redis and database outages."""
        pause = 1.0
        while not stop.is_set():
            try:
                self.ensure_group()
                while not stop.is_set():
                    entries = self._read("0", None) or self._claim() or self._read(">", BLOCK_MS)
                    self.handle(entries)
                    pause = 1.0
                    if entries and len(entries) < self.batch and self.linger:
                        stop.wait(self.linger)
            except (redis.RedisError, OSError, SQLAlchemyError) as error:
                log.error("archive: %s: %s; trying again in %.0f s", type(error).__name__, error, pause)
            except Exception:
                # Anything else (a bug meeting an unexpected event): the batch stays pending, the archiver alive.
                log.exception("archive: a batch could not be archived; trying again in %.0f s", pause)
            if not stop.is_set():
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE)
        return self.totals


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM (``make down``) or SIGINT: the current batch finishes first."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop
