"""Every router of the console; app.create_app includes each one (H4b appends its routers here)."""

from __future__ import annotations

from fastapi import APIRouter

from bot.console.routes import admin, analytics, auth, case, counter, handoffs, models, queue, records, review

ROUTERS: list[APIRouter] = [
    auth.router,
    counter.router,
    admin.router,
    # The admins' retraining loop (issue 14): 会话复核, 数据统计, 模型管理
    review.router,
    analytics.router,
    models.router,
    # H4b: the back-office pages (待办队列, 申请详情, 人工服务, 信用记录录入)
    queue.router,
    case.router,
    handoffs.router,
    records.router,
]
