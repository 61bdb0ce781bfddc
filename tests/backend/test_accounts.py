"""Console accounts managed by admins (issue 11): API and command line, every change audited."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from credit_backend.demo.staff import seed_staff_accounts
from credit_backend.models import AuditEntry, ConsoleSession, StaffAccount
from credit_backend.settings import get_settings
from tests.backend.api_helpers import API, assert_error, count, fresh
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF
from tests.backend.console_helpers import ADMIN_PASSWORD, CENTRE, PASSWORD, log_in, session_headers

pytest_plugins = ["tests.backend.console_fixtures"]  # staff_accounts, console_clock, light_hashing

ECO = "吉林市生态环境局"
NEW = {
    "name": "reviewer02",
    "display_name": "赵文静",
    "role": "staff",
    "department": ECO,
    "password": "Reviewer-2026-x",
}


def _audit(session, action: str) -> list[AuditEntry]:
    fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_admin_creates_an_account_that_can_log_in(client, session, staff_accounts):
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    r = client.post(f"{API}/accounts", json=NEW, headers=admin)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["name"] == "reviewer02" and view["department"] == ECO
    assert (view["role"], view["role_label"], view["active"]) == ("staff", "工作人员", True)
    assert "password" not in r.text and "argon2" not in r.text

    listed = client.get(f"{API}/accounts", headers=admin).json()["items"]
    assert [a["name"] for a in listed] == ["admin01", "counter01", "reviewer02"]
    assert log_in(client, "reviewer02", NEW["password"]).status_code == 201

    [entry] = _audit(session, "account_create")[-1:]
    assert (entry.actor, entry.target, entry.details["department"]) == ("staff:admin01", "reviewer02", ECO)


def test_bad_accounts_are_refused_in_chinese_and_nothing_is_stored(client, session, staff_accounts):
    cases = [
        ({**NEW, "password": "short-1"}, "密码"),
        ({**NEW, "password": "reviewer02-long-enough"}, "密码不能包含账号名"),
        ({**NEW, "role": "root"}, "角色"),
        ({**NEW, "name": "Bad Name"}, "账号名"),
        ({**NEW, "department": ""}, "所属部门"),
        ({**NEW, "display_name": "   "}, "姓名"),
    ]
    for body, fragment in cases:
        assert_error(client.post(f"{API}/accounts", json=body, headers=ADMIN), 400, "VALIDATION_ERROR", fragment)
    assert count(session, StaffAccount, StaffAccount.name == "reviewer02") == 0

    taken = {**NEW, "name": "counter01"}
    assert_error(client.post(f"{API}/accounts", json=taken, headers=ADMIN), 409, "ACCOUNT_EXISTS", "counter01")


def test_only_admins_manage_accounts(client, staff_accounts):
    staff = session_headers(client)
    for headers in (staff, STAFF, ASSISTANT):
        assert_error(client.get(f"{API}/accounts", headers=headers), 403, "FORBIDDEN")
        assert_error(client.post(f"{API}/accounts", json=NEW, headers=headers), 403, "FORBIDDEN")
        assert_error(client.post(f"{API}/accounts/counter01/disable", headers=headers), 403, "FORBIDDEN")


def test_disable_and_enable(client, session, staff_accounts):
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    counter = session_headers(client)
    r = client.post(f"{API}/accounts/counter01/disable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["disabled_at"]
    assert_error(client.get(f"{API}/console/sessions/current", headers=counter), 401, "SESSION_EXPIRED")
    fresh(session)
    ended = session.scalar(
        select(ConsoleSession.ended_reason).join(StaffAccount).where(StaffAccount.name == "counter01")
    )
    assert ended == "disabled"
    assert _audit(session, "account_disable")[0].details == {"sessions_ended": 1}

    r = client.post(f"{API}/accounts/counter01/enable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is True and r.json()["disabled_at"] is None
    assert log_in(client).status_code == 201
    assert _audit(session, "account_enable")[0].actor == "staff:admin01"


def test_an_admin_cannot_disable_their_own_account(client, session, staff_accounts):
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    r = client.post(f"{API}/accounts/admin01/disable", headers=admin)
    assert_error(r, 409, "CANNOT_DISABLE_SELF", "不能停用自己")
    assert client.get(f"{API}/console/sessions/current", headers=admin).status_code == 200
    assert_error(client.post(f"{API}/accounts/nobody01/disable", headers=admin), 404, "ACCOUNT_NOT_FOUND", "nobody01")


def test_a_password_reset_clears_the_lock_and_ends_sessions(client, session, staff_accounts, console_clock):
    counter = session_headers(client)
    for _ in range(5):
        log_in(client, password="Wrong-Pass-2026")
    assert_error(log_in(client), 423, "ACCOUNT_LOCKED")

    new_password = "Brand-New-Pass-7"
    assert_error(
        client.post(f"{API}/accounts/counter01/password", json={"password": "short"}, headers=ADMIN),
        400,
        "VALIDATION_ERROR",
        "密码",
    )
    r = client.post(f"{API}/accounts/counter01/password", json={"password": new_password}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["locked_until"] is None
    assert_error(client.get(f"{API}/console/sessions/current", headers=counter), 401, "SESSION_EXPIRED")
    assert_error(log_in(client), 401, "LOGIN_FAILED")  # the old password
    assert log_in(client, password=new_password).status_code == 201
    [entry] = _audit(session, "account_password_reset")
    assert entry.actor == "admin" and entry.details == {"sessions_ended": 1}


def test_the_locked_account_shows_until_when_in_the_list(client, staff_accounts, console_clock):
    for _ in range(5):
        log_in(client, password="Wrong-Pass-2026")
    listed = {a["name"]: a for a in client.get(f"{API}/accounts", headers=ADMIN).json()["items"]}
    assert listed["counter01"]["locked_until"].startswith("2026-11-30T01:15:00")
    console_clock.advance(minutes=15)
    listed = {a["name"]: a for a in client.get(f"{API}/accounts", headers=ADMIN).json()["items"]}
    assert listed["counter01"]["locked_until"] is None


# The command line reads the cost of argon2id from the environment; the lowest one keeps the test quick.
LIGHT_HASHING = {
    "CREDIT_CONSOLE_PASSWORD_TIME_COST": "1",
    "CREDIT_CONSOLE_PASSWORD_MEMORY_KIB": "8192",
    "CREDIT_CONSOLE_PASSWORD_PARALLELISM": "1",
}


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # The database is the test database: the engine fixture put it in CREDIT_DATABASE_URL.
    return subprocess.run(
        [sys.executable, "-m", "credit_backend.accounts", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **LIGHT_HASHING},
    )


def test_the_command_line_manages_accounts(client, session):
    made = _cli(
        "create", "counter02", "--role", "staff", "--department", CENTRE, "--display-name", "孙丽", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "已创建账号 counter02" in made.stdout
    assert log_in(client, "counter02").status_code == 201

    again = _cli("create", "counter02", "--role", "staff", "--department", CENTRE, "--display-name", "孙丽",
                 "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert again.returncode == 1 and "已被使用" in again.stderr

    weak = _cli("create", "counter03", "--role", "staff", "--department", CENTRE, "--display-name", "周强",
                "--password-stdin", stdin="short\n")  # fmt: skip
    assert weak.returncode == 1 and "密码至少需要10个字符" in weak.stderr
    assert count(session, StaffAccount, StaffAccount.name == "counter03") == 0

    assert _cli("disable", "counter02").returncode == 0
    assert_error(log_in(client, "counter02"), 401, "LOGIN_FAILED")
    listing = _cli("list")
    assert listing.returncode == 0
    assert (
        "counter02 | 孙丽 | 工作人员 staff | 吉林市发展和改革委员会（市信用中心） | 已停用 disabled" in listing.stdout
    )
    assert _cli("enable", "counter02").returncode == 0
    reset = _cli("set-password", "counter02", "--password-stdin", stdin="Another-Pass-99\n")
    assert reset.returncode == 0, reset.stderr
    assert log_in(client, "counter02", "Another-Pass-99").status_code == 201

    missing = _cli("disable", "nobody01")
    assert missing.returncode == 1 and "没有名为“nobody01”的工作台账号" in missing.stderr
    actors = {a.actor for a in _audit(session, "account_create")}
    assert all(a.startswith("cli") for a in actors)


def test_the_demo_city_comes_with_console_accounts(client, engine, session):
    created = seed_staff_accounts(engine)
    assert [a.name for a in created] == ["counter01", "admin01", "reviewer01"]
    assert seed_staff_accounts(engine) == []  # a second run adds nothing
    password = get_settings().demo_staff_password
    assert password == "Jilin-Credit-2026"
    counter = log_in(client, "counter01", password).json()["account"]
    assert counter == {"name": "counter01", "display_name": "李晓梅", "role": "staff", "department": CENTRE}
    assert log_in(client, "admin01", password).json()["account"]["role"] == "admin"
    assert log_in(client, "reviewer01", password).json()["account"]["department"] == "吉林市生态环境局"
