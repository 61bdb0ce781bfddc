"""Rules of hand-off conversations, as pure functions: staffed hours, and who may claim, reply and close.

A hand-off is ``open`` (waiting for a person), ``claimed`` (one staff member holds it: only they reply, and the
assistant stays silent) or ``closed``. Staffed hours are windows of Beijing time (CREDIT_HANDOFF_HOURS, default
``09:00-12:00,13:30-17:00``) on the working days of the backend's calendar (rules/workdays.py, with the yearly
holiday schedules of policy/calendar.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from itertools import pairwise

from credit_backend.rules.periods import format_cn_date

CST = timezone(timedelta(hours=8), "CST")
STATUSES = ("open", "claimed", "closed")
STATUS_LABELS = {"open": "待接入", "claimed": "人工服务中", "closed": "已结束"}
WEEKDAYS = "一二三四五六日"
MAX_DAYS_AHEAD = 60  # the longest run of rest days (Spring Festival) is far shorter

Hours = tuple[tuple[time, time], ...]
IsWorkday = Callable[[date], bool]

# What the user reads (Simplified Chinese).
NOTICE_STAFFED = "已为您转接人工服务，工作人员会尽快接入，请稍候。刚才的对话内容已一并转交。"
NOTICE_LATER = (
    "已为您转接人工服务，刚才的对话内容已一并转交。现在是非工作时间（人工服务时间：工作日 {hours}），"
    "工作人员将于{when}后回复您。"
)
JOINED = "工作人员（{name}）已接入，接下来由人工为您服务。您可以直接发送消息。"
CLOSED = "人工服务已结束，智能助手将继续为您服务。"
AGAIN = "用户再次请求人工服务。"


def parse_hours(spec: str) -> Hours:
    """``"09:00-12:00,13:30-17:00"`` → ordered, non-overlapping windows; ValueError for anything else."""
    windows: list[tuple[time, time]] = []
    for part in spec.split(","):
        start_text, sep, end_text = part.strip().partition("-")
        if not sep:
            raise ValueError(f"handoff hours: {part!r} is not HH:MM-HH:MM")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        if start >= end:
            raise ValueError(f"handoff hours: {part!r} ends before it starts")
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in pairwise(windows):
        if start < end:
            raise ValueError(f"handoff hours overlap: {spec!r}")
    if not windows:
        raise ValueError("handoff hours: no window")
    return tuple(windows)


@lru_cache(maxsize=8)
def hours_from_setting(spec: str) -> Hours:
    return parse_hours(spec)


def next_staffed(now: datetime, hours: Hours, is_workday: IsWorkday) -> datetime:
    """The moment someone will answer: ``now`` inside staffed hours, else the start of the next window (UTC)."""
    local = now.astimezone(CST)
    day = local.date()
    for _ in range(MAX_DAYS_AHEAD):
        if is_workday(day):
            for start, end in hours:
                opens = datetime.combine(day, start, CST)
                if local < datetime.combine(day, end, CST):
                    return now if opens <= local else opens.astimezone(timezone.utc)
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), CST) - timedelta(microseconds=1)  # before any window of ``day``
    raise ValueError(f"no working day within {MAX_DAYS_AHEAD} days of {now.isoformat()}")


def hours_text(hours: Hours) -> str:
    """``09:00-12:00、13:30-17:00``"""
    return "、".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in hours)


def when_text(moment: datetime, now: datetime) -> str:
    """``今天13:30`` / ``明天（12月1日，星期二）09:00`` / ``12月1日（星期一）09:00`` (another year: with the year)."""
    local, today = moment.astimezone(CST), now.astimezone(CST).date()
    clock_time = f"{local:%H:%M}"
    weekday = f"星期{WEEKDAYS[local.weekday()]}"
    day = f"{local.month}月{local.day}日" if local.year == today.year else format_cn_date(local.date())
    if local.date() == today:
        return f"今天{clock_time}"
    if local.date() == today + timedelta(days=1):
        return f"明天（{day}，{weekday}）{clock_time}"
    return f"{day}（{weekday}）{clock_time}"


def notice(now: datetime, answer_by: datetime, hours: Hours) -> str:
    """What the assistant tells the user who asked for a person."""
    if answer_by <= now:
        return NOTICE_STAFFED
    return NOTICE_LATER.format(hours=hours_text(hours), when=when_text(answer_by, now))


# -- who may do what ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why an action on a hand-off is refused: HTTP status, stable code, Chinese message."""

    status: int
    code: str
    message: str


def _holder(name: str | None) -> str:
    return f"工作人员（{name}）" if name else "其他工作人员"


def claim_refusal(status: str, claimed_by: str | None, account: str, holder_name: str | None = None) -> Refusal | None:
    """None when ``account`` may claim (or already holds) the hand-off."""
    if status == "closed":
        return Refusal(409, "HANDOFF_CLOSED", "该人工服务会话已结束，无法接入。")
    if status == "claimed" and claimed_by != account:
        return Refusal(409, "HANDOFF_TAKEN", f"该会话已由{_holder(holder_name or claimed_by)}接入，您无法再接入。")
    return None


def reply_refusal(status: str, claimed_by: str | None, account: str, holder_name: str | None = None) -> Refusal | None:
    """Only the staff member holding the conversation replies."""
    if status == "closed":
        return Refusal(409, "HANDOFF_CLOSED", "该人工服务会话已结束，无法再回复。")
    if status == "open":
        return Refusal(409, "HANDOFF_NOT_CLAIMED", "请先接入该会话，再回复用户。")
    if claimed_by != account:
        return Refusal(
            403, "HANDOFF_NOT_YOURS", f"该会话由{_holder(holder_name or claimed_by)}接入，只有接入的工作人员可以回复。"
        )
    return None


def close_refusal(
    status: str, claimed_by: str | None, account: str, admin: bool, holder_name: str | None = None
) -> Refusal | None:
    """An open hand-off any staff member may close; a claimed one its holder (or an admin); closing twice is a no-op."""
    if status == "claimed" and claimed_by != account and not admin:
        return Refusal(
            403, "HANDOFF_NOT_YOURS", f"该会话由{_holder(holder_name or claimed_by)}接入，只有接入的工作人员可以结束。"
        )
    return None
