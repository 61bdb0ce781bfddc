"""Typed access to policy.yaml and holidays.yaml.

All periods, day counts and standard texts live in policy.yaml; each rule value carries its
``source`` and a ``verified`` flag so that answers can say when a number is provisional.
"""

from __future__ import annotations

import itertools
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from credit_backend.rules.vocabulary import CATEGORY_NAMES, NAMED_LISTS, SEVERITIES, holds_failures
from credit_backend.rules.workdays import YearSchedule

__all__ = [
    "DEFAULT_HOLIDAYS_PATH",
    "DEFAULT_POLICY_PATH",
    "HOLIDAYS_ENV",
    "POLICY_ENV",
    "CommitmentType",
    "Policy",
    "PolicyError",
    "RecordCategory",
    "Regime",
    "SeverityRule",
    "clear_policy_cache",
    "load_holiday_overrides",
    "load_policy",
]

POLICY_ENV = "CREDIT_POLICY_FILE"
HOLIDAYS_ENV = "CREDIT_HOLIDAYS_FILE"
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")
DEFAULT_HOLIDAYS_PATH = Path(__file__).with_name("holidays.yaml")

Severity = Literal[SEVERITIES]  # type: ignore[valid-type]  # the vocabulary's classes


class PolicyError(ValueError):
    """The policy or holidays file is missing or malformed."""


class _Model(BaseModel):
    # Frozen: one cached instance is shared by every request. Extra keys are typos, not data.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sourced(_Model):
    """A value that stands for a rule: where it comes from and whether it was checked."""

    source: str = Field(min_length=1)
    verified: bool


class WorkingDays(Sourced):
    """A time limit in working days (day of receipt not counted)."""

    working_days: int = Field(ge=1)


class SeverityRule(Sourced):
    """Publication period of one class of 失信信息, in months."""

    published_by_default: bool
    min_months: int = Field(ge=0)
    max_months: int = Field(ge=1)
    repair_once_obligations_fulfilled: bool

    @model_validator(mode="after")
    def _min_not_above_max(self) -> SeverityRule:
        if self.min_months > self.max_months:
            raise ValueError("min_months exceeds max_months")
        return self


class SectorMinimum(Sourced):
    """A longer minimum period in listed sectors (58号令: 特种设备、安全生产、消防)."""

    min_months: int = Field(ge=1)
    sectors: tuple[str, ...]


class Regime(Sourced):
    """One repair regulation and the dates it governed applications."""

    id: str
    title: str
    order_no: str
    effective_from: date
    effective_until: date | None
    severities: dict[Severity, SeverityRule]
    default_rule: SeverityRule | None
    sector_minimum: SectorMinimum | None

    @model_validator(mode="after")
    def _has_rules(self) -> Regime:
        if not self.severities and self.default_rule is None:
            raise ValueError(f"regime {self.id} defines no period rule")
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError(f"regime {self.id} ends before it starts")
        return self

    @property
    def display_name(self) -> str:
        """E.g. 《信用修复管理办法》（国家发展改革委令2025年第36号）."""
        return f"{self.title}（{self.order_no}）"

    def in_force_on(self, day: date) -> bool:
        """Whether applications made on ``day`` fall under this regime."""
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)

    def rule_for(self, severity: str) -> SeverityRule:
        """Period rule for a severity class; regimes without classes use their default rule."""
        rule = self.severities.get(severity)  # type: ignore[call-overload]
        if rule is not None:
            return rule
        if self.default_rule is not None:
            return self.default_rule
        raise ValueError(f"regime {self.id} has no rule for severity {severity!r}")


class RepairDeadlines(_Model):
    """Time limits of the repair procedure."""

    acceptance_decision: WorkingDays
    repair_decision: WorkingDays
    result_feedback: WorkingDays


class RevocationBar(Sourced):
    """Years during which no new application is accepted after a repair was revoked."""

    years: int = Field(ge=1)


class MarketRegulation(Sourced):
    """Records of the market regulator (经营异常名录, 市场监管 penalties): its own repair rules and channel,
    not the 36号令 periods. A record is the regulator's when its category is listed or its deciding
    authority's name contains one of ``authority_keywords``."""

    categories: tuple[str, ...]
    authority_keywords: tuple[str, ...] = ()
    rules: str = Field(min_length=1)  # the regulator's own rules, by name
    channel: str = Field(min_length=1)  # where to apply

    def governs(self, category: str, authority: str | None) -> bool:
        if category in self.categories:
            return True
        return authority is not None and any(k in authority for k in self.authority_keywords)


