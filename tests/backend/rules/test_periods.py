"""Publication periods and repair eligibility (CREDIT_DOMAIN.md section 2)."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_backend.policy.loader import Policy
from credit_backend.rules.periods import (
    RepairEligibility,
    RepairFacts,
    add_months,
    format_cn_date,
    format_months,
    publicity_window,
    repair_eligibility,
)
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE

NEW = "《信用修复管理办法》（国家发展改革委令2025年第36号）"
OLD = "《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令2023年第58号）"


def codes(result: RepairEligibility) -> list[str]:
    """Reason codes in order."""
    return [r.code for r in result.reasons]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 6, 10), 3, date(2026, 9, 10)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 2, 28), 12, date(2027, 2, 28)),
        (date(2026, 8, 31), 36, date(2029, 8, 31)),
        (date(2026, 5, 5), 0, date(2026, 5, 5)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@given(st.dates(date(1900, 1, 1), date(2900, 12, 31)), st.integers(-240, 240))
def test_add_months_properties(d: date, months: int) -> None:
    result = add_months(d, months)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == months
    assert result.day == min(d.day, calendar.monthrange(result.year, result.month)[1])
    if d.day <= 28:
        assert add_months(result, -months) == d


def test_formatting() -> None:
    assert format_cn_date(date(2026, 12, 5)) == "2026年12月5日"
    assert format_months(3) == "3个月"
    assert format_months(12) == "1年"
    assert format_months(36) == "3年"


def test_message_of_the_brief(policy: Policy) -> None:
    facts = RepairFacts("行政处罚", "一般", date(2026, 9, 5), obligations_fulfilled=True)
    result = repair_eligibility(facts, date(2026, 11, 26), policy)
    assert not result.eligible
    assert result.earliest_date == date(2026, 12, 5)
    assert [r.message for r in result.reasons] == [
        "该记录为“一般”失信信息，按《信用修复管理办法》（国家发展改革委令2025年第36号）最短公示期3个月，"
        "最早可于2026年12月5日申请信用修复"
    ]
    assert result.regime == NEW


def test_general_record_eligible_from_three_months(policy: Policy) -> None:
    facts = RepairFacts("行政处罚", "一般", date(2026, 6, 10), obligations_fulfilled=True)
    before = repair_eligibility(facts, date(2026, 9, 9), policy)
    assert not before.eligible
    assert codes(before) == ["MIN_PERIOD_NOT_PASSED"]
    assert before.earliest_date == date(2026, 9, 10)
    assert "2026年9月10日" in before.reasons[0].message
    on_day = repair_eligibility(facts, date(2026, 9, 10), policy)
    assert on_day.eligible
    assert on_day.reasons == ()
    assert on_day.earliest_date == date(2026, 9, 10)
    assert on_day.window.max_end == date(2027, 6, 10)


def test_serious_record_not_before_one_year(policy: Policy) -> None:
    facts = RepairFacts("行政处罚", "严重", date(2026, 2, 28), obligations_fulfilled=True)
    before = repair_eligibility(facts, date(2027, 2, 27), policy)
    assert not before.eligible
    assert before.earliest_date == date(2027, 2, 28)
    assert "最短公示期1年" in before.reasons[0].message
    assert repair_eligibility(facts, date(2027, 2, 28), policy).eligible
    assert before.window.max_end == date(2029, 2, 28)


def test_serious_list_defaults_to_serious(policy: Policy) -> None:
    facts = RepairFacts("严重失信主体名单", None, date(2026, 5, 1), obligations_fulfilled=True)
    result = repair_eligibility(facts, date(2026, 11, 26), policy)
    assert result.earliest_date == date(2027, 5, 1)
    assert "“严重”失信信息" in result.reasons[0].message


def test_alias_resolves_to_category(policy: Policy) -> None:
    facts = RepairFacts("黑名单", None, date(2026, 5, 1), obligations_fulfilled=True)
    assert repair_eligibility(facts, date(2026, 11, 26), policy).earliest_date == date(2027, 5, 1)


def test_minor_record_repairable_at_once(policy: Policy) -> None:
    decided = date(2026, 11, 20)
    facts = RepairFacts("行政处罚", "轻微", decided, obligations_fulfilled=True)
    result = repair_eligibility(facts, decided, policy)
    assert result.eligible
    assert result.window.published is False
    assert result.window.min_end is None
    assert result.window.max_end == date(2027, 2, 20)
    unpaid = repair_eligibility(replace(facts, obligations_fulfilled=False), decided, policy)
    assert codes(unpaid) == ["OBLIGATIONS_NOT_FULFILLED"]
    assert "即可申请" in unpaid.reasons[0].message


def test_every_obstacle_is_listed(policy: Policy) -> None:
    facts = RepairFacts(
        "行政处罚",
        "一般",
        date(2026, 10, 1),
        under_objection=True,
        repair_in_progress=True,
        obligations_fulfilled=False,
        legally_non_repairable=True,
        barred_until=date(2027, 3, 1),
    )
    result = repair_eligibility(facts, date(2026, 11, 26), policy)
    assert not result.eligible
    assert set(codes(result)) == {
        "LEGALLY_NON_REPAIRABLE",
        "MIN_PERIOD_NOT_PASSED",
        "OBLIGATIONS_NOT_FULFILLED",
        "UNDER_OBJECTION",
        "REPAIR_IN_PROGRESS",
        "BARRED",
    }
    assert result.earliest_date is None  # legally non-repairable: never
    barred = next(r for r in result.reasons if r.code == "BARRED")
    assert "2027年3月1日" in barred.message


def test_bar_moves_earliest_date(policy: Policy) -> None:
    facts = RepairFacts(
        "行政处罚", "一般", date(2026, 6, 1), obligations_fulfilled=True, barred_until=date(2027, 1, 15)
    )
    result = repair_eligibility(facts, date(2026, 11, 26), policy)
    assert codes(result) == ["BARRED"]
    assert result.earliest_date == date(2027, 1, 15)
    assert repair_eligibility(facts, date(2027, 1, 15), policy).eligible


@pytest.mark.parametrize(
    ("status", "code"), [("已修复", "ALREADY_REPAIRED"), ("已撤销", "RECORD_REVOKED"), ("已到期", "EXPIRED")]
)
def test_closed_records(policy: Policy, status: str, code: str) -> None:
    facts = RepairFacts("行政处罚", "一般", date(2026, 5, 1), status=status, obligations_fulfilled=True)
    result = repair_eligibility(facts, date(2026, 11, 26), policy)
    assert codes(result) == [code]
    assert result.earliest_date is None


def test_past_maximum_period(policy: Policy) -> None:
    facts = RepairFacts("行政处罚", "一般", date(2025, 5, 1), obligations_fulfilled=True)
    result = repair_eligibility(facts, date(2026, 5, 1), policy)
    assert codes(result) == ["PAST_MAX_END"]
    assert "2026年5月1日" in result.reasons[0].message
    assert result.earliest_date is None
    assert repair_eligibility(facts, date(2026, 4, 30), policy).eligible


@pytest.mark.parametrize("category", ["行政许可", "守信激励", "信用承诺", "信用评价", "司法判决", "红名单"])
def test_not_negative(policy: Policy, category: str) -> None:
    result = repair_eligibility(RepairFacts(category, None, date(2026, 5, 1)), date(2026, 11, 26), policy)
    assert codes(result) == ["NOT_NEGATIVE"]
    assert "不属于失信信息" in result.reasons[0].message
    assert result.window.min_end is None and result.window.max_end is None


def test_court_list_not_repairable_here(policy: Policy) -> None:
    facts = RepairFacts("失信被执行人", None, date(2025, 1, 1), obligations_fulfilled=True)
    result = repair_eligibility(facts, date(2026, 11, 26), policy)
    assert codes(result) == ["CATEGORY_NOT_REPAIRABLE"]
    assert "人民法院" in result.reasons[0].message


def test_unknown_category(policy: Policy) -> None:
    result = repair_eligibility(RepairFacts("不存在的类别", None, date(2026, 5, 1)), date(2026, 11, 26), policy)
    assert codes(result) == ["UNKNOWN_CATEGORY"]
    with pytest.raises(ValueError):
        publicity_window("不存在的类别", None, date(2026, 5, 1), date(2026, 11, 26), policy)


def test_requirements_always_listed(policy: Policy) -> None:
    for facts in [
        RepairFacts("行政处罚", "一般", date(2026, 6, 10), obligations_fulfilled=True),
        RepairFacts("行政许可", None, date(2026, 6, 10)),
        RepairFacts("行政处罚", "严重", date(2026, 6, 10)),
    ]:
        result = repair_eligibility(facts, date(2026, 11, 26), policy)
        assert result.requirements
        assert any("承诺书" in item for item in result.requirements)
        assert any("证明材料" in item for item in result.requirements)
        assert result.regime == NEW


def test_regime_chosen_by_application_date(policy: Policy) -> None:
    facts = RepairFacts("行政处罚", "一般", date(2025, 6, 10), obligations_fulfilled=True)
    old = repair_eligibility(facts, date(2026, 3, 31), policy)
    assert old.regime == OLD
    assert old.eligible
    assert old.window.max_end == date(2028, 6, 10)  # 58号令: 3 years
    new = repair_eligibility(facts, date(2026, 4, 1), policy)
    assert new.regime == NEW
    assert new.window.max_end == date(2026, 6, 10)  # 36号令 一般: 1 year


def test_old_regime_sector_minimum(policy: Policy) -> None:
    facts = RepairFacts("行政处罚", None, date(2025, 6, 10), obligations_fulfilled=True, sector="安全生产")
    result = repair_eligibility(facts, date(2026, 3, 31), policy)
    assert codes(result) == ["MIN_PERIOD_NOT_PASSED"]
    assert result.earliest_date == date(2026, 6, 10)
    message = result.reasons[0].message
    assert OLD in message and "安全生产" in message and "最短公示期1年" in message
    assert message.endswith(UNVERIFIED_NOTE)  # the 58号令 figures are secondary-source values
    # The sector does not matter under the 36号令.
    assert publicity_window(
        "行政处罚", "一般", date(2026, 6, 10), date(2026, 11, 26), policy, sector="安全生产"
    ).min_end == date(2026, 9, 10)


def test_no_regime_before_2023(policy: Policy) -> None:
    with pytest.raises(ValueError):
        publicity_window("行政处罚", "一般", date(2022, 1, 1), date(2023, 4, 30), policy)


def test_facts_validation() -> None:
    with pytest.raises(ValueError):
        RepairFacts("行政处罚", "一般", date(2026, 1, 1), status="处理中")
    with pytest.raises(ValueError):
        RepairFacts("行政处罚", "较重", date(2026, 1, 1))


_days = st.dates(date(2026, 4, 1), date(2031, 12, 31))


@given(st.sampled_from(["一般", "严重"]), _days, st.integers(0, 1500))
def test_eligibility_matches_window(policy: Policy, severity: str, decided: date, offset: int) -> None:
    today = decided + timedelta(days=offset)
    facts = RepairFacts("行政处罚", severity, decided, obligations_fulfilled=True)
    result = repair_eligibility(facts, today, policy)
    window = result.window
    assert window.min_end is not None and window.max_end is not None
    assert decided < window.min_end < window.max_end
    assert result.eligible == (window.min_end <= today < window.max_end)
    if today < window.max_end:
        assert result.earliest_date == window.min_end
    else:
        assert result.earliest_date is None
