"""Working-day deadlines (CREDIT_DOMAIN.md section 6)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_backend.policy.calendar import add_working_days, default_calendar, working_days_between
from credit_backend.policy.loader import PolicyError, load_holiday_overrides
from credit_backend.rules.workdays import PACKAGE_YEARS, WorkCalendar, YearSchedule, statutory_holidays

VERIFIED_OUTPUTS = [
    (date(2026, 2, 10), 15, date(2026, 3, 9)),
    (date(2026, 9, 24), 15, date(2026, 10, 22)),  # crosses 国庆; 10-10 is a Saturday workday
    (date(2026, 9, 30), 5, date(2026, 10, 13)),
    (date(2026, 11, 26), 15, date(2026, 12, 17)),
    (date(2026, 2, 15), 15, date(2026, 3, 13)),  # received on a Sunday
]


@pytest.mark.parametrize(("start", "n", "due"), VERIFIED_OUTPUTS)
def test_verified_outputs(start: date, n: int, due: date) -> None:
    deadline = add_working_days(start, n)
    assert deadline.due == due
    assert deadline.start == start
    assert deadline.working_days == n
    assert not deadline.provisional


def test_receipt_on_rest_day_is_not_shifted_like_find_workday() -> None:
    # The package's find_workday starts from the first workday >= date: one day too late here.
    assert chinese_calendar.find_workday(15, date(2026, 2, 15)) == date(2026, 3, 16)
    assert add_working_days(date(2026, 2, 15), 15).due == date(2026, 3, 13)


def test_deadline_into_unpublished_year_is_provisional_not_a_crash(package_calendar: WorkCalendar) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    deadline = package_calendar.add_working_days(date(2026, 12, 15), 15)
    assert deadline.provisional
    assert deadline.due.year == 2027
    # Fallback: 12-16..12-31 holds 12 weekdays; 2027-01-01 (Fri) is 元旦, a rest day by law, so 01-04, 01-05, 01-06.
    assert deadline.due == date(2027, 1, 6)


def test_fallback_keeps_the_holidays_the_law_dates_itself() -> None:
    """《全国年节及纪念日放假办法》第二条 (2024): 元旦 1-1, 清明 (solar term), 劳动节 5-1/5-2, 国庆节 10-1..10-3
    are rest days in 2027 even before the State Council publishes the year's schedule."""
    calendar = WorkCalendar()
    assert statutory_holidays(2027) == {
        date(2027, 1, 1),
        date(2027, 4, 5),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    }
    weekday_holidays = [d for d in statutory_holidays(2027) if d.weekday() < 5]
    assert weekday_holidays and not any(calendar.is_workday(d) for d in weekday_holidays)
    assert calendar.is_workday(date(2027, 1, 4))  # an ordinary Monday
    # A deadline over 国庆 2027 (Fri 10-1): 9-30 +3 working days skips 10-1 → 10-4, 10-5, 10-6.
    deadline = calendar.add_working_days(date(2027, 9, 30), 3)
    assert (deadline.due, deadline.provisional) == (date(2027, 10, 6), True)


def test_package_calendar_details(package_calendar: WorkCalendar) -> None:
    assert package_calendar.is_workday(date(2026, 10, 10))  # Saturday 调休上班
    assert not package_calendar.is_workday(date(2026, 10, 1))
    assert package_calendar.is_official(date(2026, 12, 31))
    assert not package_calendar.is_official(date(2027, 1, 1))
    assert package_calendar.is_workday(date(2031, 3, 3))  # Monday, fallback
    assert not package_calendar.is_workday(date(2031, 3, 1))  # Saturday, fallback
    assert 2004 in PACKAGE_YEARS and 2026 in PACKAGE_YEARS and 2027 not in PACKAGE_YEARS


def test_zero_and_negative(package_calendar: WorkCalendar) -> None:
    assert package_calendar.add_working_days(date(2026, 10, 1), 0).due == date(2026, 10, 1)
    with pytest.raises(ValueError):
        package_calendar.add_working_days(date(2026, 10, 1), -1)
    assert package_calendar.working_days_between(date(2026, 10, 13), date(2026, 10, 1)) == 0
    assert package_calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert package_calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1


