"""The analytics charts (bot/console/charts.py): SVG with nothing that runs or loads from outside, named for
assistive technology, whole-number axes, and a Content-Security-Policy that allows exactly their stylesheets."""

from __future__ import annotations

import base64
import hashlib
import re

from bot.console import charts
from bot.console.security import csp_allowing_styles

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def test_a_chart_loads_and_runs_nothing() -> None:
    chart = charts.bars(
        "每日会话数", "per-day-caption", ["2026-11-29"], [("微信", [2]), ("网页", [None])], stacked=True
    )
    assert set(re.findall(r"https?://[^\s\"'<>)]+", chart.svg)) == {SVG_NAMESPACE}
    assert "<script" not in chart.svg and "<!--" not in chart.svg
    assert chart.svg.startswith('<svg role="img" aria-labelledby="per-day-caption"')
    assert "微信" in chart.svg and chart.css and chart.css in chart.svg.replace("&gt;", ">")


def test_the_policy_allows_the_charts_stylesheets_by_hash_only() -> None:
    drawn = [charts.bars("a", "a-caption", ["x"], [("n", [1])]), charts.bars("b", "b-caption", ["x"], [("n", [3])])]
    sources = charts.style_hashes(drawn)
    expected = {f"'sha256-{base64.b64encode(hashlib.sha256(c.css.encode()).digest()).decode()}'" for c in drawn}
    assert set(sources) == expected and len(sources) == 2
    policy = csp_allowing_styles(sources)
    assert "style-src 'self' 'sha256-" in policy and "unsafe-inline" not in policy and "script-src 'self';" in policy


def test_counts_get_whole_number_ticks() -> None:
    assert charts.count_ticks(0) == [0, 1]
    assert charts.count_ticks(3) == [0, 1, 2, 3]
    assert charts.count_ticks(17) == [0, 5, 10, 15, 20]
    assert charts.count_ticks(999) == [0, 200, 400, 600, 800, 1000]


def test_an_empty_period_says_so_in_chinese() -> None:
    assert "暂无数据" in charts.bars("各时段消息数", "hours-caption", [], [("消息数", [])]).svg
