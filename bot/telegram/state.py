"""The bridge's own small state in SQLite: button tokens and the notification delivery journal.

Both survive a restart: a keyboard sent before a restart still works afterwards, and a notification
that Telegram accepted is never sent again (see notifier.py for the crash window).
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.sqlite_state import open_state_db
from bot.telegram.mapping import Choice, new_token

SCHEMA = """
CREATE TABLE IF NOT EXISTS buttons (
    token TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    payload TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    notification_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,          -- sent | failed
    telegram_message_id INTEGER,
    detail TEXT,
    at REAL NOT NULL
);
"""


class StateDB:
    def __init__(self, path: Path | str, max_buttons: int = 100_000) -> None:
        self.conn = open_state_db(path, SCHEMA)
        self.max_buttons = max_buttons
        self._puts = 0

    def close(self) -> None:
        self.conn.close()

    # -- ButtonStore -------------------------------------------------------------------------
    def put(self, choice: Choice) -> str:
        token = new_token()
        self.conn.execute(
            "INSERT INTO buttons (token, title, payload, created) VALUES (?, ?, ?, ?)",
            (token, choice.title, choice.payload, time.time()),
        )
        self._puts += 1
        if self._puts % 1000 == 0:
            self._prune()
        return token

    def get(self, token: str) -> Choice | None:
        row = self.conn.execute("SELECT title, payload FROM buttons WHERE token = ?", (token,)).fetchone()
        return Choice(title=row[0], payload=row[1]) if row else None

    def _prune(self) -> None:
        self.conn.execute(
            "DELETE FROM buttons WHERE rowid <= (SELECT MAX(rowid) FROM buttons) - ?", (self.max_buttons,)
        )

    # -- delivery journal --------------------------------------------------------------------
    def delivery(self, notification_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT status FROM deliveries WHERE notification_id = ?", (notification_id,)
        ).fetchone()
        return row[0] if row else None

    def record_delivery(
        self, notification_id: int, status: str, telegram_message_id: int | None = None, detail: str = ""
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO deliveries (notification_id, status, telegram_message_id, detail, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (notification_id, status, telegram_message_id, detail, time.time()),
        )
