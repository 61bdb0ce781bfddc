"""Publication periods of 失信信息 and credit-repair eligibility.

Pure functions: the caller passes the record's facts, the date of the question (which is also the
date of the application and therefore chooses the regime) and the loaded policy.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from credit_backend.rules.vocabulary import RECORD_STATUSES as _STATUS_LABELS
from credit_backend.rules.vocabulary import SEVERITIES, UNVERIFIED_NOTE, Polarity, category, record_is_negative

if TYPE_CHECKING:
    from credit_backend.policy.loader import Policy, Regime

__all__ = [
    "RECORD_STATUSES",
    "PublicityWindow",
    "Reason",
    "RepairEligibility",
    "RepairFacts",
    "add_months",
    "format_cn_date",
    "format_months",
    "publicity_window",
    "published_by_default",
    "repair_applies",
    "repair_eligibility",
    "revocation_bar_end",
]

RECORD_STATUSES: tuple[str, ...] = tuple(_STATUS_LABELS.values())


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` months: same day of the end month, or its last day (民法典 第202条)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def format_cn_date(d: date) -> str:
    """E.g. 2026年12月5日 (no zero padding, as in official texts)."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_months(months: int) -> str:
    """12 → 1年, 3 → 3个月, 18 → 18个月."""
    if months and months % 12 == 0:
        return f"{months // 12}年"
    return f"{months}个月"


@dataclass(frozen=True)
class PublicityWindow:
    """When a record may be repaired (min_end) and when it stops being published (max_end)."""

    regime: str
    published: bool
    min_end: date | None
    max_end: date | None


@dataclass(frozen=True)
class RepairFacts:
    """What the backend knows about one record; ``barred_until`` is the first day a new application
    is allowed again after a revoked repair."""

    category: str
    severity: str | None
    decision_date: date
    status: str = "公示中"
    under_objection: bool = False
    repair_in_progress: bool = False
    obligations_fulfilled: bool = False
    legally_non_repairable: bool = False
    barred_until: date | None = None
    # The record's own polarity (vocabulary.Polarity value); decides in the mixed category 其他.
    polarity: str | None = None
    # The deciding authority: the market regulator's records follow its own channel.
    authority: str | None = None
    # Sector (领域) of the finding; only the 58号令 regime uses it (特种设备/安全生产/消防).
    sector: str | None = None

    def __post_init__(self) -> None:
        if self.status not in RECORD_STATUSES:
            raise ValueError(f"unknown record status {self.status!r}")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")


@dataclass(frozen=True)
class Reason:
    """One reason why a record cannot be repaired (yet); ``code`` is stable, ``message`` user-facing."""

    code: str
    message: str


@dataclass(frozen=True)
class RepairEligibility:
    """Answer to "can this record be repaired now?".

    ``earliest_date`` is the first day the time conditions (minimum period, bar) allow an
    application — possibly in the past — or None when the record cannot be repaired at all.
    """

    eligible: bool
    earliest_date: date | None
    reasons: tuple[Reason, ...]
    regime: str
    window: PublicityWindow
    requirements: tuple[str, ...]


def _min_months(regime: Regime, severity: str, sector: str | None) -> tuple[int, bool]:
    """Minimum period in months and whether every number behind it is verified."""
    rule = regime.rule_for(severity)
    months, verified = rule.min_months, rule.verified
    extra = regime.sector_minimum
    if sector is not None and extra is not None and sector in extra.sectors and extra.min_months > months:
        months, verified = extra.min_months, verified and extra.verified
    return months, verified


def publicity_window(
    category: str,
    severity: str | None,
    decision_date: date,
    on: date,
    policy: Policy,
    *,
    sector: str | None = None,
    polarity: str | None = None,
) -> PublicityWindow:
    """Publication window of a record under the regime in force on ``on``.

    Categories that are not 失信信息 have no window (published, no bounds). Unknown categories or
    severities raise ValueError; ``severity=None`` takes the category's default.
    """
    regime = policy.regime_for(on)
    canonical = policy.resolve_category(category)
    if canonical is None:
        raise ValueError(f"unknown record category {category!r}")
    settings = policy.record_categories[canonical]
    if not _is_failure(canonical, severity, policy, polarity):
        return PublicityWindow(regime.display_name, True, None, None)
    chosen = severity or settings.default_severity
    if chosen not in SEVERITIES:
        raise ValueError(f"unknown severity {chosen!r}")
    rule = regime.rule_for(chosen)
    min_months, _ = _min_months(regime, chosen, sector)
    return PublicityWindow(
        regime=regime.display_name,
        published=rule.published_by_default,
        # No minimum (轻微) means no waiting: repair once obligations are fulfilled.
        min_end=add_months(decision_date, min_months) if min_months > 0 else None,
        max_end=add_months(decision_date, rule.max_months),
    )


