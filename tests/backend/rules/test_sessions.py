"""Console session and log-in lock rules (issue 11), as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from credit_backend.rules.sessions import (
    after_wrong_password,
    attempts_left,
    expiry_reason,
    idle_expires_at,
    is_locked,
    needs_touch,
    password_problem,
)

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


def test_idle_and_absolute_expiry() -> None:
    assert expiry_reason(T0, T0, T0 + timedelta(minutes=29, seconds=59), IDLE, ABSOLUTE) is None
    assert expiry_reason(T0, T0, T0 + IDLE, IDLE, ABSOLUTE) == "idle"
    recent = T0 + timedelta(hours=11, minutes=59)
    assert expiry_reason(T0, recent, T0 + ABSOLUTE - timedelta(seconds=1), IDLE, ABSOLUTE) is None
    assert expiry_reason(T0, recent, T0 + ABSOLUTE, IDLE, ABSOLUTE) == "absolute"
    assert idle_expires_at(T0, recent, IDLE, ABSOLUTE) == T0 + ABSOLUTE  # capped by the absolute end
    assert idle_expires_at(T0, T0, IDLE, ABSOLUTE) == T0 + IDLE


def test_last_use_is_written_at_most_once_a_minute() -> None:
    assert not needs_touch(T0, T0 + timedelta(seconds=59))
    assert needs_touch(T0, T0 + timedelta(minutes=1))


def test_the_fifth_wrong_password_locks_and_starts_a_new_count() -> None:
    lock = timedelta(minutes=15)
    assert after_wrong_password(0, 5, T0, lock) == (1, None)
    assert after_wrong_password(3, 5, T0, lock) == (4, None)
    assert after_wrong_password(4, 5, T0, lock) == (0, T0 + lock)
    assert attempts_left(4, 5) == 1 and attempts_left(7, 5) == 0
    assert is_locked(T0 + lock, T0 + timedelta(minutes=14, seconds=59))
    assert not is_locked(T0 + lock, T0 + lock)
    assert not is_locked(None, T0)


def test_password_policy() -> None:
    assert password_problem("Jilin-Credit-2026", "counter01") is None
    assert password_problem("short-1", "counter01") == "密码至少需要10个字符。"
    assert password_problem("my-counter01-pass", "counter01") == "密码不能包含账号名。"
    assert password_problem(" leading-space-pass", "counter01") == "密码首尾不能是空格。"
    assert password_problem("aaaaaaaaaaaa", "counter01") == "密码过于简单，请混合使用字母、数字和符号。"
