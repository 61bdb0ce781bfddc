"""One console stack for the whole suite (starting Rasa is the slow part) and a fresh browser context per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.console.harness import SCREENSHOTS, VIEWPORT, ConsoleStack, launch_chromium
from tests.support.processes import serving


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[ConsoleStack]:
    with serving(ConsoleStack(tmp_path_factory.mktemp("console-stack")), request.session) as s:
        yield s


@pytest.fixture(scope="session")
def assistant(stack: ConsoleStack) -> ConsoleStack:
    """The stack with Rasa and the action server running (started on first use)."""
    stack.start_assistant()
    return stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new browser profile (no cookies) at the counter PC's resolution, in Chinese and Beijing time. When the
    test fails, what the browser showed last is saved as var/screenshots/console/failed/<test>.png."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())  # the forms that ask "are you sure?" (data-confirm)
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        failed = SCREENSHOTS / "failed"
        failed.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(failed / f"{request.node.name}.png"), full_page=True)
        print(f"--- page at failure: {tab.url} ---\n{tab.inner_text('body')[:3000]}", file=sys.stderr)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
