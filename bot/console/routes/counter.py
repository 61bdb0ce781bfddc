"""柜台助手: the chat pane (Rasa's trusted channel as staff:<account>) beside the entity panel.

- GET /counter?uscc=…&q=… — the page; the panel shows the entity (or the search results for ``q``).
- GET /counter/entity?uscc=…&q=…[&fragment=1] — the same page, or with fragment=1 only the panel (for console.js).
- POST /counter/message — one message to the assistant; JSON for fetch (Accept: application/json), else the page
  re-rendered with the history the form carried.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from bot.console import entity
from bot.console.backend import BackendUnavailable, ConsoleBackendError
from bot.console.chat import MAX_MESSAGE, ChatMessage, dump_history, from_rasa, parse_history
from bot.console.rasa import UNAVAILABLE_MESSAGE, RasaUnavailable
from bot.console.security import Console, StaffPage, StaffPost
from bot.console.templating import render

router = APIRouter()
NOT_FOUND = "未找到该主体，请核对统一社会信用代码或名称。"
NO_MATCH = "没有找到名称或代码包含“{q}”的主体。"
EMPTY_MESSAGE = "请输入要发送的内容。"
TOO_LONG = f"消息过长，请控制在{MAX_MESSAGE}字以内。"


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def panel_context(ctx: Console, uscc: str = "", q: str = "") -> dict[str, Any]:
    """What the entity panel shows: an entity, search hits, or a message."""
    values: dict[str, Any] = {"panel": None, "hits": None, "panel_error": None, "q": q, "uscc": uscc}
    query = entity.normalize_query(q)
    if not uscc and query:
        if entity.USCC_PATTERN.fullmatch(query):
            uscc = query
        else:
            try:
                hits = await entity.search(ctx.backend, query)
            except ConsoleBackendError as exc:
                if exc.session_ended:
                    raise
                values["panel_error"] = exc.message
                return values
            if len(hits) == 1:
                uscc = hits[0]["uscc"]
            else:
                values["hits"] = hits
                if not hits:
                    values["panel_error"] = NO_MATCH.format(q=q)
                return values
    if uscc:
        try:
            values["panel"] = await entity.load(ctx.backend, uscc.strip().upper(), ctx.account.name)
            values["uscc"] = values["panel"].uscc
        except ConsoleBackendError as exc:
            if exc.session_ended:
                raise
            values["panel_error"] = NOT_FOUND if exc.status == 404 else exc.message
    return values


def chat_metadata(ctx: Console) -> dict[str, Any]:
    """What Rasa receives as message metadata (like the Telegram bridge's ``channel`` and ``display_name``)."""
    return {"channel": "console", "display_name": ctx.account.display_name, "department": ctx.account.department}


def button_title(history: list[ChatMessage], payload: str) -> str:
    """The title of the newest button with ``payload`` (what the staff member clicked)."""
    for m in reversed(history):
        for b in m.buttons:
            if b.payload == payload:
                return b.title
    return ""


def counter_page(ctx: Console, history: list[ChatMessage], status_code: int = 200, **values: Any) -> Response:
    return ctx.render(
        "counter.html", status_code=status_code, history=history, history_json=dump_history(history), **values
    )


@router.get("/counter", include_in_schema=False)
async def counter(ctx: StaffPage, uscc: str = "", q: str = "") -> Response:
    return counter_page(ctx, [], **await panel_context(ctx, uscc, q))


@router.get("/counter/entity", include_in_schema=False)
async def counter_entity(request: Request, ctx: StaffPage, uscc: str = "", q: str = "", fragment: int = 0) -> Response:
    values = await panel_context(ctx, uscc, q)
    if fragment:
        return render(request, "entity_panel.html", console=ctx, **values)
    return counter_page(ctx, [], **values)


@router.post("/counter/message", include_in_schema=False)
async def counter_message(
    request: Request,
    ctx: StaffPost,
    message: str = Form(""),
    choice: str = Form(""),
    display: str = Form(""),
    history: str = Form("[]"),
    uscc: str = Form(""),
) -> Response:
    """Send ``message`` (typed), or ``choice`` (a button's payload, shown as its title) to the assistant."""
    past = parse_history(history)
    text = (choice or message).strip()
    if choice and not display:
        display = button_title(past, choice)
    problem = EMPTY_MESSAGE if not text else TOO_LONG if len(text) > MAX_MESSAGE else None
    if problem:
        if wants_json(request):
            return JSONResponse({"error": {"message": problem, "status": 400}}, status_code=400)
        return counter_page(ctx, past, 400, error=problem, **await panel_context(ctx, uscc))
    said = ChatMessage("user", (display.strip() or text)[:MAX_MESSAGE])
    try:
        answers = from_rasa(await request.app.state.rasa.send_as(ctx.account.name, text, chat_metadata(ctx)))
    except RasaUnavailable:
        if wants_json(request):
            return JSONResponse(
                {"error": {"message": UNAVAILABLE_MESSAGE, "status": 503}, "sent": said.to_dict()}, status_code=503
            )
        return counter_page(ctx, [*past, said], 503, error=UNAVAILABLE_MESSAGE, **await panel_context(ctx, uscc))
    if not answers:
        answers = [ChatMessage("system", "（智能助手没有回复）")]
    named = entity.find_uscc(text, *(m.text for m in answers))
    follow = named if named and named != uscc.strip().upper() else None
    if wants_json(request):
        return JSONResponse({"sent": said.to_dict(), "messages": [m.to_dict() for m in answers], "uscc": follow})
    try:
        values = await panel_context(ctx, follow or uscc)
    except BackendUnavailable:
        values = {"panel": None, "hits": None, "panel_error": "后台服务暂时无法访问。", "q": "", "uscc": uscc}
    return counter_page(ctx, [*past, said, *answers], **values)
