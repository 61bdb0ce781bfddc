"""数据统计 in the browser: two WeChat conversations with the real assistant reach the archive; the admin picks the
day and the channel and reads the same figures as the backend's analytics API, in tables beside server-drawn SVG
charts that load nothing from outside; the CSV downloads; a staff account is kept out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from bot.console.templating import cn_date
from tests.console.admin_loop import admins_only, archived, new_user, talk
from tests.console.harness import ADMIN, ADMIN_TOKEN, COUNTER, DEMO_PASSWORD, ConsoleStack, shot, visible_text
from tests.console.pages import log_in

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
BRAND = "rgb(11, 61, 110)"  # the first series' colour (bot/console/charts.py), set by the chart's own stylesheet


def cells(page: Page, table: str) -> list[list[str]]:
    rows = page.locator(f"#{table} tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()] for i in range(rows.count())]


def test_an_admin_reads_the_figures_of_a_channel(page: Page, assistant: ConsoleStack) -> None:
    stack = assistant
    first = talk(stack, "wx", new_user(), "你好", "帮我查一下91220202MA0Y3K7Q6L")
    second = talk(stack, "wx", new_user(), "信用修复要多久")
    archived(stack, first, 2)
    archived(stack, second, 1)
    figures: dict[str, Any] = stack.backend_get("/analytics", token=ADMIN_TOKEN, channel="wx")
    assert figures["conversations"] == 2, figures  # no other test of the suite speaks over WeChat
    today = figures["per_day"][0]["day"]

    log_in(page, stack, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="数据统计").click()
    page.get_by_label("起始日期").fill(today)
    page.get_by_label("截止日期").fill(today)
    page.get_by_label("渠道", exact=True).select_option("wx")
    page.get_by_role("button", name="统计").click()
    page.wait_for_load_state()
    assert page.locator("#figure-conversations").inner_text() == "2", visible_text(page)
    assert page.locator("#figure-messages").inner_text() == str(figures["messages"]) == "3"
    assert cells(page, "table-per-day") == [[cn_date(today), "微信", "2"]]
    assert cells(page, "table-intents") == [[r["intent"], str(r["messages"])] for r in figures["intents"]]
    query = next(r for r in figures["services"] if r["service"] == "query")
    assert query["completed"] == 1, query
    row = cells(page, "table-services")[[r["service"] for r in figures["services"]].index("query")]
    assert row[:3] == [query["label"], "1", "1"], row
    hours = {r[0].split(":")[0]: r[1] for r in cells(page, "table-hours")}
    assert sum(int(v) for v in hours.values()) == 3

    # Four charts, drawn on the server, each named by its caption; nothing in them points outside.
    charts = page.locator("figure.chart svg")
    assert charts.count() == 4
    for i in range(4):
        svg = charts.nth(i).evaluate("e => e.outerHTML")
        assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= {SVG_NAMESPACE}, svg[:300]
        assert "<script" not in svg
        label = charts.nth(i).get_attribute("aria-labelledby")
        assert label and page.locator(f"#{label}").inner_text()
    assert "微信" in str(page.locator("#chart-per-day svg").text_content())
    bar = page.locator("#chart-per-day svg .series.serie-0 rect").first
    assert bar.evaluate("e => getComputedStyle(e).fill") == BRAND  # the chart's stylesheet was allowed to apply
    shot(page, "64-admin-analytics", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="导出CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    text = data.decode("utf-8-sig")
    assert "每日会话数" in text and f"{today},微信,2" in text, text[:500]


def test_staff_cannot_read_the_analytics(page: Page, stack: ConsoleStack) -> None:
    log_in(page, stack, COUNTER, DEMO_PASSWORD)
    admins_only(page, stack, "数据统计", "/admin/analytics", "/admin/analytics.csv")
