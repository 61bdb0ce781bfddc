"""Jinja2 templates, the Chinese date filters and the navigation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).parent / "templates"
BEIJING = timezone(timedelta(hours=8), "CST")
WEEKDAYS = "一二三四五六日"
MAX_NOTICE = 200


class PageContext(Protocol):
    """What a page needs from the signed-in session (bot.console.security.Console)."""

    account: Any
    csrf: str


# (label, href, admin only): the header navigation; the current page is marked aria-current="page".
NAV: list[tuple[str, str, bool]] = [
    ("柜台助手", "/counter", False),
    ("待办队列", "/queue", False),
    ("人工服务", "/handoffs", False),
    ("信用记录录入", "/records/new", False),
    ("账号管理", "/admin/accounts", True),
    ("验证码发件箱", "/admin/outbox", True),
    ("审计日志", "/admin/audit", True),
    ("会话复核", "/admin/conversations", True),
    ("数据统计", "/admin/analytics", True),
    ("模型管理", "/admin/models", True),
]


def _parse(value: Any) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def beijing(value: Any) -> datetime | None:
    """A datetime (or ISO text) in Beijing time; naive values are taken as UTC (the backend stores UTC)."""
    parsed = _parse(value)
    if parsed is None:
        return None
    if not isinstance(parsed, datetime):
        return datetime(parsed.year, parsed.month, parsed.day, tzinfo=BEIJING)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(BEIJING)


def cn_date(value: Any, empty: str = "—") -> str:
    """2026年11月29日 (a datetime is first converted to Beijing time)."""
    parsed = _parse(value)
    if parsed is None:
        return empty if value in (None, "") else str(value)
    if isinstance(parsed, datetime):
        parsed = beijing(parsed)
    return f"{parsed.year}年{parsed.month}月{parsed.day}日"


def cn_datetime(value: Any, empty: str = "—") -> str:
    """2026年11月29日 18:05 in Beijing time."""
    moment = beijing(value)
    if moment is None:
        return empty if value in (None, "") else str(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def cn_weekday(value: Any) -> str:
    """星期一 … 星期日."""
    parsed = _parse(value)
    if parsed is None:
        return ""
    if isinstance(parsed, datetime):
        parsed = beijing(parsed)
    return f"星期{WEEKDAYS[parsed.weekday()]}"


def workdays_left(days: Any) -> str:
    """剩余N个工作日 / 已超期N个工作日 (None → 无期限)."""
    if days is None or days == "":
        return "无期限"
    n = int(days)
    return f"剩余{n}个工作日" if n >= 0 else f"已超期{-n}个工作日"


def plain(value: Any) -> str:
    """A JSON value as plain text: lists joined with 、, mappings as key：value, booleans as 是/否."""
    if isinstance(value, bool):
        return yes_no(value)
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return "、".join(plain(v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{k}：{plain(v)}" for k, v in value.items()) or "—"
    return str(value)


def yes_no(value: Any) -> str:
    return "是" if value else "否"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters.update(
    cn_date=cn_date,
    cn_datetime=cn_datetime,
    cn_weekday=cn_weekday,
    workdays_left=workdays_left,
    yes_no=yes_no,
    plain=plain,
)


# Pages under another prefix that belong to a nav entry (申请详情 belongs to 待办队列).
NAV_ALIASES = {"/queue": ("/cases",), "/records/new": ("/records",), "/handoffs": ("/handoffs",)}


def nav_for(path: str, is_admin: bool) -> list[dict[str, Any]]:
    """The navigation entries this account sees, with the current one marked."""
    items = []
    for label, href, admin_only in NAV:
        if admin_only and not is_admin:
            continue
        prefixes = (href, *NAV_ALIASES.get(href, ()))
        current = any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)
        items.append({"label": label, "href": href, "current": current})
    return items


def render(
    request: Request, template: str, *, status_code: int = 200, console: PageContext | None = None, **context: Any
) -> Response:
    """Render a page. ``notice`` defaults to the query's ``msg`` (short text, auto-escaped)."""
    notice = context.pop("notice", None) or (request.query_params.get("msg") or "")[:MAX_NOTICE] or None
    account = console.account if console else None
    values: dict[str, Any] = {
        "account": account,
        "csrf_token": console.csrf if console else context.pop("csrf_token", ""),
        "nav": nav_for(request.url.path, bool(account and account.is_admin)) if account else [],
        "notice": notice,
        "error": context.pop("error", None),
        **context,
    }
    return templates.TemplateResponse(request, template, values, status_code=status_code)
