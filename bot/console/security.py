"""Who is asking: the session cookie, CSRF tokens, the current account and the admin check.

- ``console_session`` (HttpOnly, SameSite=Strict, Secure when CONSOLE_COOKIE_SECURE=1) holds the backend's
  session token. Every page asks the backend who the token belongs to (GET /api/v1/console/sessions/current,
  which also keeps the session alive); idle and absolute expiry are the backend's.
- CSRF: every POST carries ``csrf_token`` (form field, or header ``X-CSRF-Token`` for fetch) =
  HMAC-SHA256(CONSOLE_SECRET, session token), hex. The login form uses a double-submit cookie
  ``console_csrf`` (random) plus the same value in a hidden field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response

from bot.console.backend import Backend, ConsoleBackendError

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 12 * 3600  # the cookie never outlives the backend's absolute limit
EXPIRED_MESSAGE = "登录已过期，请重新登录"
LOGIN_MESSAGE = "请先登录"
CSRF_MESSAGE = "请求已失效，请刷新页面后重试"
ADMIN_MESSAGE = "只有系统管理员可以使用此页面。"
ROLE_LABELS = {"staff": "工作人员", "admin": "管理员"}
# Everything a page loads comes from the console itself (CONSOLE.md: no asset from outside the deployment).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-src 'self'; object-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"
)


@dataclass(frozen=True)
class Account:
    """The logged-in account as the backend describes it."""

    name: str
    display_name: str
    role: str
    department: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Account:
        return cls(
            name=str(data.get("name") or ""),
            display_name=str(data.get("display_name") or data.get("name") or ""),
            role=str(data.get("role") or ""),
            department=str(data.get("department") or ""),
        )


class LoginRequired(Exception):
    """No valid session: redirect to /login?next=… (and clear the cookie)."""

    def __init__(self, next_url: str, message: str = LOGIN_MESSAGE) -> None:
        super().__init__(message)
        self.next_url = next_url
        self.message = message


class CsrfRefused(Exception):
    """A POST without a valid CSRF token: 403, nothing changes."""


class Forbidden(Exception):
    """The account's role may not use this page: 403 page with ``message``."""

    def __init__(self, message: str = ADMIN_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def csp_allowing_styles(sources: list[str]) -> str:
    """The policy with these extra style sources (e.g. the ``'sha256-…'`` of a chart's own stylesheet)."""
    return CSP.replace("style-src 'self'", " ".join(["style-src 'self'", *sources]))


def csrf_for(secret: str, session_token: str) -> str:
    """The CSRF token bound to a session: hex HMAC-SHA256(secret, token)."""
    return hmac.new(secret.encode(), session_token.encode(), hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two non-empty tokens."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def safe_next(url: str | None, default: str = "/counter") -> str:
    """A local path to go back to after login (never another site)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url


def login_url(next_url: str, reason: str | None = None) -> str:
    url = f"/login?next={quote(safe_next(next_url), safe='/')}"
    return f"{url}&reason={reason}" if reason else url


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=request.app.state.settings.cookie_secure
    )


def backend_for(request: Request, token: str | None = None) -> Backend:
    """The backend API bound to ``token`` (default: the request's session cookie)."""
    return Backend(request.app.state.backend_client, token or request.cookies.get(SESSION_COOKIE))


def request_path(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


@dataclass
class Console:
    """What a console page needs: the account, the backend bound to its session, the CSRF token, rendering."""

    request: Request
    account: Account
    backend: Backend
    csrf: str
    session: dict[str, Any]

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        """Render ``template`` with ``account``, ``csrf_token``, ``notice`` (from ?msg=) and ``context``."""
        from bot.console.templating import render

        return render(self.request, template, status_code=status_code, console=self, **context)


async def console(request: Request) -> Console:
    """Dependency: the current account (or a redirect to /login?next=…)."""
    cached = getattr(request.state, "console", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(request_path(request))
    backend = backend_for(request, token)
    try:
        data = await backend.get("/api/v1/console/sessions/current")
    except ConsoleBackendError as exc:
        if exc.status == 401:
            raise LoginRequired(request_path(request), EXPIRED_MESSAGE) from exc
        raise
    account = Account.from_api((data or {}).get("account") or {})
    ctx = Console(request, account, backend, csrf_for(request.app.state.settings.secret, token), data or {})
    request.state.console = ctx
    return ctx


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a POST carries: header ``X-CSRF-Token`` or form field ``csrf_token``."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def console_post(request: Request, ctx: Annotated[Console, Depends(console)]) -> Console:
    """Dependency for every POST: the current account, and a valid CSRF token or 403 (nothing changes)."""
    if not same_token(await submitted_csrf(request), ctx.csrf):
        raise CsrfRefused()
    return ctx


async def admin_console(ctx: Annotated[Console, Depends(console)]) -> Console:
    """Dependency for admin pages (GET): the account must be an admin, else 403."""
    if not ctx.account.is_admin:
        raise Forbidden()
    return ctx


async def admin_post(ctx: Annotated[Console, Depends(console_post)]) -> Console:
    """Dependency for admin POSTs: CSRF checked and the account must be an admin."""
    if not ctx.account.is_admin:
        raise Forbidden()
    return ctx


# Route parameter types: ``async def page(ctx: StaffPage)`` / ``(ctx: StaffPost)`` / ``AdminPage`` / ``AdminPost``.
StaffPage = Annotated[Console, Depends(console)]
StaffPost = Annotated[Console, Depends(console_post)]
AdminPage = Annotated[Console, Depends(admin_console)]
AdminPost = Annotated[Console, Depends(admin_post)]
