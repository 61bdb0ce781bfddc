"""The working-day calendar in force: ``rules.workdays`` with the yearly schedules of holidays.yaml."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from credit_backend.policy.loader import load_holiday_overrides
from credit_backend.rules.workdays import Deadline, WorkCalendar

__all__ = ["add_working_days", "default_calendar", "working_days_between"]


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """Calendar with the overrides from policy/holidays.yaml (loaded once)."""
    return WorkCalendar(load_holiday_overrides())


def add_working_days(start: date, n: int) -> Deadline:
    """:meth:`WorkCalendar.add_working_days` on the default calendar."""
    return default_calendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """:meth:`WorkCalendar.working_days_between` on the default calendar."""
    return default_calendar().working_days_between(start, end)
