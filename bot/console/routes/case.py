"""申请详情: the case as staff decide it, its evidence (proxied from the backend) and the decision form.

- GET /cases/{no} — the record concerned, the business's statements, the identity check, evidence, history
  and a form offering only the decisions the backend lists.
- GET /cases/{no}/attachments/{id}[?download=1] — the evidence bytes, fetched with the user's session.
- POST /cases/{no}/decision — action, note (required), expected_status (the status the reviewer saw).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from bot.console.backend import ConsoleBackendError
from bot.console.casework import INLINE_TYPES, actor_label, attachment_kind, case_path, content_disposition, size_label
from bot.console.security import Console, StaffPage, StaffPost

router = APIRouter()
NOTE_REQUIRED = "请填写处理意见（决定的理由）。处理意见将告知申请人，未填写时不能提交决定。"
ACTION_REQUIRED = "请选择处理决定。"
NOTE_MAX = 2000
CONFLICT_CODES = {"DECISION_CONFLICT", "ILLEGAL_TRANSITION"}


def _api_path(application_no: str) -> str:
    return f"/api/v1/applications/{quote(application_no, safe='')}"


async def load_case(ctx: Console, application_no: str) -> dict[str, Any]:
    """The backend's case view, with display helpers for the template."""
    case: dict[str, Any] = await ctx.backend.get(_api_path(application_no))
    no = case.get("application_no") or application_no
    case["path"] = case_path(no)
    case["evidence"] = [
        {
            **a,
            "kind": attachment_kind(a.get("content_type")),
            "size_label": size_label(a.get("size")),
            "url": f"{case['path']}/attachments/{a['id']}",
            "download_url": f"{case['path']}/attachments/{a['id']}?download=1",
        }
        for a in case.get("attachments") or []
    ]
    case["history_rows"] = [{**h, "who": actor_label(h.get("actor"))} for h in case.get("history") or []]
    details = case.get("details") or {}
    case["concerned_record"] = case.get("record") or details.get("record")
    return case


def case_page(ctx: Console, case: dict[str, Any], status_code: int = 200, **values: Any) -> Response:
    values.setdefault("form", {"action": "", "note": ""})
    values.setdefault("field_errors", {})
    return ctx.render("case.html", status_code=status_code, case=case, **values)


@router.get("/cases/{application_no}", include_in_schema=False)
async def case_view(application_no: str, ctx: StaffPage) -> Response:
    return case_page(ctx, await load_case(ctx, application_no))


@router.get("/cases/{application_no}/attachments/{attachment_id:int}", include_in_schema=False)
async def evidence(application_no: str, attachment_id: int, ctx: StaffPage, download: str = "") -> Response:
    """The evidence file through the console (the browser never talks to the backend)."""
    resp = await ctx.backend.request("GET", f"{_api_path(application_no)}/attachments/{attachment_id}")
    content_type = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    inline = content_type in INLINE_TYPES and not download
    filename = _filename(resp.headers.get("content-disposition", "")) or f"evidence-{attachment_id}"
    return Response(
        resp.content,
        media_type=content_type if content_type in INLINE_TYPES else "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("inline" if inline else "attachment", filename),
            "Cache-Control": "private, no-store",
        },
    )


def _filename(disposition: str) -> str:
    """The file name of a Content-Disposition header (RFC 5987 ``filename*`` preferred)."""
    plain = ""
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        key = key.lower()
        if key == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
        if key == "filename":
            plain = value.strip('"')
    return plain


@router.post("/cases/{application_no}/decision", include_in_schema=False)
async def decide(
    application_no: str,
    ctx: StaffPost,
    action: str = Form(""),
    note: str = Form(""),
    expected_status: str = Form(""),
) -> Response:
    form = {"action": action.strip(), "note": note}
    problems: dict[str, str] = {}
    if not form["action"]:
        problems["action"] = ACTION_REQUIRED
    if not note.strip():
        problems["note"] = NOTE_REQUIRED
    elif len(note) > NOTE_MAX:
        problems["note"] = f"处理意见不能超过{NOTE_MAX}个字符。"
    if problems:
        case = await load_case(ctx, application_no)
        message = "决定未提交：" + "；".join(problems.values())
        return case_page(ctx, case, 400, error=message, form=form, field_errors=problems)
    body = {"action": form["action"], "note": note.strip(), "expected_status": expected_status.strip() or None}
    try:
        result = await ctx.backend.post(f"{_api_path(application_no)}/decision", json=body)
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403, 404):
            raise
        case = await load_case(ctx, application_no)
        if exc.status == 409 or exc.code in CONFLICT_CODES:
            # Someone else decided first (or the state moved on): nothing changed; show the state as it is now.
            return case_page(ctx, case, 409, error=exc.message, conflict=True, form={"action": "", "note": note})
        return case_page(ctx, case, exc.status, error=f"决定未保存：{exc.message}", form=form)
    done = f"决定已保存，申请当前状态：{result.get('status_label')}。系统将通过申请人使用的渠道通知申请人。"
    return RedirectResponse(f"{case_path(result.get('application_no') or application_no)}?msg={quote(done)}", 303)
