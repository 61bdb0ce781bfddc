"""Daily jobs: time that moves on its own (issue 12).

One function per job, each idempotent — run twice on the same day, the second run changes nothing —
so that a retried or doubled cron run is harmless. ``daily`` runs them all for one day. The scheduler is
cron (or a systemd timer) calling ``python -m credit_backend.jobs daily``: one scheduler outside the
backend, no in-process timers, so the jobs run once however many backend processes serve the API.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from credit_backend.jobs.publicity import PublicityRun, end_publicity
from credit_backend.jobs.reminders import ReminderRun, send_reminders

__all__ = ["PublicityRun", "ReminderRun", "daily", "end_publicity", "send_reminders"]


def daily(session: Session, today: date) -> dict[str, dict[str, object]]:
    """Every daily job for ``today``, in order; each commits its own work. Returns each job's counts."""
    publicity = end_publicity(session, today)
    reminders = send_reminders(session, today, publicity.ended_ids)
    return {"end_publicity": publicity.as_dict(), "reminders": reminders.as_dict()}
