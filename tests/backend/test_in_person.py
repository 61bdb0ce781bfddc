"""Staff mode at the counter (issue 11): the in-person identity check instead of the one-time code, the
applications that carry it, and the unmasked view for ``staff:<account>`` senders, audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from credit_backend.models import Application, AuditEntry, Binding, CreditRecord, StaffAccount
from credit_backend.services import bindings
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    assert_error,
    bind,
    count,
    fresh,
    nothing_submitted,
    objection_body,
    submit,
)
from tests.backend.conftest import ASSISTANT, STAFF

COUNTER = "staff:counter01"
PHONE = "13943210001"  # 吉林市江城建材有限公司's registered contact in the test world
LEGAL_REP_ID = "220202198001011234"


@pytest.fixture
def accounts(session, world):
    """counter01 (staff, active), admin01 (admin), gone01 (disabled)."""
    for name, role, active in (("counter01", "staff", True), ("admin01", "admin", True), ("gone01", "staff", False)):
        session.add(
            StaffAccount(
                name=name,
                display_name=f"窗口{name[-2:]}",
                role=role,
                department="吉林市发展和改革委员会（市信用中心）",
                password_hash="$argon2id$not-used-here",
                active=active,
                failed_logins=0,
            )
        )
    session.commit()


def check(sender: str = COUNTER, **overrides):
    body = {
        "sender_id": sender,
        "uscc": JIANGCHENG,
        "document_type": "居民身份证",
        "id_last4": "1234",
        "authorization_letter": True,
    }
    body.update(overrides)
    return body


def in_person(client, body, headers=ASSISTANT):
    return client.post(f"{API}/bindings/in-person", json=body, headers=headers)


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- the in-person check --------------------------------------------------------------------------


def test_staff_at_the_counter_binds_by_in_person_check_for_two_hours(client, session, accounts):
    r = in_person(client, check(id_last4="５６７x", document_type="护照", authorization_letter=True))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["uscc"] == JIANGCHENG and body["name"] == "吉林市江城建材有限公司"
    assert body["method"] == "in_person"
    recorded = body["identity_check"]
    assert recorded["document_type"] == "护照"
    assert recorded["id_last4"] == "567X"  # full-width digits and a lower-case x normalised
    assert recorded["authorization_letter"] is True
    assert recorded["staff_account"] == "counter01" and recorded["staff_name"] == "窗口01"
    lifetime = _utc(body["bound_until"]) - datetime.now(timezone.utc)
    assert timedelta(hours=1, minutes=59) < lifetime <= timedelta(hours=2)

    listed = client.get(f"{API}/bindings", params={"sender_id": COUNTER}, headers=ASSISTANT).json()["items"]
    assert [(b["uscc"], b["method"], b["identity_check"]["id_last4"]) for b in listed] == [
        (JIANGCHENG, "in_person", "567X")
    ]
    fresh(session)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "binding_in_person"))
    assert entry is not None and entry.actor == COUNTER and entry.target == JIANGCHENG
    assert entry.details["document_type"] == "护照" and entry.details["staff_account"] == "counter01"


def test_admin_accounts_may_check_too(client, accounts):
    r = in_person(client, check("staff:admin01"))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("sender", "why"),
    [
        ("tg:2001", "a Telegram user"),
        ("web:abc", "a web visitor"),
        ("staff:nobody", "no such console account"),
        ("staff:gone01", "a disabled account"),
    ],
)
def test_only_active_console_accounts_may_check_in_person(client, session, accounts, sender, why):
    r = in_person(client, check(sender))
    assert_error(r, 403, "FORBIDDEN", "现场身份核验只能由已登录柜台工作台、账号在用的工作人员进行"), why
    assert count(session, Binding) == 0
    assert count(session, AuditEntry, AuditEntry.action == "binding_in_person") == 0


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"id_last4": "123"}, "id_last4", "证件号码后四位应为4个字符，只能是数字或字母X"),
        ({"id_last4": "12a4"}, "id_last4", "证件号码后四位应为4个字符，只能是数字或字母X"),
        ({"document_type": "驾驶证"}, "document_type", "证件类型应为：居民身份证、护照"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(client, session, accounts, overrides, field, fragment):
    error = assert_error(in_person(client, check(**overrides)), 400, "VALIDATION_ERROR", fragment)
    assert error["details"]["fields"][0]["field"] == field
    assert count(session, Binding) == 0


def test_without_a_letter_only_the_legal_representative_may_act(client, session, accounts):
    r = in_person(client, check(id_last4="9999", authorization_letter=False))
    assert_error(
        r, 400, "IDENTITY_MISMATCH", "与「吉林市江城建材有限公司」登记的法定代表人身份证号码不一致", "授权委托书"
    )
    assert count(session, Binding) == 0
    assert count(session, AuditEntry, AuditEntry.action == "binding_in_person_refused") == 1

    r = in_person(client, check(id_last4=LEGAL_REP_ID[-4:], authorization_letter=False))
    assert r.status_code == 201, r.text
    assert r.json()["identity_check"]["authorization_letter"] is False


def test_unknown_entity_is_not_found(client, accounts):
    assert_error(in_person(client, check(uscc="91220202MA1ABCDE8G")), 404, "ENTITY_NOT_FOUND")


# --- applications filed on the strength of the check ----------------------------------------------


def test_objection_filed_at_the_counter_carries_the_check(client, session, world, accounts):
    assert in_person(client, check(document_type="港澳居民来往内地通行证", id_last4="0042")).status_code == 201
    record = world.records["repairable"]
    r = submit(client, "objections", objection_body(COUNTER, record.id))
    assert r.status_code == 201, r.text
    number = r.json()["application_no"]

    fresh(session)
    app = session.scalar(select(Application).where(Application.application_no == number))
    assert app.sender_id == COUNTER
    assert app.identity_check["document_type"] == "港澳居民来往内地通行证"
    assert app.identity_check["id_last4"] == "0042"
    assert app.identity_check["authorization_letter"] is True
    assert app.identity_check["staff_account"] == "counter01"
    assert app.identity_check["checked_at"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "submit_objection"))
    assert entry.details["identity_check"]["id_last4"] == "0042"


def test_one_time_code_bindings_carry_no_check(client, session, world, accounts):
    bind(client, "tg:3001", JIANGCHENG)
    r = submit(client, "objections", objection_body("tg:3001", world.records["repairable"].id))
    assert r.status_code == 201, r.text
    fresh(session)
    assert session.scalar(select(Application.identity_check)) is None
    assert bindings.identity_check_for(session, "tg:3001", world.entities["jiangcheng"]) is None


def test_the_check_expires(client, session, world, accounts):
    assert in_person(client, check()).status_code == 201
    fresh(session)
    binding = session.scalar(select(Binding))
    binding.bound_until = datetime.now(timezone.utc) - timedelta(minutes=1)
    session.commit()
    assert bindings.identity_check_for(session, COUNTER, world.entities["jiangcheng"]) is None
    r = submit(client, "objections", objection_body(COUNTER, world.records["repairable"].id))
    assert_error(r, 403, "BINDING_REQUIRED")
    nothing_submitted(session)


# --- unmasked data for staff at the counter --------------------------------------------------------


def profile(client, viewer=None, headers=ASSISTANT):
    params = {"viewer": viewer} if viewer else {}
    r = client.get(f"{API}/entities/{JIANGCHENG}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_staff_viewer_sees_the_contact_unmasked_and_the_view_is_audited(client, session, accounts):
    shown = profile(client, COUNTER)
    assert shown["registered_contact"] == PHONE
    assert shown["legal_rep_id_number"] == LEGAL_REP_ID
    fresh(session)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "view_personal_data"))
    assert entry is not None
    assert (entry.role, entry.actor, entry.target) == ("assistant", COUNTER, JIANGCHENG)
    assert entry.details["view"] == "profile"
    assert "registered_contact" in entry.details["fields"]


@pytest.mark.parametrize("viewer", [None, "tg:2001", "web:abc", "staff:nobody", "staff:gone01"])
def test_every_other_viewer_sees_the_masked_profile(client, session, accounts, viewer):
    shown = profile(client, viewer)
    assert shown["registered_contact"] == "139****0001"
    assert shown["legal_rep_id_number"] == "2202**********1234"
    assert count(session, AuditEntry, AuditEntry.action == "view_personal_data") == 0


def test_staff_token_without_viewer_is_unmasked_as_before_and_not_attributed(client, session, accounts):
    assert profile(client, headers=STAFF)["registered_contact"] == PHONE
    assert count(session, AuditEntry, AuditEntry.action == "view_personal_data") == 0


def test_staff_viewer_sees_unpublished_records(client, session, world, accounts):
    session.add(
        CreditRecord(
            entity=world.entities["jiangcheng"],
            category="行政处罚",
            title="未按规定张贴价格标签",
            document_no="吉市监处罚〔2026〕77号",
            authority="吉林市市场监督管理局",
            decision_date=date(2026, 10, 1),
            severity="轻微",
            published=False,
        )
    )
    session.commit()

    def titles(viewer=None):
        params = {"viewer": viewer} if viewer else {}
        r = client.get(f"{API}/entities/{JIANGCHENG}/records", params=params, headers=ASSISTANT)
        assert r.status_code == 200, r.text
        return {item["title"] for item in r.json()["items"]}

    assert "未按规定张贴价格标签" not in titles()
    assert "未按规定张贴价格标签" not in titles("tg:2001")
    assert "未按规定张贴价格标签" in titles(COUNTER)
    fresh(session)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "view_personal_data"))
    assert entry.details == {"view": "records", "unpublished": 1}


def test_viewer_must_be_a_sender_id(client, accounts):
    r = client.get(f"{API}/entities/{JIANGCHENG}", params={"viewer": "counter01"}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR")


# --- an entity's bindings, for the console's entity panel ------------------------------------------


def test_staff_list_the_bindings_of_an_entity_and_the_view_is_audited(client, session, accounts):
    bind(client, "tg:4001", JIANGCHENG)
    assert in_person(client, check()).status_code == 201
    r = client.get(f"{API}/bindings", params={"uscc": JIANGCHENG}, headers=STAFF)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert sorted((b["sender_id"], b["method"]) for b in items) == [(COUNTER, "in_person"), ("tg:4001", "otp")]
    assert next(b for b in items if b["method"] == "otp")["identity_check"] is None
    fresh(session)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "view_personal_data"))
    assert (entry.actor, entry.target, entry.details) == ("staff", JIANGCHENG, {"view": "bindings", "count": 2})

    one = client.get(f"{API}/bindings", params={"uscc": JIANGCHENG, "sender_id": "tg:4001"}, headers=STAFF)
    assert [b["sender_id"] for b in one.json()["items"]] == ["tg:4001"]


def test_the_assistant_lists_only_by_sender(client, accounts):
    r = client.get(f"{API}/bindings", params={"uscc": JIANGCHENG}, headers=ASSISTANT)
    assert_error(r, 403, "FORBIDDEN", "按主体查询身份绑定仅限工作人员")
    r = client.get(f"{API}/bindings", headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "sender_id")
