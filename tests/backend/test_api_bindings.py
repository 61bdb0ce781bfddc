"""Identity binding over HTTP: one-time codes through the outbox, wrong/expired/locked codes, unbinding."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from credit_backend.models import (
    Binding,
    BindingChallenge,
    CreditRecord,
    Notification,
)
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    LAOWANG,
    UNKNOWN_VALID,
    assert_error,
    bind,
    commitment_body,
    count,
    fresh,
    nothing_submitted,
    objection_body,
    otp_for,
    registration_body,
    repair_body,
    submit,
)
from tests.backend.conftest import ASSISTANT, STAFF

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
    assert_error(r, 403, "FORBIDDEN", "验证码短信")
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
