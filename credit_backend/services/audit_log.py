"""The audit log for admins: filtered, paged on the server, exported as CSV for Excel."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.models import Application, AuditEntry, CreditRecord, Entity
from credit_backend.rules.audit_actions import action_label
from credit_backend.rules.uscc import normalize_uscc

CSV_MAX_ROWS = 100_000
CSV_HEADERS = ("编号", "时间（北京时间）", "角色", "操作人", "操作", "操作说明", "操作对象", "详情")
ROLE_LABELS = {
    "assistant": "智能助手",
    "staff": "工作人员",
    "admin": "管理员",
    "console": "工作台",
    "job": "定时任务",
}


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    target: str | None = None
    uscc: str | None = None
    action: str | None = None
    date_from: date | None = None  # Beijing dates, both inclusive
    date_to: date | None = None


def _beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.CST)


def _entity_targets(session: Session, raw_uscc: str) -> ColumnElement[bool]:
    """Entries about an entity: its code, its applications, its records, ``entity:<id>``."""
    code = normalize_uscc(raw_uscc)
    entity_id = session.scalar(select(Entity.id).where(Entity.uscc == code))
    if entity_id is None:
        return AuditEntry.target == code
    applications = select(Application.application_no).where(Application.entity_id == entity_id)
    record_ids = session.scalars(select(CreditRecord.id).where(CreditRecord.entity_id == entity_id)).all()
    return or_(
        AuditEntry.target == code,
        AuditEntry.target.in_(applications),
        AuditEntry.target.in_([f"record:{i}" for i in record_ids] + [f"entity:{entity_id}"]),
    )


def _conditions(session: Session, f: AuditFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.actor:
        conds.append(AuditEntry.actor.contains(f.actor, autoescape=True))
    if f.target:
        conds.append(AuditEntry.target.contains(f.target, autoescape=True))
    if f.uscc:
        conds.append(_entity_targets(session, f.uscc))
    if f.action:
        conds.append(AuditEntry.action == f.action)
    if f.date_from:
        conds.append(AuditEntry.at >= _beijing_midnight(f.date_from))
    if f.date_to:
        conds.append(AuditEntry.at < _beijing_midnight(f.date_to + timedelta(days=1)))
    return conds


def entry_view(a: AuditEntry) -> dict[str, Any]:
    return {
        "id": a.id,
        "at": a.at,
        "role": a.role,
        "actor": a.actor,
        "action": a.action,
        "action_label": action_label(a.action),
        "target": a.target,
        "details": a.details or {},
    }


def search(session: Session, f: AuditFilter, page: int, per_page: int) -> dict[str, Any]:
    """One page of the matching entries, newest first, with the total and the actions for a filter list."""
    conds = _conditions(session, f)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conds)) or 0
    rows = session.scalars(
        select(AuditEntry).where(*conds).order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return {
        "items": [entry_view(a) for a in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(total / per_page)),
        "actions": list(actions),
    }


def _csv_row(a: AuditEntry) -> list[str]:
    details = "；".join(f"{k}={v}" for k, v in (a.details or {}).items())
    return [
        str(a.id),
        a.at.astimezone(clock.CST).strftime("%Y-%m-%d %H:%M:%S"),
        ROLE_LABELS.get(a.role, a.role),
        a.actor,
        a.action,
        action_label(a.action),
        a.target,
        details,
    ]


def _safe_cell(value: str) -> str:
    """Keep Excel from reading a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(rows: Iterable[AuditEntry]) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads the Chinese right), Chinese headers, CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for a in rows:
        writer.writerow([_safe_cell(cell) for cell in _csv_row(a)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_csv(session: Session, f: AuditFilter) -> bytes:
    conds = _conditions(session, f)
    rows = session.scalars(select(AuditEntry).where(*conds).order_by(AuditEntry.id.desc()).limit(CSV_MAX_ROWS))
    return to_csv(rows)
