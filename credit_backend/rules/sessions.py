"""Console sessions and log-in locks: when a session ends, when an account is locked (pure rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

# last_seen_at is written at most this often: a session stays valid between idle - TOUCH_EVERY and idle.
TOUCH_EVERY = timedelta(minutes=1)


def idle_expires_at(created: datetime, last_seen: datetime, idle: timedelta, absolute: timedelta) -> datetime:
    """When the session ends if nothing else happens: idle time after the last use, capped by the absolute end."""
    return min(last_seen + idle, absolute_expires_at(created, absolute))


def absolute_expires_at(created: datetime, absolute: timedelta) -> datetime:
    """The absolute end of a session, however active it is."""
    return created + absolute


def expiry_reason(
    created: datetime, last_seen: datetime, now: datetime, idle: timedelta, absolute: timedelta
) -> str | None:
    """Why the session has ended at ``now`` (``"absolute"`` or ``"idle"``), or None while it is valid."""
    if now >= absolute_expires_at(created, absolute):
        return "absolute"
    if now >= last_seen + idle:
        return "idle"
    return None


def is_expired(created: datetime, last_seen: datetime, now: datetime, idle: timedelta, absolute: timedelta) -> bool:
    return expiry_reason(created, last_seen, now, idle, absolute) is not None


def needs_touch(last_seen: datetime, now: datetime) -> bool:
    """Whether a use at ``now`` should be written as the session's last use."""
    return now - last_seen >= TOUCH_EVERY


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_wrong_password(
    failed_logins: int, max_failed: int, now: datetime, lock: timedelta
) -> tuple[int, datetime | None]:
    """The consecutive-failure count and the lock after one more wrong password.

    The ``max_failed``-th wrong password in a row locks the account for ``lock`` and starts a new count,
    so that after the lock the account has ``max_failed`` tries again.
    """
    failed = failed_logins + 1
    if failed >= max_failed:
        return 0, now + lock
    return failed, None


def attempts_left(failed_logins: int, max_failed: int) -> int:
    return max(max_failed - failed_logins, 0)


def password_problem(password: str, name: str, min_length: int = 10) -> str | None:
    """What is wrong with a new console password (in Chinese), or None when it is acceptable."""
    if len(password) < min_length:
        return f"密码至少需要{min_length}个字符。"
    if password.strip() != password:
        return "密码首尾不能是空格。"
    if name and name.lower() in password.lower():
        return "密码不能包含账号名。"
    if len(set(password)) < 4:
        return "密码过于简单，请混合使用字母、数字和符号。"
    return None
