"""Today's date as the backend sees it: China Standard Time, or CREDIT_TODAY when a demo or test pins it."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))


def today() -> date:
    pinned = os.environ.get("CREDIT_TODAY")
    return date.fromisoformat(pinned) if pinned else datetime.now(CST).date()
