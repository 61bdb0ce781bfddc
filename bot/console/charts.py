"""The analytics page's charts: SVG drawn on the server by pygal, placed inline in the page.

Nothing of a chart comes from outside the deployment and nothing runs in the browser: pygal is rendered without
its tooltip script (``js=[]``), and what it still writes for that script (a config ``<script>``, the comments
with its home page) is cut out. The chart's stylesheet stays inside the SVG; the page's Content-Security-Policy
allows exactly those stylesheets by their SHA-256 (:func:`style_hashes`). Each chart is a ``role="img"`` with
a name, and the page shows the same figures in a table beside it (the text alternative).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
# Dark, distinguishable colours, each at least 4.5:1 on white (the console's palette first).
COLOURS = ("#0b3d6e", "#8a1c12", "#0d5a26", "#6b4500", "#5b2a86", "#00606b", "#4a5561", "#a3004f")
STYLE = Style(
    font_family=FONTS,
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5561",
    colors=COLOURS,
    title_font_size=16,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    opacity=".9",
    opacity_hover=".9",
)
_CUT = (re.compile(r"<!--.*?-->", re.S), re.compile(r"<script\b[^>]*>.*?</script>", re.S))
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)


@dataclass(frozen=True)
class Chart:
    """One rendered chart: its SVG markup (safe to place in the page) and the stylesheet inside it."""

    svg: str
    css: str


def _options(title: str) -> dict[str, object]:
    return {
        "js": [],
        "style": STYLE,
        "title": title,
        "width": 640,
        "height": 320,
        "explicit_size": False,
        "disable_xml_declaration": True,
        "print_values": False,
        "no_data_text": "暂无数据",
        "truncate_legend": -1,
        "truncate_label": -1,
        "margin": 12,
    }


def finish(chart: pygal.graph.base.BaseGraph, label_id: str) -> Chart:
    """The chart's SVG without script and comments, named by the element ``label_id`` (the figure's caption)."""
    svg = chart.render(is_unicode=True)
    for pattern in _CUT:
        svg = pattern.sub("", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{html.escape(label_id)}" focusable="false" ', 1)
    found = _STYLE.search(svg)
    return Chart(svg=svg, css=html.unescape(found.group(1)) if found else "")


def bars(
    title: str,
    label_id: str,
    labels: Sequence[str],
    series: Iterable[tuple[str, Sequence[float | None]]],
    horizontal: bool = False,
    stacked: bool = False,
    legend: bool | None = None,
) -> Chart:
    """A (horizontal, stacked) bar chart of ``series`` over ``labels``; the legend by default only for more than
    one series (one series: the title says what it is)."""
    series = list(series)
    kind = {(False, False): pygal.Bar, (True, False): pygal.HorizontalBar, (False, True): pygal.StackedBar}
    chart = kind.get((horizontal, stacked), pygal.HorizontalStackedBar)(**_options(title))
    chart.show_legend = len(series) > 1 if legend is None else legend
    chart.x_labels = list(labels)
    if len(labels) > 12 and not horizontal:  # e.g. the 24 hours: every third label, the others as ticks
        chart.x_labels_major_every, chart.show_minor_x_labels = 3, False
    columns = zip(*(values for _, values in series), strict=True)
    stacks = [sum(v or 0 for v in column) for column in columns] if stacked else []
    chart.y_labels = count_ticks(max(stacks or [v or 0 for _, values in series for v in values], default=0))
    for name, values in series:
        chart.add(name, list(values))
    return finish(chart, label_id)


def count_ticks(highest: float, most: int = 8) -> list[int]:
    """Whole-number ticks from 0 past ``highest`` (counts have no fractions), at most about ``most`` of them."""
    step = next(m * 10**e for e in range(12) for m in (1, 2, 5) if highest / (m * 10**e) <= most)  # round steps
    top = max(step, -(-int(highest) // step) * step)
    return list(range(0, top + 1, step))


def style_hashes(charts: Iterable[Chart]) -> list[str]:
    """The CSP sources that allow the charts' own stylesheets, e.g. ``'sha256-…'``."""
    found = []
    for chart in charts:
        if chart.css:
            digest = base64.b64encode(hashlib.sha256(chart.css.encode()).digest()).decode()
            found.append(f"'sha256-{digest}'")
    return sorted(set(found))
