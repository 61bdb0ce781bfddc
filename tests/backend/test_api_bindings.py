"""Identity binding over HTTP: one-time codes through the outbox, wrong/expired/locked codes, unbinding.

The helpers at the top (``bind``, ``otp_for``, ``submit``, the body builders, ``fresh``) are shared by
the other API test modules.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_backend.models import (
    Application,
    ApplicationCounter,
    AuditEntry,
    Binding,
    BindingChallenge,
    CreditRecord,
    Notification,
)
from tests.backend.conftest import ASSISTANT, STAFF

API = "/api/v1"
JIANGCHENG = "91220202MA0Y3K7Q6L"
LAOWANG = "92220204L5B2C8D11M"
QIHANG = "52220211MJ0A1B2C5E"
BLACKLISTED = "N2220202MA0Y3K7Q64"
REDLIST = "12220200012345671E"
OBJECTING = "93220221MA14XK2F29"
UNKNOWN_VALID = "91220202MA1ABCDE8G"  # passes every check, but no such entity exists


# --- shared helpers -------------------------------------------------------------------------------


def fresh(session: Session) -> None:
    """End the test session's transaction and forget loaded state, so that it sees what the app committed."""
    session.rollback()
    session.expire_all()  # rollback() is a no-op (no expiry) when no transaction is open


def count(session: Session, model: type, *where: Any) -> int:
    fresh(session)
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def otp_for(client, uscc: str) -> str:
    """The newest one-time code sent for ``uscc``, read from the SMS outbox with staff rights."""
    r = client.get(
        f"{API}/notifications", params={"channel": "sms", "include_delivered": True, "limit": 200}, headers=STAFF
    )
    assert r.status_code == 200, r.text
    codes = [n["payload"]["code"] for n in r.json()["items"] if n["kind"] == "otp" and n["payload"]["uscc"] == uscc]
    assert codes, "no one-time code in the outbox"
    return codes[-1]


def bind(client, sender: str, uscc: str) -> dict[str, Any]:
    r = client.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": uscc}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    r = client.post(
        f"{API}/bindings/verify",
        json={"sender_id": sender, "uscc": uscc, "code": otp_for(client, uscc)},
        headers=ASSISTANT,
    )
    assert r.status_code == 200, r.text
    return r.json()


def submit(client, path: str, body: dict[str, Any], key: str | None = None, headers: dict[str, str] | None = None):
    """POST a submission with an Idempotency-Key (a fresh one unless given)."""
    hdrs = {**(headers or ASSISTANT), "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(f"{API}/applications/{path}", json=body, headers=hdrs)


def decide(
    client,
    application_no: str,
    action: str,
    note: str | None = None,
    headers: dict[str, str] | None = None,
    **extra_headers: str,
):
    body: dict[str, Any] = {"action": action}
    if note is not None:
        body["note"] = note
    return client.post(
        f"{API}/applications/{application_no}/decision", json=body, headers={**(headers or STAFF), **extra_headers}
    )


def registration_body(sender: str, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "category": "资质证照",
        "fields": {
            "license_name": "建筑业企业资质证书",
            "license_no": "D222012345",
            "issuer": "吉林市住房和城乡建设局",
            "valid_until": "2028-12-31",
        },
        "truthful": True,
    }
    body.update(kw)
    return body


def commitment_body(sender: str, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "commitment_type": "主动型",
        "matter": "守法诚信经营",
        "accepted": True,
    }
    body.update(kw)
    return body


def objection_body(sender: str, record_id: int, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "record_id": record_id,
        "reason": "处罚决定书记载的违法事实与实际不符",
    }
    body.update(kw)
    return body


def repair_body(sender: str, record_id: int, uscc: str = JIANGCHENG, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender_id": sender,
        "uscc": uscc,
        "record_id": record_id,
        "corrective_action": "已按要求补正产品标识并缴清罚款",
        "obligations_fulfilled": True,
        "commitment_signed": True,
    }
    body.update(kw)
    return body


def assert_error(r, status: int, code: str, *fragments: str) -> dict[str, Any]:
    """The response is the stable error body; its Chinese message contains every fragment."""
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error["message"]
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error["message"])
    return error


def nothing_submitted(session: Session) -> None:
    """No application, no number taken, no submission audited."""
    assert count(session, Application) == 0
    assert count(session, ApplicationCounter) == 0
    assert count(session, AuditEntry, AuditEntry.action.like("submit_%")) == 0


# --- binding --------------------------------------------------------------------------------------


def _start(client, sender: str = "tg:2001", uscc: str = JIANGCHENG):
    return client.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": uscc}, headers=ASSISTANT)


