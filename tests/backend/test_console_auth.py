"""Console log-in (issue 11): argon2id passwords, the lock after five wrong ones, idle and absolute
session timeouts, log-out on the server, disabled accounts, and what a session may do."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from credit_backend.models import AuditEntry, StaffAccount
from credit_backend.services.accounts import hasher
from tests.backend.api_helpers import API, assert_error, fresh
from tests.backend.conftest import ADMIN, STAFF
from tests.backend.console_helpers import ADMIN_PASSWORD, CENTRE, PASSWORD, log_in, session_headers

pytest_plugins = ["tests.backend.console_fixtures"]  # staff_accounts, console_clock, light_hashing

CURRENT = f"{API}/console/sessions/current"


def _actions(session, name: str) -> list[str]:
    fresh(session)
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.target == name).order_by(AuditEntry.id)))


def test_log_in_opens_a_session_with_both_timeouts(client, session, staff_accounts, console_clock):
    r = log_in(client)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["account"] == {"name": "counter01", "display_name": "李晓梅", "role": "staff", "department": CENTRE}
    assert len(body["token"]) >= 40
    assert body["idle_expires_at"].startswith("2026-11-30T01:30:00")
    assert body["absolute_expires_at"].startswith("2026-11-30T13:00:00")

    r = client.get(CURRENT, headers={"X-Console-Session": body["token"]})
    assert r.status_code == 200, r.text
    assert r.json()["account"]["name"] == "counter01"
    assert "console_login" in _actions(session, "counter01")


def test_the_password_is_stored_as_argon2id_only(client, session, staff_accounts):
    fresh(session)
    account = session.scalar(select(StaffAccount).where(StaffAccount.name == "counter01"))
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    listing = client.get(f"{API}/accounts", headers=ADMIN).text
    assert "argon2" not in listing and PASSWORD not in listing


def test_an_outdated_hash_is_replaced_at_the_next_log_in(client, session, staff_accounts):
    fresh(session)
    account = session.scalar(select(StaffAccount).where(StaffAccount.name == "counter01"))
    account.password_hash = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    session.commit()
    assert hasher().check_needs_rehash(account.password_hash)

    assert log_in(client).status_code == 201
    fresh(session)
    stored = session.scalar(select(StaffAccount.password_hash).where(StaffAccount.name == "counter01"))
    assert stored.startswith("$argon2id$") and not hasher().check_needs_rehash(stored)
    assert log_in(client).status_code == 201  # and the new hash holds the same password


def test_a_wrong_password_is_refused_and_counted(client, session, staff_accounts, console_clock):
    error = assert_error(log_in(client, password="Wrong-Pass-2026"), 401, "LOGIN_FAILED", "账号或密码错误")
    assert error["details"]["attempts_left"] == 4
    assert "token" not in str(error)
    assert _actions(session, "counter01") == ["account_create", "console_login_failed"]


def test_an_unknown_or_disabled_account_gets_the_same_answer(client, session, staff_accounts):
    unknown = assert_error(log_in(client, account="nobody01"), 401, "LOGIN_FAILED")
    assert unknown["message"] == "账号或密码错误。"
    assert client.post(f"{API}/accounts/counter01/disable", headers=ADMIN).status_code == 200
    disabled = assert_error(log_in(client), 401, "LOGIN_FAILED")  # the right password
    assert disabled["message"] == "账号或密码错误。"


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client, session, staff_accounts, console_clock):
    for left in (4, 3, 2, 1):
        error = assert_error(log_in(client, password="Wrong-Pass-2026"), 401, "LOGIN_FAILED")
        assert error["details"]["attempts_left"] == left
        assert f"再输错{left}次" in error["message"]
    # The fifth: locked until 09:15 Beijing time, and the answer says when.
    locked = assert_error(log_in(client, password="Wrong-Pass-2026"), 423, "ACCOUNT_LOCKED", "2026年11月30日 09:15")
    assert locked["details"]["locked_until"].startswith("2026-11-30T01:15:00")
    assert "console_locked" in _actions(session, "counter01")

    # While locked even the right password is refused.
    console_clock.advance(minutes=14, seconds=59)
    assert_error(log_in(client), 423, "ACCOUNT_LOCKED", "09:15")
    console_clock.advance(seconds=1)
    assert log_in(client).status_code == 201


def test_a_successful_log_in_resets_the_count(client, staff_accounts, console_clock):
    for _ in range(4):
        assert log_in(client, password="Wrong-Pass-2026").status_code == 401
    assert log_in(client).status_code == 201
    error = assert_error(log_in(client, password="Wrong-Pass-2026"), 401, "LOGIN_FAILED")
    assert error["details"]["attempts_left"] == 4


def test_an_idle_session_expires_after_thirty_minutes(client, session, staff_accounts, console_clock):
    headers = session_headers(client)
    console_clock.advance(minutes=29)
    assert client.get(CURRENT, headers=headers).status_code == 200  # use keeps it alive
    console_clock.advance(minutes=29)
    r = client.get(CURRENT, headers=headers)
    assert r.status_code == 200
    assert r.json()["idle_expires_at"].startswith("2026-11-30T02:28:00")
    console_clock.advance(minutes=30)
    assert_error(client.get(CURRENT, headers=headers), 401, "SESSION_EXPIRED", "登录已过期，请重新登录")
    console_clock.advance(minutes=-30)  # an ended session stays ended
    assert_error(client.get(CURRENT, headers=headers), 401, "SESSION_EXPIRED")
    assert "console_session_expired" in _actions(session, "counter01")


def test_an_active_session_still_ends_after_twelve_hours(client, staff_accounts, console_clock):
    headers = session_headers(client)
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        console_clock.advance(minutes=20)
        assert client.get(CURRENT, headers=headers).status_code == 200
    console_clock.advance(minutes=19, seconds=59)
    r = client.get(CURRENT, headers=headers)
    assert r.status_code == 200
    assert r.json()["idle_expires_at"].startswith("2026-11-30T13:00:00")  # capped by the absolute end
    console_clock.advance(seconds=1)
    assert_error(client.get(CURRENT, headers=headers), 401, "SESSION_EXPIRED")


def test_log_out_ends_the_session_on_the_server(client, session, staff_accounts):
    headers = session_headers(client)
    other = session_headers(client)  # a second session of the same account (another PC)
    r = client.delete(CURRENT, headers=headers)
    assert r.status_code == 204
    assert_error(client.get(CURRENT, headers=headers), 401, "SESSION_EXPIRED")
    assert_error(client.get(f"{API}/bindings/throttles", headers=headers), 401, "SESSION_EXPIRED")
    assert client.get(CURRENT, headers=other).status_code == 200
    assert "console_logout" in _actions(session, "counter01")
    fresh(session)
    logout = session.scalar(select(AuditEntry).where(AuditEntry.action == "console_logout"))
    assert (logout.actor, logout.role) == ("staff:counter01", "staff")


def test_disabling_an_account_stops_its_live_sessions(client, staff_accounts):
    headers = session_headers(client)
    assert client.get(f"{API}/bindings/throttles", headers=headers).status_code == 200
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    assert client.post(f"{API}/accounts/counter01/disable", headers=admin).status_code == 200
    assert_error(client.get(CURRENT, headers=headers), 401, "SESSION_EXPIRED")
    assert_error(log_in(client), 401, "LOGIN_FAILED")
    assert client.post(f"{API}/accounts/counter01/enable", headers=admin).status_code == 200
    assert_error(client.get(CURRENT, headers=headers), 401, "SESSION_EXPIRED")  # ended for good
    assert log_in(client).status_code == 201


def test_a_staff_session_is_staff_and_not_admin(client, staff_accounts):
    staff = session_headers(client)
    assert client.get(f"{API}/bindings/throttles", headers=staff).status_code == 200
    for path in ("/accounts", "/audit", "/audit.csv", "/bindings/outbox"):
        assert_error(client.get(f"{API}{path}", headers=staff), 403, "FORBIDDEN")
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    for path in ("/accounts", "/audit", "/audit.csv", "/bindings/outbox"):
        assert client.get(f"{API}{path}", headers=admin).status_code == 200, path


def test_role_tokens_work_as_before_and_bad_credentials_are_refused(client, staff_accounts):
    assert client.get(f"{API}/bindings/throttles", headers=STAFF).status_code == 200
    assert_error(client.get(f"{API}/bindings/throttles"), 401, "AUTH_REQUIRED")
    assert_error(
        client.get(f"{API}/bindings/throttles", headers={"X-Console-Session": "forged"}), 401, "SESSION_EXPIRED"
    )
    # The session routes are about a console session: a role token has none.
    assert_error(client.get(CURRENT, headers=STAFF), 401, "SESSION_REQUIRED")
    assert_error(client.delete(CURRENT, headers=ADMIN), 401, "SESSION_REQUIRED")


def test_bad_log_in_bodies_are_400_in_chinese(client, staff_accounts):
    r = client.post(f"{API}/console/sessions", json={"account": "counter01"})
    assert_error(r, 400, "VALIDATION_ERROR", "密码")
    r = client.post(f"{API}/console/sessions", json={"account": "", "password": "x"})
    assert_error(r, 400, "VALIDATION_ERROR", "账号")
