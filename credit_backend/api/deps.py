"""Dependencies: the database session and the caller's role from the bearer token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from credit_backend.db import read_session_scope, session_scope
from credit_backend.errors import DomainError, Forbidden
from credit_backend.settings import get_settings

ROLES = ("assistant", "staff", "admin")  # each role may do what the ones before it may


@dataclass(frozen=True)
class Caller:
    role: str

    @property
    def unmasked(self) -> bool:
        return self.role in ("staff", "admin")

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


# Documented in OpenAPI as the `bearer` security scheme (not as a header parameter of every route).
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A role token from CREDIT_TOKENS_ASSISTANT, CREDIT_TOKENS_STAFF or CREDIT_TOKENS_ADMIN.",
)


async def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller's role. Async because it does no I/O: a sync dependency costs a thread-pool hop."""
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


DbSession = Annotated[Session, Depends(session_scope)]
ReadSession = Annotated[Session, Depends(read_session_scope)]  # for endpoints that never write
AnyCaller = Annotated[Caller, Depends(caller)]
StaffCaller = Annotated[Caller, Depends(require("staff"))]
AdminCaller = Annotated[Caller, Depends(require("admin"))]
