"""What a staff member does on the console's pages, in the words of the page (labels, buttons, headings)."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page

from tests.console.harness import ConsoleStack, visible_text
from tests.support.processes import wait_until


def log_in(page: Page, stack: ConsoleStack, account: str, password: str, path: str = "/login") -> None:
    page.goto(stack.url(path))
    page.get_by_label("账号").fill(account)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def session_cookie(page: Page) -> dict | None:
    found = [c for c in page.context.cookies() if c["name"] == "console_session"]
    return dict(found[0]) if found else None


def backend_session(stack: ConsoleStack, token: str) -> httpx.Response:
    """The backend's view of a console session token (GET /console/sessions/current)."""
    with httpx.Client(base_url=f"{stack.backend_url}/api/v1", timeout=30) as client:
        return client.get("/console/sessions/current", headers={"X-Console-Session": token})


class Chat:
    """The 柜台助手 chat pane: type a message or press an answer's button, wait for the assistant."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _idle(self) -> bool:
        busy = self.page.get_attribute("#chat-form", "aria-busy")
        return busy is None and self.page.locator("#chat-send").is_enabled()

    def _bot_count(self) -> int:
        return self.page.locator("#chat-log li.from-bot, #chat-log li.from-system:not(.chat-empty)").count()

    def _wait_answer(self, before: int, timeout: float) -> list[str]:
        wait_until(lambda: self._bot_count() > before and self._idle(), timeout, "the assistant's answer")
        time.sleep(0.2)
        wait_until(self._idle, timeout, "the chat to settle")
        items = self.page.locator("#chat-log li.from-bot, #chat-log li.from-system:not(.chat-empty)")
        return [items.nth(i).inner_text() for i in range(before, items.count())]

    def say(self, text: str, timeout: float = 120) -> list[str]:
        """Type ``text`` and send it; returns the texts of the answers (with their button titles)."""
        before = self._bot_count()
        self.page.get_by_label("发给智能助手的消息").fill(text)
        self.page.get_by_role("button", name="发送", exact=True).click()
        return self._wait_answer(before, timeout)

    def buttons(self) -> list[str]:
        """The titles of the buttons under the assistant's latest answer."""
        last = self.page.locator("#chat-log li.from-bot").last
        choices = last.locator("button.chat-choice")
        return [choices.nth(i).inner_text().strip() for i in range(choices.count())]

    def press(self, title: str, timeout: float = 120) -> list[str]:
        before = self._bot_count()
        last = self.page.locator("#chat-log li.from-bot").last
        last.locator("button.chat-choice", has_text=title).first.click()
        return self._wait_answer(before, timeout)

    def log(self) -> str:
        return self.page.locator("#chat-log").inner_text()


def page_text(page: Page) -> str:
    return visible_text(page)
