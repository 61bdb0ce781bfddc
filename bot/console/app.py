"""create_app(settings) → the console's FastAPI app: routers, static files, error pages, security headers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.console.backend import UNAVAILABLE_MESSAGE, BackendUnavailable, ConsoleBackendError, make_client
from bot.console.rasa import StaffRasaClient
from bot.console.security import (
    CSP,
    CSRF_MESSAGE,
    EXPIRED_MESSAGE,
    SESSION_COOKIE,
    Console,
    CsrfRefused,
    Forbidden,
    LoginRequired,
    clear_session_cookie,
    login_url,
    request_path,
)
from bot.console.settings import ConsoleSettings
from bot.console.templating import render

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
NOT_FOUND_MESSAGE = "您访问的页面不存在，请从导航重新进入。"
INTERNAL_MESSAGE = "控制台出现内部错误，操作未完成。请稍后重试；如果问题持续，请联系系统管理员。"


def wants_json(request: Request) -> bool:
    """A fetch from console.js (it sends Accept: application/json)."""
    return "application/json" in request.headers.get("accept", "")


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """The Chinese error page (JSON for a fetch), with the account's header when the page knows it."""
    if wants_json(request):
        return JSONResponse({"error": {"message": message, "status": status}}, status_code=status)
    ctx: Console | None = getattr(request.state, "console", None)
    return render(request, "error.html", status_code=status, console=ctx, title=title, message=message, status=status)


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        reason = "expired" if exc.message == EXPIRED_MESSAGE else None
        target = login_url(exc.next_url if request.method == "GET" else "/counter", reason)
        if wants_json(request):
            response: Response = JSONResponse({"error": {"message": exc.message, "login": target}}, status_code=401)
        else:
            response = RedirectResponse(target, status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            clear_session_cookie(response, request)
        return response

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return error_page(request, 403, "请求已失效", CSRF_MESSAGE)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_page(request, 403, "无权访问", exc.message)

    @app.exception_handler(ConsoleBackendError)
    async def _backend(request: Request, exc: ConsoleBackendError) -> Response:
        if exc.session_ended:
            return await _login(request, LoginRequired(request_path(request), EXPIRED_MESSAGE))
        titles = {403: "无权访问", 404: "未找到", 409: "操作冲突"}
        return error_page(request, exc.status, titles.get(exc.status, "操作未完成"), exc.message)

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> Response:
        return error_page(request, 503, "后台服务暂时不可用", UNAVAILABLE_MESSAGE)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, 404, "页面不存在", NOT_FOUND_MESSAGE)
        if exc.status_code == 405:
            return error_page(request, 405, "请求方式不正确", "此页面不支持该请求方式，请从导航重新进入。")
        return error_page(request, exc.status_code, "请求未完成", str(exc.detail or INTERNAL_MESSAGE))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.exception("console error on %s %s", request.method, request.url.path)
        return error_page(request, 500, "系统错误", INTERNAL_MESSAGE)


def create_app(
    settings: ConsoleSettings | None = None,
    backend_transport: httpx.AsyncBaseTransport | None = None,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The console app. ``backend_transport``/``rasa_transport`` let tests plug in in-process apps."""
    from bot.console.routes import ROUTERS

    settings = settings or ConsoleSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.backend_client.aclose()
        await app.state.rasa.close()

    app = FastAPI(
        title="信用中国（吉林市）工作人员控制台", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.backend_client = make_client(settings.backend_url, settings.backend_timeout, backend_transport)
    app.state.rasa = StaffRasaClient(
        settings.rasa_url, settings.staff_channel_secret, timeout=settings.rasa_timeout, transport=rasa_transport
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/counter", status_code=303)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in ROUTERS:
        app.include_router(router)
    return app
