"""Shared steps of the work-queue and case-view tests: a pinned day, applications filed through the API,
a console account logged in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from credit_backend.services import accounts
from credit_backend.settings import get_settings
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    bind,
    commitment_body,
    objection_body,
    registration_body,
    repair_body,
    submit,
)

CENTRE = "吉林市发展和改革委员会（市信用中心）"
REVIEWER = "reviewer01"
REVIEWER_PASSWORD = "Jilin-Review-2026"


def pinned_day(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[date], None]]:
    """The steps of a ``pin_day`` fixture: pin the rules' day (CREDIT_TODAY), as the clock module reads it."""

    def pin(day: date) -> None:
        monkeypatch.setenv("CREDIT_TODAY", day.isoformat())
        get_settings.cache_clear()

    yield pin
    monkeypatch.delenv("CREDIT_TODAY", raising=False)
    get_settings.cache_clear()


def filed(r: Any) -> str:
    assert r.status_code == 201, r.text
    return str(r.json()["application_no"])


def file_registration(client: Any, sender: str, uscc: str = JIANGCHENG) -> str:
    return filed(submit(client, "registrations", registration_body(sender, uscc)))


def file_commitment(client: Any, sender: str, uscc: str = JIANGCHENG, **kw: Any) -> str:
    return filed(submit(client, "commitments", commitment_body(sender, uscc, **kw)))


def file_objection(client: Any, sender: str, record_id: int, uscc: str) -> str:
    return filed(submit(client, "objections", objection_body(sender, record_id, uscc)))


def file_repair(client: Any, sender: str, record_id: int, uscc: str = JIANGCHENG) -> str:
    return filed(submit(client, "repairs", repair_body(sender, record_id, uscc)))


def bound(client: Any, sender: str, *usccs: str) -> str:
    for uscc in usccs:
        bind(client, sender, uscc)
    return sender


def console_login(client: Any, session: Session, name: str = REVIEWER, department: str = CENTRE) -> dict[str, str]:
    """A staff account logged in through the console: the headers the console sends."""
    accounts.create_account(
        session,
        name=name,
        display_name="李审核",
        role="staff",
        department=department,
        password=REVIEWER_PASSWORD,
        by_role="admin",
        by_actor="admin",
    )
    r = client.post(f"{API}/console/sessions", json={"account": name, "password": REVIEWER_PASSWORD})
    assert r.status_code == 201, r.text
    return {"X-Console-Session": r.json()["token"]}