_UNVERIFIED_NOTE = UNVERIFIED_NOTE  # the one wording (vocabulary.py)


def _is_failure(canonical: str, severity: str | None, policy: Policy, polarity: str | None = None) -> bool:
    """Whether a record of ``canonical`` (a category, or a named list the policy explains) is 失信信息;
    in the mixed category 其他 the record's own ``polarity`` decides."""
    if category(canonical) is None:
        return policy.record_categories[canonical].negative
    return record_is_negative(canonical, severity, polarity)


def published_by_default(severity: str | None, on: date, policy: Policy) -> bool:
    """Whether a record of ``severity`` is published when made on ``on`` (轻微: not, 令2025年第36号)."""
    if severity is None:
        return True
    return policy.regime_for(on).rule_for(severity).published_by_default


def revocation_bar_end(revoked_on: date, policy: Policy) -> date:
    """The first day a new repair application is accepted after a repair decision revoked on ``revoked_on``."""
    return add_months(revoked_on, 12 * policy.repair.revocation_bar.years)


def repair_applies(
    category_name: str,
    severity: str | None,
    policy: Policy,
    polarity: str | None = None,
    authority: str | None = None,
) -> bool:
    """Whether 信用修复 is the route for a record: 失信信息 in a category the policy repairs.

    Whether it can be repaired now (periods, obligations, objections, legal bars) is ``repair_eligibility``'s.
    """
    canonical = policy.resolve_category(category_name)
    if canonical is None:
        return False
    return policy.record_categories[canonical].repairable and _is_failure(canonical, severity, policy, polarity)


def _bar_reasons(facts: RepairFacts, today: date, policy: Policy) -> list[Reason]:
    if facts.barred_until is None or today >= facts.barred_until:
        return []
    bar = policy.repair.revocation_bar
    return [
        Reason(
            "BARRED",
            f"此前的信用修复决定已被撤销，撤销后{bar.years}年内不予受理新的修复申请，"
            f"{format_cn_date(facts.barred_until)}起方可重新申请" + ("" if bar.verified else _UNVERIFIED_NOTE),
        )
    ]


