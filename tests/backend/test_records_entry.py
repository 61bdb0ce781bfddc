"""Records entered by a department (双公示, seed item 15): checked, stored with the publicity window the
backend's rules give, audited, and visible to the assistant at once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from credit_backend.models import AuditEntry, CreditRecord
from tests.backend.api_helpers import API, JIANGCHENG, UNKNOWN_VALID, assert_error, count, fresh
from tests.backend.conftest import ASSISTANT, STAFF
from tests.backend.console_cases import REVIEWER, console_login, pinned_day

ENVIRONMENT = "吉林市生态环境局"


@pytest.fixture
def pin_day(monkeypatch):
    yield from pinned_day(monkeypatch)


def penalty(**kw) -> dict:
    body = {
        "uscc": JIANGCHENG,
        "record_type": "行政处罚",
        "decision_no": "吉市环罚〔2026〕57号",
        "decided_on": "2026-11-20",
        "authority": ENVIRONMENT,
        "severity": "一般",
        "legal_basis": "《中华人民共和国固体废物污染环境防治法》第一百一十二条",
        "content": "未按规定设置危险废物识别标志，罚款人民币三万元",
    }
    return body | kw


def licence(**kw) -> dict:
    body = {
        "uscc": JIANGCHENG,
        "record_type": "行政许可",
        "decision_no": "吉市审批〔2026〕301号",
        "decided_on": "2026-11-18",
        "authority": "吉林市政务服务和数字化局",
        "legal_basis": "《中华人民共和国行政许可法》",
        "content": "准予建筑材料经营许可，有效期五年",
        "title": "建筑材料经营许可决定书",
    }
    return body | kw


@pytest.fixture
def today(pin_day) -> date:
    day = date(2026, 11, 26)
    pin_day(day)
    return day


def enter(client, body: dict, headers=STAFF):
    return client.post(f"{API}/records", json=body, headers=headers)


def assistant_records(client, uscc: str = JIANGCHENG) -> list[dict]:
    r = client.get(f"{API}/entities/{uscc}/records", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_penalty_is_stored_with_its_publicity_window_and_seen_by_the_assistant(client, world, session, today):
    r = enter(client, penalty())
    assert r.status_code == 201, r.text
    record = r.json()
    assert (record["category"], record["document_no"], record["authority"]) == (
        "行政处罚",
        "吉市环罚〔2026〕57号",
        ENVIRONMENT,
    )
    assert (record["severity"], record["polarity"], record["status_label"]) == ("一般", "negative", "公示中")
    assert record["legal_basis"].startswith("《中华人民共和国固体废物污染环境防治法》")
    # 一般 失信信息 (令2025年第36号): published at least 3 months, at most 1 year from the decision.
    assert record["window"]["min_end"] == "2027-02-20" and record["window"]["max_end"] == "2027-11-20"
    assert record["publicity_end"] == "2027-11-20" and record["published"] is True
    assert record["title"] == "行政处罚决定（吉市环罚〔2026〕57号）"
    assert record["repair_applies"] is True
    seen = {r["document_no"]: r for r in assistant_records(client)}
    assert seen["吉市环罚〔2026〕57号"]["publicity_end"] == "2027-11-20"
    fresh(session)
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "enter_record"))
    assert audit.target == JIANGCHENG and audit.details["document_no"] == "吉市环罚〔2026〕57号"


def test_a_licence_has_no_severity_and_no_end(client, world, today):
    r = enter(client, licence())
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["polarity"] == "neutral" and record["severity"] is None
    assert record["window"]["max_end"] is None and record["window_label"] == "依法公开，不设公示期限"
    assert record["title"] == "建筑材料经营许可决定书"
    assert "吉市审批〔2026〕301号" in {r["document_no"] for r in assistant_records(client)}


def test_a_minor_penalty_is_not_published_but_kept(client, world, session, today):
    r = enter(client, penalty(severity="轻微", decision_no="吉市环罚〔2026〕58号"))
    assert r.status_code == 201, r.text
    assert r.json()["published"] is False and r.json()["window"]["max_end"] == "2027-02-20"
    assert "吉市环罚〔2026〕58号" not in {r["document_no"] for r in assistant_records(client)}


def test_a_penalty_past_its_longest_period_is_entered_as_ended(client, world, today):
    r = enter(client, penalty(decided_on="2024-03-01", decision_no="吉市环罚〔2024〕9号"))
    assert r.status_code == 201, r.text
    assert r.json()["status_label"] == "已到期" and r.json()["publicity_end"] == "2025-03-01"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"decided_on": "2026-11-27"}, "decided_on", "不能晚于今天（2026年11月26日）"),
        ({"uscc": UNKNOWN_VALID}, "uscc", "平台上没有统一社会信用代码为"),
        ({"uscc": "91220202MA0Y3K7Q6X"}, "uscc", "校验位不符"),
        ({"record_type": "行政强制"}, "record_type", "信息类别应为“行政许可”或“行政处罚”"),
        ({"severity": None}, "severity", "行政处罚须填写失信程度"),
        ({"severity": "特别严重"}, "severity", "失信程度应为轻微、一般、严重之一"),
        ({"legal_basis": "  "}, "legal_basis", "“依据”至少需要1个字符"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_stored(client, world, session, today, change, field, fragment):
    before = count(session, CreditRecord)
    error = assert_error(enter(client, penalty(**change)), 400, "VALIDATION_ERROR", fragment)
    assert field in {f["field"] for f in error["details"]["fields"]}
    assert count(session, CreditRecord) == before


def test_a_licence_with_a_severity_is_refused(client, world, today):
    assert_error(enter(client, licence(severity="一般")), 400, "VALIDATION_ERROR", "行政许可不填写失信程度")


def test_the_same_decision_is_entered_once(client, world, session, today):
    assert enter(client, penalty()).status_code == 201
    before = count(session, CreditRecord)
    assert_error(enter(client, penalty(content="重复")), 400, "VALIDATION_ERROR", "已录入，不能重复录入")
    assert count(session, CreditRecord) == before
    # The same number from another authority is another decision.
    assert enter(client, penalty(authority="吉林市应急管理局")).status_code == 201


def test_only_staff_enter_records_and_the_console_account_is_the_actor(client, world, session, today):
    assert_error(enter(client, penalty(), headers=ASSISTANT), 403, "FORBIDDEN")
    assert enter(client, penalty(), headers=console_login(client, session)).status_code == 201
    fresh(session)
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "enter_record"))
    assert audit.actor == f"staff:{REVIEWER}"
