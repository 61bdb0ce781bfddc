"""A business on Telegram asks for a person (转人工): staff claim the conversation in 人工服务, reply from the
console, the user gets the replies on Telegram, and the assistant stays silent until the hand-off is closed."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from tests.console.harness import COUNTER, DEMO_PASSWORD, ConsoleStack, shot
from tests.console.pages import log_in
from tests.telegram.fake_bot_api import User

USER = User(930_301, first_name="秀英", last_name="刘")
REPLY = "您好，我是市信用中心的工作人员，您的罚款缴清后即可在线申请信用修复。"
QUESTION = "罚款昨天已经缴清了，还需要准备什么材料？"


def test_hand_off_to_a_person_and_back(page: Page, assistant: ConsoleStack) -> None:
    bot = assistant.bot_api
    assert bot is not None
    sender = f"tg:{USER.id}"
    bot.send_text(USER, "/start")
    bot.wait_for_message(USER.id, "信用服务助手", timeout=120)
    seen = len(bot.sent_texts(USER.id))
    bot.send_text(USER, "转人工")
    bot.wait_for_message(USER.id, "工作人员", after=seen, timeout=120)
    [handoff] = [h for h in assistant.handoffs("open") if h.get("sender_id") == sender]

    log_in(page, assistant, COUNTER, DEMO_PASSWORD)
    page.get_by_role("link", name="人工服务").click()
    page.wait_for_load_state()
    row = page.locator(f'tr[data-handoff-id="{handoff["id"]}"]')
    row.wait_for()
    shot(page, "30-handoffs")
    row.locator("a.handoff-link").click()
    page.wait_for_load_state()
    assert "转人工" in page.locator("#transcript").inner_text()  # the conversation so far

    seen = len(bot.sent_texts(USER.id))
    page.get_by_role("button", name="接入").click()
    page.wait_for_load_state()
    bot.wait_for_message(USER.id, "已接入", after=seen, timeout=60)

    page.get_by_label("回复用户").fill(REPLY)
    page.get_by_role("button", name="发送回复").click()
    page.wait_for_load_state()
    bot.wait_for_message(USER.id, REPLY, after=seen, timeout=60)

    # The user writes while the person holds the conversation: it reaches the console, the assistant says nothing.
    seen = len(bot.sent_texts(USER.id))
    bot.send_text(USER, QUESTION)
    deadline = time.monotonic() + 60
    while QUESTION not in page.locator("#transcript").inner_text() and time.monotonic() < deadline:
        time.sleep(1)
    assert QUESTION in page.locator("#transcript").inner_text()  # appended by the page itself (polling)
    time.sleep(5)  # the assistant would have answered by now
    assert bot.sent_texts(USER.id)[seen:] == [], bot.sent_texts(USER.id)[seen:]
    shot(page, "31-handoff-conversation", full_page=True)

    page.get_by_role("button", name="结束会话").click()
    page.wait_for_load_state()
    bot.wait_for_message(USER.id, "人工服务已结束", after=seen, timeout=60)
    assert [h for h in assistant.handoffs("closed") if h["id"] == handoff["id"]]

    # The assistant answers again.
    seen = len(bot.sent_texts(USER.id))
    bot.send_text(USER, "帮我查一下91220202MA0Y3K7Q6L")
    bot.wait_for_message(USER.id, "江城建材", after=seen, timeout=120)
