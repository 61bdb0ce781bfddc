"""At the counter: a clerk asks the assistant about the business in front of them and files an objection on
its behalf, with the in-person identity check instead of the one-time code; then finds it in the work queue
with its deadline and opens the case, where the check is shown to the reviewer."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.console.harness import COUNTER, DEMO_PASSWORD, ConsoleStack, shot, visible_text
from tests.console.pages import Chat, log_in
from tests.security.harness import JIANGCHENG, LAOWANG

REASON = "该处罚记录的当事人登记有误，本店从未收到该处罚决定书，请核实更正。"
# The buttons the clerk prefers, in order, and those never pressed.
PREFERRED = ("确认提交", "确认", "居民身份证", "是", "更正", "同意", "提异议", "异议", "继续")
AVOIDED = ("取消", "转人工", "不", "否", "再看")
DEADLINE = re.compile(r"(剩余\d+个工作日|已超期\d+个工作日)")


def choose(buttons: list[str]) -> str | None:
    for wanted in PREFERRED:
        for title in buttons:
            if title.startswith(wanted):
                return title
    usable = [t for t in buttons if not t.startswith(AVOIDED)]
    return usable[0] if usable else None


def test_query_shows_the_unmasked_contact_number(page: Page, assistant: ConsoleStack) -> None:
    log_in(page, assistant, COUNTER, DEMO_PASSWORD)
    chat = Chat(page)
    answers = "\n".join(chat.say(f"帮我查一下{JIANGCHENG}"))
    assert "吉林市江城建材有限公司" in answers, answers
    # Staff see the contact number in full (a business on Telegram sees 139****0001).
    assert "13943210001" in answers, answers
    # The panel beside the chat loads the entity the answer named, with the same number.
    contact = page.get_by_test_id("entity-contact")
    contact.wait_for()
    assert "13943210001" in contact.inner_text()
    assert "吉林市江城建材有限公司" in page.locator("#entity-name").inner_text()
    shot(page, "10-counter-query")


def test_objection_filed_at_the_counter_with_the_in_person_check(page: Page, assistant: ConsoleStack) -> None:
    representative = assistant.entity_row(LAOWANG)
    last4 = str(representative["legal_rep_id_number"])[-4:]
    sender = f"staff:{COUNTER}"
    filed_before = {a["application_no"] for a in assistant.applications_of(sender)}

    def new_objections() -> list[dict]:
        return [
            a
            for a in assistant.applications_of(sender)
            if a["kind"] == "objection" and a["application_no"] not in filed_before
        ]

    log_in(page, assistant, COUNTER, DEMO_PASSWORD)
    chat = Chat(page)
    answers = chat.say(f"{LAOWANG}的处罚记录有误，我们要提异议")
    asked_check = False
    for _ in range(20):
        if new_objections():
            break
        question = "\n".join(answers)
        buttons = chat.buttons()
        if "证件" in question and buttons:
            asked_check = True
        choice = choose(buttons)
        if choice:  # a question with buttons: the clerk clicks one
            answers = chat.press(choice)
        elif "后四位" in question:
            asked_check = True
            answers = chat.say(last4)
        elif "理由" in question or "原因" in question:
            answers = chat.say(REASON)
        elif "代码" in question or "主体" in question or "名称" in question:
            answers = chat.say(LAOWANG)
        else:
            raise AssertionError(f"the clerk cannot answer: {question}\n--- chat ---\n{chat.log()}")
    filed = new_objections()
    assert len(filed) == 1, chat.log()
    assert asked_check, f"the assistant never asked for the in-person check:\n{chat.log()}"
    assert assistant.sms(LAOWANG) == [], "no one-time code goes to the business's phone at the counter"
    no = filed[0]["application_no"]
    assert no in chat.log()
    shot(page, "11-counter-objection-filed")

    # The check is on the application, for the reviewer.
    check = assistant.application(no).get("identity_check") or {}
    assert check.get("document_type") == "居民身份证" and check.get("id_last4") == last4, check

    # 待办队列: the new objection, with its deadline as a date and in working days.
    page.get_by_role("link", name="待办队列").click()
    page.wait_for_load_state()
    row = page.locator(f'tr[data-application-no="{no}"]')
    row.wait_for()
    deadline = row.locator("td.deadline").inner_text()
    assert DEADLINE.search(deadline) and re.search(r"\d{4}年\d{1,2}月\d{1,2}日", deadline), deadline
    shot(page, "12-queue")

    # 申请详情: the record concerned, the statement, and the in-person check.
    row.get_by_role("link", name=no).click()
    page.wait_for_load_state()
    text = visible_text(page)
    assert no in text and "船营区老王烧烤店" in text and REASON in text, text
    identity = page.locator("#case-identity").inner_text()
    assert "居民身份证" in identity and last4 in identity, identity
    shot(page, "13-case-counter-objection")
