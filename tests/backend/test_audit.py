"""The audit log for admins (issue 11): filters, server paging, the CSV export for Excel; and the
binding-code outbox, which shows a code until it is used or expires."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from credit_backend import clock
from credit_backend.models import AuditEntry
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    LAOWANG,
    assert_error,
    bind,
    commitment_body,
    otp_for,
    submit,
)
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF
from tests.backend.console_helpers import ADMIN_PASSWORD, PinnedClock, log_in, session_headers

pytest_plugins = ["tests.backend.console_fixtures"]  # staff_accounts, console_clock, light_hashing

BJ = timezone(timedelta(hours=8))


def _entry(session, at: datetime, actor: str, action: str, target: str, **details) -> None:
    session.add(AuditEntry(at=at, role="staff", actor=actor, action=action, target=target, details=details))


def _seed(session) -> None:
    """Five entries on three Beijing days; the first two days meet at midnight Beijing time."""
    _entry(session, datetime(2026, 11, 27, 23, 59, tzinfo=BJ), "staff:counter01", "console_login", "counter01")
    _entry(session, datetime(2026, 11, 28, 0, 0, tzinfo=BJ), "staff:counter01", "console_logout", "counter01")
    _entry(session, datetime(2026, 11, 28, 9, 30, tzinfo=BJ), "staff:reviewer01", "console_login", "reviewer01")
    _entry(session, datetime(2026, 11, 29, 8, 0, tzinfo=BJ), "tg:1001", "binding_start", LAOWANG)
    _entry(session, datetime(2026, 11, 29, 9, 0, tzinfo=BJ), "staff:admin01", "account_create", "=HYPERLINK(1)")
    session.commit()


def _targets(client, **params) -> list[str]:
    r = client.get(f"{API}/audit", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return [item["target"] for item in r.json()["items"]]


def test_filters_by_actor_target_action_and_beijing_dates(client, session):
    _seed(session)
    assert _targets(client) == ["=HYPERLINK(1)", LAOWANG, "reviewer01", "counter01", "counter01"]  # newest first
    assert _targets(client, actor="counter01") == ["counter01", "counter01"]
    assert _targets(client, target="reviewer") == ["reviewer01"]
    assert _targets(client, action="console_login") == ["reviewer01", "counter01"]
    # Days are Beijing days: 23:59 on the 27th is not on the 28th, 00:00 on the 28th is.
    assert _targets(client, date_from="2026-11-28", date_to="2026-11-28") == ["reviewer01", "counter01"]
    assert _targets(client, date_to="2026-11-27") == ["counter01"]
    assert _targets(client, date_from="2026-11-29") == ["=HYPERLINK(1)", LAOWANG]
    assert _targets(client, action="console_login", date_from="2026-11-28") == ["reviewer01"]

    item = client.get(f"{API}/audit", params={"action": "console_logout"}, headers=ADMIN).json()["items"][0]
    assert item["action_label"] == "工作台退出登录" and item["actor"] == "staff:counter01"


def test_pages_are_cut_on_the_server(client, session):
    for i in range(7):
        _entry(session, datetime(2026, 11, 29, 9, i, tzinfo=BJ), "staff:counter01", "console_login", f"t{i}")
    session.commit()
    r = client.get(f"{API}/audit", params={"per_page": 3, "page": 3}, headers=ADMIN).json()
    assert (r["total"], r["page"], r["per_page"], r["pages"]) == (7, 3, 3, 3)
    assert [i["target"] for i in r["items"]] == ["t0"]
    assert r["actions"] == ["console_login"]
    beyond = client.get(f"{API}/audit", params={"per_page": 3, "page": 9}, headers=ADMIN).json()
    assert beyond["items"] == [] and beyond["total"] == 7


def test_filter_by_entity_finds_its_applications_too(client, session, world):
    bind(client, "tg:2001", JIANGCHENG)
    r = submit(client, "commitments", commitment_body("tg:2001"))
    assert r.status_code == 201, r.text
    application_no = r.json()["application_no"]
    bind(client, "tg:2002", LAOWANG)

    actions = {(i["action"], i["target"]) for i in client.get(
        f"{API}/audit", params={"uscc": JIANGCHENG.lower()}, headers=ADMIN
    ).json()["items"]}  # fmt: skip
    assert ("binding_verified", JIANGCHENG) in actions
    assert ("submit_commitment", application_no) in actions
    assert all(target != LAOWANG for _, target in actions)


def test_bad_filters_are_400_in_chinese(client, session):
    assert_error(
        client.get(f"{API}/audit", params={"date_from": "2026-11-29", "date_to": "2026-11-28"}, headers=ADMIN),
        400,
        "VALIDATION_ERROR",
        "起始日期不能晚于截止日期",
    )
    assert_error(client.get(f"{API}/audit", params={"date_from": "29/11/2026"}, headers=ADMIN), 400, "VALIDATION_ERROR")
    assert_error(client.get(f"{API}/audit", params={"per_page": 0}, headers=ADMIN), 400, "VALIDATION_ERROR", "每页条数")


def test_only_admins_read_the_log(client, session):
    for headers in (STAFF, ASSISTANT):
        assert_error(client.get(f"{API}/audit", headers=headers), 403, "FORBIDDEN")
        assert_error(client.get(f"{API}/audit.csv", headers=headers), 403, "FORBIDDEN")


def test_csv_export_for_excel(client, session):
    _seed(session)
    r = client.get(f"{API}/audit.csv", params={"date_from": "2026-11-29"}, headers=ADMIN)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "时间（北京时间）", "角色", "操作人", "操作", "操作说明", "操作对象", "详情"]
    assert [row[6] for row in rows[1:]] == ["'=HYPERLINK(1)", LAOWANG]  # a formula is written as text
    assert rows[2][1] == "2026-11-29 08:00:00" and rows[2][2] == "工作人员" and rows[2][5] == "发送身份认证验证码"


def test_console_logins_are_in_the_log(client, session, staff_accounts):
    log_in(client, password="Wrong-Pass-2026")
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    items = client.get(f"{API}/audit", params={"action": "console_login_failed"}, headers=admin).json()["items"]
    assert [(i["actor"], i["details"]["reason"]) for i in items] == [("staff:counter01", "wrong_password")]
    logins = client.get(f"{API}/audit", params={"actor": "staff:admin01"}, headers=admin).json()["items"]
    assert [i["action"] for i in logins] == ["console_login"]


def _outbox(client) -> list[dict]:
    r = client.get(f"{API}/bindings/outbox", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_the_outbox_shows_a_fresh_code_until_it_is_used(client, session, world):
    assert _outbox(client) == []
    r = client.post(f"{API}/bindings/start", json={"sender_id": "tg:3001", "uscc": JIANGCHENG}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    [item] = _outbox(client)
    code = otp_for(client, JIANGCHENG)
    assert (item["uscc"], item["entity_name"], item["contact"]) == (JIANGCHENG, "吉林市江城建材有限公司", "13943210001")
    assert (item["code"], item["sender_id"]) == (code, "tg:3001")
    assert code in item["body"]

    r = client.post(
        f"{API}/bindings/verify", json={"sender_id": "tg:3001", "uscc": JIANGCHENG, "code": code}, headers=ASSISTANT
    )
    assert r.status_code == 200, r.text
    assert _outbox(client) == []


def test_the_outbox_drops_a_replaced_or_expired_code(client, session, world, monkeypatch):
    for _ in range(2):  # the second code replaces the first
        r = client.post(f"{API}/bindings/start", json={"sender_id": "tg:3002", "uscc": JIANGCHENG}, headers=ASSISTANT)
        assert r.status_code == 200, r.text
    [item] = _outbox(client)
    assert item["code"] == otp_for(client, JIANGCHENG)

    expires = datetime.fromisoformat(item["expires_at"])
    monkeypatch.setattr(clock, "now", PinnedClock(expires - timedelta(seconds=1)))
    assert len(_outbox(client)) == 1
    monkeypatch.setattr(clock, "now", PinnedClock(expires))
    assert _outbox(client) == []


def test_only_admins_see_the_outbox_and_looking_is_audited(client, session, world):
    assert_error(client.get(f"{API}/bindings/outbox", headers=STAFF), 403, "FORBIDDEN")
    _outbox(client)
    views = client.get(f"{API}/audit", params={"action": "view_code_outbox"}, headers=ADMIN).json()["items"]
    assert [(v["actor"], v["details"]) for v in views] == [("admin", {"codes": 0})]


def test_console_actions_outside_the_backend_are_audited_as_the_admin(client, session, staff_accounts):
    """The console records annotating, saving a story, retraining and rolling back under the admin's name."""
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    body = {
        "action": "annotate_example",
        "target": "conversation 12 message 3",
        "details": {"intent": "query_credit", "path": "data/nlu/services.yml", "status": "written"},
    }
    r = client.post(f"{API}/audit/events", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["actor"] == "staff:admin01" and r.json()["action_label"] == "标注训练样例"
    listed = client.get(f"{API}/audit", params={"action": "annotate_example"}, headers=ADMIN).json()["items"]
    assert [(i["actor"], i["target"], i["details"]["path"]) for i in listed] == [
        ("staff:admin01", "conversation 12 message 3", "data/nlu/services.yml")
    ]


def test_only_admins_record_console_actions_and_only_known_ones(client, session, staff_accounts):
    body = {"action": "rollback_model", "target": "20261129-1700", "details": {}}
    assert client.post(f"{API}/audit/events", json=body, headers=STAFF).status_code == 403
    assert client.post(f"{API}/audit/events", json=body, headers=ASSISTANT).status_code == 403
    unknown = client.post(f"{API}/audit/events", json={**body, "action": "decide_correct"}, headers=ADMIN)
    assert_error(unknown, 400, "VALIDATION_ERROR", "处理操作")
    assert session.query(AuditEntry).filter(AuditEntry.action.in_(["rollback_model", "decide_correct"])).count() == 0
