"""The daily run once per day however many hosts start it (issue 16).

With several backend hosts, each host's cron may start ``python -m credit_backend.jobs daily`` at the
same minute. A run first takes the jobs' lock, which holds across hosts on PostgreSQL (a session-level
advisory lock, on a connection of its own kept for the run) and across processes on SQLite (an exclusive
``flock`` on a file next to the database: SQLite is one file on one host). Both are released by the
database or the kernel when the holder dies, so a crashed run never blocks the next one.

Under the lock the run looks for its day in the audit log (action ``job_daily``, target the day): a day
already done makes the run a no-op that says so; otherwise it runs the jobs and writes that entry, with
the counts and the host. A second run started meanwhile waits for the lock (up to ``wait`` seconds,
then gives up without doing anything) and then finds the day done. A run that failed before writing
the entry is simply run again next time: every job is idempotent.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from credit_backend.jobs.publicity import PublicityRun
from credit_backend.jobs.reminders import ReminderRun
from credit_backend.models import AuditEntry
from credit_backend.services.common import audit

__all__ = ["LEDGER_ACTION", "DailyOutcome", "JobsLock", "run_daily_once"]

LEDGER_ACTION = "job_daily"
LOCK_NAME = "credit_backend.jobs.daily"
ROLE = "system"
ACTOR = "jobs.daily"
DEFAULT_WAIT_SECONDS = 600.0
RETRY_SECONDS = 0.5

ALREADY_DONE = "already_done"
BUSY = "busy"
NOTES = {
    ALREADY_DONE: "{day} 的每日任务已经运行过，本次未做任何更改。",
    BUSY: "另一台主机正在运行每日任务，等待超时，本次未做任何更改；稍后再运行即可。",
}


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class JobsLock:
    """The jobs' lock on the engine's database: ``try_take()`` without waiting, ``release()``."""

    def __init__(self, engine: Engine, name: str = LOCK_NAME) -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None
        self._file: int | None = None

    def _lock_path(self) -> Path | None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None  # an in-memory database lives in one process: nothing to exclude
        return Path(f"{database}.jobs.lock")

    def try_take(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            key = advisory_key(self.name)
            taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
            connection.commit()  # the lock belongs to the session, not to the transaction
            if taken:
                self._connection = connection
            else:
                connection.close()
            return taken
        path = self._lock_path()
        if path is None:
            return True
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a lost connection released the lock already
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)})
                self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            os.close(self._file)
            self._file = None

    @contextlib.contextmanager
    def held(self, wait: float) -> Iterator[bool]:
        """Yields whether the lock was taken within ``wait`` seconds; releases it afterwards."""
        deadline = time.monotonic() + wait
        taken = self.try_take()
        while not taken and time.monotonic() < deadline:
            time.sleep(RETRY_SECONDS)
            taken = self.try_take()
        try:
            yield taken
        finally:
            if taken:
                self.release()


@dataclass
class DailyOutcome:
    """What the command prints: the day, each job's counts, and for a no-op why nothing ran."""

    day: date
    jobs: dict[str, dict[str, object]]
    skipped: str | None = None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"day": self.day.isoformat(), "jobs": self.jobs}
        if self.skipped:
            data["skipped"] = self.skipped
            data["note"] = NOTES[self.skipped].format(day=self.day.isoformat())
        return data


def nothing_done(day: date) -> dict[str, dict[str, object]]:
    """The counts of a run that changed nothing, in the shape of a real run's."""
    return {"end_publicity": PublicityRun(day=day).as_dict(), "reminders": ReminderRun(day=day).as_dict()}


def day_done(session: Session, day: date) -> bool:
    entry = select(AuditEntry.id).where(AuditEntry.action == LEDGER_ACTION, AuditEntry.target == day.isoformat())
    return session.scalar(entry.limit(1)) is not None


def run_daily_once(
    engine: Engine,
    day: date,
    jobs: Callable[[Session, date], dict[str, dict[str, object]]],
    wait: float = DEFAULT_WAIT_SECONDS,
) -> DailyOutcome:
    """Runs ``jobs`` for ``day`` unless another run holds the lock or already did the day."""
    with JobsLock(engine).held(wait) as taken:
        if not taken:
            return DailyOutcome(day, nothing_done(day), BUSY)
        with Session(engine, expire_on_commit=False) as session:
            if day_done(session, day):
                return DailyOutcome(day, nothing_done(day), ALREADY_DONE)
            result = jobs(session, day)
            audit(session, ROLE, ACTOR, LEDGER_ACTION, day.isoformat(), host=socket.gethostname(), jobs=result)
            session.commit()
        return DailyOutcome(day, result)
