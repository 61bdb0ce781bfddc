"""Request limits checked before a route sees the request: body size while it arrives, no NUL characters.

A body larger than its limit is refused with 413 at once when its Content-Length says so, otherwise as
soon as the bytes received pass the limit; nothing beyond the limit is read. (FastAPI's own
``max_body_size`` answers a declared oversize body in plain text; this keeps the JSON error format and
reads the upload limit from the settings on each request.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credit_backend.api.errors import TrackedSend, error_body, too_large_error

BodyLimit = Callable[[], int]


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive``: FastAPI re-raises HTTPExceptions met while reading a body."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def _is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.lower().startswith(b"multipart/")
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


class RequestLimitsMiddleware:
    """Caps each request body (``default`` bytes, or the limit of the first matching path) and refuses NUL."""

    def __init__(self, app: ASGIApp, default: int, by_path: dict[re.Pattern[str], BodyLimit] | None = None) -> None:
        self.app = app
        self.default = default
        self.by_path = by_path or {}

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.by_path.items():
            if pattern.match(path):
                return limit()
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope):
            message = "请求地址中含有不允许的控制字符（NUL），请检查后重试。"
            await JSONResponse(error_body("VALIDATION_ERROR", message), status_code=400)(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send)  # before reading a byte of the body
            return
        received = 0
        tracked = TrackedSend(send)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, tracked)
        except BodyTooLarge:
            if tracked.started:
                raise
            await self._refuse(scope, receive, send)  # read outside a route: answer here

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        code, message = too_large_error(_is_multipart(scope))
        response = JSONResponse(error_body(code, message), status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)
