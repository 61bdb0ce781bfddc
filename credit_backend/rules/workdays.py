"""Chinese working-day arithmetic for statutory deadlines.

Wraps ``chinese_calendar`` (which only knows 2004-2026 and raises NotImplementedError beyond) with
an override table for later years and a fallback, so that a deadline crossing into an unpublished year
is computed and flagged provisional instead of crashing. The fallback counts Monday-Friday less the
holidays whose dates the law itself fixes (see ``statutory_holidays``); the State Council's yearly
schedule adds the lunar holidays, bridges and make-up workdays that only it can set.

Pure: the calendar configured from policy/holidays.yaml is ``credit_backend.policy.calendar``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

__all__ = [
    "PACKAGE_YEARS",
    "Deadline",
    "WorkCalendar",
    "YearSchedule",
    "statutory_holidays",
]

# The package's own notion of its range (it validates against the same bounds).
PACKAGE_YEARS: range = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
# 《全国年节及纪念日放假办法》第二条 (国务院令第795号, in force since 2025-01-01): the holidays on fixed
# Gregorian dates — 元旦 1月1日, 劳动节 5月1日至2日, 国庆节 10月1日至3日. 清明节 is the day of the 清明 solar
# term, which chinese_calendar computes for any year. 春节, 端午节 and 中秋节 follow the lunar calendar.
_FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


@lru_cache(maxsize=16)
def statutory_holidays(year: int) -> frozenset[date]:
    """The holidays of ``year`` that the law dates without waiting for the yearly schedule."""
    fixed = {date(year, month, day) for month, day in _FIXED_HOLIDAYS}
    qingming = [
        d for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)) if name == "清明"
    ]
    return frozenset(fixed | set(qingming))


@dataclass(frozen=True)
class YearSchedule:
    """Official schedule of one year: weekday holidays and weekend make-up workdays."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    source: str = ""

    def __post_init__(self) -> None:
        stray = [d for d in self.holidays | self.workdays if d.year != self.year]
        if stray:
            raise ValueError(f"dates outside {self.year}: {sorted(stray)}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates listed as both holiday and workday: {sorted(both)}")


@dataclass(frozen=True)
class Deadline:
    """A deadline ``working_days`` working days after ``start`` (start itself not counted)."""

    start: date
    working_days: int
    due: date
    # True when any day counted lies in a year without an official schedule (the fallback assumed).
    provisional: bool


class WorkCalendar:
    """Working-day calendar: overrides, then chinese_calendar, then Monday-Friday less the statutory holidays."""

    def __init__(self, overrides: Mapping[int, YearSchedule] | None = None) -> None:
        self._overrides: dict[int, YearSchedule] = dict(overrides or {})
        for year, schedule in self._overrides.items():
            if schedule.year != year:
                raise ValueError(f"override keyed {year} holds the schedule of {schedule.year}")

    @property
    def override_years(self) -> frozenset[int]:
        """Years supplied by the override table."""
        return frozenset(self._overrides)

    def is_official(self, d: date) -> bool:
        """Whether ``d``'s year has a published schedule (override or package)."""
        return d.year in self._overrides or d.year in PACKAGE_YEARS

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day; never raises for years beyond the package."""
        schedule = self._overrides.get(d.year)
        if schedule is not None:
            if d in schedule.workdays:
                return True
            return d.weekday() < _SATURDAY and d not in schedule.holidays
        if d.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(d))
        return d.weekday() < _SATURDAY and d not in statutory_holidays(d.year)

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start``; the day of receipt is not counted (民法典 第201条).

        Unlike ``chinese_calendar.find_workday``, a start on a rest day does not shift the count.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        counted = 0
        provisional = False
        while counted < n:
            day += _ONE_DAY
            # Every day stepped over matters: an unknown rest day might really be a workday.
            if not self.is_official(day):
                provisional = True
            if self.is_workday(day):
                counted += 1
        return Deadline(start=start, working_days=n, due=day, provisional=provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end <= start."""
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_workday(day):
                count += 1
            day += _ONE_DAY
        return count
