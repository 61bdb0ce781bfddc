"""信用提醒 subscriptions."""

from __future__ import annotations

from datetime import datetime

from credit_backend.responses.base import ResponseModel


class SubscriptionView(ResponseModel):
    uscc: str
    name: str
    subscribed_at: datetime


class SubscriptionList(ResponseModel):
    items: list[SubscriptionView]