def repair_eligibility(facts: RepairFacts, today: date, policy: Policy) -> RepairEligibility:
    """Whether ``facts``' record can be repaired on ``today``, listing every obstacle.

    The regime is the one in force on ``today`` (the application date).
    """
    regime = policy.regime_for(today)
    name = regime.display_name
    requirements = tuple(policy.repair.requirements)
    canonical = policy.resolve_category(facts.category)
    no_window = PublicityWindow(name, True, None, None)

    if canonical is None:
        reason = Reason(
            "UNKNOWN_CATEGORY",
            f"无法识别记录类别“{facts.category}”，暂不能判断能否修复，请联系工作人员核实",
        )
        return RepairEligibility(False, None, (reason,), name, no_window, requirements)
    settings = policy.record_categories[canonical]
    if not _is_failure(canonical, facts.severity, policy, facts.polarity):
        found = category(canonical)
        if found is not None and found.polarity is Polarity.MIXED:
            message = f"这条“{canonical}”类记录不属于失信信息，无需申请信用修复。"
        else:
            message = f"“{canonical}”信息不属于失信信息，无需申请信用修复。{settings.note}"
        return RepairEligibility(False, None, (Reason("NOT_NEGATIVE", message),), name, no_window, requirements)

    severity = facts.severity or settings.default_severity
    if severity is None:  # the loader rejects 失信信息 categories without a default
        raise ValueError(f"no severity for category {canonical!r}")
    window = publicity_window(
        canonical, severity, facts.decision_date, today, policy, sector=facts.sector, polarity=facts.polarity
    )
    rule = regime.rule_for(severity)
    min_months, min_verified = _min_months(regime, severity, facts.sector)
    # Regimes without severity classes (58号令) describe the record by its category instead.
    label = f"“{severity}”失信信息" if regime.severities else f"“{canonical}”信息"
    if facts.sector and regime.sector_minimum and facts.sector in regime.sector_minimum.sectors:
        label += f"（{facts.sector}领域）"

    reasons: list[Reason] = []
    permanent = False

    if not settings.repairable:
        permanent = True
        reasons.append(Reason("CATEGORY_NOT_REPAIRABLE", f"“{canonical}”不通过信用修复办理。{settings.note}"))
    if facts.status == "已修复":
        permanent = True
        reasons.append(Reason("ALREADY_REPAIRED", "该记录已完成信用修复，已停止公示，无需再次申请"))
    elif facts.status == "已撤销":
        permanent = True
        reasons.append(Reason("RECORD_REVOKED", "该记录已被撤销，不再公示，无需申请信用修复"))
    elif facts.status == "已到期":
        permanent = True
        reasons.append(Reason("EXPIRED", "该记录公示期已届满，已停止公示，无需申请信用修复"))
    elif window.max_end is not None and today >= window.max_end:
        permanent = True
        reasons.append(
            Reason(
                "PAST_MAX_END",
                f"该记录为{label}，按{name}最长公示期{format_months(rule.max_months)}，"
                f"已于{format_cn_date(window.max_end)}届满，应自动停止公示，无需申请修复；"
                "如仍在公示，可以提出异议",
            )
        )
    if facts.legally_non_repairable:
        permanent = True
        reasons.append(
            Reason("LEGALLY_NON_REPAIRABLE", "法律、法规或党中央、国务院政策文件明确规定该类失信信息不可修复")
        )

    market = policy.repair.market_regulation
    via_market = market.governs(canonical, facts.authority)
    if via_market and not permanent:
        # The regulator's own rules and channel, not the 36号令 periods: no date from here.
        permanent = True
        note = "" if market.verified else _UNVERIFIED_NOTE
        reasons.append(
            Reason(
                "MARKET_REGULATION_CHANNEL",
                f"该记录由市场监管部门作出，信用修复按{market.rules}办理，不适用{name}的公示期限。"
                f"请在改正失信行为、履行完毕法定义务后，通过{market.channel}向作出决定的市场监管部门申请"
                f"信用修复（如移出经营异常名录、停止公示行政处罚信息）{note}",
            )
        )
    if not via_market:
        if window.min_end is not None and today < window.min_end:
            message = (
                f"该记录为{label}，按{name}最短公示期{format_months(min_months)}，"
                f"最早可于{format_cn_date(window.min_end)}申请信用修复"
            )
            reasons.append(Reason("MIN_PERIOD_NOT_PASSED", message + ("" if min_verified else _UNVERIFIED_NOTE)))
        if not facts.obligations_fulfilled:
            if rule.repair_once_obligations_fulfilled:
                text = f"该记录为{label}，履行完毕法定责任和义务（如缴纳罚款、完成整改）后即可申请信用修复"
            else:
                text = "尚未履行完毕法定责任和义务（如缴纳罚款、完成整改），履行完毕并提供证明后方可申请信用修复"
            reasons.append(Reason("OBLIGATIONS_NOT_FULFILLED", text))
    if facts.under_objection:
        reasons.append(Reason("UNDER_OBJECTION", "该记录正在异议处理中，请待异议办结后再申请信用修复"))
    if facts.repair_in_progress:
        reasons.append(Reason("REPAIR_IN_PROGRESS", "该记录已有信用修复申请正在办理，请勿重复申请"))
    reasons.extend(_bar_reasons(facts, today, policy))

    earliest: date | None = None
    if not permanent:
        earliest = window.min_end or facts.decision_date
        if facts.barred_until is not None:
            earliest = max(earliest, facts.barred_until)
    return RepairEligibility(
        eligible=not reasons,
        earliest_date=earliest,
        reasons=tuple(reasons),
        regime=name,
        window=window,
        requirements=requirements,
    )
