"""The notification outbox, hand-offs and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from credit_backend.responses.base import ResponseModel


class NotificationView(ResponseModel):
    id: int
    channel: str
    recipient: str = Field(description="a sender id, or a (masked unless staff) phone number for sms")
    kind: str = Field(description="otp / decision / reminder")
    body: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None


class NotificationList(ResponseModel):
    items: list[NotificationView]


class HandoffView(ResponseModel):
    id: int
    sender_id: str
    uscc: str | None
    summary: str
    status: str
    created_at: datetime


class HandoffList(ResponseModel):
    items: list[HandoffView]


class AuditEntryView(ResponseModel):
    id: int
    at: datetime
    role: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditLog(ResponseModel):
    items: list[AuditEntryView]
