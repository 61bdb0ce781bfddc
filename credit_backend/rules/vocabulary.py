"""The domain vocabulary: record categories and their polarity, severities, record statuses and
application kinds with their number prefixes. Every other module imports these names; none retypes them.

Standard library only and Python 3.10-compatible: the Rasa actions, the NLU helpers and the Telegram
bridge import it too. Policy facts about the words (which categories are repaired, publication periods,
notes) stay in ``credit_backend/policy/policy.yaml``, which the loader checks against this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "ABNORMAL",
    "APPLICATION_KINDS",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "COMMITMENT",
    "EVALUATION",
    "EVIDENCE_KINDS",
    "JUDGMENT",
    "KINDS_BY_TYPE_CODE",
    "KIND_NAMES",
    "LIST_CATEGORIES",
    "MINOR",
    "NAMED_LISTS",
    "ORDINARY",
    "OTHER",
    "PENALTY",
    "PERMIT",
    "RECORD_STATUSES",
    "REDLIST",
    "REMINDER_KINDS",
    "SERIOUS",
    "SEVERE_LIST",
    "SEVERITIES",
    "TYPE_CODES",
    "UNVERIFIED_NOTE",
    "WATCH_LIST",
    "ApplicationKind",
    "Category",
    "Polarity",
    "category",
    "holds_failures",
    "kind",
    "record_is_negative",
    "record_polarity",
]


class Polarity(str, Enum):
    """Whether the records of a category are 失信信息, positive facts, neither, or either."""

    NEGATIVE = "negative"  # 失信信息
    POSITIVE = "positive"  # 守信信息
    NEUTRAL = "neutral"  # administrative or judicial facts, neither
    MIXED = "mixed"  # both: each record says which (see ``record_is_negative``)


@dataclass(frozen=True)
class Category:
    """One record category, as the 信用中国 report groups records."""

    name: str
    polarity: Polarity
    report_section: str  # the report section that shows it (《公共信用信息报告标准（2022年版）》)
    listing: bool = False  # a 名单/名录: the entity is "on" it while the record is active


PERMIT = "行政许可"
PENALTY = "行政处罚"
REDLIST = "守信激励"
SEVERE_LIST = "严重失信主体名单"
WATCH_LIST = "重点关注名单"
ABNORMAL = "经营异常"
COMMITMENT = "信用承诺"
EVALUATION = "信用评价"
JUDGMENT = "司法判决"
OTHER = "其他"

# In the order the report shows them.
CATEGORIES: tuple[Category, ...] = (
    Category(PERMIT, Polarity.NEUTRAL, "二、行政管理"),
    Category(PENALTY, Polarity.NEGATIVE, "二、行政管理"),
    Category(REDLIST, Polarity.POSITIVE, "三、诚实守信", listing=True),
    Category(SEVERE_LIST, Polarity.NEGATIVE, "四、严重失信主体名单和重点关注名单", listing=True),
    Category(WATCH_LIST, Polarity.NEGATIVE, "四、严重失信主体名单和重点关注名单", listing=True),
    Category(ABNORMAL, Polarity.NEGATIVE, "五、经营异常", listing=True),
    Category(COMMITMENT, Polarity.NEUTRAL, "六、信用承诺"),
    Category(EVALUATION, Polarity.NEUTRAL, "七、信用评价"),
    Category(JUDGMENT, Polarity.NEUTRAL, "八、司法判决"),
    # 其他 holds the catalogue's 其他失信信息 (e.g. a broken commitment) and positive facts alike
    # (社保缴费、文明单位): each record carries its own polarity (``credit_records.polarity``).
    Category(OTHER, Polarity.MIXED, "九、其他"),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
LIST_CATEGORIES: tuple[str, ...] = tuple(c.name for c in CATEGORIES if c.listing)
_BY_NAME = {c.name: c for c in CATEGORIES}

# Named lists published inside a category: users ask for them by name, records file under the category.
NAMED_LISTS: dict[str, str] = {"失信被执行人": SEVERE_LIST}

# Classes of 失信信息 (令2025年第36号), mildest first.
MINOR = "轻微"
ORDINARY = "一般"
SERIOUS = "严重"
SEVERITIES: tuple[str, ...] = (MINOR, ORDINARY, SERIOUS)

# Record status codes and their labels as 信用中国 shows them.
RECORD_STATUSES: dict[str, str] = {"active": "公示中", "expired": "已到期", "repaired": "已修复", "revoked": "已撤销"}

# What a 信用提醒 subscriber is told (seed items 9 and 16; credit_backend/jobs/reminders.py sends each once):
# the assistant lists them when a sender subscribes.
REMINDER_KINDS: tuple[str, ...] = (
    "有关该主体的新的失信信息公示了",
    "该主体的某条记录可以申请信用修复了（附可申请日期和办理方式）",
    "该主体作出的信用承诺快到期了（容缺受理补齐材料的期限）",
    "该主体某条记录的公示期结束了",
)

# Said after every deadline or period built on a policy.yaml value marked ``verified: false`` (issue 12 #1):
# the one wording, in the backend's labels and reasons and in the assistant's own prompts alike.
UNVERIFIED_NOTE = "（期限为暂定，以主管部门规定为准）"


def category(name: str) -> Category | None:
    """The category called ``name`` (canonical names only; aliases are policy.yaml's), or None."""
    return _BY_NAME.get(name)


def holds_failures(name: str) -> bool:
    """Whether records of the category can be 失信信息 (negative or mixed categories)."""
    found = _BY_NAME.get(name)
    return found is not None and found.polarity in (Polarity.NEGATIVE, Polarity.MIXED)


def record_polarity(category_name: str, severity: str | None) -> Polarity:
    """The polarity a record of ``category_name`` gets when nothing else is known about it: its
    category's; in a mixed category, negative when it carries a severity class (only 失信信息 has one),
    positive otherwise. Used to fill ``credit_records.polarity`` (migration 0004, the demo generator);
    afterwards the stored polarity is the record's own and wins (``record_is_negative``)."""
    found = _BY_NAME.get(category_name)
    if found is None:
        return Polarity.NEUTRAL
    if found.polarity is Polarity.MIXED:
        return Polarity.NEGATIVE if severity is not None else Polarity.POSITIVE
    return found.polarity


def record_is_negative(category_name: str, severity: str | None, polarity: str | None = None) -> bool:
    """Whether one record is 失信信息. In a mixed category the record's own ``polarity`` says so
    (falling back on ``record_polarity`` when it is unknown); elsewhere the category does."""
    found = _BY_NAME.get(category_name)
    if found is None:
        return False
    if found.polarity is Polarity.MIXED:
        if polarity is not None:
            return Polarity(polarity) is Polarity.NEGATIVE
        return record_polarity(category_name, severity) is Polarity.NEGATIVE
    return found.polarity is Polarity.NEGATIVE


@dataclass(frozen=True)
class ApplicationKind:
    """One kind of application: its API name, number prefix and Chinese names."""

    kind: str  # in the API and the database (``applications.kind``)
    type_code: str  # the prefix of its application numbers (shared CONVERSATION.md)
    name: str  # short name: 自愿注册
    label: str  # what an application of this kind is called: 信用信息自愿注册
    takes_evidence: bool = False  # users may attach documents to it


APPLICATION_KINDS: tuple[ApplicationKind, ...] = (
    ApplicationKind("registration", "ZC", "自愿注册", "信用信息自愿注册"),
    ApplicationKind("commitment", "CN", "信用承诺", "信用承诺"),
    ApplicationKind("objection", "YY", "异议", "异议申请", takes_evidence=True),
    ApplicationKind("repair", "XF", "信用修复", "信用修复申请", takes_evidence=True),
)
KIND_NAMES: tuple[str, ...] = tuple(k.kind for k in APPLICATION_KINDS)
TYPE_CODES: tuple[str, ...] = tuple(k.type_code for k in APPLICATION_KINDS)
KINDS_BY_TYPE_CODE: dict[str, ApplicationKind] = {k.type_code: k for k in APPLICATION_KINDS}
EVIDENCE_KINDS: tuple[str, ...] = tuple(k.kind for k in APPLICATION_KINDS if k.takes_evidence)
_KINDS = {k.kind: k for k in APPLICATION_KINDS}


def kind(name: str) -> ApplicationKind:
    """The application kind called ``name`` (KeyError if unknown)."""
    return _KINDS[name]


# --- The in-person identity check at the counter (issue 11) ----------------------------------------

#: The identity documents a counter accepts, each with the words that name it in a typed answer.
DOCUMENT_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "居民身份证": ("身份证", "居民身份"),
    "护照": ("护照",),
    "港澳居民来往内地通行证": ("港澳", "回乡证"),
    "台湾居民来往大陆通行证": ("台湾", "台胞"),
    "其他": ("其他", "其它"),
}
DOCUMENT_TYPES: tuple[str, ...] = tuple(DOCUMENT_TYPE_WORDS)
RESIDENT_ID = "居民身份证"
