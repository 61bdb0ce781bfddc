"""The audit log for admins (issue 11: filters, server paging) and the binding-code outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from credit_backend.responses.base import ResponseModel


class AuditItem(ResponseModel):
    id: int
    at: datetime
    role: str
    actor: str = Field(description="a sender id, staff:<account> or a role")
    action: str
    action_label: str = Field(description="the action in Chinese, e.g. 工作台登录")
    target: str = Field(description="a 统一社会信用代码, an application number, an account name …")
    details: dict[str, Any]


class AuditPage(ResponseModel):
    items: list[AuditItem] = Field(description="newest first")
    total: int
    page: int
    per_page: int
    pages: int
    actions: list[str] = Field(description="every action in the log, for a filter list")


class OutboxItem(ResponseModel):
    """A one-time code waiting for delivery (no SMS gateway configured)."""

    notification_id: int
    uscc: str
    entity_name: str
    contact: str = Field(description="the entity's registered phone number, unmasked")
    code: str
    sender_id: str = Field(description="who asked for the code")
    body: str = Field(description="the SMS text")
    created_at: datetime
    expires_at: datetime


class OutboxList(ResponseModel):
    items: list[OutboxItem] = Field(description="newest first")
