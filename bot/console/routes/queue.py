"""待办队列: every open application, soonest deadline first, filtered and paged by the backend.

GET /queue?kind=&status=&department=&overdue=1&page=N — a GET form; 本部门 is a link that sets the
department to the staff member's own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from bot.console.backend import ConsoleBackendError
from bot.console.casework import deadline_mark, page_numbers, with_query
from bot.console.security import StaffPage

router = APIRouter()
PER_PAGE = 50
EMPTY_PAGE: dict[str, Any] = {
    "items": [],
    "total": 0,
    "page": 1,
    "per_page": PER_PAGE,
    "pages": 0,
    "departments": [],
    "kinds": [],
    "statuses": [],
}


def _page_number(raw: str) -> int:
    """A page number from the query (anything else is page 1)."""
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1


@router.get("/queue", include_in_schema=False)
async def work_queue(
    ctx: StaffPage, kind: str = "", status: str = "", department: str = "", overdue: str = "", page: str = "1"
) -> Response:
    filters = {
        "kind": kind.strip(),
        "status": status.strip(),
        "department": department.strip(),
        "overdue": "1" if overdue in ("1", "true", "on") else "",
    }
    number = _page_number(page)
    error = None
    try:
        data = await ctx.backend.get(
            "/api/v1/queue",
            kind=filters["kind"],
            status=filters["status"],
            department=filters["department"],
            overdue="true" if filters["overdue"] else "",
            page=number,
            per_page=PER_PAGE,
        )
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        data, error = dict(EMPTY_PAGE), f"无法按所选条件查询待办队列：{exc.message}"
    items = [{**item, "mark": deadline_mark(item)} for item in data.get("items") or []]
    departments = list(data.get("departments") or [])
    own = ctx.account.department
    if filters["department"] and filters["department"] not in departments:
        departments.append(filters["department"])
    return ctx.render(
        "queue.html",
        status_code=400 if error else 200,
        error=error,
        data=data,
        items=items,
        filters=filters,
        departments=departments,
        own_department=own,
        own_url=with_query("/queue", {}, department=own) if own else None,
        all_url="/queue",
        overdue_url=with_query("/queue", filters, overdue="1", page=""),
        page_links=[
            (n, with_query("/queue", filters, page=n) if n else None)
            for n in page_numbers(int(data.get("page") or 1), int(data.get("pages") or 0))
        ],
        prev_url=with_query("/queue", filters, page=number - 1) if number > 1 else None,
        next_url=with_query("/queue", filters, page=number + 1) if number < int(data.get("pages") or 0) else None,
        filtered=any(filters.values()),
    )
