"""One repair check: the eligibility route and a repair submission both ask ``services.repair.check_record``."""

from __future__ import annotations

from typing import Any

import pytest

from credit_backend.services import repair
from tests.backend.api_helpers import API, JIANGCHENG, assert_error, bind, repair_body, submit
from tests.backend.conftest import ASSISTANT

SENDER = "tg:6101"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """(record id, whether a repair was in progress) of every call of the check."""
    calls: list[tuple[int, bool]] = []
    original = repair.check_record

    def spy(session: Any, record: Any, today: Any, **kwargs: Any) -> Any:
        result, pending = original(session, record, today, **kwargs)
        calls.append((record.id, pending is not None))
        return result, pending

    monkeypatch.setattr(repair, "check_record", spy)
    return calls


def test_the_route_and_the_submission_share_the_check(client, world, checks):
    bind(client, SENDER, JIANGCHENG)
    rid = world.records["repairable"].id

    assert client.get(f"{API}/records/{rid}/repair-eligibility", headers=ASSISTANT).json()["eligible"] is True
    first = submit(client, "repairs", repair_body(SENDER, rid)).json()["application_no"]
    assert checks == [(rid, False), (rid, False)]

    # With the repair open, the route says why and a second submission is refused, both from the same check.
    reasons = client.get(f"{API}/records/{rid}/repair-eligibility", headers=ASSISTANT).json()["reasons"]
    assert [r["code"] for r in reasons] == ["REPAIR_IN_PROGRESS"]
    again = submit(client, "repairs", repair_body(SENDER, rid, corrective_action="再次说明整改情况"))
    assert_error(again, 409, "DUPLICATE_APPLICATION", first)
    assert checks[2:] == [(rid, True), (rid, True)]
