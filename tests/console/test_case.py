"""A reviewer decides an objection a business filed on Telegram: the queue, the case view, the decisions the
state machine allows, a written reason each time, and the decision arriving on the (fake) Telegram Bot API
server exactly once. A decision taken meanwhile by someone else is refused and changes nothing."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from tests.console.harness import COUNTER, DEMO_PASSWORD, ConsoleStack, shot, tablet_shot, visible_text
from tests.console.pages import log_in
from tests.security.harness import JIANGCHENG, QIHANG

TG_USER = 930_201  # a Telegram user bound to 江城建材 who filed an objection through the bridge's assistant


def decide(page: Page, label: str, note: str) -> None:
    """Pick the decision ``label`` on the case page, write the reason, submit (and confirm)."""
    form = page.locator("#decision-form")
    form.get_by_label(label, exact=True).check()
    form.get_by_label("处理意见").fill(note)
    with page.expect_navigation():
        form.get_by_role("button", name="提交决定").click()


def test_a_decision_reaches_the_business_on_telegram(page: Page, stack: ConsoleStack) -> None:
    assert stack.bot_api is not None
    sender = f"tg:{TG_USER}"
    stack.bind(sender, JIANGCHENG)
    application = stack.file_objection(sender, JIANGCHENG)
    no = application["application_no"]

    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    page.goto(stack.url("/queue"))
    page.get_by_label("申请类型").select_option("objection")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    row = page.locator(f'tr[data-application-no="{no}"]')
    assert "剩余" in row.locator("td.deadline").inner_text()
    shot(page, "19-queue-objections", full_page=True)
    tablet_shot(page, "19-queue-objections")
    row.get_by_role("link", name=no).click()
    page.wait_for_load_state()
    text = visible_text(page)
    assert "吉林市江城建材有限公司" in text and "已提交，待受理" in text, text
    # Only what the state machine allows now: accept or refuse as incomplete, not yet correct.
    form = page.locator("#decision-form")
    assert form.get_by_label("受理并核查", exact=True).count() == 1
    assert form.get_by_label("核实有误，予以更正", exact=True).count() == 0
    shot(page, "20-case-submitted", full_page=True)
    tablet_shot(page, "20-case-submitted")

    # A decision needs a written reason: without one the form is not sent.
    form.get_by_label("受理并核查", exact=True).check()
    form.get_by_role("button", name="提交决定").click()
    page.wait_for_timeout(1000)
    assert stack.application(no)["status"] == "submitted"

    decide(page, "受理并核查", "材料齐全，予以受理并核查。")
    assert "决定已保存" in visible_text(page) and "核查中" in page.locator("#case-status").inner_text()
    decide(page, "核实有误，予以更正", "经核实，处罚决定书载明的当事人为另一企业，予以更正。")
    assert "已更正" in page.locator("#case-status").inner_text(), visible_text(page)
    assert stack.application(no)["status"] == "corrected"
    shot(page, "21-case-corrected")

    # The business learns it on Telegram, once per decision.
    stack.bot_api.wait_for_message(TG_USER, "已更正", timeout=60)
    time.sleep(2)  # a duplicate would arrive within a few polls
    corrected = [t for t in stack.bot_api.sent_texts(TG_USER) if no in t and "已更正" in t]
    assert len(corrected) == 1, stack.bot_api.sent_texts(TG_USER)


def test_a_decision_taken_meanwhile_is_refused(page: Page, stack: ConsoleStack) -> None:
    sender = f"tg:{TG_USER + 1}"
    stack.bind(sender, QIHANG)
    no = stack.file_objection(sender, QIHANG)["application_no"]
    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    page.goto(stack.url(f"/cases/{no}"))
    # Another reviewer, in another browser, accepts the objection first.
    other = page.context.browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        other_page = other.new_page()
        other_page.on("dialog", lambda dialog: dialog.accept())
        stack.create_account("reviewer02", "Reviewer-Pass-02", display="周强")
        log_in(other_page, stack, "reviewer02", "Reviewer-Pass-02", f"/login?next=/cases/{no}")
        other_page.goto(stack.url(f"/cases/{no}"))
        decide(other_page, "受理并核查", "受理。")
    finally:
        other.close()
    form = page.locator("#decision-form")
    form.get_by_label("材料不全不予受理", exact=True).check()
    form.get_by_label("处理意见").fill("材料不全。")
    form.get_by_role("button", name="提交决定").click()
    page.wait_for_load_state()
    text = visible_text(page)
    assert "该申请已由其他工作人员处理" in text and "您的决定未保存" in text, text
    assert stack.application(no)["status"] == "under_verification"
    shot(page, "22-case-conflict")