class RepairPolicy(_Model):
    """Credit repair (信用修复) rules."""

    regimes: tuple[Regime, ...] = Field(min_length=1)
    deadlines: RepairDeadlines
    revocation_bar: RevocationBar
    market_regulation: MarketRegulation
    requirements: tuple[str, ...] = Field(min_length=1)
    requirements_source: str
    requirements_verified: bool

    @model_validator(mode="after")
    def _no_overlap(self) -> RepairPolicy:
        ordered = sorted(self.regimes, key=lambda r: r.effective_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.effective_until is None or earlier.effective_until >= later.effective_from:
                raise ValueError(f"regimes {earlier.id} and {later.id} overlap")
        return self


class RecordCategory(_Model):
    """How a record category relates to 失信信息 and repair."""

    negative: bool
    repairable: bool
    default_severity: Severity | None
    note: str

    @model_validator(mode="after")
    def _consistent(self) -> RecordCategory:
        if self.repairable and not self.negative:
            raise ValueError("only 失信信息 can be repairable")
        if self.negative and self.default_severity is None:
            raise ValueError("a 失信信息 category needs a default severity")
        return self


class ObjectionPolicy(_Model):
    """Objection (异议) handling."""

    verification: WorkingDays
    correction: WorkingDays
    written_reply: bool
    record_flag: str
    who_may_file: str
    materials: tuple[str, ...]
    materials_source: str
    materials_verified: bool


class CommitmentType(Sourced):
    """One kind of credit commitment; its text is the base items plus ``extra_items``."""

    description: str
    extra_items: tuple[str, ...]


class RongqueDue(WorkingDays):
    """Default time to supply missing materials after a 容缺受理 commitment."""

    applicant_may_set_due_date: bool


class CommitmentPolicy(_Model):
    """Credit commitments (信用承诺)."""

    base_items: tuple[str, ...] = Field(min_length=1)
    base_items_source: str
    base_items_verified: bool
    types: dict[str, CommitmentType] = Field(min_length=1)
    rongque_materials_due: RongqueDue

    @computed_field  # type: ignore[prop-decorator]
    @property
    def texts(self) -> dict[str, tuple[str, ...]]:
        """Each type's full commitment text: the base items, then its own. The one place it is assembled;
        GET /policy serves it, so clients show it as it is instead of assembling it again."""
        return {name: self.base_items + kind.extra_items for name, kind in self.types.items()}


FieldType = Literal["text", "longtext", "date", "amount", "period"]


class RegistrationField(_Model):
    """One input field of a voluntary registration form."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType
    required: bool
    hint: str | None = None


class RegistrationCategory(_Model):
    """One category of voluntarily registered information."""

    description: str
    fields: tuple[RegistrationField, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> RegistrationCategory:
        keys = [f.key for f in self.fields]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate field key")
        return self


class RegistrationPolicy(Sourced):
    """Voluntary registration (信用信息自愿注册)."""

    categories: dict[str, RegistrationCategory] = Field(min_length=1)
    truthfulness_commitment: str
    staff_verification: WorkingDays


class Grade(_Model):
    """One evaluation grade and its supervision consequence."""

    label: str
    supervision_class: str
    inspection: str


class EvaluationPolicy(Sourced):
    """Credit evaluation grades for 分级分类监管."""

    grades: dict[Literal["A", "B", "C", "D"], Grade]

    @model_validator(mode="after")
    def _all_grades(self) -> EvaluationPolicy:
        if set(self.grades) != {"A", "B", "C", "D"}:
            raise ValueError("grades A-D must all be defined")
        return self


class Consequence(Sourced):
    """What being on a list means for the subject."""

    title: str
    measures: tuple[str, ...] = Field(min_length=1)


class IdentityBinding(Sourced):
    """OTP-based binding of a chat sender to an entity."""

    otp_digits: int = Field(ge=4, le=10)
    otp_ttl_minutes: int = Field(ge=1)
    max_wrong_attempts: int = Field(ge=1)
    lockout_minutes: int = Field(ge=1)
    binding_days: int = Field(ge=1)


class CreditReportPolicy(Sourced):
    """The credit report as a document (seed item 3): its validity and issuer."""

    validity_days: int = Field(ge=1)
    issuer: str = Field(min_length=1)


class DepartmentsPolicy(Sourced):
    """Who decides applications that concern no department's record (registrations, commitments)."""

    credit_centre: str = Field(min_length=1, max_length=100)


class Policy(_Model):
    """The whole policy file."""

    version: int
    as_of: date
    repair: RepairPolicy
    record_categories: dict[str, RecordCategory]
    category_aliases: dict[str, str]
    objection: ObjectionPolicy
    commitments: CommitmentPolicy
    voluntary_registration: RegistrationPolicy
    evaluation: EvaluationPolicy
    consequences: dict[str, Consequence]
    identity_binding: IdentityBinding
    credit_report: CreditReportPolicy
    # Not served by GET /policy either (the console reads departments from the work queue).
    departments: DepartmentsPolicy = Field(exclude=True)

    @model_validator(mode="after")
    def _aliases_resolve(self) -> Policy:
        dangling = {a: t for a, t in self.category_aliases.items() if t not in self.record_categories}
        if dangling:
            raise ValueError(f"aliases point to unknown categories: {dangling}")
        return self

    @model_validator(mode="after")
    def _matches_vocabulary(self) -> Policy:
        """Categories are the vocabulary's (rules/vocabulary.py): each one settled, none invented."""
        missing = [c for c in CATEGORY_NAMES if c not in self.record_categories]
        unknown = [c for c in self.record_categories if c not in CATEGORY_NAMES and c not in NAMED_LISTS]
        if missing or unknown:
            raise ValueError(f"record_categories must be the vocabulary's: missing {missing}, unknown {unknown}")
        wrong = [c for c in CATEGORY_NAMES if self.record_categories[c].negative != holds_failures(c)]
        if wrong:
            raise ValueError(f"“negative” contradicts the vocabulary's polarity for {wrong}")
        shadowing = [a for a in self.category_aliases if a in self.record_categories]
        if shadowing:
            raise ValueError(f"aliases shadow category names: {shadowing}")
        stray = [c for c in self.consequences if c not in CATEGORY_NAMES]
        if stray:
            raise ValueError(f"consequences for unknown categories: {stray}")
        return self

    def regime_for(self, day: date) -> Regime:
        """The repair regime governing an application made on ``day``."""
        for regime in self.repair.regimes:
            if regime.in_force_on(day):
                return regime
        raise ValueError(f"no repair regime configured for {day.isoformat()}")

    def resolve_category(self, name: str) -> str | None:
        """Canonical category name for a name or alias; None if unknown."""
        name = name.strip()
        if name in self.record_categories:
            return name
        return self.category_aliases.get(name)

    def category(self, name: str) -> RecordCategory | None:
        """Category settings for a name or alias; None if unknown."""
        canonical = self.resolve_category(name)
        return None if canonical is None else self.record_categories[canonical]

    def commitment_items(self, type_name: str) -> tuple[str, ...]:
        """Full standard text items of a commitment type (KeyError if unknown)."""
        return self.commitments.texts[type_name]


class _HolidayYear(_Model):
    source: str = Field(min_length=1)
    # Informational: a listed year counts as officially known either way.
    verified: bool = False
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()


class _HolidaysFile(_Model):
    years: dict[int, _HolidayYear] = Field(default_factory=dict)


def _read_yaml(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise PolicyError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML in {path}: {exc}") from exc


def _parse_policy(path: Path) -> Policy:
    data = _read_yaml(path)
    try:
        return Policy.model_validate(data)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise PolicyError(f"invalid policy file {path}: {exc}") from exc


@lru_cache(maxsize=4)
def _cached_policy(path: str) -> Policy:
    return _parse_policy(Path(path))


def load_policy(path: Path | None = None) -> Policy:
    """Load the policy; without ``path`` use $CREDIT_POLICY_FILE or the bundled file (cached)."""
    if path is not None:
        return _parse_policy(path)
    chosen = os.environ.get(POLICY_ENV) or str(DEFAULT_POLICY_PATH)
    return _cached_policy(str(Path(chosen).resolve()))


def load_holiday_overrides(path: Path | None = None) -> dict[int, YearSchedule]:
    """Year schedules from holidays.yaml ($CREDIT_HOLIDAYS_FILE may point elsewhere)."""
    if path is None:
        path = Path(os.environ.get(HOLIDAYS_ENV) or DEFAULT_HOLIDAYS_PATH)
    data = _read_yaml(path)
    try:
        parsed = _HolidaysFile.model_validate(data if data is not None else {})
        return {
            year: YearSchedule(
                year=year,
                holidays=frozenset(entry.holidays),
                workdays=frozenset(entry.workdays),
                source=entry.source,
            )
            for year, entry in parsed.years.items()
        }
    except ValueError as exc:
        raise PolicyError(f"invalid holidays file {path}: {exc}") from exc


def clear_policy_cache() -> None:
    """Forget cached policies (tests, or after editing the file in a running process)."""
    _cached_policy.cache_clear()
