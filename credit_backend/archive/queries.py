"""The archive's review filters and analytics figures: SQL selections and the pure arithmetic on their rows.

Shared by the admin API (services/conversations.py) and the command (``python -m credit_backend.archive``), so
both print the same figures. Days and hours are Beijing time (the ``day``/``hour`` columns stored with each
conversation and message). A form run still ``open`` counts as ``abandoned`` once its conversation has had no
event for ``abandon_hours``, and so does such a conversation for the "abandoned" filter.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from credit_backend.archive.flags import FALLBACK_INTENT, OUTCOMES, SERVICE_LABELS
from credit_backend.models import Conversation, ConversationForm, ConversationMessage

# The services the analytics report first, in this order (issue 14); the other flows follow.
MAIN_SERVICES = ("query", "registration", "commitment", "objection", "repair", "report")


@dataclass(frozen=True)
class Thresholds:
    low_confidence: float
    small_margin: float
    abandon_hours: float


@dataclass(frozen=True)
class ConversationFilter:
    """Review filters; each one set narrows the list (they combine with AND)."""

    fallback: bool = False
    low_confidence: bool = False
    small_margin: bool = False
    handoff: bool = False
    cancelled: bool = False
    abandoned: bool = False
    explained: bool = False
    reviewed: bool | None = None  # None: both
    channel: str | None = None
    sender: str | None = None  # part of the sender id
    date_from: date | None = None  # the conversation's Beijing start day, inclusive
    date_to: date | None = None

    def described(self) -> dict[str, Any]:
        """The filters that are set (for the audit log)."""
        return {
            key: (value.isoformat() if isinstance(value, date) else value)
            for key, value in vars(self).items()
            if value not in (False, None)
        }


def abandoned_condition(now: datetime, t: Thresholds) -> ColumnElement[bool]:
    idle_since = now - timedelta(hours=t.abandon_hours)
    return or_(
        Conversation.form_abandoned.is_(True),
        and_(Conversation.open_form.is_not(None), Conversation.last_event_at < idle_since),
    )


def low_confidence_condition(t: Thresholds) -> ColumnElement[bool]:
    m = ConversationMessage
    return exists().where(m.conversation_id == Conversation.id, m.typed.is_(True), m.top_confidence < t.low_confidence)


def small_margin_condition(t: Thresholds) -> ColumnElement[bool]:
    m = ConversationMessage
    return exists().where(m.conversation_id == Conversation.id, m.typed.is_(True), m.margin < t.small_margin)


def conditions(f: ConversationFilter, now: datetime, t: Thresholds) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.fallback:
        conds.append(Conversation.had_fallback.is_(True))
    if f.handoff:
        conds.append(Conversation.had_handoff.is_(True))
    if f.cancelled:
        conds.append(Conversation.form_cancelled.is_(True))
    if f.explained:
        conds.append(Conversation.explained_after_failures.is_(True))
    if f.abandoned:
        conds.append(abandoned_condition(now, t))
    if f.low_confidence:
        conds.append(low_confidence_condition(t))
    if f.small_margin:
        conds.append(small_margin_condition(t))
    if f.reviewed is not None:
        conds.append(Conversation.reviewed_at.is_not(None) if f.reviewed else Conversation.reviewed_at.is_(None))
    if f.channel:
        conds.append(Conversation.channel == f.channel)
    if f.sender:
        conds.append(Conversation.sender_id.contains(f.sender, autoescape=True))
    if f.date_from:
        conds.append(Conversation.day >= f.date_from)
    if f.date_to:
        conds.append(Conversation.day <= f.date_to)
    return conds


def search(
    session: Session, f: ConversationFilter, now: datetime, t: Thresholds, page: int, per_page: int
) -> tuple[list[Conversation], int]:
    """One page of the matching conversations, the latest first, and how many match."""
    conds = conditions(f, now, t)
    total = session.scalar(select(func.count()).select_from(Conversation).where(*conds)) or 0
    rows = session.scalars(
        select(Conversation)
        .where(*conds)
        .order_by(Conversation.last_event_at.desc(), Conversation.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def is_abandoned(c: Conversation, now: datetime, t: Thresholds) -> bool:
    return c.form_abandoned or (c.open_form is not None and c.last_event_at < now - timedelta(hours=t.abandon_hours))


# -- analytics -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None


def _period(column_day: Any, column_channel: Any, p: Period) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if p.date_from:
        conds.append(column_day >= p.date_from)
    if p.date_to:
        conds.append(column_day <= p.date_to)
    if p.channel:
        conds.append(column_channel == p.channel)
    return conds


def rate(part: int, whole: int) -> float:
    """``part / whole`` rounded to four places; 0.0 for nothing at all."""
    return round(part / whole, 4) if whole else 0.0


def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


@dataclass
class ServiceFigures:
    service: str
    label: str
    started: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    turns_to_complete: list[int] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "label": self.label,
            "started": self.started,
            **{outcome: self.outcomes.get(outcome, 0) for outcome in OUTCOMES},
            "median_turns_to_complete": median(self.turns_to_complete),
        }


def service_figures(
    rows: Iterable[tuple[str, str, int, datetime]], now: datetime, t: Thresholds
) -> list[dict[str, Any]]:
    """Per service, from form runs ``(service, outcome, turns, the conversation's last event)``: started, each
    outcome, and the median turns of the completed runs. Every service of the main six is listed."""
    idle_since = now - timedelta(hours=t.abandon_hours)
    figures: dict[str, ServiceFigures] = {s: ServiceFigures(s, SERVICE_LABELS.get(s, s)) for s in MAIN_SERVICES}
    for service, outcome, turns, last_event_at in rows:
        entry = figures.setdefault(service, ServiceFigures(service, SERVICE_LABELS.get(service, service)))
        if outcome == "open" and last_event_at < idle_since:
            outcome = "abandoned"
        entry.started += 1
        entry.outcomes[outcome] += 1
        if outcome == "completed":
            entry.turns_to_complete.append(turns)
    return [figures[s].view() for s in figures]


def analytics(session: Session, p: Period, now: datetime, t: Thresholds) -> dict[str, Any]:
    """Every figure of the analytics page and of ``archive stats``."""
    c, m, fr = Conversation, ConversationMessage, ConversationForm
    c_period = _period(c.day, c.channel, p)
    m_period = _period(m.day, m.channel, p)

    per_day = session.execute(
        select(c.day, c.channel, func.count()).where(*c_period).group_by(c.day, c.channel).order_by(c.day, c.channel)
    ).all()
    conversations = sum(n for _, _, n in per_day)
    flagged = session.execute(
        select(
            func.count().filter(c.had_fallback.is_(True)),
            func.count().filter(c.had_handoff.is_(True)),
        ).where(*c_period)
    ).one()
    intents = session.execute(
        select(m.intent, func.count()).where(*m_period).group_by(m.intent).order_by(func.count().desc(), m.intent)
    ).all()
    messages = sum(n for _, n in intents)
    fallback_messages = session.scalar(select(func.count()).where(*m_period, m.fallback.is_(True))) or 0
    nlu_fallback = sum(n for intent, n in intents if intent == FALLBACK_INTENT)
    hours = dict(session.execute(select(m.hour, func.count()).where(*m_period).group_by(m.hour)).all())
    runs = session.execute(
        select(fr.service, fr.outcome, fr.turns, c.last_event_at).join(c, c.id == fr.conversation_id).where(*c_period)
    ).all()
    return {
        "date_from": p.date_from,
        "date_to": p.date_to,
        "channel": p.channel,
        "conversations": conversations,
        "messages": messages,
        "per_day": [{"day": day, "channel": channel, "conversations": n} for day, channel, n in per_day],
        "intents": [{"intent": intent or "", "messages": n} for intent, n in intents],
        "fallback": {
            "messages": fallback_messages,
            "nlu_fallback_messages": nlu_fallback,
            "message_rate": rate(fallback_messages, messages),
            "conversations": flagged[0],
            "conversation_rate": rate(flagged[0], conversations),
        },
        "handoff": {"conversations": flagged[1], "rate": rate(flagged[1], conversations)},
        "services": service_figures(runs, now, t),
        "hours": [{"hour": hour, "messages": hours.get(hour, 0)} for hour in range(24)],
    }


# -- CSV ----------------------------------------------------------------------------------------------------

OUTCOME_LABELS = {
    "completed": "完成",
    "declined": "确认时放弃",
    "stopped": "未能办理",
    "cancelled": "取消",
    "handed_off": "转人工",
    "abandoned": "中途离开",
    "open": "进行中",
}
CHANNEL_LABELS = {"tg": "Telegram", "wx": "微信", "web": "网页", "staff": "工作台", "rest": "开发接口"}


def _safe_cell(value: Any) -> str:
    """Keep Excel from reading a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def analytics_csv(figures: dict[str, Any]) -> bytes:
    """The figures as one CSV for Excel: a block per table (UTF-8 with a byte-order mark, Chinese headers)."""
    out = io.StringIO()
    w = csv.writer(out)

    def block(title: str, header: list[str], rows: Iterable[list[Any]]) -> None:
        w.writerow([title])
        w.writerow(header)
        for row in rows:
            w.writerow([_safe_cell(cell) for cell in row])
        w.writerow([])

    period = f"{figures['date_from'] or '最早'} 至 {figures['date_to'] or '最近'}"
    channel = CHANNEL_LABELS.get(figures["channel"] or "", figures["channel"] or "全部渠道")
    block(
        "概况",
        ["统计期间", "渠道", "会话数", "用户消息数", "兜底消息数", "兜底消息占比", "转人工会话数", "转人工率"],
        [
            [
                period,
                channel,
                figures["conversations"],
                figures["messages"],
                figures["fallback"]["messages"],
                figures["fallback"]["message_rate"],
                figures["handoff"]["conversations"],
                figures["handoff"]["rate"],
            ]
        ],
    )
    block(
        "每日会话数",
        ["日期", "渠道", "会话数"],
        (
            [row["day"], CHANNEL_LABELS.get(row["channel"], row["channel"]), row["conversations"]]
            for row in figures["per_day"]
        ),
    )
    block("各意图消息数", ["意图", "消息数"], ([row["intent"], row["messages"]] for row in figures["intents"]))
    block(
        "各项服务",
        ["服务", "发起", *(OUTCOME_LABELS[o] for o in OUTCOMES), "完成所需轮次（中位数）"],
        (
            [row["label"], row["started"], *(row[o] for o in OUTCOMES), row["median_turns_to_complete"]]
            for row in figures["services"]
        ),
    )
    block(
        "各时段消息数（北京时间）",
        ["小时", "消息数"],
        ([f"{row['hour']:02d}时", row["messages"]] for row in figures["hours"]),
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
