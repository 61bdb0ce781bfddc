"""数据统计 (admins): the archive's figures (GET /api/v1/analytics) as charts with their tables, and the CSV export
(the backend's /api/v1/analytics.csv, passed through)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from bot.console import charts
from bot.console.backend import ConsoleBackendError
from bot.console.casework import with_query
from bot.console.routes.admin import csv_download
from bot.console.security import AdminPage, csp_allowing_styles
from credit_backend.archive.queries import CHANNEL_LABELS, OUTCOME_LABELS

router = APIRouter(prefix="/admin")
TOP_INTENTS = 15  # the chart shows the most frequent; the table lists them all
SERVICE_OUTCOMES = ("completed", "cancelled", "handed_off", "abandoned")


def period_filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {
        "date_from": q.get("date_from", "").strip()[:10],
        "date_to": q.get("date_to", "").strip()[:10],
        "channel": q.get("channel", "") if q.get("channel") in CHANNEL_LABELS else "",
    }


def figure_charts(figures: dict[str, Any]) -> dict[str, charts.Chart]:
    """The four charts of the page, each named by its figure's caption (id ``<name>-caption``)."""
    days = sorted({row["day"] for row in figures["per_day"]})
    channels = [c for c in CHANNEL_LABELS if any(row["channel"] == c for row in figures["per_day"])]
    counts = {(row["day"], row["channel"]): row["conversations"] for row in figures["per_day"]}
    intents = figures["intents"][:TOP_INTENTS]
    services = figures["services"]
    return {
        "per_day": charts.bars(
            "每日会话数（按渠道）",
            "per-day-caption",
            days,
            [(CHANNEL_LABELS[c], [counts.get((d, c)) for d in days]) for c in channels],
            stacked=True,
            legend=True,  # the series are the channels, even when a filter leaves one
        ),
        "intents": charts.bars(
            f"各意图消息数（前{TOP_INTENTS}个）",
            "intents-caption",
            [row["intent"] for row in reversed(intents)],
            [("消息数", [row["messages"] for row in reversed(intents)])],
            horizontal=True,
        ),
        "services": charts.bars(
            "各项服务的办理情况",
            "services-caption",
            [row["label"] for row in services],
            [("开始", [row["started"] for row in services])]
            + [(OUTCOME_LABELS[o], [row[o] for row in services]) for o in SERVICE_OUTCOMES],
        ),
        "hours": charts.bars(
            "各时段消息数（北京时间）",
            "hours-caption",
            [f"{row['hour']}时" for row in figures["hours"]],
            [("消息数", [row["messages"] for row in figures["hours"]])],
        ),
    }


@router.get("/analytics", include_in_schema=False)
async def analytics(request: Request, ctx: AdminPage) -> Response:
    filters = period_filters(request)
    try:
        figures = await ctx.backend.get("/api/v1/analytics", **filters)
    except ConsoleBackendError as exc:
        if exc.session_ended or exc.status in (401, 403):
            raise
        return ctx.render(
            "admin_analytics.html",
            status_code=400,
            error=f"无法按所选条件统计：{exc.message}",
            figures=None,
            filters=filters,
            channels=list(CHANNEL_LABELS.items()),
        )
    drawn = figure_charts(figures)
    response = ctx.render(
        "admin_analytics.html",
        figures=figures,
        charts=drawn,
        filters=filters,
        channels=list(CHANNEL_LABELS.items()),
        channel_labels=CHANNEL_LABELS,
        outcome_labels=OUTCOME_LABELS,
        busiest=sorted(figures["hours"], key=lambda row: -row["messages"])[:3],
        csv_url=with_query("/admin/analytics.csv", filters),
    )
    # The charts' own stylesheets, allowed by their hashes (no 'unsafe-inline').
    response.headers["Content-Security-Policy"] = csp_allowing_styles(charts.style_hashes(drawn.values()))
    return response


@router.get("/analytics.csv", include_in_schema=False)
async def analytics_csv(request: Request, ctx: AdminPage) -> Response:
    """The backend's CSV with the same period and channel (UTF-8 with BOM), as a download."""
    resp = await ctx.backend.request("GET", "/api/v1/analytics.csv", params=period_filters(request))
    return csv_download(resp, "analytics.csv")
