"""The notification delivery journal in SQLite, shared by the channel's processes on this host.

A notification recorded as ``sent`` is never sent again, even if the backend was not told before a restart
(see notifier.py). synchronous=FULL: a recorded delivery survives a crash.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.sqlite_state import open_state_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    notification_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,          -- sent | failed
    via TEXT,                      -- customer_service | template
    detail TEXT,
    at REAL NOT NULL
);
"""


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.conn = open_state_db(path, SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def status(self, notification_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT status FROM deliveries WHERE notification_id = ?", (notification_id,)
        ).fetchone()
        return row[0] if row else None

    def record(self, notification_id: int, status: str, via: str = "", detail: str = "") -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO deliveries (notification_id, status, via, detail, at) VALUES (?, ?, ?, ?, ?)",
            (notification_id, status, via, detail, time.time()),
        )
