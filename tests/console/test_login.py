"""Logging in and out of the console, as a counter clerk at a browser: wrong passwords, the lock, the idle
timeout, and a form posted without its CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page

from tests.console.harness import (
    COUNTER,
    CSRF_REFUSED,
    DEMO_PASSWORD,
    ConsoleStack,
    shot,
    visible_text,
)
from tests.console.pages import backend_session, log_in, session_cookie


def session_token(page: Page) -> str:
    cookie = session_cookie(page)
    assert cookie is not None, visible_text(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    return str(cookie["value"])


def test_log_in_and_out(page: Page, stack: ConsoleStack) -> None:
    page.goto(stack.url("/"))
    assert "/login" in page.url  # nothing without a session
    shot(page, "01-login")
    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    assert "/login" not in page.url, visible_text(page)
    header = page.get_by_test_id("account-info").inner_text()
    assert "李晓梅（counter01）" in header and "工作人员" in header
    token = session_token(page)
    assert backend_session(stack, token).status_code == 200

    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    assert "您已安全退出" in visible_text(page)
    # Log-out ended the session on the server: the old token is refused, not just the cookie gone.
    ended = backend_session(stack, token)
    assert ended.status_code == 401 and ended.json()["error"]["code"] == "SESSION_EXPIRED"
    page.goto(stack.url("/counter"))
    assert "/login" in page.url


def test_wrong_password_is_refused(page: Page, stack: ConsoleStack) -> None:
    stack.create_account("wrongpw01", "Right-Pass-2026", display="王晓")
    log_in(page, stack, "wrongpw01", "not-the-password")
    error = page.locator("#error").inner_text()
    assert "账号或密码错误" in error and "再输错4次" in error, error
    assert "/login" in page.url and session_cookie(page) is None
    shot(page, "02-login-wrong-password")
    # The same words for an account that does not exist: the page tells nobody which accounts exist.
    log_in(page, stack, "nobody-here", "not-the-password")
    assert "账号或密码错误" in page.locator("#error").inner_text()


def test_five_wrong_passwords_lock_the_account(page: Page, stack: ConsoleStack) -> None:
    stack.create_account("locked01", "Right-Pass-2026", display="李静")
    for left in (4, 3, 2, 1):
        log_in(page, stack, "locked01", "Wrong-Pass-0000")
        assert f"再输错{left}次" in page.locator("#error").inner_text(), visible_text(page)
    log_in(page, stack, "locked01", "Wrong-Pass-0000")
    assert "已锁定" in page.locator("#error").inner_text(), visible_text(page)
    # Now even the right password is refused until the lock ends, and the page says when that is (Beijing time).
    log_in(page, stack, "locked01", "Right-Pass-2026")
    error = page.locator("#error").inner_text()
    assert "已锁定" in error and "/login" in page.url, error
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（北京时间）", error), error
    assert session_cookie(page) is None
    shot(page, "03-login-locked")


def test_an_idle_session_expires(page: Page, stack: ConsoleStack) -> None:
    stack.create_account("idle01", "Right-Pass-2026", display="赵敏")
    log_in(page, stack, "idle01", "Right-Pass-2026")
    assert "/login" not in page.url, visible_text(page)
    # The clerk leaves the counter for 31 minutes: the session's last use moves that far into the past.
    assert stack.age_sessions("idle01", timedelta(minutes=31)) == 1
    page.goto(stack.url("/counter"))
    assert "/login" in page.url
    assert "登录已过期，请重新登录" in visible_text(page)
    shot(page, "04-login-expired")
    # 29 minutes of idleness are fine.
    log_in(page, stack, "idle01", "Right-Pass-2026")
    stack.age_sessions("idle01", timedelta(minutes=29))
    page.goto(stack.url("/counter"))
    assert "/login" not in page.url


def test_a_post_without_its_csrf_token_is_refused(page: Page, stack: ConsoleStack) -> None:
    stack.create_account("csrf01", "Right-Pass-2026", display="孙丽")
    log_in(page, stack, "csrf01", "Right-Pass-2026")
    token = session_token(page)
    # The log-out form, stripped of its token (as a form forged on another site would be).
    page.eval_on_selector("form[action='/logout'] input[name='csrf_token']", "el => el.remove()")
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    assert CSRF_REFUSED in visible_text(page)
    shot(page, "05-csrf-refused")
    # Nothing happened: still logged in, the session alive on the server.
    assert backend_session(stack, token).status_code == 200
    page.goto(stack.url("/counter"))
    assert "/login" not in page.url
    # A wrong token is no better than none.
    page.eval_on_selector("form[action='/logout'] input[name='csrf_token']", "el => el.value = '0'.repeat(64)")
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    assert CSRF_REFUSED in visible_text(page)
    assert backend_session(stack, token).status_code == 200

    # The login form without its double-submit cookie (a login planted from another site) is refused too.
    page.context.clear_cookies()
    page.goto(stack.url("/login"))
    page.context.clear_cookies()
    page.get_by_label("账号").fill("csrf01")
    page.get_by_label("密码").fill("Right-Pass-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert CSRF_REFUSED in visible_text(page)
    assert session_cookie(page) is None
