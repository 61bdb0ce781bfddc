"""Open a channel's small SQLite state file, shared by the channel's processes on one host.

Two processes starting at once may both switch a new file to WAL; SQLite answers the second one
"database is locked" at once, without waiting on its busy timeout. So the setup runs under a file lock.
"""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path


def open_state_db(path: Path | str, schema: str) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=FULL (a recorded delivery survives a crash) and ``schema``."""
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    if str(path) == ":memory:":
        _set_up(conn, schema)
        return conn
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _set_up(conn, schema)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return conn


def _set_up(conn: sqlite3.Connection, schema: str) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(schema)
