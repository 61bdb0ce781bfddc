"""The admin's pages: accounts made and disabled on the page, the binding-code outbox, the audit log and its
CSV export; and a staff account kept out of all three."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.console.harness import ADMIN, COUNTER, DEMO_PASSWORD, VIEWPORT, ConsoleStack, shot, visible_text
from tests.console.pages import backend_session, log_in, session_cookie
from tests.security.harness import HUAPICHANG

NEW_ACCOUNT = "window02"
NEW_PASSWORD = "Window-Pass-2026"


def test_an_admin_creates_and_disables_an_account(page: Page, stack: ConsoleStack, browser: Browser) -> None:
    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="账号管理").click()
    page.wait_for_load_state()
    form = page.locator("#create-account-form")
    form.get_by_label("账号").fill(NEW_ACCOUNT)
    form.get_by_label("姓名").fill("陈晨")
    form.get_by_label("角色").select_option("staff")
    form.get_by_label("所属部门").fill("吉林市市场监督管理局")
    form.get_by_label("初始密码", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("再次输入初始密码").fill(NEW_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="创建账号").click()
    row = page.locator(f"#account-{NEW_ACCOUNT}")
    assert "陈晨" in row.inner_text() and "吉林市市场监督管理局" in row.inner_text(), visible_text(page)
    shot(page, "50-admin-accounts", full_page=True)

    # The new colleague logs in at their own counter PC.
    colleague = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        their_page = colleague.new_page()
        log_in(their_page, stack, NEW_ACCOUNT, NEW_PASSWORD)
        cookie = session_cookie(their_page)
        assert cookie is not None, visible_text(their_page)
        # Disabled by the admin: their open session ends at once and they cannot log in again.
        with page.expect_navigation():
            page.locator(f"#disable-{NEW_ACCOUNT}").click()
        assert "停用" in page.locator(f"#account-{NEW_ACCOUNT}").inner_text()
        assert backend_session(stack, str(cookie["value"])).status_code == 401
        their_page.goto(stack.url("/counter"))
        assert "/login" in their_page.url
        log_in(their_page, stack, NEW_ACCOUNT, NEW_PASSWORD)
        assert "账号或密码错误" in their_page.locator("#error").inner_text()
    finally:
        colleague.close()


def test_the_outbox_shows_a_waiting_code_until_it_is_used(page: Page, stack: ConsoleStack) -> None:
    sender = "tg:930401"
    with stack.api() as api:
        assert api.post("/bindings/start", json={"sender_id": sender, "uscc": HUAPICHANG}).status_code == 200
    code = stack.latest_code(HUAPICHANG)
    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="验证码发件箱").click()
    page.wait_for_load_state()
    row = page.locator(f'#outbox-table tr[data-uscc="{HUAPICHANG}"]')
    assert code in row.locator("td.otp-code").inner_text(), visible_text(page)
    shot(page, "51-admin-outbox")
    with stack.api() as api:
        body = {"sender_id": sender, "uscc": HUAPICHANG, "code": code}
        assert api.post("/bindings/verify", json=body).status_code == 200
    page.reload()
    assert code not in page.locator("body").inner_text()


def test_the_audit_log_filters_and_exports(page: Page, stack: ConsoleStack) -> None:
    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="审计日志").click()
    page.wait_for_load_state()
    page.get_by_label("操作人").fill(f"staff:{ADMIN}")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    logins = page.locator('#audit-table tr[data-action="console_login"]')
    assert logins.count() >= 1, visible_text(page)
    shot(page, "52-admin-audit", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]  # UTF-8 with BOM, for Excel
    text = data.decode("utf-8-sig")
    assert "console_login" in text and f"staff:{ADMIN}" in text


def test_staff_cannot_open_the_admin_pages(page: Page, stack: ConsoleStack) -> None:
    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    assert page.get_by_role("link", name="账号管理").count() == 0
    for path in ("/admin/accounts", "/admin/outbox", "/admin/audit"):
        response = page.goto(stack.url(path))
        assert response is not None and response.status == 403, path
        assert "只有系统管理员可以使用此页面" in visible_text(page)
    assert session_cookie(page) is not None
