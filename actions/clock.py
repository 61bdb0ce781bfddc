"""Today's date as the backend sees it: China Standard Time, or CREDIT_TODAY when a demo or test pins it."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))


def today() -> date:
    pinned = os.environ.get("CREDIT_TODAY")
    return date.fromisoformat(pinned) if pinned else datetime.now(CST).date()


def local_time_text(iso: str) -> str:
    """An ISO date-time from the backend as users read it: ``2026年11月29日 14:05（北京时间）``."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(CST)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"
