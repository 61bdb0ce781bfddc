"""Shared steps of the console tests: demo-like accounts, a pinned clock, logging in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from credit_backend.services import accounts
from tests.backend.api_helpers import API

PASSWORD = "Counter-Pass-2026"
ADMIN_PASSWORD = "Admin-Pass-2026!"
CENTRE = "吉林市发展和改革委员会（市信用中心）"
# Monday 30 November 2026, 09:00 in Beijing.
START = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


@dataclass
class PinnedClock:
    """``clock.now`` for the test: stands still until moved."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def make_account(session: Session, name: str, role: str = "staff", department: str = CENTRE, password: str = PASSWORD):
    return accounts.create_account(
        session,
        name=name,
        display_name={"counter01": "李晓梅", "admin01": "张立新"}.get(name, "测试人员"),
        role=role,
        department=department,
        password=password,
        by_role="admin",
        by_actor="test",
    )


def log_in(client, account: str = "counter01", password: str = PASSWORD):
    return client.post(f"{API}/console/sessions", json={"account": account, "password": password})


def session_headers(client, account: str = "counter01", password: str = PASSWORD) -> dict[str, str]:
    r = log_in(client, account, password)
    assert r.status_code == 201, r.text
    return {"X-Console-Session": r.json()["token"]}
