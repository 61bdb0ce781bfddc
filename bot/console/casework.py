"""Pure helpers of the back-office pages (queue, case, hand-offs, records): marks, paging, labels, errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

# Where a deadline stands, as the queue marks it: never by colour alone (icon and text too).
DEADLINE_MARKS: dict[str, dict[str, str]] = {
    "overdue": {"icon": "⚠", "text": "已超期", "css": "tag-err", "row": "row-overdue"},
    "soon": {"icon": "⏰", "text": "即将到期", "css": "tag-warn", "row": "row-due-soon"},
}
CHANNEL_LABELS = {"tg": "Telegram", "wx": "微信", "web": "网页", "staff": "服务窗口", "console": "控制台"}
MESSAGE_ROLES = {"user": "用户", "bot": "智能助手", "staff": "工作人员", "system": "系统"}
HANDOFF_TABS: tuple[tuple[str, str], ...] = (("open", "待接入"), ("claimed", "处理中"), ("closed", "已结束"))
DOCUMENT_TYPES_NOTE = "证件号后四位"
IMAGE_TYPES = ("image/jpeg", "image/png")
PDF_TYPE = "application/pdf"
INLINE_TYPES = (*IMAGE_TYPES, PDF_TYPE)


def deadline_mark(item: Mapping[str, Any]) -> dict[str, str] | None:
    """The mark of a queue row: overdue, due within two working days, or none."""
    if item.get("overdue"):
        return DEADLINE_MARKS["overdue"]
    if item.get("due_soon"):
        return DEADLINE_MARKS["soon"]
    return None


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and ``around`` pages either side of ``page``; None = a gap."""
    if pages <= 0:
        return []
    wanted = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    numbers: list[int | None] = []
    previous = 0
    for n in sorted(wanted):
        if n - previous > 1:
            numbers.append(None)
        numbers.append(n)
        previous = n
    return numbers


def with_query(path: str, params: Mapping[str, Any], **changes: Any) -> str:
    """``path`` with ``params`` updated by ``changes`` as its query (empty values dropped)."""
    merged = {**params, **changes}
    clean = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(clean)}" if clean else path


def actor_label(actor: str | None) -> str:
    """Who did a step of a case's history, in Chinese: 工作人员 counter01, 申请人（Telegram）, 系统."""
    if not actor:
        return "—"
    prefix, _, rest = actor.partition(":")
    if prefix == "staff" and rest:
        return f"工作人员 {rest}"
    if prefix in CHANNEL_LABELS and rest:
        return f"申请人（{CHANNEL_LABELS[prefix]}）"
    if actor in ("staff", "admin"):
        return "工作人员"
    if actor in ("system", "jobs", "assistant"):
        return "系统"
    return actor


def channel_label(channel: str | None, sender_id: str | None = None) -> str:
    """The user's channel in Chinese (from the channel, or the sender id's prefix)."""
    code = channel or (sender_id or "").partition(":")[0]
    return CHANNEL_LABELS.get(code, code or "—")


def message_who(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Who wrote a hand-off message: 用户 / 智能助手 / 工作人员（张三） / 系统."""
    role = str(message.get("role") or "")
    label = MESSAGE_ROLES.get(role, role)
    author = message.get("author")
    if role == "staff" and author:
        return f"{label}（{(names or {}).get(author, author)}）"
    return label


def field_errors(details: Mapping[str, Any] | None) -> dict[str, str]:
    """A backend VALIDATION_ERROR's ``details.fields`` as field → message (the first message per field)."""
    found: dict[str, str] = {}
    for item in (details or {}).get("fields") or []:
        if isinstance(item, Mapping):
            name = str(item.get("field") or "").rsplit(".", 1)[-1]
            message = str(item.get("message") or "")
            if name and message and name not in found:
                found[name] = message
    return found


def import_errors(details: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A backend IMPORT_INVALID's ``details.errors`` as rows {row, column, reason} (column "—" for the file)."""
    rows = []
    for item in (details or {}).get("errors") or []:
        if isinstance(item, Mapping):
            rows.append(
                {
                    "row": item.get("row") if item.get("row") is not None else "—",
                    "column": item.get("column") or "—",
                    "reason": str(item.get("reason") or ""),
                }
            )
    return rows


def attachment_kind(content_type: str | None) -> str:
    """How the case page shows an evidence file: image, pdf or other (a download link only)."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in IMAGE_TYPES:
        return "image"
    if base == PDF_TYPE:
        return "pdf"
    return "other"


def size_label(size: int | None) -> str:
    """1572864 → 1.5MB, 2048 → 2KB."""
    if not size:
        return "0KB"
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024), 1):g}MB"
    return f"{max(1, round(size / 1024))}KB"


def content_disposition(kind: str, filename: str) -> str:
    """``inline`` / ``attachment`` with the file's (possibly Chinese) name, RFC 6266 / 5987 style."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def case_path(application_no: str) -> str:
    return f"/cases/{quote(application_no, safe='')}"
