"""The staff work queue: every open application, soonest deadline first, paged on the server.

One grouped COUNT (the total under the filters and, in the same pass, the departments with open items)
and one page query, both over the partial indexes on the open rows (models.application.queue_indexes).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, text
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import invalid_field
from credit_backend.models import Application, Entity
from credit_backend.policy.calendar import default_calendar
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.states import MACHINES
from credit_backend.services.applications import handler_for

__all__ = ["DUE_SOON_DAYS", "deadline_marks", "queue_filters", "queue_page", "working_days_between"]

DUE_SOON_DAYS = 2  # due within this many working days: marked "due soon"
# Filters keeping fewer than 1/SELECTIVE_SHARE of the open rows are served through the filter indexes.
SELECTIVE_SHARE = 20
# The partial indexes' own predicate, spelled as they spell it, so that both databases use them.
IN_QUEUE = text("applications.in_queue")


@lru_cache(maxsize=8192)
def _is_workday(day: date) -> bool:
    """The backend calendar's answer for one day, remembered (a page asks about the same days again and
    again, and chinese_calendar checks its whole table on every call)."""
    return default_calendar().is_workday(day)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end], as ``WorkCalendar.working_days_between`` counts them."""
    return sum(_is_workday(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


def deadline_marks(due: date | None, today: date) -> dict[str, Any]:
    """Working days left (negative: overdue by that many), the marks and the Chinese text of a deadline."""
    if due is None:
        return {"working_days_left": None, "overdue": False, "due_soon": False, "deadline_text": "无办理时限"}
    if due < today:
        late = working_days_between(due, today)
        text_ = f"已超期{late}个工作日" if late else f"已超期（应于{format_cn_date(due)}前办结）"
        return {"working_days_left": -late, "overdue": True, "due_soon": False, "deadline_text": text_}
    left = working_days_between(today, due)
    when = "今天到期" if due == today else f"剩余{left}个工作日"
    return {
        "working_days_left": left,
        "overdue": False,
        "due_soon": left <= DUE_SOON_DAYS,
        "deadline_text": f"{format_cn_date(due)}（{when}）",
    }


def queue_filters() -> dict[str, Any]:
    """The kinds and the open statuses one may filter by, with their Chinese names."""
    return {
        "kinds": [{"value": m.kind, "label": m.label} for m in MACHINES.values()],
        "statuses": [
            {"value": s, "label": m.states[s], "kind": m.kind, "kind_label": m.label}
            for m in MACHINES.values()
            for s in m.open_states
        ],
    }


def _conditions(kind: str | None, status: str | None, department: str | None, overdue: bool | None, today: date):
    where = []
    if kind:
        if kind not in MACHINES:
            names = "、".join(f"{k}（{m.label}）" for k, m in MACHINES.items())
            raise invalid_field("kind", f"申请类型应为：{names}。")
        where.append(Application.kind == kind)
    if status:
        machines = [MACHINES[kind]] if kind else list(MACHINES.values())
        if not any(status in m.open_states for m in machines):
            raise invalid_field("status", f"“{status}”不是待办申请的状态，待办队列只列出尚未办结的申请。")
        where.append(Application.status == status)
    if department:
        where.append(Application.department == department)
    if overdue is True:
        where.append(Application.due_on < today)
    elif overdue is False:
        where.append(or_(Application.due_on >= today, Application.due_on.is_(None)))
    return where


@lru_cache(maxsize=256)
def _unverified(kind: str, status: str, due_working_days: int | None) -> bool:
    """Whether a deadline of this kind, status and day count rests on an unverified policy.yaml value
    (``deadline_rule`` reads only these; the policy is loaded once per process)."""
    rule = handler_for(kind).deadline_rule(SimpleNamespace(status=status, due_working_days=due_working_days))
    return rule is not None and not rule.verified


def _item(row: Row[Any], today: date) -> dict[str, Any]:
    handler = handler_for(row.kind)
    return {
        "application_no": row.application_no,
        "kind": row.kind,
        "kind_label": handler.machine.label,
        "status": row.status,
        "status_label": handler.machine.states[row.status],
        "entity_name": row.entity_name,
        "uscc": row.uscc,
        "department": row.department,
        "received_on": row.received_on,
        "due_on": row.due_on,
        **deadline_marks(row.due_on, today),
        "deadline_unverified": row.due_on is not None and _unverified(row.kind, row.status, row.due_working_days),
    }


def queue_page(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> dict[str, Any]:
    """One page of the open applications matching the filters, soonest deadline first (none last)."""
    today = today or clock.today()
    where = _conditions(kind, status, department, overdue, today)
    matching = func.count().filter(and_(*where)) if where else func.count()
    counts = session.execute(
        select(Application.department, matching.label("n"), func.count().label("open"))
        .where(IN_QUEUE)
        .group_by(Application.department)
        .order_by(Application.department)
    ).all()
    total = sum(row.n for row in counts)
    first = (page - 1) * per_page
    rows = [] if first >= total else _page_rows(session, where, _selective(session, total, counts), per_page, first)
    return {
        "items": [_item(row, today) for row in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(total / per_page)),
        "departments": [row.department for row in counts],
        **queue_filters(),
    }


def _selective(session: Session, total: int, counts: list[Row[Any]]) -> bool:
    """Whether the filters keep few of the open rows (the count just told us): PostgreSQL then does
    better fetching those through the filter indexes and sorting them than walking the deadline index
    past every row the filters drop (its estimate of combined filters, e.g. department and kind, can be
    far off)."""
    open_total = sum(row.open for row in counts)
    return session.get_bind().dialect.name == "postgresql" and total * SELECTIVE_SHARE < open_total


def _page_rows(session: Session, where: list[Any], selective: bool, per_page: int, first: int) -> list[Row[Any]]:
    """The page's rows: their ids first (the skipped rows of a deep page are walked in the (due_on, id) index
    only, never joined or read), then the page's columns and entity names for those ids alone."""
    # ``due_on + 0`` sorts the same dates, but no index yields it in order: the planner picks by filters.
    due = Application.due_on + 0 if selective else Application.due_on
    page_ids = (
        select(Application.id, Application.due_on)
        .where(IN_QUEUE, *where)
        .order_by(due.asc().nulls_last(), Application.id)
        .limit(per_page)
        .offset(first)
        .subquery("page_ids")
    )
    return list(
        session.execute(
            select(
                Application.application_no,
                Application.kind,
                Application.status,
                Application.department,
                Application.received_on,
                Application.due_on,
                Application.due_working_days,
                Entity.name.label("entity_name"),
                Entity.uscc,
            )
            .join(page_ids, page_ids.c.id == Application.id)
            .join(Entity, Entity.id == Application.entity_id)
            .order_by(page_ids.c.due_on.asc().nulls_last(), page_ids.c.id)
        ).all()
    )
