"""The case view and decisions from the console: the record concerned with its publicity window, only the
decisions the state machine allows, a decision taken meanwhile refused with nothing changed, a written
reason from console sessions, the evidence shown inline, the business notified exactly once."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from credit_backend import db
from credit_backend.errors import DomainError
from credit_backend.models import Application, ApplicationEvent, AuditEntry, Notification
from credit_backend.services.applications import decide as decide_service
from tests.backend.api_helpers import API, JIANGCHENG, OBJECTING, assert_error, count, decide, fresh
from tests.backend.conftest import ASSISTANT, STAFF
from tests.backend.console_cases import (
    CENTRE,
    REVIEWER,
    bound,
    console_login,
    file_objection,
    file_registration,
    file_repair,
    pinned_day,
)

SENDER = "tg:7201"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def pin_day(monkeypatch):
    yield from pinned_day(monkeypatch)


@pytest.fixture
def objection(client, world, pin_day) -> str:
    pin_day(date(2026, 11, 26))
    bound(client, SENDER, JIANGCHENG, OBJECTING)
    return file_objection(client, SENDER, world.records["repairable"].id, JIANGCHENG)


def case(client, no: str, headers=STAFF) -> dict:
    r = client.get(f"{API}/applications/{no}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def decisions(view: dict) -> list[tuple[str, str]]:
    assert all(d["needs_note"] for d in view["decisions"])
    return [(d["action"], d["label"]) for d in view["decisions"]]


def decision_notes(session, no: str) -> list[str]:
    fresh(session)
    rows = session.scalars(select(Notification).where(Notification.kind == "decision"))
    return [n.body for n in rows if n.payload.get("application_no") == no]


def test_staff_see_the_record_concerned_with_its_publicity_window(client, objection, world):
    view = case(client, objection)
    record = view["record"]
    assert record["id"] == world.records["repairable"].id
    assert record["title"] == "未按规定设置危险废物识别标志" and record["authority"] == "吉林市生态环境局"
    assert record["under_objection"] is True
    # 一般 失信信息 decided 26 Jun 2026 (令2025年第36号): at least 3 months, at most 1 year.
    assert record["window"] == {
        "regime": "《信用修复管理办法》（国家发展改革委令2025年第36号）",
        "published": True,
        "min_end": "2026-09-26",
        "max_end": "2027-06-26",
    }
    assert "最长公示至2027年6月26日" in record["window_label"]
    assert view["department"] == "吉林市生态环境局"
    assert view["identity_check"] is None
    assert decisions(view) == [("accept", "受理并核查"), ("reject_incomplete", "材料不全不予受理")]


def test_only_the_decisions_the_state_allows(client, objection, world):
    assert decide(client, objection, "accept", "材料齐全，予以受理").status_code == 200
    assert decisions(case(client, objection)) == [
        ("correct", "核实有误，予以更正"),
        ("withdraw_record", "核实有误，撤销记录"),
        ("uphold", "核实无误，维持记录"),
    ]
    assert decide(client, objection, "uphold", "经核实，处罚决定无误").status_code == 200
    assert case(client, objection)["decisions"] == []


def test_a_registration_has_no_record_and_goes_to_the_credit_centre(client, world, pin_day):
    pin_day(date(2026, 11, 26))
    no = file_registration(client, bound(client, SENDER, JIANGCHENG))
    view = case(client, no)
    assert view["record"] is None and view["department"] == CENTRE
    assert decisions(view) == [("verify", "核验通过"), ("reject", "核验不通过")]


def test_an_approved_repair_offers_only_revocation(client, world, pin_day):
    pin_day(date(2026, 11, 26))
    no = file_repair(client, bound(client, SENDER, JIANGCHENG), world.records["repairable"].id)
    assert decide(client, no, "accept", "受理").status_code == 200
    assert decide(client, no, "approve", "同意修复").status_code == 200
    view = case(client, no)
    assert decisions(view) == [("revoke", "撤销修复决定")]
    assert view["record"]["status"] == "repaired" and view["record"]["publicity_end"] == "2026-11-26"


def test_the_assistant_keeps_its_answer(client, objection):
    r = client.get(f"{API}/applications/{objection}", params={"sender_id": SENDER}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not {"record", "decisions", "department", "identity_check"} & set(body)
    assert body["details"]["record"]["id"]  # the record as before, inside the kind's details


def test_a_decision_taken_meanwhile_is_refused_and_nothing_changes(client, objection, session):
    # Reviewer A accepts; reviewer B, who still sees "submitted", rejects for missing materials.
    r = client.post(
        f"{API}/applications/{objection}/decision",
        json={"action": "accept", "note": "予以受理", "expected_status": "submitted"},
        headers=STAFF,
    )
    assert r.status_code == 200, r.text
    before = (count(session, ApplicationEvent), decision_notes(session, objection), count(session, AuditEntry))
    r = client.post(
        f"{API}/applications/{objection}/decision",
        json={"action": "reject_incomplete", "note": "材料不全", "expected_status": "submitted"},
        headers=STAFF,
    )
    error = assert_error(r, 409, "DECISION_CONFLICT", "已由其他工作人员处理", "当前状态：核查中", "未保存")
    assert error["details"]["current_status"] == "under_verification"
    after = (count(session, ApplicationEvent), decision_notes(session, objection), count(session, AuditEntry))
    assert after == before
    app = session.scalar(select(Application).where(Application.application_no == objection))
    assert app.status == "under_verification" and app.decision_note == "予以受理"


def test_the_same_decision_twice_is_refused_the_second_time(client, objection, session):
    body = {"action": "accept", "note": "予以受理", "expected_status": "submitted"}
    assert client.post(f"{API}/applications/{objection}/decision", json=body, headers=STAFF).status_code == 200
    r = client.post(f"{API}/applications/{objection}/decision", json=body, headers=STAFF)
    assert_error(r, 409, "DECISION_CONFLICT", "核查中")
    assert len(decision_notes(session, objection)) == 1


def test_an_illegal_decision_without_expected_status_is_still_explained(client, objection):
    assert_error(decide(client, objection, "uphold", "维持"), 409, "ILLEGAL_TRANSITION", "受理并核查")


def test_a_console_decision_needs_a_written_reason_and_names_the_account(client, objection, session):
    headers = console_login(client, session)
    assert case(client, objection, headers)["decisions"][0]["action"] == "accept"
    for note in (None, "   "):
        body = {"action": "accept", "expected_status": "submitted"} | ({"note": note} if note is not None else {})
        r = client.post(f"{API}/applications/{objection}/decision", json=body, headers=headers)
        assert_error(r, 400, "VALIDATION_ERROR", "处理意见")
    assert case(client, objection)["status"] == "submitted"
    assert decision_notes(session, objection) == []
    r = client.post(
        f"{API}/applications/{objection}/decision",
        json={"action": "accept", "note": "材料齐全，予以受理", "expected_status": "submitted"},
        # A console caller cannot pass another name in X-Actor: the session names the decider.
        headers={**headers, "X-Actor": "someone-else"},
    )
    assert r.status_code == 200, r.text
    step = r.json()["history"][-1]
    assert (step["actor"], step["note"], step["status_label"]) == (f"staff:{REVIEWER}", "材料齐全，予以受理", "核查中")
    notes = decision_notes(session, objection)
    assert len(notes) == 1 and "核查中" in notes[0] and "材料齐全，予以受理" in notes[0]
    fresh(session)
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "decide_accept"))
    assert audit.actor == f"staff:{REVIEWER}"


def test_a_bearer_decision_keeps_x_actor_and_an_optional_note(client, objection):
    r = decide(client, objection, "accept", None, **{"X-Actor": "wang"})
    assert r.status_code == 200, r.text
    assert r.json()["history"][-1]["actor"] == "staff:wang"


def upload(client, no: str, data: bytes, filename: str, content_type: str):
    r = client.post(
        f"{API}/applications/{no}/attachments",
        files={"file": (filename, data, content_type)},
        data={"sender_id": SENDER},
        headers=ASSISTANT,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_staff_read_the_evidence_inline(client, objection, world):
    png = upload(client, objection, PNG, "整改照片.png", "image/png")
    pdf = upload(client, objection, PDF, "缴款凭证.pdf", "application/pdf")
    assert [a["id"] for a in case(client, objection)["attachments"]] == [png, pdf]
    r = client.get(f"{API}/applications/{objection}/attachments/{png}", headers=STAFF)
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"].startswith("inline")
    assert "filename*=utf-8''" in r.headers["content-disposition"]
    r = client.get(f"{API}/applications/{objection}/attachments/{pdf}", headers=STAFF)
    assert r.headers["content-type"] == "application/pdf" and r.content == PDF
    assert_error(client.get(f"{API}/applications/{objection}/attachments/{png}", headers=ASSISTANT), 403, "FORBIDDEN")
    other = file_objection(client, SENDER, world.records["objected"].id, OBJECTING)
    r = client.get(f"{API}/applications/{other}/attachments/{png}", headers=STAFF)
    assert_error(r, 404, "ATTACHMENT_NOT_FOUND", "没有编号为")
    assert_error(
        client.get(f"{API}/applications/{objection}/attachments/999", headers=STAFF), 404, "ATTACHMENT_NOT_FOUND"
    )


def test_the_case_shows_the_deadline_in_working_days_and_named_steps(client, objection, pin_day):
    assert decide(client, objection, "accept", "材料齐全，予以受理").status_code == 200
    pin_day(date(2026, 12, 10))
    view = case(client, objection)
    # Received Thu 26 Nov 2026: 15 working days → Thu 17 Dec; from Thu 10 Dec, 11-17 Dec leaves 5.
    deadline = view["deadline"]
    assert (deadline["due"], deadline["working_days_left"], deadline["overdue"], deadline["due_soon"]) == (
        "2026-12-17",
        5,
        False,
        False,
    )
    assert deadline["deadline_text"] == "2026年12月17日（剩余5个工作日）"
    assert [(s["action_label"], s["status_label"]) for s in view["history"]] == [
        ("提交申请", "已提交，待受理"),
        ("受理并核查", "核查中"),
    ]


def test_an_application_filed_at_the_counter_carries_the_in_person_check(client, world, session, pin_day):
    pin_day(date(2026, 11, 26))
    console_login(client, session)
    staff_sender = f"staff:{REVIEWER}"
    r = client.post(
        f"{API}/bindings/in-person",
        json={
            "sender_id": staff_sender,
            "uscc": JIANGCHENG,
            "document_type": "居民身份证",
            "id_last4": "1234",
            "authorization_letter": True,
        },
        headers=ASSISTANT,
    )
    assert r.status_code == 201, r.text
    no = file_objection(client, staff_sender, world.records["repairable"].id, JIANGCHENG)
    check = case(client, no)["identity_check"]
    assert (check["document_type"], check["id_last4"], check["authorization_letter"]) == ("居民身份证", "1234", True)
    fresh(session)
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "submit_objection"))
    assert audit.details["identity_check"]["id_last4"] == "1234"
    # A business filing after a one-time code has no in-person check.
    assert case(client, file_registration(client, bound(client, SENDER, JIANGCHENG)))["identity_check"] is None


def test_two_reviewers_deciding_at_once_one_wins(client, objection, engine, session):
    """Reviewer A's decision holds the row; reviewer B decides the same status meanwhile. B waits for A and
    is refused (PostgreSQL: DECISION_CONFLICT; SQLite: its stale snapshot cannot write): one decision, one
    notification, nothing of B's written."""
    holder = db.get_sessionmaker()()
    holder.execute(
        update(Application).where(Application.application_no == objection).values(status="under_verification")
    )
    outcome: list[BaseException | None] = []

    def reviewer_b() -> None:
        with db.get_sessionmaker()() as own:
            try:
                decide_service(own, objection, "reject_incomplete", "材料不全", "staff:b", "staff", None, "submitted")
                outcome.append(None)
            except (DomainError, OperationalError) as exc:
                outcome.append(exc)

    thread = threading.Thread(target=reviewer_b)
    thread.start()
    time.sleep(0.5)  # B is waiting for the row A holds
    holder.commit()
    holder.close()
    thread.join(timeout=30)
    (refusal,) = outcome
    if engine.dialect.name == "postgresql":
        assert isinstance(refusal, DomainError) and refusal.code == "DECISION_CONFLICT", refusal
        assert "当前状态：核查中" in refusal.message
    else:
        assert isinstance(refusal, DomainError | OperationalError), refusal
    assert case(client, objection)["status"] == "under_verification"
    assert decision_notes(session, objection) == []
    assert [s["action"] for s in case(client, objection)["history"]] == ["submit"]
