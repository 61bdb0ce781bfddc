"""Notification feed, hand-offs to staff and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from credit_backend.models import Handoff, Notification
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    assert_error,
    bind,
    count,
    decide,
    fresh,
    objection_body,
    submit,
)
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF

SENDER = "tg:8001"


def feed(client, channel: str = "tg", headers=STAFF, **params) -> list[dict]:
    r = client.get(f"{API}/notifications", params={"channel": channel, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def objection_with_decisions(client, world, *actions: str) -> str:
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    for action in actions:
        assert decide(client, no, action).status_code == 200
    return no


# --- notifications --------------------------------------------------------------------------------


def test_feed_is_per_channel_and_oldest_first(client, world):
    no = objection_with_decisions(client, world, "accept", "uphold")
    items = feed(client)
    assert [n["payload"]["status"] for n in items] == ["under_verification", "upheld"]
    assert all(n["channel"] == "tg" and n["recipient"] == SENDER and n["delivered_at"] is None for n in items)
    assert items[0]["id"] < items[1]["id"]
    assert all(n["payload"]["application_no"] == no for n in items)
    assert feed(client, "web") == []
    assert [n["kind"] for n in feed(client, "sms")] == ["otp"]
    # The assistant reads decisions for its senders the same way.
    assert [n["id"] for n in feed(client, headers=ASSISTANT)] == [n["id"] for n in items]


def test_after_id_and_limit_page_through_the_feed(client, world):
    objection_with_decisions(client, world, "accept", "uphold")
    first, second = feed(client)
    assert [n["id"] for n in feed(client, after_id=first["id"])] == [second["id"]]
    assert [n["id"] for n in feed(client, limit=1)] == [first["id"]]
    assert_error(
        client.get(f"{API}/notifications", params={"channel": "tg", "limit": 0}, headers=STAFF),
        400,
        "VALIDATION_ERROR",
        "“数量”不能小于1",
    )
    assert_error(
        client.get(f"{API}/notifications", params={"channel": "tg", "after_id": -1}, headers=STAFF),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(client.get(f"{API}/notifications", headers=STAFF), 400, "VALIDATION_ERROR")


def test_delivered_is_idempotent_and_leaves_the_pending_feed(client, world, session):
    objection_with_decisions(client, world, "accept")
    [note] = feed(client)
    r = client.post(f"{API}/notifications/{note['id']}/delivered", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    delivered_at = r.json()["delivered_at"]
    assert delivered_at is not None
    r = client.post(f"{API}/notifications/{note['id']}/delivered", headers=ASSISTANT)
    assert r.status_code == 200 and r.json()["delivered_at"] == delivered_at
    assert feed(client) == []
    [again] = feed(client, include_delivered=True)
    assert again["id"] == note["id"] and again["delivered_at"] == delivered_at
    fresh(session)
    assert session.scalar(select(Notification.delivered_at).where(Notification.id == note["id"])) is not None


def test_only_staff_read_and_deliver_one_time_codes(client, world, session):
    client.post(f"{API}/bindings/start", json={"sender_id": SENDER, "uscc": JIANGCHENG}, headers=ASSISTANT)
    [sms] = feed(client, "sms")
    # The assistant token can neither read the SMS feed nor mark a code delivered (so it is never sent).
    r = client.get(f"{API}/notifications", params={"channel": "sms"}, headers=ASSISTANT)
    assert_error(r, 403, "FORBIDDEN", "验证码短信")
    assert sms["payload"]["code"] not in r.text
    r = client.post(f"{API}/notifications/{sms['id']}/delivered", headers=ASSISTANT)
    assert_error(r, 403, "FORBIDDEN", "验证码短信")
    assert sms["payload"]["code"] not in r.text
    fresh(session)
    assert session.scalar(select(Notification.delivered_at).where(Notification.id == sms["id"])) is None
    # The SMS gateway (staff rights) delivers it.
    r = client.post(f"{API}/notifications/{sms['id']}/delivered", headers=STAFF)
    assert r.status_code == 200 and r.json()["delivered_at"] is not None


def test_delivered_for_an_unknown_notification(client, world):
    r = client.post(f"{API}/notifications/424242/delivered", headers=ASSISTANT)
    assert_error(r, 404, "NOTIFICATION_NOT_FOUND", "424242")
    assert_error(client.post(f"{API}/notifications/1/delivered"), 401, "AUTH_REQUIRED")


# --- hand-offs ------------------------------------------------------------------------------------


def test_handoff_is_created_and_listed_for_staff(client, world, session):
    r = client.post(
        f"{API}/handoffs",
        json={"sender_id": SENDER, "summary": "用户询问失信被执行人如何移除", "uscc": JIANGCHENG},
        headers=ASSISTANT,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "open" and created["id"] > 0 and created["created_at"]
    r = client.post(
        f"{API}/handoffs", json={"sender_id": "web:abc", "summary": "想咨询信用报告下载"}, headers=ASSISTANT
    )
    assert r.status_code == 201, r.text
    for headers in (STAFF, ADMIN):
        r = client.get(f"{API}/handoffs", headers=headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [i["sender_id"] for i in items] == ["web:abc", SENDER]  # newest first
        assert items[1]["summary"] == "用户询问失信被执行人如何移除" and items[1]["uscc"] == JIANGCHENG
        assert items[0]["uscc"] is None
    assert [i["id"] for i in client.get(f"{API}/handoffs", params={"status": "open"}, headers=STAFF).json()["items"]][
        -1
    ] == created["id"]
    assert client.get(f"{API}/handoffs", params={"status": "closed"}, headers=STAFF).json()["items"] == []
    assert count(session, Handoff) == 2


def test_handoff_list_is_staff_only(client, world):
    assert_error(client.get(f"{API}/handoffs", headers=ASSISTANT), 403, "FORBIDDEN", "权限")
    assert_error(client.get(f"{API}/handoffs"), 401, "AUTH_REQUIRED")


def test_handoff_validation(client, world, session):
    r = client.post(f"{API}/handoffs", json={"sender_id": SENDER}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "缺少“问题摘要”")
    r = client.post(f"{API}/handoffs", json={"sender_id": "nobody", "summary": "x"}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "“会话标识”格式不正确")
    assert count(session, Handoff) == 0


def test_handoff_with_a_code_spelled_with_spaces(client, world, session):
    """The assistant passes the code as the user typed it; it must be stored (normalised), not crash."""
    r = client.post(
        f"{API}/handoffs",
        json={"sender_id": SENDER, "summary": "需要人工协助", "uscc": "9122 0202 MA0Y 3K7Q 6L"},
        headers=ASSISTANT,
    )
    assert r.status_code == 201, r.text
    [item] = client.get(f"{API}/handoffs", headers=STAFF).json()["items"]
    assert item["uscc"] == JIANGCHENG


# --- audit ----------------------------------------------------------------------------------------


def test_audit_log_is_admin_only(client, world):
    assert_error(client.get(f"{API}/audit", headers=ASSISTANT), 403, "FORBIDDEN", "权限")
    assert_error(client.get(f"{API}/audit", headers=STAFF), 403, "FORBIDDEN", "权限")
    assert_error(client.get(f"{API}/audit"), 401, "AUTH_REQUIRED")
    assert client.get(f"{API}/audit", headers=ADMIN).status_code == 200


def test_audit_log_records_bindings_submissions_and_decisions(client, world):
    no = objection_with_decisions(client, world)
    r = decide(client, no, "accept", note="材料齐全", **{"X-Actor": "zhang.wei"})
    assert r.status_code == 200
    items = client.get(f"{API}/audit", headers=ADMIN).json()["items"]
    actions = [i["action"] for i in items]
    assert actions[:4] == ["decide_accept", "submit_objection", "binding_verified", "binding_start"]  # newest first
    decision = items[0]
    assert (decision["role"], decision["actor"], decision["target"]) == ("staff", "staff:zhang.wei", no)
    assert decision["details"] == {"note": "材料齐全"}
    assert decision["at"]
    submission = items[1]
    assert (submission["role"], submission["actor"], submission["target"]) == ("assistant", SENDER, no)
    assert [i["id"] for i in client.get(f"{API}/audit", params={"limit": 1}, headers=ADMIN).json()["items"]] == [
        decision["id"]
    ]
    assert_error(client.get(f"{API}/audit", params={"limit": 1001}, headers=ADMIN), 400, "VALIDATION_ERROR")


def test_refused_decision_is_not_audited(client, world):
    no = objection_with_decisions(client, world)
    assert decide(client, no, "uphold").status_code == 409
    assert decide(client, no, "accept", headers=ASSISTANT).status_code == 403
    actions = [i["action"] for i in client.get(f"{API}/audit", headers=ADMIN).json()["items"]]
    assert not any(a.startswith("decide_") for a in actions)
