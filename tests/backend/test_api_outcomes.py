"""What decisions do to the credit file: objections, repairs and commitments as a business sees them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from credit_backend.models import Application, CreditRecord, Evaluation, Objection, RepairApplication
from credit_backend.policy.loader import load_policy
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from tests.backend.api_helpers import (
    API,
    BLACKLISTED,
    JIANGCHENG,
    LAOWANG,
    OBJECTING,
    QIHANG,
    assert_error,
    bind,
    commitment_body,
    count,
    decide,
    fresh,
    nothing_submitted,
    objection_body,
    repair_body,
    submit,
)
from tests.backend.conftest import ASSISTANT

SENDER = "tg:6001"


def profile(client, uscc: str) -> dict:
    r = client.get(f"{API}/entities/{uscc}", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()


def record_view(client, uscc: str, record_id: int) -> dict:
    items = client.get(f"{API}/entities/{uscc}/records", headers=ASSISTANT).json()["items"]
    [item] = [i for i in items if i["id"] == record_id]
    return item


def active_ids(client, uscc: str) -> set[int]:
    items = client.get(f"{API}/entities/{uscc}/records", params={"active_only": True}, headers=ASSISTANT).json()
    return {i["id"] for i in items["items"]}


def evaluations(session, entity_id: int) -> list[Evaluation]:
    fresh(session)
    return list(session.scalars(select(Evaluation).where(Evaluation.entity_id == entity_id).order_by(Evaluation.id)))


# --- objections -----------------------------------------------------------------------------------


def test_objection_against_another_entitys_record(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    other = world.records["later"]  # belongs to 老王烧烤
    r = submit(client, "objections", objection_body(SENDER, other.id))
    assert_error(r, 404, "RECORD_NOT_FOUND", "吉林市江城建材有限公司", str(other.id))
    assert_error(submit(client, "objections", objection_body(SENDER, 999999)), 404, "RECORD_NOT_FOUND", "999999")
    nothing_submitted(session)
    fresh(session)
    assert session.get(CreditRecord, other.id).under_objection is False


def test_duplicate_open_objection(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    rid = world.records["repairable"].id
    first = submit(client, "objections", objection_body(SENDER, rid)).json()["application_no"]
    bind(client, "tg:6002", JIANGCHENG)  # another representative of the same business
    r = submit(client, "objections", objection_body("tg:6002", rid, reason="另一位经办人提出的异议理由"))
    err = assert_error(r, 409, "DUPLICATE_APPLICATION", first)
    assert err["details"]["application_no"] == first
    assert count(session, Objection) == 1
    # Once decided, the record may be objected to again.
    assert decide(client, first, "reject_incomplete").status_code == 200
    assert submit(client, "objections", objection_body("tg:6002", rid)).status_code == 201


def test_record_is_flagged_while_the_objection_is_open_and_cleared_after_uphold(client, world):
    bind(client, SENDER, OBJECTING)
    rid = world.records["objected"].id
    no = submit(client, "objections", objection_body(SENDER, rid, uscc=OBJECTING)).json()["application_no"]
    assert record_view(client, OBJECTING, rid)["under_objection"] is True
    assert decide(client, no, "accept").status_code == 200
    assert record_view(client, OBJECTING, rid)["under_objection"] is True
    assert [r["id"] for r in profile(client, OBJECTING)["under_objection"]] == [rid]
    assert decide(client, no, "uphold", note="经核实，原记录无误").status_code == 200
    view = record_view(client, OBJECTING, rid)
    assert view["under_objection"] is False and view["status"] == "active"
    assert profile(client, OBJECTING)["under_objection"] == []


def test_rejected_incomplete_clears_the_flag(client, world):
    bind(client, SENDER, OBJECTING)
    rid = world.records["objected"].id
    no = submit(client, "objections", objection_body(SENDER, rid, uscc=OBJECTING)).json()["application_no"]
    assert decide(client, no, "reject_incomplete").status_code == 200
    assert record_view(client, OBJECTING, rid)["under_objection"] is False


def test_withdrawn_serious_list_record_lifts_the_list_and_raises_the_grade(client, world, session):
    entity = world.entities["blacklisted"]
    rec = world.records["serious_list"]
    # The platform lowered the grade when the entity was listed.
    session.add(
        Evaluation(entity_id=entity.id, grade="D", evaluated_on=date(2026, 9, 30), reason="列入严重失信主体名单")
    )
    session.commit()
    assert profile(client, BLACKLISTED)["evaluation"]["grade"] == "D"
    assert len(profile(client, BLACKLISTED)["lists"]) == 1

    bind(client, SENDER, BLACKLISTED)
    no = submit(
        client, "objections", objection_body(SENDER, rec.id, uscc=BLACKLISTED, requested_outcome="撤销")
    ).json()["application_no"]
    assert decide(client, no, "accept").status_code == 200
    r = decide(client, no, "withdraw_record", note="认定主体有误")
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["details"]["correct_due"] == "2026-12-03"
    assert app["deadline"]["label"] == "撤销信息报送：2026年12月3日前（5个工作日）" + UNVERIFIED_NOTE

    p = profile(client, BLACKLISTED)
    assert p["lists"] == []
    assert p["evaluation"]["grade"] == "A" and p["evaluation"]["evaluated_on"] == "2026-11-26"
    assert p["under_objection"] == []
    view = record_view(client, BLACKLISTED, rec.id)
    assert (view["status"], view["status_label"], view["under_objection"]) == ("revoked", "已撤销", False)
    assert rec.id not in active_ids(client, BLACKLISTED)
    newest = evaluations(session, entity.id)[-1]
    assert newest.grade == "A" and no in newest.reason
    fresh(session)
    assert session.get(CreditRecord, rec.id).punishment_lifted_at is not None
    # A withdrawn record can no longer be objected to or repaired.
    r = submit(client, "objections", objection_body(SENDER, rec.id, uscc=BLACKLISTED))
    assert_error(r, 400, "RECORD_NOT_OBJECTABLE", "已撤销")
    elig = client.get(f"{API}/records/{rec.id}/repair-eligibility", headers=ASSISTANT).json()
    assert "RECORD_REVOKED" in [x["code"] for x in elig["reasons"]]


def test_corrected_record_stays_published_with_punishments_lifted(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    rec = world.records["repairable"]
    no = submit(client, "objections", objection_body(SENDER, rec.id, requested_outcome="更正")).json()["application_no"]
    decide(client, no, "accept")
    app = decide(client, no, "correct", note="更正处罚日期").json()
    assert app["status"] == "corrected" and app["details"]["correct_due"] == "2026-12-03"
    fresh(session)
    stored = session.get(CreditRecord, rec.id)
    assert stored.corrected_at is not None and stored.punishment_lifted_at is not None
    assert stored.status == "active" and stored.under_objection is False


def test_repair_cannot_start_while_the_record_is_under_objection(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    rid = world.records["repairable"].id
    submit(client, "objections", objection_body(SENDER, rid))
    r = submit(client, "repairs", repair_body(SENDER, rid))
    err = assert_error(r, 400, "REPAIR_NOT_ELIGIBLE", "异议处理中")
    assert [x["code"] for x in err["details"]["reasons"]] == ["UNDER_OBJECTION"]
    assert count(session, RepairApplication) == 0


# --- repairs --------------------------------------------------------------------------------------


def test_repair_not_yet_eligible(client, world, session):
    bind(client, SENDER, LAOWANG)
    rid = world.records["later"].id
    r = submit(client, "repairs", repair_body(SENDER, rid, uscc=LAOWANG))
    err = assert_error(r, 400, "REPAIR_NOT_ELIGIBLE", "目前不能申请信用修复", "最早可于2027年1月26日")
    assert err["details"]["earliest_date"] == "2027-01-26"
    assert err["details"]["eligible"] is False
    assert [x["code"] for x in err["details"]["reasons"]] == ["MIN_PERIOD_NOT_PASSED"]
    nothing_submitted(session)
    assert record_view(client, LAOWANG, rid)["under_repair"] is False


@pytest.mark.parametrize(
    ("key", "uscc", "reason"), [("barred", QIHANG, "LEGALLY_NON_REPAIRABLE"), ("licence", JIANGCHENG, "NOT_NEGATIVE")]
)
def test_repair_never_eligible(client, world, session, key, uscc, reason):
    bind(client, SENDER, uscc)
    r = submit(client, "repairs", repair_body(SENDER, world.records[key].id, uscc=uscc))
    err = assert_error(r, 400, "REPAIR_NOT_ELIGIBLE")
    assert err["details"]["earliest_date"] is None
    assert [x["code"] for x in err["details"]["reasons"]] == [reason]
    nothing_submitted(session)


def test_repair_needs_the_signed_commitment(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "repairs", repair_body(SENDER, world.records["repairable"].id, commitment_signed=False))
    err = assert_error(r, 400, "COMMITMENT_REQUIRED", "《信用修复承诺书》")
    assert err["details"]["items"] == list(load_policy().commitment_items("信用修复型"))
    nothing_submitted(session)


def test_repair_needs_fulfilled_obligations(client, world, session):
    minor = CreditRecord(
        entity_id=world.entities["objecting"].id,
        category="行政处罚",
        title="未按规定公开环境信息",
        authority="永吉县生态环境分局",  # not the market regulator, whose records follow its own channel
        decision_date=date(2026, 11, 2),
        severity="轻微",
        published=True,  # 轻微 is unpublished by default; this one the department published
    )
    session.add(minor)
    session.commit()
    bind(client, SENDER, OBJECTING)
    rid = minor.id  # 轻微, obligations not yet recorded as fulfilled
    r = submit(client, "repairs", repair_body(SENDER, rid, uscc=OBJECTING, obligations_fulfilled=False))
    err = assert_error(r, 400, "REPAIR_NOT_ELIGIBLE", "履行完毕法定责任和义务")
    assert [x["code"] for x in err["details"]["reasons"]] == ["OBLIGATIONS_NOT_FULFILLED"]
    nothing_submitted(session)
    # Declaring them fulfilled makes a 轻微 record repairable at once.
    r = submit(client, "repairs", repair_body(SENDER, rid, uscc=OBJECTING))
    assert r.status_code == 201, r.text
    no = r.json()["application_no"]
    decide(client, no, "accept")
    decide(client, no, "approve")
    fresh(session)
    assert session.get(CreditRecord, rid).obligations_fulfilled is True


def test_duplicate_open_repair_and_repair_in_progress(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    rid = world.records["repairable"].id
    first = submit(client, "repairs", repair_body(SENDER, rid)).json()["application_no"]
    err = assert_error(
        submit(client, "repairs", repair_body(SENDER, rid, corrective_action="再次说明整改情况")),
        409,
        "DUPLICATE_APPLICATION",
        first,
    )
    assert err["details"]["application_no"] == first
    assert count(session, RepairApplication) == 1
    elig = client.get(f"{API}/records/{rid}/repair-eligibility", headers=ASSISTANT).json()
    assert elig["eligible"] is False and [x["code"] for x in elig["reasons"]] == ["REPAIR_IN_PROGRESS"]
    assert record_view(client, JIANGCHENG, rid)["under_repair"] is True
    assert [r["id"] for r in profile(client, JIANGCHENG)["under_repair"]] == [rid]


def test_repair_of_another_entitys_record(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "repairs", repair_body(SENDER, world.records["later"].id))
    assert_error(r, 404, "RECORD_NOT_FOUND", "吉林市江城建材有限公司")
    nothing_submitted(session)


def test_approved_repair_ends_publication_and_recomputes_the_grade(client, world, session):
    entity = world.entities["jiangcheng"]
    rec = world.records["repairable"]
    # The platform capped the grade at C because of the 一般 record.
    session.add(Evaluation(entity_id=entity.id, grade="C", evaluated_on=date(2026, 7, 1), reason="一般失信记录"))
    session.commit()
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "repairs", repair_body(SENDER, rec.id)).json()["application_no"]
    decide(client, no, "accept")
    r = decide(client, no, "approve", note="同意修复")
    assert r.status_code == 200, r.text
    view = record_view(client, JIANGCHENG, rec.id)
    assert (view["status"], view["status_label"], view["publicity_end"]) == ("repaired", "已修复", "2026-11-26")
    assert view["under_repair"] is False
    assert rec.id not in active_ids(client, JIANGCHENG)
    p = profile(client, JIANGCHENG)
    assert p["evaluation"]["grade"] == "B" and p["evaluation"]["evaluated_on"] == "2026-11-26"
    assert p["under_repair"] == []
    newest = evaluations(session, entity.id)[-1]
    assert (newest.grade, newest.reason) == ("B", f"信用修复完成（{no}）")
    fresh(session)
    assert session.get(CreditRecord, rec.id).punishment_lifted_at is not None
    elig = client.get(f"{API}/records/{rec.id}/repair-eligibility", headers=ASSISTANT).json()
    assert [x["code"] for x in elig["reasons"]] == ["ALREADY_REPAIRED"]
    text = client.get(f"{API}/entities/{JIANGCHENG}/report", headers=ASSISTANT).json()["text"]
    assert "未按规定设置危险废物识别标志" in text and "已修复" in text


def test_approved_repair_takes_the_entity_off_a_list(client, world, session):
    entity = world.entities["objecting"]
    watch = CreditRecord(
        entity_id=entity.id,
        category="重点关注名单",
        title="多次未按期履行合同",
        authority="吉林市发展和改革委员会",
        decision_date=date(2026, 5, 20),
        severity="一般",
        obligations_fulfilled=True,
    )
    session.add(watch)
    session.commit()
    [entry] = profile(client, OBJECTING)["lists"]
    assert entry["list_type"] == "重点关注名单"
    assert entry["consequences"] == list(load_policy().consequences["重点关注名单"].measures)
    bind(client, SENDER, OBJECTING)
    no = submit(client, "repairs", repair_body(SENDER, watch.id, uscc=OBJECTING)).json()["application_no"]
    decide(client, no, "accept")
    decide(client, no, "approve")
    assert profile(client, OBJECTING)["lists"] == []


@pytest.mark.parametrize("steps", [["reject"], ["accept", "deny"]])
def test_refused_repair_leaves_the_record_as_it_was(client, world, session, steps):
    entity = world.entities["jiangcheng"]
    rec = world.records["repairable"]
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "repairs", repair_body(SENDER, rec.id)).json()["application_no"]
    for action in steps:
        assert decide(client, no, action).status_code == 200
    view = record_view(client, JIANGCHENG, rec.id)
    assert (view["status"], view["under_repair"]) == ("active", False)
    assert [e.grade for e in evaluations(session, entity.id)] == ["B"]
    # A new application may be filed after a refusal.
    assert submit(client, "repairs", repair_body(SENDER, rec.id)).status_code == 201


# --- commitments ----------------------------------------------------------------------------------


def test_commitment_is_published_in_the_credit_file(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "commitments", commitment_body(SENDER, matter="按期完成消防整改")).json()["application_no"]
    p = profile(client, JIANGCHENG)
    assert p["record_counts"]["信用承诺"] == 1
    [rec] = p["latest_records"]["信用承诺"]
    assert rec["title"] == "主动型信用承诺：按期完成消防整改"
    assert rec["authority"] == "信用中国（吉林市）" and rec["decision_date"] == "2026-11-26"
    assert rec["status"] == "active" and rec["severity"] is None
    items = client.get(
        f"{API}/entities/{JIANGCHENG}/records", params={"category": "信用承诺"}, headers=ASSISTANT
    ).json()["items"]
    assert [i["id"] for i in items] == [rec["id"]]
    report = client.get(f"{API}/entities/{JIANGCHENG}/report", headers=ASSISTANT).json()
    six = {s["title"]: s["lines"] for s in report["sections"]}["六、信用承诺"]
    assert any("按期完成消防整改" in line for line in six)
    assert decide(client, no, "fulfil").status_code == 200
    assert profile(client, JIANGCHENG)["latest_records"]["信用承诺"][0]["status"] == "active"


def test_breach_creates_a_negative_record(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    no = submit(
        client, "commitments", commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="环评批复")
    ).json()["application_no"]
    r = decide(client, no, "breach", note="逾期未补齐材料")
    assert r.status_code == 200, r.text
    items = client.get(
        f"{API}/entities/{JIANGCHENG}/records", params={"category": "其他失信"}, headers=ASSISTANT
    ).json()["items"]
    [neg] = items
    assert neg["title"] == "违背信用承诺：守法诚信经营"
    assert (neg["severity"], neg["status"], neg["document_no"]) == ("一般", "active", no)
    assert no in neg["content"] and "容缺受理型" in neg["content"]
    assert profile(client, JIANGCHENG)["record_counts"]["其他"] == 1
    elig = client.get(f"{API}/records/{neg['id']}/repair-eligibility", headers=ASSISTANT).json()
    assert elig["earliest_date"] == "2027-02-26"  # an 一般 失信 record: 3 months from the breach


def test_breach_lowers_the_grade_to_what_the_new_record_allows(client, world, session):
    """An active 一般 failure caps the grade at C (rules/grades.py); the breach record must count at once."""
    entity = world.entities["objecting"]  # base B, only a 轻微 record so far
    bind(client, SENDER, OBJECTING)
    no = submit(client, "commitments", commitment_body(SENDER, uscc=OBJECTING)).json()["application_no"]
    assert decide(client, no, "breach").status_code == 200
    assert profile(client, OBJECTING)["evaluation"]["grade"] == "C"
    newest = evaluations(session, entity.id)[-1]
    assert newest.grade == "C" and newest.reason


def test_withdrawn_commitment_is_no_longer_published(client, world, session):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "commitments", commitment_body(SENDER)).json()["application_no"]
    assert decide(client, no, "withdraw").status_code == 200
    items = client.get(
        f"{API}/entities/{JIANGCHENG}/records", params={"category": "信用承诺"}, headers=ASSISTANT
    ).json()["items"]
    assert [(i["status"], i["status_label"]) for i in items] == [("revoked", "已撤销")]
    assert (
        client.get(
            f"{API}/entities/{JIANGCHENG}/records",
            params={"category": "信用承诺", "active_only": True},
            headers=ASSISTANT,
        ).json()["items"]
        == []
    )
    assert count(session, CreditRecord, CreditRecord.category == "其他") == 0
    assert count(session, Application) == 1
