"""Staff console log-in, the current session and log-out (issue 11)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from credit_backend.api.deps import ConsoleCaller, DbSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import ConsoleLogin, ConsoleSessionView
from credit_backend.schemas import ConsoleLoginIn
from credit_backend.services import console_sessions

router = APIRouter(prefix="/api/v1/console", tags=["console"], responses=error_responses(*COMMON_ERRORS))


@router.post("/sessions", status_code=201, response_model=ConsoleLogin, responses=error_responses(413, 423))
def log_in(session: DbSession, body: ConsoleLoginIn) -> dict[str, Any]:
    """Log in with an account name and password (no token needed): a session token for X-Console-Session.

    A wrong password is 401 LOGIN_FAILED with ``details.attempts_left``; an unknown or disabled account gets
    the same 401. The fifth wrong password in a row locks the account for 15 minutes: 423 ACCOUNT_LOCKED
    with ``details.locked_until``, and while locked even the right password is refused.
    """
    return console_sessions.login(session, body.account, body.password)


@router.get("/sessions/current", response_model=ConsoleSessionView)
def current_session(session: DbSession, who: ConsoleCaller) -> dict[str, Any]:
    """The logged-in account and when the session ends (idle and absolute). Ended or expired: 401 SESSION_EXPIRED."""
    assert who.session_id is not None
    return console_sessions.current(session, who.session_id)


@router.delete("/sessions/current", status_code=204)
def log_out(session: DbSession, who: ConsoleCaller) -> None:
    """End the session on the server: its token is refused from now on."""
    assert who.session_id is not None
    console_sessions.logout(session, who.session_id)
