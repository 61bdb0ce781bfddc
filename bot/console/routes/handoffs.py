"""人工服务: the hand-off inbox, a conversation with its transcript, and claim / reply / close.

- GET /handoffs?tab=open|claimed|closed — the inbox (待接入 / 处理中 / 已结束).
- GET /handoffs/{id} — the conversation; GET /handoffs/{id}/messages?after=N — new messages as JSON
  (backoffice.js polls it every few seconds; without JavaScript the page has a refresh link).
- POST /handoffs/{id}/claim, /handoffs/{id}/reply (text), /handoffs/{id}/close.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Response
from fastapi.responses import JSONResponse, RedirectResponse

from bot.console.backend import ConsoleBackendError
from bot.console.casework import HANDOFF_TABS, channel_label, message_who
from bot.console.security import Console, StaffPage, StaffPost
from bot.console.templating import cn_datetime

router = APIRouter()
TABS = dict(HANDOFF_TABS)
REPLY_MAX = 2000
EMPTY_REPLY = "请输入回复内容。"
POLL_SECONDS = 5


def _path(handoff_id: int) -> str:
    return f"/api/v1/handoffs/{handoff_id}"


def message_rows(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The transcript for display: who wrote each message and when (Beijing time)."""
    names = {detail.get("claimed_by"): detail.get("claimed_by_name")} if detail.get("claimed_by") else {}
    return [
        {
            "id": m.get("id"),
            "role": m.get("role"),
            "who": message_who(m, names),
            "text": m.get("text") or "",
            "at": m.get("at"),
            "at_text": cn_datetime(m.get("at")),
        }
        for m in detail.get("messages") or []
    ]


@router.get("/handoffs", include_in_schema=False)
async def inbox(ctx: StaffPage, tab: str = "open") -> Response:
    tab = tab if tab in TABS else "open"
    data = await ctx.backend.get("/api/v1/handoffs", status=tab)
    items = [
        {**h, "channel_label": channel_label(h.get("channel"), h.get("sender_id"))} for h in data.get("items") or []
    ]
    return ctx.render("handoffs.html", tab=tab, tabs=HANDOFF_TABS, items=items, mine=ctx.account.name)


async def conversation_page(ctx: Console, handoff_id: int, status_code: int = 200, **values: Any) -> Response:
    detail = await ctx.backend.get(_path(handoff_id))
    messages = message_rows(detail)
    holder = detail.get("claimed_by")
    return ctx.render(
        "handoff.html",
        status_code=status_code,
        handoff=detail,
        channel=channel_label(detail.get("channel"), detail.get("sender_id")),
        messages=messages,
        last_id=max((m["id"] or 0 for m in messages), default=0),
        mine=holder == ctx.account.name,
        can_close=detail.get("status") == "open"
        or (detail.get("status") == "claimed" and (holder == ctx.account.name or ctx.account.is_admin)),
        poll_seconds=POLL_SECONDS,
        reply=values.pop("reply", ""),
        **values,
    )


@router.get("/handoffs/{handoff_id:int}", include_in_schema=False)
async def conversation(handoff_id: int, ctx: StaffPage) -> Response:
    return await conversation_page(ctx, handoff_id)


@router.get("/handoffs/{handoff_id:int}/messages", include_in_schema=False)
async def new_messages(handoff_id: int, ctx: StaffPage, after: str = "0") -> Response:
    """The messages after ``after`` and the conversation's status, for the page's poll."""
    detail = await ctx.backend.get(_path(handoff_id))
    last = int(after) if after.isdigit() else 0
    fresh = [m for m in message_rows(detail) if (m["id"] or 0) > last]
    return JSONResponse(
        {
            "status": detail.get("status"),
            "status_label": detail.get("status_label"),
            "claimed_by": detail.get("claimed_by"),
            "messages": [{k: m[k] for k in ("id", "role", "who", "text", "at_text")} for m in fresh],
        }
    )


def _back(handoff_id: int, message: str) -> RedirectResponse:
    return RedirectResponse(f"/handoffs/{handoff_id}?msg={quote(message)}", status_code=303)


async def _act(ctx: Console, handoff_id: int, action: str, done: str, body: Any = None, reply: str = "") -> Response:
    try:
        await ctx.backend.post(f"{_path(handoff_id)}/{action}", json=body)
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 404):
            raise
        return await conversation_page(ctx, handoff_id, exc.status, error=exc.message, reply=reply)
    return _back(handoff_id, done)


@router.post("/handoffs/{handoff_id:int}/claim", include_in_schema=False)
async def claim(handoff_id: int, ctx: StaffPost) -> Response:
    return await _act(ctx, handoff_id, "claim", "已接入该会话，用户已收到工作人员接入的通知。")


@router.post("/handoffs/{handoff_id:int}/reply", include_in_schema=False)
async def reply(handoff_id: int, ctx: StaffPost, text: str = Form("")) -> Response:
    if not text.strip() or len(text) > REPLY_MAX:
        problem = EMPTY_REPLY if not text.strip() else f"回复不能超过{REPLY_MAX}个字符。"
        return await conversation_page(ctx, handoff_id, 400, error=problem, reply=text, reply_error=problem)
    return await _act(ctx, handoff_id, "messages", "回复已发送给用户。", {"text": text.strip()}, reply=text)


@router.post("/handoffs/{handoff_id:int}/close", include_in_schema=False)
async def close(handoff_id: int, ctx: StaffPost) -> Response:
    return await _act(ctx, handoff_id, "close", "会话已结束，用户已收到通知，智能助手将继续为其服务。")
