"""Which records the objection and repair forms offer: the backend decides what repair applies to.

actions/records.py once kept its own list of "negative categories" with two names no record carries
(其他失信信息, 失信被执行人), so the 失信信息 filed under 其他 (e.g. a broken commitment) could never be
picked for repair. The list is gone: a record is offered for repair when the backend says repair
applies to it (``repair_applies``), and every category the backend repairs must be pickable.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from credit_backend.rules.vocabulary import CATEGORY_NAMES, OTHER
from tests.actions.flows import JIANGCHENG, start
from tests.actions.harness import STAFF_TOKEN, BackendProcess, Chat

ELIGIBILITY_ANSWERS = (
    "这条记录已经可以申请信用修复。",
    "这条记录暂时还不能申请信用修复",
    "明确规定该类失信信息不可修复",
)


def _query(backend: BackendProcess, sql: str, *params: object) -> list[tuple]:
    path = backend.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def _negative_record(backend: BackendProcess, category: str) -> tuple[str, int] | None:
    """(uscc, record id) of an active, published 失信信息 record of ``category`` in the demo city (not 江城建材's);
    轻微 records are not published by default (令2025年第36号), so the assistant never sees them."""
    rows = _query(
        backend,
        "SELECT e.uscc, r.id FROM credit_records r JOIN entities e ON e.id = r.entity_id"
        " WHERE r.category = ? AND r.status = 'active' AND r.severity IS NOT NULL AND NOT r.under_objection"
        " AND r.published"
        " AND e.uscc != ? ORDER BY r.decision_date DESC, r.id DESC LIMIT 1",
        category,
        JIANGCHENG,
    )
    return (rows[0][0], int(rows[0][1])) if rows else None


def _broken_commitment(backend: BackendProcess, new_chat: Callable[[], Chat]) -> tuple[str, int]:
    """A 其他 失信信息 record: staff find a commitment broken (the demo city has none of its own)."""
    uscc = "12220200012345671E"  # 吉林市公共资源交易中心
    filer = new_chat()
    backend.bind(filer.sender_id, uscc)
    filed = backend.post(
        "/api/v1/applications/commitments",
        {
            "sender_id": filer.sender_id,
            "uscc": uscc,
            "commitment_type": "主动型",
            "matter": "按期报送年度报告",
            "accepted": True,
        },
    )
    backend.post(f"/api/v1/applications/{filed['application_no']}/decision", {"action": "breach"}, STAFF_TOKEN)
    [record] = [r for r in backend.records(uscc) if r["document_no"] == filed["application_no"]]
    assert (record["category"], record["severity"]) == (OTHER, "一般")
    return uscc, int(record["id"])


def _repaired_categories(backend: BackendProcess) -> list[str]:
    policy = backend.get("/api/v1/policy")
    return [c for c in CATEGORY_NAMES if policy["record_categories"][c]["repairable"]]


def test_the_backend_repairs_these_categories(backend: BackendProcess) -> None:
    assert _repaired_categories(backend) == ["行政处罚", "严重失信主体名单", "重点关注名单", "经营异常", "其他"]


@pytest.mark.parametrize("category", ["行政处罚", "严重失信主体名单", "重点关注名单", "经营异常", "其他"])
def test_a_record_of_each_repaired_category_can_be_picked_for_repair(
    category: str, chat: Chat, new_chat: Callable[[], Chat], backend: BackendProcess
) -> None:
    assert category in _repaired_categories(backend)
    found = _broken_commitment(backend, new_chat) if category == OTHER else _negative_record(backend, category)
    assert found, f"the demo city has no active {category} record"
    uscc, record_id = found
    record = next(r for r in backend.records(uscc) if r["id"] == record_id)
    assert record["repair_applies"] is True

    backend.bind(chat.sender_id, uscc)
    turn = start(chat, "repair_form", "apply_repair", uscc, "我要申请信用修复")
    assert "请选择要申请信用修复的记录" in turn.text, turn.text
    payload = f'/inform{{"record_id":"{record_id}"}}'
    if payload in turn.payloads():
        turn = chat.answer(payload, entities={"record_id": str(record_id)}, value=str(record_id))
    else:  # beyond the first ten buttons: picked by its document number
        turn = chat.answer(f"文书号{record['document_no']}那条")
    assert "没有对应的记录" not in turn.text
    assert any(answer in turn.text for answer in ELIGIBILITY_ANSWERS), turn.text
    assert chat.slots["record_id"] == str(record_id)


def test_positive_facts_of_the_mixed_category_are_offered_for_objection_only(
    chat: Chat, new_chat: Callable[[], Chat], backend: BackendProcess
) -> None:
    rows = _query(
        backend,
        "SELECT e.uscc, r.id FROM credit_records r JOIN entities e ON e.id = r.entity_id"
        " WHERE r.category = ? AND r.status = 'active' AND r.severity IS NULL AND e.uscc != ?"
        " AND (SELECT count(*) FROM credit_records n WHERE n.entity_id = e.id AND n.severity IS NOT NULL"
        "      AND n.status = 'active') > 0"
        " ORDER BY r.id LIMIT 1",
        OTHER,
        JIANGCHENG,
    )
    assert rows, "the demo city has no entity with a positive 其他 record and a 失信信息 record"
    uscc, record_id = rows[0][0], int(rows[0][1])
    assert next(r for r in backend.records(uscc) if r["id"] == record_id)["repair_applies"] is False
    payload = f'/inform{{"record_id":"{record_id}"}}'

    backend.bind(chat.sender_id, uscc)
    repair = start(chat, "repair_form", "apply_repair", uscc, "我要申请信用修复")
    assert payload not in repair.payloads()

    other = new_chat()
    backend.bind(other.sender_id, uscc)
    objection = start(other, "objection_form", "file_objection", uscc, "我要提异议")
    assert "请选择要提出异议的记录" in objection.text
    listed = [p for p in objection.payloads() if p.startswith("/inform")]
    assert payload in listed or len(listed) == 10  # the first ten only
