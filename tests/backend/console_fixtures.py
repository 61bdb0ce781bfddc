"""Fixtures of the console tests (a plugin: ``pytest_plugins = ["tests.backend.console_fixtures"]``)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.settings import get_settings
from tests.backend.console_helpers import ADMIN_PASSWORD, START, PinnedClock, make_account


@pytest.fixture(autouse=True)
def light_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost (CREDIT_CONSOLE_PASSWORD_*): the tests log in hundreds of times on two cores."""
    settings = get_settings()
    monkeypatch.setattr(settings, "console_password_time_cost", 1)
    monkeypatch.setattr(settings, "console_password_memory_kib", 8 * 1024)
    monkeypatch.setattr(settings, "console_password_parallelism", 1)


@pytest.fixture
def console_clock(monkeypatch: pytest.MonkeyPatch) -> PinnedClock:
    fake = PinnedClock(START)
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def staff_accounts(session: Session) -> None:
    """counter01 (staff, the credit centre) and admin01 (admin)."""
    make_account(session, "counter01")
    make_account(session, "admin01", role="admin", password=ADMIN_PASSWORD)
