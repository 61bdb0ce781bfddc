"""Console log-in, the sessions it opens (idle and absolute timeouts) and log-out, all server-side."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.db import get_sessionmaker
from credit_backend.errors import DomainError
from credit_backend.models import ConsoleSession, StaffAccount
from credit_backend.rules import sessions as rules
from credit_backend.rules.periods import format_cn_date
from credit_backend.services import accounts
from credit_backend.services.common import audit
from credit_backend.settings import get_settings

LOGIN_FAILED = "账号或密码错误。"
SESSION_EXPIRED = "登录已过期，请重新登录。"
# The role written in the audit log for what happens before anyone is logged in.
CONSOLE_ROLE = "console"


@dataclass(frozen=True)
class LiveSession:
    """A valid console session, as the request dependency needs it."""

    session_id: int
    account: str
    role: str
    department: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    settings = get_settings()
    return timedelta(minutes=settings.console_idle_minutes), timedelta(hours=settings.console_absolute_hours)


def beijing_time(moment: datetime) -> str:
    """E.g. 2026年11月29日 18:15（北京时间）."""
    local = moment.astimezone(clock.CST)
    return f"{format_cn_date(local.date())} {local:%H:%M}（北京时间）"


def expiry(console: ConsoleSession) -> dict[str, datetime]:
    idle, absolute = _limits()
    return {
        "idle_expires_at": rules.idle_expires_at(console.created_at, console.last_seen_at, idle, absolute),
        "absolute_expires_at": rules.absolute_expires_at(console.created_at, absolute),
    }


def account_brief(account: StaffAccount) -> dict[str, str]:
    return {
        "name": account.name,
        "display_name": account.display_name,
        "role": account.role,
        "department": account.department,
    }


def _locked_error(account: StaffAccount) -> DomainError:
    assert account.locked_until is not None
    return DomainError(
        f"密码连续输错次数过多，账号已锁定，请于{beijing_time(account.locked_until)}后再试，或联系管理员。",
        code="ACCOUNT_LOCKED",
        status=423,
        locked_until=account.locked_until,
    )


def _wrong_password(session: Session, account: StaffAccount, now: datetime) -> DomainError:
    """Count a wrong password (the last allowed one locks the account), audit it, and say so."""
    settings = get_settings()
    actor = f"staff:{account.name}"
    failed, locked_until = rules.after_wrong_password(
        account.failed_logins, settings.console_max_failed_logins, now, timedelta(minutes=settings.console_lock_minutes)
    )
    account.failed_logins = failed
    account.locked_until = locked_until
    if locked_until is not None:
        audit(session, CONSOLE_ROLE, actor, "console_locked", account.name, locked_until=locked_until.isoformat())
        session.commit()
        return _locked_error(account)
    left = rules.attempts_left(failed, settings.console_max_failed_logins)
    audit(
        session, CONSOLE_ROLE, actor, "console_login_failed", account.name, reason="wrong_password", attempts_left=left
    )
    session.commit()
    return DomainError(
        f"{LOGIN_FAILED}再输错{left}次，账号将被锁定{settings.console_lock_minutes}分钟。",
        code="LOGIN_FAILED",
        status=401,
        attempts_left=left,
    )


def login(session: Session, name: str, password: str) -> dict[str, Any]:
    """Open a session for the right password; count, lock and audit the wrong ones.

    An unknown or disabled account gets the same answer as a wrong password. A locked account is
    refused without checking the password, right or wrong.
    """
    now = clock.now()
    # Row lock on PostgreSQL: two wrong passwords at the same moment both count.
    account = session.scalar(select(StaffAccount).where(StaffAccount.name == name).with_for_update())
    actor = f"staff:{name}"
    if account is None:
        accounts.burn_time(password)
        audit(session, CONSOLE_ROLE, actor, "console_login_failed", name, reason="unknown_account")
        session.commit()
        raise DomainError(LOGIN_FAILED, code="LOGIN_FAILED", status=401)
    if rules.is_locked(account.locked_until, now):
        audit(session, CONSOLE_ROLE, actor, "console_login_failed", name, reason="locked")
        session.commit()
        raise _locked_error(account)
    if not accounts.check_password(account, password):
        raise _wrong_password(session, account, now)
    if not account.active:
        audit(session, CONSOLE_ROLE, actor, "console_login_failed", name, reason="disabled")
        session.commit()
        raise DomainError(LOGIN_FAILED, code="LOGIN_FAILED", status=401)
    account.failed_logins = 0
    account.locked_until = None
    token = secrets.token_urlsafe(32)
    console = ConsoleSession(token_hash=token_hash(token), account_id=account.id, created_at=now, last_seen_at=now)
    session.add(console)
    audit(session, account.role, actor, "console_login", name)
    session.commit()
    return {"token": token, "account": account_brief(account), **expiry(console)}


def _live(session: Session, token: str) -> tuple[ConsoleSession, StaffAccount] | None:
    row = session.execute(
        select(ConsoleSession, StaffAccount)
        .join(StaffAccount, StaffAccount.id == ConsoleSession.account_id)
        .where(ConsoleSession.token_hash == token_hash(token), ConsoleSession.ended_at.is_(None))
    ).first()
    return None if row is None else (row[0], row[1])


def _expired() -> DomainError:
    return DomainError(SESSION_EXPIRED, code="SESSION_EXPIRED", status=401)


def resolve(session: Session, token: str) -> LiveSession:
    """The live session of a token, touched; an ended, expired or disabled one is a 401 (and ended)."""
    found = _live(session, token)
    if found is None:
        raise _expired()
    console, account = found
    now = clock.now()
    idle, absolute = _limits()
    reason = (
        "disabled"
        if not account.active
        else rules.expiry_reason(console.created_at, console.last_seen_at, now, idle, absolute)
    )
    if reason is not None:
        console.ended_at = now
        console.ended_reason = reason
        audit(session, account.role, f"staff:{account.name}", "console_session_expired", account.name, reason=reason)
        session.commit()
        raise _expired()
    if rules.needs_touch(console.last_seen_at, now):
        console.last_seen_at = now
        session.commit()
    return LiveSession(console.id, account.name, account.role, account.department)


def resolve_token(token: str) -> LiveSession:
    """``resolve`` in a session of its own (for the request dependency, which runs before the route's)."""
    with get_sessionmaker()() as session:
        return resolve(session, token)


def current(session: Session, session_id: int) -> dict[str, Any]:
    console = session.get(ConsoleSession, session_id)
    if console is None or console.ended_at is not None:
        raise _expired()
    account = session.get(StaffAccount, console.account_id)
    assert account is not None
    return {"account": account_brief(account), **expiry(console)}


def logout(session: Session, session_id: int) -> None:
    """End the session on the server: its token is refused from now on."""
    console = session.get(ConsoleSession, session_id)
    if console is None or console.ended_at is not None:
        return
    account = session.get(StaffAccount, console.account_id)
    console.ended_at = clock.now()
    console.ended_reason = "logout"
    if account is not None:
        audit(session, account.role, f"staff:{account.name}", "console_logout", account.name)
    session.commit()
