"""Dependencies: the database session and the caller, from a role token or a console session."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from credit_backend.db import read_session_scope, session_scope
from credit_backend.errors import DomainError, Forbidden
from credit_backend.services import console_sessions
from credit_backend.settings import get_settings

ROLES = ("assistant", "staff", "admin")  # each role may do what the ones before it may
CONSOLE_SESSION_HEADER = "X-Console-Session"


@dataclass(frozen=True)
class Caller:
    role: str
    account: str | None = None  # the console account, for a console session
    department: str | None = None
    session_id: int | None = None  # the console session's row id

    @property
    def unmasked(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def actor(self) -> str:
        """Who did it, for the audit log and decisions: ``staff:<account>`` or the token's role."""
        return f"staff:{self.account}" if self.account else self.role

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


# Documented in OpenAPI as the `bearer` security scheme (not as a header parameter of every route).
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A role token from CREDIT_TOKENS_ASSISTANT, CREDIT_TOKENS_STAFF or CREDIT_TOKENS_ADMIN.",
)
# The staff console's alternative: the token of a console session (POST /api/v1/console/sessions).
console_session = APIKeyHeader(
    name=CONSOLE_SESSION_HEADER,
    auto_error=False,
    scheme_name="consoleSession",
    description="A console session token from POST /api/v1/console/sessions (idle 30 min, absolute 12 h).",
)


async def caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session_token: Annotated[str | None, Depends(console_session)],
) -> Caller:
    """The caller: a role token (no I/O, so async: a sync dependency costs a thread-pool hop), or else a
    console session, checked and touched in the database."""
    if credentials is None and session_token:
        live = await run_in_threadpool(console_sessions.resolve_token, session_token.strip())
        return Caller(live.role, account=live.account, department=live.department, session_id=live.session_id)
    if credentials is None:  # no Authorization header, another scheme, or no token after "Bearer"
        raise DomainError(
            "需要身份凭证：请在请求头 Authorization 中提供 Bearer 令牌。", code="AUTH_REQUIRED", status=401
        )
    token = credentials.credentials.strip()
    settings = get_settings()
    for role in reversed(ROLES):
        if any(hmac.compare_digest(token, known) for known in settings.tokens_for(role)):
            return Caller(role)
    raise DomainError("身份凭证无效或已过期。", code="AUTH_REQUIRED", status=401)


def require(role: str):  # type: ignore[no-untyped-def]
    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.at_least(role):
            raise Forbidden("您的账号没有执行此操作的权限。", code="FORBIDDEN")
        return who

    return check


async def console_caller(who: Annotated[Caller, Depends(caller)]) -> Caller:
    """A caller logged in through the console (routes about the caller's own session)."""
    if who.session_id is None:
        raise DomainError("此操作需要工作台登录会话（请求头 X-Console-Session）。", code="SESSION_REQUIRED", status=401)
    return who


DbSession = Annotated[Session, Depends(session_scope)]
ReadSession = Annotated[Session, Depends(read_session_scope)]  # for endpoints that never write
AnyCaller = Annotated[Caller, Depends(caller)]
StaffCaller = Annotated[Caller, Depends(require("staff"))]
AdminCaller = Annotated[Caller, Depends(require("admin"))]
ConsoleCaller = Annotated[Caller, Depends(console_caller)]
