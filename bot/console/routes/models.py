"""模型管理 (admins): every trained model with its report and the gate's verdict, the one in service, a retrain
(started in the background, one at a time) and a rollback to the model in service before. The registry and the
retrain are training.registry / training.retrain, under the data root (``CONSOLE_PROJECT_ROOT``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from bot.console.routes.review import data_root
from bot.console.security import AdminPage, AdminPost, Console
from training import retrain
from training.registry import ModelEntry, Registry, RegistryError

router = APIRouter(prefix="/admin/models")
STATES = {
    "idle": "空闲",
    "running": "正在训练",
    "promoted": "已通过并上线",
    "refused": "未通过，未上线",
    "failed": "训练失败",
}
ORIGINS = {"trained": "重新训练", "imported": "原有模型导入"}


def model_view(entry: ModelEntry) -> dict[str, Any]:
    """What the table shows of a model: its figures, story results and verdict."""
    report = entry.report or {}
    nlu = report.get("nlu") or {}
    story_results = report.get("stories") or {}
    verdict = entry.verdict or {}
    total = story_results.get("total")
    return {
        "id": entry.id,
        "created": entry.created,
        "origin": ORIGINS.get(entry.origin, entry.origin),
        "current": entry.current,
        "accuracy": nlu.get("intent_accuracy"),
        "macro_f1": nlu.get("intent_macro_f1"),
        "stories": None if total is None else f"{int(total) - int(story_results.get('failed') or 0)}/{total}",
        "verdict": None if not verdict else ("promoted" if verdict.get("promote") else "refused"),
        "reasons": list(verdict.get("reasons") or []),
    }


def back(message: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/models?msg={quote(message)}", status_code=303)


async def models_page(ctx: Console, status_code: int = 200, **values: Any) -> Response:
    root = data_root(ctx)
    registry = Registry(root)
    status = retrain.retrain_status(root)
    return ctx.render(
        "admin_models.html",
        status_code=status_code,
        entries=[model_view(e) for e in registry.entries()],
        status=status,
        state_label=STATES.get(status.state, status.state),
        can_rollback=len(registry.history()) >= 2,
        **values,
    )


@router.get("", include_in_schema=False)
async def models(ctx: AdminPage) -> Response:
    return await models_page(ctx)


@router.post("/retrain", include_in_schema=False)
async def start_retrain(ctx: AdminPost) -> Response:
    root = data_root(ctx)
    if retrain.retrain_status(root).state == "running":
        return await models_page(ctx, 409, error="已有一次重新训练正在进行，请等它结束后再试。")
    status = retrain.start_retrain(root)
    await ctx.backend.audit("start_retrain", "model", state=status.state)
    return back("已开始重新训练。训练和评测需要一段时间，结束后本页显示结果；通过检验的模型会自动上线。")


@router.post("/rollback", include_in_schema=False)
async def rollback(ctx: AdminPost) -> Response:
    registry = Registry(data_root(ctx))
    before = registry.current_id()
    try:
        entry = registry.rollback()
    except RegistryError as exc:
        return await models_page(ctx, 409, error=f"未回滚：{exc}")
    await ctx.backend.audit("rollback_model", entry.id, previous=before)
    return back(f"已回滚到模型 {entry.id}，智能助手将在几秒内改用该模型。")