def _verify(client, code: str, sender: str = "tg:2001", uscc: str = JIANGCHENG):
    return client.post(
        f"{API}/bindings/verify", json={"sender_id": sender, "uscc": uscc, "code": code}, headers=ASSISTANT
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_start_sends_a_six_digit_code_to_the_registered_phone(client, world):
    r = _start(client, uscc="91220202 ma0y 3k7q 6l")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["masked_contact"] == "139****0001"
    assert body["challenge_id"] > 0
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    assert timedelta(minutes=9) < expires - datetime.now(timezone.utc) <= timedelta(minutes=10)

    r = client.get(f"{API}/notifications", params={"channel": "sms"}, headers=STAFF)
    [sms] = r.json()["items"]
    assert sms["kind"] == "otp"
    assert sms["recipient"] == "13943210001"
    code = sms["payload"]["code"]
    assert len(code) == 6 and code.isdigit()
    assert code in sms["body"] and "吉林市江城建材有限公司" in sms["body"] and "10分钟" in sms["body"]


def test_assistant_cannot_read_the_one_time_code(client, world):
    assert _start(client).status_code == 200
    code = otp_for(client, JIANGCHENG)
    r = client.get(f"{API}/notifications", params={"channel": "sms"}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    [sms] = r.json()["items"]
    assert "code" not in sms["payload"]
    assert sms["recipient"] == "139****0001"
    assert code not in r.text
    assert "13943210001" not in r.text


def test_correct_code_binds_and_lists_the_binding(client, world, session):
    assert _start(client).status_code == 200
    r = _verify(client, otp_for(client, JIANGCHENG))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["uscc"] == JIANGCHENG and body["name"] == "吉林市江城建材有限公司"
    r = client.get(f"{API}/bindings", params={"sender_id": "tg:2001"}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["uscc"] == JIANGCHENG
    until = datetime.fromisoformat(item["bound_until"].replace("Z", "+00:00"))
    if until.tzinfo is None:
        until = until.replace(tzinfo=timezone.utc)
    assert timedelta(days=89) < until - datetime.now(timezone.utc) <= timedelta(days=90)
    # The code is single-use.
    assert_error(_verify(client, otp_for(client, JIANGCHENG)), 400, "OTP_INVALID", "请先获取验证码")
    assert count(session, Binding) == 1


def test_full_width_and_spaced_code_is_accepted(client, world):
    assert _start(client).status_code == 200
    code = otp_for(client, JIANGCHENG)
    spelled = " ".join(chr(ord(d) + 0xFEE0) for d in code)  # ０ … ９ with spaces
    r = _verify(client, spelled)
    assert r.status_code == 200, r.text


def test_wrong_codes_count_down_then_lock(client, world, session):
    assert _start(client).status_code == 200
    code = otp_for(client, JIANGCHENG)
    for left in (4, 3, 2, 1):
        err = assert_error(_verify(client, _wrong(code)), 400, "OTP_INVALID", f"还可以再试{left}次")
        assert err["details"]["attempts_left"] == left
    assert_error(_verify(client, _wrong(code)), 423, "OTP_LOCKED", "5次", "锁定")
    # Locked: even the right code is refused, and a new code cannot be requested for 30 minutes.
    assert_error(_verify(client, code), 423, "OTP_LOCKED", "锁定")
    assert_error(_start(client), 423, "OTP_LOCKED", "30分钟")
    assert count(session, Binding) == 0
    r = client.get(f"{API}/bindings", params={"sender_id": "tg:2001"}, headers=ASSISTANT)
    assert r.json()["items"] == []
    # Another sender is not affected by the lock.
    assert _start(client, sender="tg:2002").status_code == 200


def test_a_new_code_replaces_the_pending_one(client, world):
    assert _start(client).status_code == 200
    first = otp_for(client, JIANGCHENG)
    assert _start(client).status_code == 200
    second = otp_for(client, JIANGCHENG)
    if first != second:
        assert_error(_verify(client, first), 400, "OTP_INVALID")
    assert _verify(client, second).status_code == 200


def test_expired_code_is_refused(client, world, session):
    r = _start(client)
    assert r.status_code == 200
    challenge = session.get(BindingChallenge, r.json()["challenge_id"])
    challenge.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    session.commit()
    assert_error(_verify(client, otp_for(client, JIANGCHENG)), 410, "OTP_EXPIRED", "已过期", "10分钟")
    assert count(session, Binding) == 0


def test_verify_without_a_code_requested(client, world):
    err = assert_error(_verify(client, "123456"), 400, "OTP_INVALID", "请先获取验证码")
    assert err["details"]["attempts_left"] == 0


def test_start_for_an_unknown_or_invalid_code_sends_nothing(client, world, session):
    assert_error(_start(client, uscc=UNKNOWN_VALID), 404, "ENTITY_NOT_FOUND", UNKNOWN_VALID)
    assert_error(_start(client, uscc="91220202MA0Y3K7Q6M"), 400, "USCC_INVALID", "校验位")
    assert count(session, Notification) == 0
    assert count(session, BindingChallenge) == 0


def test_bad_sender_id_is_a_validation_error(client, world):
    r = client.post(f"{API}/bindings/start", json={"sender_id": "张三", "uscc": JIANGCHENG}, headers=ASSISTANT)
    err = assert_error(r, 400, "VALIDATION_ERROR", "会话标识")
    assert err["details"]["fields"][0]["field"] == "sender_id"
    r = client.get(f"{API}/bindings", params={"sender_id": "nocolon"}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR")


def test_binding_routes_need_a_token(client, world):
    r = client.post(f"{API}/bindings/start", json={"sender_id": "tg:1", "uscc": JIANGCHENG})
    assert_error(r, 401, "AUTH_REQUIRED")
    assert_error(client.get(f"{API}/bindings", params={"sender_id": "tg:1"}), 401, "AUTH_REQUIRED")


def test_unbind_removes_the_binding_and_submissions_need_it_again(client, world, session):
    bind(client, "tg:2001", JIANGCHENG)
    r = client.delete(f"{API}/bindings/{JIANGCHENG.lower()}", params={"sender_id": "tg:2001"}, headers=ASSISTANT)
    assert r.status_code == 204, r.text
    assert client.get(f"{API}/bindings", params={"sender_id": "tg:2001"}, headers=ASSISTANT).json()["items"] == []
    r = submit(client, "objections", objection_body("tg:2001", world.records["repairable"].id))
    assert_error(r, 403, "BINDING_REQUIRED", "吉林市江城建材有限公司", "身份认证")
    nothing_submitted(session)


def test_unbind_unknown_entity(client, world):
    r = client.delete(f"{API}/bindings/{UNKNOWN_VALID}", params={"sender_id": "tg:2001"}, headers=ASSISTANT)
    assert_error(r, 404, "ENTITY_NOT_FOUND")


def test_binding_to_one_entity_does_not_cover_another(client, world, session):
    bind(client, "tg:2001", LAOWANG)
    r = submit(client, "objections", objection_body("tg:2001", world.records["repairable"].id))
    err = assert_error(r, 403, "BINDING_REQUIRED", "吉林市江城建材有限公司")
    assert err["details"]["uscc"] == JIANGCHENG
    nothing_submitted(session)


def test_expired_binding_is_required_again(client, world, session):
    bind(client, "tg:2001", JIANGCHENG)
    binding = session.scalar(select(Binding))
    binding.bound_until = datetime.now(timezone.utc) - timedelta(minutes=1)
    session.commit()
    r = submit(client, "commitments", commitment_body("tg:2001"))
    assert_error(r, 403, "BINDING_REQUIRED")
    nothing_submitted(session)
    assert count(session, CreditRecord, CreditRecord.category == "信用承诺") == 0
    assert client.get(f"{API}/bindings", params={"sender_id": "tg:2001"}, headers=ASSISTANT).json()["items"] == []


def test_every_kind_needs_a_binding_and_stores_nothing_without_one(client, world, session):
    rid = world.records["repairable"].id
    records_before = count(session, CreditRecord)
    for path, body in (
        ("registrations", registration_body("tg:2009")),
        ("commitments", commitment_body("tg:2009")),
        ("objections", objection_body("tg:2009", rid)),
        ("repairs", repair_body("tg:2009", rid)),
    ):
        assert_error(submit(client, path, body), 403, "BINDING_REQUIRED", "身份认证")
    nothing_submitted(session)
    assert count(session, CreditRecord) == records_before
    fresh(session)
    assert session.get(CreditRecord, rid).under_objection is False


def test_overlong_sender_id_is_refused_not_crashing(client, world, session):
    """The pattern allows any channel length; the sender_id columns hold 100 characters."""
    sender = "a" * 25 + ":" + "1" * 80  # matches SENDER_PATTERN, 106 characters
    r = client.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": JIANGCHENG}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "会话标识")
    assert count(session, BindingChallenge) == 0


def test_channel_name_too_long_for_the_outbox_is_refused_up_front(client, world, session):
    """Channel names are short codes (tg, web, staff); one longer than the outbox's channel column
    is refused when the conversation first reaches the backend, so no decision can fail later."""
    sender = "wechatofficialaccount:o6_bmjrPTlm6"
    r = client.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": JIANGCHENG}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "会话标识")
    assert count(session, BindingChallenge) == 0


def test_requesting_a_new_code_does_not_reset_the_wrong_attempts(client, world, session):
    """5 wrong codes for one sender and entity lock it, even across a newly requested code:
    otherwise 4 guesses per code and unlimited new codes defeat the lock."""
    assert _start(client).status_code == 200
    code = otp_for(client, JIANGCHENG)
    for _ in range(4):
        assert _verify(client, _wrong(code)).status_code == 400
    assert _start(client).status_code == 200
    code = otp_for(client, JIANGCHENG)
    assert_error(_verify(client, _wrong(code)), 423, "OTP_LOCKED", "锁定")
    assert count(session, Binding) == 0
