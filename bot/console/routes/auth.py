"""登录 / 退出: the login form (double-submit CSRF cookie) and POST /logout (ends the backend session)."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.console.backend import BackendUnavailable, ConsoleBackendError
from bot.console.security import (
    CSRF_MESSAGE,
    EXPIRED_MESSAGE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfRefused,
    backend_for,
    clear_session_cookie,
    csrf_for,
    new_login_csrf,
    safe_next,
    same_token,
    set_session_cookie,
    submitted_csrf,
)
from bot.console.templating import render

router = APIRouter()
REASONS = {"expired": EXPIRED_MESSAGE, "logout": "您已安全退出。"}
REMAINING_KEYS = ("remaining_attempts", "attempts_left", "remaining")


def login_error_text(exc: ConsoleBackendError) -> str:
    """The backend's Chinese message, plus the remaining attempts when the backend gives them."""
    message = exc.message
    for key in REMAINING_KEYS:
        left = exc.details.get(key)
        if isinstance(left, int) and str(left) not in message:
            return f"{message}还可尝试{left}次，连续输错将锁定账号。"
    return message


def login_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    """The login form with a fresh double-submit CSRF cookie."""
    token = new_login_csrf()
    context.setdefault("notice", REASONS.get(request.query_params.get("reason", "")))
    context.setdefault("next", safe_next(request.query_params.get("next")))
    response = render(request, "login.html", status_code=status_code, csrf_token=token, **context)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
    )
    return response


@router.get("/login", include_in_schema=False)
async def login_form(request: Request) -> Response:
    """The login form; an account that is still logged in goes straight on to ``next``."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and not request.query_params.get("reason"):
        try:
            await backend_for(request, token).get("/api/v1/console/sessions/current")
        except (ConsoleBackendError, BackendUnavailable):
            pass
        else:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return login_page(request)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    account: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/counter"),
) -> Response:
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return login_page(request, status_code=403, error=CSRF_MESSAGE, account_name=account, next=safe_next(next))
    account = account.strip()
    if not account or not password:
        return login_page(
            request, status_code=400, error="请输入账号和密码。", account_name=account, next=safe_next(next)
        )
    try:
        data = await backend_for(request, token="").post(
            "/api/v1/console/sessions", json={"account": account, "password": password}
        )
    except ConsoleBackendError as exc:
        status = exc.status if exc.status in (400, 401, 423, 429) else 400
        return login_page(
            request, status_code=status, error=login_error_text(exc), account_name=account, next=safe_next(next)
        )
    except BackendUnavailable:
        return login_page(
            request,
            status_code=503,
            error="后台服务暂时无法访问，暂时不能登录，请稍后重试。",
            account_name=account,
            next=safe_next(next),
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, str(data["token"]))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """End the session on the server and drop the cookie. Checked against the cookie's token only, so a
    staff member can log out even when the backend is down (the server session then expires on its own)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return RedirectResponse("/login", status_code=303)
    if not same_token(await submitted_csrf(request), csrf_for(request.app.state.settings.secret, token)):
        raise CsrfRefused()
    with contextlib.suppress(ConsoleBackendError, BackendUnavailable):
        await backend_for(request, token).delete("/api/v1/console/sessions/current")
    response = RedirectResponse("/login?reason=logout", status_code=303)
    clear_session_cookie(response, request)
    return response
