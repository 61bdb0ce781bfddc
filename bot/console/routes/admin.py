"""Admin pages: 账号管理 (/admin/accounts), 验证码发件箱 (/admin/outbox), 审计日志 (/admin/audit + CSV export)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.console.backend import ConsoleBackendError
from bot.console.security import AdminPage, AdminPost, Console
from credit_backend.rules.audit_actions import action_label  # a pure table of Chinese names, shared with the CSV

router = APIRouter(prefix="/admin")
ROLE_CHOICES = [("staff", "工作人员"), ("admin", "管理员")]
AUDIT_FILTERS = ("actor", "target", "uscc", "action", "date_from", "date_to")
PER_PAGE = 50


def back(path: str, message: str) -> RedirectResponse:
    """Post/redirect/get with a short notice."""
    return RedirectResponse(f"{path}?msg={quote(message)}", status_code=303)


# -- 账号管理 ---------------------------------------------------------------------------------------------


async def accounts_page(ctx: Console, status_code: int = 200, **values: Any) -> Response:
    data = await ctx.backend.get("/api/v1/accounts")
    values.setdefault("form", {})
    return ctx.render(
        "admin_accounts.html", status_code=status_code, accounts=data.get("items") or [], roles=ROLE_CHOICES, **values
    )


@router.get("/accounts", include_in_schema=False)
async def accounts(ctx: AdminPage) -> Response:
    return await accounts_page(ctx)


@router.post("/accounts", include_in_schema=False)
async def create_account(
    ctx: AdminPost,
    name: str = Form(""),
    display_name: str = Form(""),
    role: str = Form("staff"),
    department: str = Form(""),
    password: str = Form(""),
    password_again: str = Form(""),
) -> Response:
    form = {"name": name.strip(), "display_name": display_name.strip(), "role": role, "department": department.strip()}
    if password != password_again:
        return await accounts_page(ctx, 400, error="两次输入的密码不一致，账号未创建。", form=form)
    try:
        await ctx.backend.post("/api/v1/accounts", json={**form, "password": password})
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        return await accounts_page(ctx, exc.status, error=f"账号未创建：{exc.message}", form=form)
    return back("/admin/accounts", f"已创建账号 {form['name']}。")


async def _account_action(ctx: Console, name: str, action: str, done: str, body: Any = None) -> Response:
    try:
        await ctx.backend.post(f"/api/v1/accounts/{quote(name, safe='')}/{action}", json=body)
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        return await accounts_page(ctx, exc.status, error=exc.message)
    return back("/admin/accounts", done)


@router.post("/accounts/{name}/disable", include_in_schema=False)
async def disable_account(name: str, ctx: AdminPost) -> Response:
    return await _account_action(ctx, name, "disable", f"已停用账号 {name}，其登录会话已全部结束。")


@router.post("/accounts/{name}/enable", include_in_schema=False)
async def enable_account(name: str, ctx: AdminPost) -> Response:
    return await _account_action(ctx, name, "enable", f"已启用账号 {name}。")


@router.post("/accounts/{name}/password", include_in_schema=False)
async def reset_password(
    name: str, ctx: AdminPost, password: str = Form(""), password_again: str = Form("")
) -> Response:
    if password != password_again:
        return await accounts_page(ctx, 400, error=f"两次输入的密码不一致，账号 {name} 的密码未修改。")
    return await _account_action(
        ctx, name, "password", f"已重置账号 {name} 的密码，其登录会话已全部结束。", {"password": password}
    )


# -- 验证码发件箱 -------------------------------------------------------------------------------------------


@router.get("/outbox", include_in_schema=False)
async def outbox(ctx: AdminPage) -> Response:
    data = await ctx.backend.get("/api/v1/bindings/outbox")
    return ctx.render("admin_outbox.html", items=(data or {}).get("items") or [])


# -- 审计日志 ---------------------------------------------------------------------------------------------


def audit_filters(request: Request) -> dict[str, str]:
    """The filters of the query string (only the known ones, trimmed)."""
    return {k: request.query_params.get(k, "").strip() for k in AUDIT_FILTERS}


@router.get("/audit", include_in_schema=False)
async def audit(request: Request, ctx: AdminPage, page: int = 1) -> Response:
    filters = audit_filters(request)
    page = max(1, page)
    try:
        data = await ctx.backend.get("/api/v1/audit", **filters, page=page, per_page=PER_PAGE)
        error = None
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        data, error = {"items": [], "total": 0, "page": 1, "pages": 0, "actions": []}, exc.message
    query = urlencode({k: v for k, v in filters.items() if v})
    return ctx.render(
        "admin_audit.html",
        status_code=400 if error else 200,
        error=error,
        data=data,
        filters=filters,
        query=query,
        action_choices=[(a, action_label(a)) for a in data.get("actions") or []],
        csv_url="/admin/audit.csv" + (f"?{query}" if query else ""),
    )


@router.get("/audit.csv", include_in_schema=False)
async def audit_csv(request: Request, ctx: AdminPage) -> Response:
    """The backend's CSV export with the same filters (UTF-8 with BOM), as a download."""
    resp = await ctx.backend.request("GET", "/api/v1/audit.csv", params=audit_filters(request))
    return csv_download(resp, "audit.csv")


def csv_download(resp: httpx.Response, filename: str) -> Response:
    """A backend's CSV export passed on as a download (its own file name when it gives one)."""
    disposition = resp.headers.get("content-disposition") or f'attachment; filename="{filename}"'
    return Response(
        resp.content,
        media_type=resp.headers.get("content-type", "text/csv; charset=utf-8"),
        headers={"Content-Disposition": disposition},
    )
