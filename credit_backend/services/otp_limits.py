"""Limits on one-time codes, per entity and per sender: codes sent per hour, wrong codes per day.

The five-try lock of a challenge is per (sender, entity), so rotating sender ids would dodge it. These
limits close that: they count the audit log's ``binding_start`` (a code was sent) and ``binding_wrong_code``
rows over a sliding window, by entity (the audit target, a USCC) and by sender (the actor). Counting stored
rows rather than in-memory counters makes them hold across worker processes and restarts, and asking for
a new code never resets a failure count. ``serialize`` makes the count and the write that follows it one
critical section, so parallel requests cannot all pass the same count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import DomainError
from credit_backend.models import AuditEntry, Entity
from credit_backend.services.common import audit
from credit_backend.settings import get_settings

SENT = "binding_start"
WRONG = "binding_wrong_code"
RATE_LIMITED = "binding_rate_limited"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WINDOW_HINT = "或携带营业执照到政务服务大厅信用窗口现场办理"
# Any fixed 64-bit key: PostgreSQL's transaction-scoped advisory lock for one-time-code bookkeeping.
_PG_LOCK_KEY = 0x0C7ED17


@dataclass(frozen=True)
class Limit:
    name: str
    action: str  # the audit action counted
    scope: str  # "entity" (audit target = USCC) or "sender" (audit actor)
    window: timedelta
    maximum: int

    def column(self) -> Any:
        return AuditEntry.target if self.scope == "entity" else AuditEntry.actor


def limits() -> tuple[Limit, ...]:
    s = get_settings()
    return (
        Limit("codes_per_hour_entity", SENT, "entity", HOUR, s.otp_codes_per_hour_entity),
        Limit("codes_per_hour_sender", SENT, "sender", HOUR, s.otp_codes_per_hour_sender),
        Limit("wrong_per_day_entity", WRONG, "entity", DAY, s.otp_wrong_per_day_entity),
        Limit("wrong_per_day_sender", WRONG, "sender", DAY, s.otp_wrong_per_day_sender),
    )


def serialize(session: Session) -> None:
    """Start the critical section: counts read after this see every committed code and guess.

    PostgreSQL: a transaction-scoped advisory lock (released by the commit or rollback). SQLite: a write
    first, which takes the database's single write lock before the counts are read (the driver opens the
    transaction at the first write, so no older snapshot is held).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
    else:
        session.execute(text("UPDATE application_counters SET last_seq = last_seq WHERE 0 = 1"))


@dataclass(frozen=True)
class Breach:
    limit: Limit
    key: str
    count: int
    until: datetime  # when the count drops below the limit again


def _breach(session: Session, limit: Limit, key: str, now: datetime) -> Breach | None:
    times = list(
        session.scalars(
            select(AuditEntry.at)
            .where(AuditEntry.action == limit.action, limit.column() == key, AuditEntry.at > now - limit.window)
            .order_by(AuditEntry.at)
        )
    )
    if len(times) < limit.maximum:
        return None
    return Breach(limit, key, len(times), times[len(times) - limit.maximum] + limit.window)


def _cn_time(moment: datetime) -> str:
    local = moment.astimezone(clock.CST)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def _message(breach: Breach, entity: Entity) -> str:
    limit, until = breach.limit, _cn_time(breach.until)
    if limit.name == "codes_per_hour_entity":
        what = f"{entity.name}在1小时内已发送{limit.maximum}次验证码，达到上限，暂不能再发送"
    elif limit.name == "codes_per_hour_sender":
        what = f"您在1小时内已获取{limit.maximum}次验证码，达到上限，暂不能再获取"
    elif limit.name == "wrong_per_day_entity":
        what = f"{entity.name}的验证码在24小时内已被输错{limit.maximum}次，为防止他人冒用，已暂停验证码认证"
    else:
        what = f"您在24小时内已输错{limit.maximum}次验证码，为保护企业信息安全，已暂停验证码认证"
    return f"{what}。请于{until}（北京时间）后再试，{WINDOW_HINT}。"


def enforce(session: Session, entity: Entity, sender_id: str, role: str, names: tuple[str, ...]) -> None:
    """Raise 429 OTP_RATE_LIMITED (after recording it) if any of the named limits is reached.

    Call inside ``serialize``'s critical section, before the write the limit guards.
    """
    now = clock.now()
    for limit in limits():
        if limit.name not in names:
            continue
        breach = _breach(session, limit, entity.uscc if limit.scope == "entity" else sender_id, now)
        if breach is None:
            continue
        retry_after = max(1, int((breach.until - now).total_seconds()) + 1)
        audit(
            session,
            role,
            sender_id,
            RATE_LIMITED,
            entity.uscc,
            limit=limit.name,
            scope=limit.scope,
            count=breach.count,
            maximum=limit.maximum,
            until=breach.until.isoformat(),
        )
        session.commit()
        raise DomainError(
            _message(breach, entity),
            code="OTP_RATE_LIMITED",
            status=429,
            limit=limit.name,
            scope=limit.scope,
            maximum=limit.maximum,
            retry_at=breach.until.isoformat(),
            retry_after_seconds=retry_after,
        )


def throttled(session: Session) -> list[dict[str, Any]]:
    """Every entity and sender that a limit currently holds back, for staff (newest release last)."""
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for limit in limits():
        column = limit.column()
        counts = session.execute(
            select(column, func.count())
            .where(AuditEntry.action == limit.action, AuditEntry.at > now - limit.window)
            .group_by(column)
            .having(func.count() >= limit.maximum)
        ).all()
        for key, _count in counts:
            breach = _breach(session, limit, key, now)
            if breach is None:
                continue
            name = session.scalar(select(Entity.name).where(Entity.uscc == key)) if limit.scope == "entity" else None
            rows.append(
                {
                    "scope": limit.scope,
                    "key": key,
                    "entity_name": name,
                    "limit": limit.name,
                    "count": breach.count,
                    "maximum": limit.maximum,
                    "window_hours": int(limit.window.total_seconds() // 3600),
                    "until": breach.until,
                }
            )
    rows.sort(key=lambda r: (r["until"], r["scope"], r["key"]))
    return rows