HOLIDAYS_2027 = """
years:
  2027:
    source: 测试用假想安排（非真实数据）
    verified: false
    holidays: [2027-01-01, 2027-01-04, 2027-01-05]
    workdays: [2027-01-09]
"""


def test_override_year_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    overrides = load_holiday_overrides(path)
    assert set(overrides) == {2027}
    calendar = WorkCalendar(overrides)
    assert calendar.override_years == frozenset({2027})
    assert calendar.is_official(date(2027, 6, 1))
    assert not calendar.is_workday(date(2027, 1, 4))  # Monday made a holiday
    assert calendar.is_workday(date(2027, 1, 9))  # Saturday made a workday
    assert calendar.is_workday(date(2027, 1, 6))  # ordinary Wednesday
    # From 2026-12-29: 12-30, 12-31, then 01-06, 01-07, 01-08, 01-09 (Sat, workday).
    deadline = calendar.add_working_days(date(2026, 12, 29), 6)
    assert deadline.due == date(2027, 1, 9)
    assert not deadline.provisional
    # Without the override the same count lands elsewhere (01-04..01-07, 元旦 kept) and is provisional.
    fallback = WorkCalendar().add_working_days(date(2026, 12, 29), 6)
    assert fallback.due == date(2027, 1, 7)
    assert fallback.provisional


def test_override_wins_over_the_package() -> None:
    schedule = YearSchedule(2026, holidays=frozenset({date(2026, 11, 26)}), source="测试")
    calendar = WorkCalendar({2026: schedule})
    assert not calendar.is_workday(date(2026, 11, 26))
    assert not calendar.is_workday(date(2026, 10, 10))  # the package's make-up day is not in the override


@pytest.mark.parametrize(
    "text",
    [
        "years:\n  2027:\n    source: x\n    verified: false\n    holidays: [2026-12-31]\n",
        "years:\n  2027:\n    source: x\n    verified: false\n    holidays: [2027-01-01]\n    workdays: [2027-01-01]\n",
        "years:\n  2027:\n    verified: false\n    holidays: [2027-01-01]\n",
        "years:\n  2027:\n    source: x\n    verified: false\n    holiday: [2027-01-01]\n",
        "years: [",
    ],
)
def test_bad_holiday_files_are_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError):
        load_holiday_overrides(path)


def test_mismatched_override_key_is_rejected() -> None:
    with pytest.raises(ValueError):
        WorkCalendar({2028: YearSchedule(2027)})


def test_shipped_holidays_file_loads() -> None:
    overrides = load_holiday_overrides()
    for year, schedule in overrides.items():
        assert schedule.year == year
        assert schedule.source
    assert default_calendar() is default_calendar()


_starts = st.dates(date(2004, 1, 1), date(2030, 12, 31))
_counts = st.integers(1, 40)


@given(_starts, _counts)
def test_deadline_properties(start: date, n: int) -> None:
    deadline = default_calendar().add_working_days(start, n)
    assert deadline.due > start
    assert default_calendar().is_workday(deadline.due)
    assert working_days_between(start, deadline.due) == n
    # The due date is the first day reaching n: the day before has only n-1 working days.
    assert working_days_between(start, deadline.due - timedelta(days=1)) == n - 1


@given(_starts, _counts)
def test_provisional_iff_a_counted_day_is_beyond_the_package(start: date, n: int) -> None:
    calendar = WorkCalendar()
    deadline = calendar.add_working_days(start, n)
    assert deadline.provisional == (deadline.due.year > max(PACKAGE_YEARS))


@given(st.dates(date(2004, 1, 1), date(2026, 12, 31)))
def test_agrees_with_the_package_inside_its_range(day: date) -> None:
    assert WorkCalendar().is_workday(day) == chinese_calendar.is_workday(day)
