""" "Today" for the rules: China Standard Time, optionally pinned by CREDIT_TODAY for demos and tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from credit_backend.settings import get_settings

CST = timezone(timedelta(hours=8), "CST")


def today() -> date:
    pinned = get_settings().today
    return date.fromisoformat(pinned) if pinned else datetime.now(CST).date()


def now() -> datetime:
    return datetime.now(timezone.utc)
