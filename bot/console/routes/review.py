"""会话复核 (admins): the archived conversations by the review filters, one conversation with every message's
prediction, marking it reviewed, annotating a message into the training data and saving it as a test story.

Reading goes through the backend (GET /api/v1/conversations…, audited there). Annotations and stories are
written by the training package into the data root (``CONSOLE_PROJECT_ROOT``, default the project root), always
after the personal data is scrubbed, and recorded in the backend's audit log.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.console.backend import ConsoleBackendError
from bot.console.casework import page_numbers, with_query
from bot.console.markup import MarkupError, predicted_markup, read_markup
from bot.console.security import AdminPage, AdminPost, Console
from bot.console.templating import BEIJING
from credit_backend.archive.queries import CHANNEL_LABELS, OUTCOME_LABELS  # the archive's labels, as in its CSV
from training import annotate, stories
from training.annotate import FAQ_INTENT, Annotation

router = APIRouter(prefix="/admin/conversations")
PER_PAGE = 20
CHANNELS = tuple(CHANNEL_LABELS)  # tg, wx, web, staff, rest: the archive's channels
# (query parameter, label): the review filters, each a checkbox; every one ticked must hold.
FLAGS: tuple[tuple[str, str], ...] = (
    ("fallback", "触发兜底（澄清提问）"),
    ("low_confidence", "意图置信度低"),
    ("small_margin", "前两个意图接近"),
    ("handoff", "转人工"),
    ("cancelled", "取消了办理"),
    ("abandoned", "中途离开办理"),
    ("explained", "两次答错后说明"),
)
REVIEWED_CHOICES = (("", "全部"), ("false", "未复核"), ("true", "已复核"))
STATUS_CODES = {"written": 200, "duplicate": 409, "conflict": 409, "invalid": 400}


def review_filters(request: Request) -> dict[str, str]:
    """The filters of the query string, cleaned (unknown values dropped)."""
    q = request.query_params
    filters = {name: "1" if q.get(name) in ("1", "true", "on") else "" for name, _ in FLAGS}
    filters["reviewed"] = q.get("reviewed", "") if q.get("reviewed") in ("true", "false") else ""
    filters["channel"] = q.get("channel", "") if q.get("channel") in CHANNELS else ""
    for name in ("date_from", "date_to", "sender"):
        filters[name] = q.get(name, "").strip()[:100]
    return filters


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1


@router.get("", include_in_schema=False)
async def conversations(request: Request, ctx: AdminPage, page: str = "1") -> Response:
    filters = review_filters(request)
    number = _page_number(page)
    params = {k: ("true" if v == "1" else v) for k, v in filters.items()}
    error = None
    try:
        data = await ctx.backend.get("/api/v1/conversations", **params, page=number, per_page=PER_PAGE)
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        data = {"items": [], "total": 0, "page": 1, "pages": 0}
        error = f"无法按所选条件查询会话：{exc.message}"
    pages = int(data.get("pages") or 0) if data.get("total") else 0
    return ctx.render(
        "admin_review.html",
        status_code=400 if error else 200,
        error=error,
        data=data,
        filters=filters,
        flags=FLAGS,
        channels=[(c, CHANNEL_LABELS[c]) for c in CHANNELS],
        channel_labels=CHANNEL_LABELS,
        reviewed_choices=REVIEWED_CHOICES,
        filtered=any(filters.values()),
        page_links=[
            (n, with_query("/admin/conversations", filters, page=n) if n else None)
            for n in page_numbers(int(data.get("page") or 1), pages)
        ],
        pages=pages,
        prev_url=with_query("/admin/conversations", filters, page=number - 1) if number > 1 else None,
        next_url=with_query("/admin/conversations", filters, page=number + 1) if number < pages else None,
    )


# -- one conversation ---------------------------------------------------------------------------------------


def data_root(ctx: Console) -> Path:
    return Path(ctx.request.app.state.settings.project_root)


def _faq_topic(value: str | None) -> str:
    """``faq/policy_x`` (the response selector's key) → ``policy_x``."""
    return (value or "").removeprefix("faq/")


def runner_up(message: dict[str, Any], count: int = 3) -> list[dict[str, Any]]:
    """The intents ranked after the predicted one (the fallback left out)."""
    skip = {message.get("intent"), "nlu_fallback"}
    return [r for r in message.get("ranking") or [] if r.get("name") not in skip][:count]


def _form_values(message: dict[str, Any]) -> dict[str, str]:
    """The annotate form of a message, prefilled from its prediction."""
    return {
        "intent": str(message.get("top_intent") or message.get("intent") or ""),
        "faq_topic": _faq_topic(message.get("faq_topic")),
        "markup": predicted_markup(str(message.get("text") or ""), message.get("entities") or []),
    }


async def conversation_page(
    ctx: Console,
    conversation_id: int,
    status_code: int = 200,
    message_id: int | None = None,
    form: dict[str, str] | None = None,
    detail: dict[str, Any] | None = None,
    **values: Any,
) -> Response:
    """The conversation page (``detail``: the backend's, when the caller already read it — each read is audited);
    ``message_id``'s annotate form shows ``form`` and the outcome in ``values``."""
    if detail is None:
        detail = await ctx.backend.get(f"/api/v1/conversations/{conversation_id}")
    messages = {int(m["id"]): {**m, "runner_up": runner_up(m)} for m in detail.get("messages") or []}
    forms = {mid: _form_values(m) for mid, m in messages.items()}
    if message_id is not None and form is not None:
        forms[message_id] = form
    return ctx.render(
        "admin_conversation.html",
        status_code=status_code,
        c=detail,
        messages=messages,
        forms=forms,
        active=message_id,
        choices=annotate.choices(data_root(ctx)),
        channel_labels=CHANNEL_LABELS,
        outcome_labels=OUTCOME_LABELS,
        story_name=values.pop("story_name", f"复核会话{conversation_id}"),
        **values,
    )


@router.get("/{conversation_id}", include_in_schema=False)
async def conversation(conversation_id: int, ctx: AdminPage) -> Response:
    return await conversation_page(ctx, conversation_id)


@router.post("/{conversation_id}/reviewed", include_in_schema=False)
async def mark_reviewed(conversation_id: int, ctx: AdminPost) -> Response:
    await ctx.backend.post(f"/api/v1/conversations/{conversation_id}/reviewed")
    return RedirectResponse(
        f"/admin/conversations/{conversation_id}?msg={quote('已将该会话标记为已复核。')}", status_code=303
    )


def _annotation(ctx: Console, detail: dict[str, Any], message: dict[str, Any], form: dict[str, str]) -> Annotation:
    """The annotation the form describes (training.annotate judges the intent, topic and entities); raises
    MarkupError when the entity field is not the message's text with marks."""
    text = str(message.get("text") or "")
    today = datetime.now(BEIJING).date()
    source = (
        f"conversation {detail['id']} message {message['id']} ({detail.get('channel') or ''}), "
        f"annotated by {ctx.account.name}, {today.isoformat()}"
    )
    return Annotation(
        text=text,
        intent=form["intent"],
        faq_topic=(form["faq_topic"] or None) if form["intent"] == FAQ_INTENT else None,
        entities=read_markup(form["markup"], text),
        source=source,
        annotator=ctx.account.name,
        annotated_on=today,
    )


@router.post("/{conversation_id}/messages/{message_id}", include_in_schema=False)
async def annotate_message(
    conversation_id: int,
    message_id: int,
    ctx: AdminPost,
    intent: str = Form(""),
    faq_topic: str = Form(""),
    markup: str = Form(""),
    step: str = Form("preview"),
) -> Response:
    """预览 (step=preview: what would be written, nothing written) or 写入 (step=write)."""
    form = {"intent": intent.strip(), "faq_topic": faq_topic.strip(), "markup": markup.strip("\r\n")}
    detail = await ctx.backend.get(f"/api/v1/conversations/{conversation_id}")
    message = next((m for m in detail.get("messages") or [] if m["id"] == message_id), None)
    if message is None or not message.get("typed"):
        error = "该会话中没有这条用户输入的消息，无法标注（按钮点击不能作为训练样例）。"
        return await conversation_page(ctx, conversation_id, 404, detail=detail, error=error)
    try:
        annotation = _annotation(ctx, detail, message, form)
    except MarkupError as exc:
        error = "标注未保存：" + exc.message
        return await conversation_page(
            ctx, conversation_id, 400, message_id, form, detail, annotate_error=exc.message, error=error
        )
    root = data_root(ctx)
    if step != "write":
        preview = annotate.preview(root, annotation)
        status = 400 if preview.status == "invalid" else 200
        return await conversation_page(ctx, conversation_id, status, message_id, form, detail, preview=preview)
    outcome = annotate.annotate(root, annotation)
    if outcome.status == "written":
        await ctx.backend.audit(
            "annotate_example",
            f"conversation:{conversation_id} message:{message_id}",
            intent=annotation.intent,
            faq_topic=annotation.faq_topic,
            path=outcome.path,
        )
    status = STATUS_CODES.get(outcome.status, 200)
    return await conversation_page(ctx, conversation_id, status, message_id, form, detail, outcome=outcome)


@router.post("/{conversation_id}/story", include_in_schema=False)
async def save_story(conversation_id: int, ctx: AdminPost, name: str = Form("")) -> Response:
    """另存为测试故事: the conversation as a test story under tests/stories/reviewed/ (scrubbed)."""
    name = " ".join(name.split())[:100]
    if not name:
        return await conversation_page(ctx, conversation_id, 400, error="请填写测试故事的名称。", story_name=name)
    detail = await ctx.backend.get(f"/api/v1/conversations/{conversation_id}")
    root = data_root(ctx)
    try:
        path = stories.save_story(root, detail, name)
    except stories.StoryError as exc:
        error = f"未保存测试故事：{exc}"
        return await conversation_page(ctx, conversation_id, 409, detail=detail, error=error, story_name=name)
    shown = _relative(path, root)
    await ctx.backend.audit("save_test_story", f"conversation:{conversation_id}", path=shown, name=name)
    return RedirectResponse(
        f"/admin/conversations/{conversation_id}?msg={quote(f'已保存为测试故事“{name}”：{shown}')}", status_code=303
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
