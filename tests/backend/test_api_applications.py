"""Submitting and reading applications: numbering, deadlines, idempotency, validation, lookup and lists."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from credit_backend.models import Application, ApplicationCounter, AuditEntry, CreditRecord, Registration
from credit_backend.policy.loader import load_policy
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    LAOWANG,
    assert_error,
    bind,
    commitment_body,
    count,
    decide,
    fresh,
    nothing_submitted,
    objection_body,
    registration_body,
    repair_body,
    submit,
)
from tests.backend.conftest import ASSISTANT, STAFF

SENDER = "tg:5001"
NUMBER = re.compile(r"^(ZC|CN|YY|XF)-20261126-\d{4}$")


@pytest.fixture
def bound(client, world):
    bind(client, SENDER, JIANGCHENG)
    return world


# --- happy paths per kind -------------------------------------------------------------------------


def test_registration_is_filed(client, bound, session):
    r = submit(client, "registrations", registration_body(SENDER))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["application_no"] == "ZC-20261126-0001"
    assert (app["kind"], app["kind_label"], app["status"], app["status_label"]) == (
        "registration",
        "信用信息自愿注册",
        "submitted",
        "待核验",
    )
    assert (app["uscc"], app["entity_name"], app["sender_id"]) == (JIANGCHENG, "吉林市江城建材有限公司", SENDER)
    assert app["received_on"] == "2026-11-26"
    assert app["deadline"] == {
        "due": "2026-12-10",
        "working_days": 10,
        "provisional": False,
        "deadline_unverified": True,
        "what": "核验：",
        "label": "核验：2026年12月10日前（10个工作日）" + UNVERIFIED_NOTE,
    }
    assert app["summary"] == "自愿注册“资质证照”信息：建筑业企业资质证书"
    assert app["details"]["field_labels"] == {
        "license_name": "证照名称",
        "license_no": "证照编号",
        "issuer": "发证机关",
        "valid_until": "有效期至",
    }
    assert [(h["status"], h["action"], h["actor"]) for h in app["history"]] == [("submitted", "submit", SENDER)]
    assert app["attachments"] == [] and app["open"] is True and app["allowed_actions"] == ["verify", "reject"]
    stored = session.scalar(select(Registration))
    assert stored.application_no == "ZC-20261126-0001" and stored.fields["license_no"] == "D222012345"


def test_numbers_count_up_per_type_and_day(client, bound, world):
    nos = [submit(client, "registrations", registration_body(SENDER)).json()["application_no"] for _ in range(2)]
    nos.append(submit(client, "commitments", commitment_body(SENDER)).json()["application_no"])
    nos.append(
        submit(client, "objections", objection_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    )
    nos.append(
        submit(client, "objections", objection_body(SENDER, world.records["licence"].id)).json()["application_no"]
    )
    assert nos == ["ZC-20261126-0001", "ZC-20261126-0002", "CN-20261126-0001", "YY-20261126-0001", "YY-20261126-0002"]


def test_a_refused_submission_takes_no_number(client, bound, world, session):
    rid = world.records["repairable"].id
    assert submit(client, "objections", objection_body(SENDER, rid)).status_code == 201
    assert submit(client, "objections", objection_body(SENDER, rid)).status_code == 409
    r = submit(client, "objections", objection_body(SENDER, world.records["licence"].id))
    assert r.json()["application_no"] == "YY-20261126-0002"
    assert count(session, Application) == 2


def test_commitment_is_filed(client, bound):
    r = submit(client, "commitments", commitment_body(SENDER))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["application_no"] == "CN-20261126-0001"
    assert (app["status"], app["status_label"]) == ("in_force", "履约中")
    assert app["deadline"] is None
    assert app["summary"] == "主动型信用承诺：守法诚信经营"
    assert app["details"]["text_items"] == list(load_policy().commitment_items("主动型"))


def test_objection_is_filed(client, bound, world):
    rec = world.records["repairable"]
    r = submit(
        client, "objections", objection_body(SENDER, rec.id, requested_outcome="撤销", contact_phone="13900001111")
    )
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["application_no"] == "YY-20261126-0001"
    assert (app["kind_label"], app["status_label"]) == ("异议申请", "已提交，待受理")
    assert app["deadline"] == {
        "due": "2026-12-17",
        "working_days": 15,
        "provisional": False,
        "deadline_unverified": True,
        "what": "核查并书面答复：",
        "label": "核查并书面答复：2026年12月17日前（15个工作日）" + UNVERIFIED_NOTE,
    }
    assert app["summary"] == "对“未按规定设置危险废物识别标志”（吉市环罚〔2026〕1号）提出异议"
    assert app["details"]["record"]["id"] == rec.id
    assert app["details"]["record"]["under_objection"] is True
    assert app["details"]["requested_outcome"] == "撤销" and app["details"]["correct_due"] is None


def test_repair_is_filed(client, bound, world):
    r = submit(client, "repairs", repair_body(SENDER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["application_no"] == "XF-20261126-0001"
    assert app["deadline"]["due"] == "2026-12-01" and app["deadline"]["working_days"] == 3
    assert app["details"]["commitment_text"] == list(load_policy().commitment_items("信用修复型"))
    assert "国家发展改革委令2025年第36号" in app["details"]["regime"]
    assert app["details"]["record"]["under_repair"] is True


def test_submissions_are_audited(client, bound, world):
    no = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    r = client.get(f"{API}/audit", headers={"Authorization": "Bearer test-admin"})
    [entry] = [e for e in r.json()["items"] if e["action"] == "submit_objection"]
    assert (entry["target"], entry["actor"], entry["role"]) == (no, SENDER, "assistant")


def test_staff_may_submit_for_a_bound_sender_too(client, bound):
    r = submit(client, "commitments", commitment_body(SENDER), headers=STAFF)
    assert r.status_code == 201, r.text


# --- idempotency ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["registrations", "commitments", "objections", "repairs"])
def test_retry_with_the_same_key_returns_the_same_application(client, bound, world, session, path):
    rid = world.records["repairable"].id
    body = {
        "registrations": registration_body(SENDER),
        "commitments": commitment_body(SENDER),
        "objections": objection_body(SENDER, rid),
        "repairs": repair_body(SENDER, rid),
    }[path]
    first = submit(client, path, body, key="key-1")
    assert first.status_code == 201, first.text
    again = submit(client, path, body, key="key-1")
    assert again.status_code == 200, again.text
    assert again.json()["application_no"] == first.json()["application_no"]
    assert [(h["status"], h["action"]) for h in again.json()["history"]] == [
        ("submitted" if path != "commitments" else "in_force", "submit")
    ]
    assert count(session, Application) == 1
    fresh(session)
    assert session.scalar(select(ApplicationCounter.last_seq)) == 1
    assert count(session, AuditEntry, AuditEntry.action.like("submit_%")) == 1
    if path == "commitments":
        assert count(session, CreditRecord, CreditRecord.category == "信用承诺") == 1


def test_same_key_with_a_different_body_conflicts(client, bound, session):
    first = submit(client, "commitments", commitment_body(SENDER), key="key-1")
    assert first.status_code == 201
    r = submit(client, "commitments", commitment_body(SENDER, matter="另一件事项"), key="key-1")
    err = assert_error(r, 409, "IDEMPOTENCY_CONFLICT", "幂等键")
    assert err["details"]["application_no"] == first.json()["application_no"]
    # Even for another kind of application.
    r = submit(client, "registrations", registration_body(SENDER), key="key-1")
    assert_error(r, 409, "IDEMPOTENCY_CONFLICT")
    assert count(session, Application) == 1


def test_the_key_is_per_sender(client, bound, session):
    bind(client, "tg:5002", JIANGCHENG)
    a = submit(client, "commitments", commitment_body(SENDER), key="shared")
    b = submit(client, "commitments", commitment_body("tg:5002"), key="shared")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["application_no"] != b.json()["application_no"]
    assert count(session, Application) == 2


def test_missing_key_is_refused(client, bound, session):
    r = client.post(f"{API}/applications/commitments", json=commitment_body(SENDER), headers=ASSISTANT)
    err = assert_error(r, 400, "VALIDATION_ERROR")
    assert "idempotency-key" in err["message"].lower()
    nothing_submitted(session)


def test_empty_or_too_long_key_is_refused(client, bound, session):
    r = client.post(
        f"{API}/applications/commitments", json=commitment_body(SENDER), headers={**ASSISTANT, "Idempotency-Key": ""}
    )
    assert_error(r, 400, "VALIDATION_ERROR", "Idempotency-Key")
    r = submit(client, "commitments", commitment_body(SENDER), key="k" * 101)
    assert_error(r, 400, "VALIDATION_ERROR", "不能超过100个字符")
    nothing_submitted(session)


# --- validation -----------------------------------------------------------------------------------


def fields_of(err: dict) -> dict[str, str]:
    return {f["field"]: f["message"] for f in err["details"]["fields"]}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reason": "不对"}, "reason", "“异议理由”至少需要4个字符"),
        ({"requested_outcome": "删除"}, "requested_outcome", "“请求处理方式”只能是"),
        ({"contact_phone": "12345"}, "contact_phone", "“联系电话”格式不正确"),
        ({"record_id": "第一条"}, "record_id", "“信用记录”应为整数"),
        ({"sender_id": "tg"}, "sender_id", "“会话标识”格式不正确"),
        ({"foo": "bar"}, "foo", "不认识的字段“foo”"),
        ({"uscc": ""}, "uscc", "“统一社会信用代码”至少需要1个字符"),
    ],
)
def test_objection_field_errors_are_explained(client, bound, world, session, change, field, message):
    r = submit(client, "objections", {**objection_body(SENDER, world.records["repairable"].id), **change})
    err = assert_error(r, 400, "VALIDATION_ERROR", message, "请修改后重新提交")
    assert fields_of(err) == {field: fields_of(err)[field]}
    assert message in fields_of(err)[field]
    nothing_submitted(session)


def test_missing_fields_are_each_listed(client, bound, session):
    r = submit(client, "repairs", {"sender_id": SENDER, "uscc": JIANGCHENG})
    err = assert_error(r, 400, "VALIDATION_ERROR", "缺少“信用记录”", "缺少“整改情况”")
    assert fields_of(err) == {
        "record_id": "缺少“信用记录”",
        "corrective_action": "缺少“整改情况”",
        "obligations_fulfilled": "缺少“义务履行情况”",
        "commitment_signed": "缺少“信用修复承诺”",
    }
    nothing_submitted(session)


def test_body_that_is_not_json(client, bound, session):
    r = client.post(
        f"{API}/applications/objections",
        content=b"{not json",
        headers={**ASSISTANT, "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert_error(r, 400, "VALIDATION_ERROR", "不是有效的 JSON")
    nothing_submitted(session)


def test_invalid_or_unknown_entity_in_a_submission(client, bound, session):
    r = submit(client, "commitments", commitment_body(SENDER, uscc="91220202MA0Y3K7Q6M"))
    err = assert_error(r, 400, "USCC_INVALID", "吉林市江城建材有限公司")
    assert err["details"]["suggestions"][0]["uscc"] == JIANGCHENG
    assert_error(
        submit(client, "commitments", commitment_body(SENDER, uscc="91220202MA1ABCDE8G")), 404, "ENTITY_NOT_FOUND"
    )
    nothing_submitted(session)


def test_any_spelling_of_the_code_is_accepted(client, bound):
    r = submit(client, "commitments", commitment_body(SENDER, uscc="9122 0202 ma0y 3k7q 6l"))
    assert r.status_code == 201, r.text
    assert r.json()["uscc"] == JIANGCHENG


# --- registration rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "fields"),
    [
        (
            "资质证照",
            {"license_name": "食品经营许可证", "license_no": "JY12202020001234", "issuer": "吉林市市场监督管理局"},
        ),
        (
            "市场经营",
            {"matter": "年度纳税", "description": "2025年度纳税120万元", "period": "2025-01-01 至 2025-12-31"},
        ),
        (
            "合同履约",
            {
                "contract_name": "供货合同",
                "counterparty": "吉林市某建设公司",
                "contract_amount": "1200000.50",
                "performance": "已按期全部履行",
            },
        ),
        ("社会公益", {"activity_name": "助学捐赠", "activity_date": "2026-09-01", "organizer": "吉林市慈善总会"}),
    ],
)
def test_every_registration_category_is_accepted(client, bound, category, fields):
    r = submit(client, "registrations", registration_body(SENDER, category=category, fields=fields))
    assert r.status_code == 201, r.text
    assert r.json()["details"]["category"] == category


@pytest.mark.parametrize(
    ("category", "fields", "field", "message"),
    [
        ("资质证照", {"license_name": "许可证", "issuer": "市监局"}, "license_no", "请填写“证照编号”"),
        (
            "资质证照",
            {"license_name": "许可证", "license_no": "1", "issuer": "市监局", "valid_until": "2028/12/31"},
            "valid_until",
            "“有效期至”格式不对",
        ),
        (
            "社会公益",
            {"activity_name": "捐赠", "activity_date": "2026-02-30", "organizer": "慈善总会"},
            "activity_date",
            "“日期”不是有效日期",
        ),
        (
            "合同履约",
            {"contract_name": "合同", "counterparty": "某公司", "contract_amount": "120万", "performance": "已履行"},
            "contract_amount",
            "“合同金额”格式不对",
        ),
        (
            "合同履约",
            {"contract_name": "合同", "counterparty": "某公司", "contract_amount": "1.234", "performance": "已履行"},
            "contract_amount",
            "请填写金额数字",
        ),
        (
            "市场经营",
            {"matter": "纳税", "description": "说明", "period": "2025年", "colour": "red"},
            "colour",
            "“市场经营”没有“colour”这一项",
        ),
        ("市场经营", {"matter": "纳税", "description": "   ", "period": "2025年"}, "description", "请填写“说明”"),
    ],
)
def test_registration_field_rules(client, bound, session, category, fields, field, message):
    r = submit(client, "registrations", registration_body(SENDER, category=category, fields=fields))
    err = assert_error(r, 400, "VALIDATION_ERROR", message)
    assert message in fields_of(err)[field]
    nothing_submitted(session)


def test_registration_unknown_category(client, bound, session):
    r = submit(client, "registrations", registration_body(SENDER, category="荣誉"))
    assert_error(r, 400, "VALIDATION_ERROR", "“荣誉”", "资质证照、市场经营、合同履约、社会公益")
    nothing_submitted(session)


def test_registration_without_the_truthfulness_commitment(client, bound, session):
    r = submit(client, "registrations", registration_body(SENDER, truthful=False))
    err = assert_error(r, 400, "COMMITMENT_REQUIRED", "真实性")
    assert err["details"]["commitment"] == load_policy().voluntary_registration.truthfulness_commitment
    nothing_submitted(session)


# --- commitment rules -----------------------------------------------------------------------------


def test_rongque_default_due_date_in_working_days(client, bound):
    r = submit(
        client, "commitments", commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="环评批复")
    )
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["details"]["materials_due"] == "2026-12-24"
    assert app["deadline"] == {
        "due": "2026-12-24",
        "working_days": 20,
        "provisional": False,
        "deadline_unverified": True,
        "what": "补齐材料：",
        "label": "补齐材料：2026年12月24日前（20个工作日）" + UNVERIFIED_NOTE,
    }
    assert app["details"]["text_items"][-2:] == [
        "在承诺期限内补齐所缺材料",
        "逾期未补或承诺不实，愿意承担撤销受理、记入信用记录等后果",
    ]


def test_rongque_own_due_date(client, bound):
    r = submit(
        client,
        "commitments",
        commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="环评批复", materials_due="2026-12-31"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["deadline"] == {
        "due": "2026-12-31",
        "working_days": 25,
        "provisional": False,
        "deadline_unverified": False,  # the applicant's own date, not the policy's default
        "what": "补齐材料：",
        "label": "补齐材料：2026年12月31日前（25个工作日）",
    }


def test_rongque_due_date_in_an_unpublished_year_is_provisional(client, bound):
    r = submit(
        client,
        "commitments",
        commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="环评批复", materials_due="2027-01-15"),
    )
    assert r.status_code == 201, r.text
    deadline = r.json()["deadline"]
    assert deadline["provisional"] is True and "尚未公布" in deadline["label"]


@pytest.mark.parametrize("due", ["2026-11-26", "2026-11-01"])
def test_rongque_due_date_must_be_after_today(client, bound, session, due):
    r = submit(
        client,
        "commitments",
        commitment_body(SENDER, commitment_type="容缺受理型", missing_materials="环评批复", materials_due=due),
    )
    err = assert_error(r, 400, "VALIDATION_ERROR", "应晚于今天", "2026年11月26日")
    assert "materials_due" in fields_of(err)
    nothing_submitted(session)
    assert count(session, CreditRecord, CreditRecord.category == "信用承诺") == 0


def test_rongque_needs_the_missing_materials(client, bound, session):
    r = submit(client, "commitments", commitment_body(SENDER, commitment_type="容缺受理型"))
    err = assert_error(r, 400, "VALIDATION_ERROR", "所缺的材料")
    assert fields_of(err) == {"missing_materials": "请填写所缺材料"}
    nothing_submitted(session)


def test_commitment_unknown_type(client, bound, session):
    r = submit(client, "commitments", commitment_body(SENDER, commitment_type="口头型"))
    assert_error(r, 400, "VALIDATION_ERROR", "“口头型”", "容缺受理型", "主动型")
    nothing_submitted(session)
    assert count(session, CreditRecord, CreditRecord.category == "信用承诺") == 0


def test_only_rongque_takes_missing_materials(client, bound, session):
    r = submit(client, "commitments", commitment_body(SENDER, missing_materials="环评批复"))
    assert_error(r, 400, "VALIDATION_ERROR", "只有容缺受理型")
    nothing_submitted(session)


def test_commitment_must_be_accepted(client, bound, session):
    r = submit(client, "commitments", commitment_body(SENDER, commitment_type="审批替代型", accepted=False))
    err = assert_error(r, 400, "COMMITMENT_REQUIRED", "承诺书")
    assert err["details"]["items"] == list(load_policy().commitment_items("审批替代型"))
    nothing_submitted(session)
    assert count(session, CreditRecord, CreditRecord.category == "信用承诺") == 0


@pytest.mark.parametrize(
    ("path", "change", "field"),
    [
        ("registrations", {"category": "荣誉"}, "category"),
        ("commitments", {"commitment_type": "口头型"}, "commitment_type"),
        ("commitments", {"missing_materials": "环评批复"}, "missing_materials"),
    ],
)
def test_every_validation_error_lists_the_bad_field(client, bound, path, change, field):
    """docs/api.md: VALIDATION_ERROR carries details.fields, each bad field with a Chinese message."""
    body = (registration_body if path == "registrations" else commitment_body)(SENDER, **change)
    err = assert_error(submit(client, path, body), 400, "VALIDATION_ERROR")
    assert field in fields_of(err), err


# --- reading applications -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "YY-20261126-0001",
        "yy-20261126-0001",
        "yy202611260001",
        "YY 20261126 0001",
        "ＹＹ－２０２６１１２６－０００１",
        "yy_20261126_0001",
    ],
)
def test_read_an_application_in_any_spelling(client, bound, world, spelling):
    submit(client, "objections", objection_body(SENDER, world.records["repairable"].id))
    r = client.get(f"{API}/applications/{spelling}", params={"sender_id": SENDER}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    assert r.json()["application_no"] == "YY-20261126-0001"


def test_unknown_application_number(client, bound):
    r = client.get(f"{API}/applications/yy-20261126-0007", params={"sender_id": SENDER}, headers=ASSISTANT)
    assert_error(r, 404, "APPLICATION_NOT_FOUND", "YY-20261126-0007")


@pytest.mark.parametrize(
    "garbage", ["hello", "XX-20261126-0001", "YY-20261131-0001", "YY-20261126-0000", "YY-2026112-0001"]
)
def test_garbage_application_number(client, bound, garbage):
    r = client.get(f"{API}/applications/{garbage}", params={"sender_id": SENDER}, headers=ASSISTANT)
    assert_error(r, 400, "APPLICATION_NO_INVALID", f"“{garbage}”不是有效的申请编号", "YY-20261126-0003")


def test_staff_list_by_sender_newest_first(client, bound, world):
    bind(client, "tg:5002", LAOWANG)
    a = submit(client, "commitments", commitment_body(SENDER)).json()["application_no"]
    b = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    c = submit(client, "commitments", commitment_body("tg:5002", uscc=LAOWANG)).json()["application_no"]

    def listed(**params):
        r = client.get(f"{API}/applications", params=params, headers=STAFF)
        assert r.status_code == 200, r.text
        return [i["application_no"] for i in r.json()["items"]]

    assert listed(sender_id=SENDER) == [b, a]
    assert listed(sender_id="tg:5002") == [c]
    assert listed(sender_id="tg:9999") == []
    assert listed(uscc=LAOWANG.lower()) == [c]
    assert listed(status="in_force") == [c, a]
    assert listed(sender_id=SENDER, status="submitted") == [b]
    assert listed() == [c, b, a]
    assert_error(
        client.get(f"{API}/applications", params={"sender_id": "bad id"}, headers=ASSISTANT),
        400,
        "VALIDATION_ERROR",
        "会话标识",
    )
    assert_error(
        client.get(f"{API}/applications", params={"uscc": "91220202MA1ABCDE8G"}, headers=STAFF),
        404,
        "ENTITY_NOT_FOUND",
    )


def test_datetimes_are_utc_with_a_zone(client, bound, world):
    """docs/api.md: datetimes are UTC ISO 8601. A reader must not mistake them for local (CST) times."""
    before = datetime.now(timezone.utc)
    r = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id))
    no = r.json()["application_no"]
    decide(client, no, "accept")
    app = client.get(f"{API}/applications/{no}", params={"sender_id": SENDER}, headers=ASSISTANT).json()
    stamps = [app["received_at"], *(h["at"] for h in app["history"])]
    for stamp in stamps:
        assert stamp.endswith("Z") or stamp.endswith("+00:00"), stamp
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert before - timedelta(seconds=5) <= moment <= datetime.now(timezone.utc) + timedelta(seconds=5)
