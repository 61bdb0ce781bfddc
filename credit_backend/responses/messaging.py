"""The notification outbox, hand-off conversations and the audit log."""

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
    channel: str = Field(description="the sender's channel: tg / wx / web / staff")
    uscc: str | None
    entity_name: str | None = Field(description="the entity of uscc, when it is known")
    summary: str
    status: str = Field(description="open (waiting for a person) / claimed (a person holds it) / closed")
    status_label: str = Field(description="待接入 / 人工服务中 / 已结束")
    created_at: datetime
    claimed_by: str | None = Field(description="the staff account holding the conversation")
    claimed_by_name: str | None = Field(description="that account's display name")
    claimed_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    message_count: int
    last_message_at: datetime | None


class HandoffCreated(HandoffView):
    """The new hand-off and what to tell the user: when a person will answer."""

    staffed_now: bool = Field(description="someone is on duty now (working day and CREDIT_HANDOFF_HOURS)")
    answer_by: datetime = Field(description="now when staffed, else the start of the next staffed window")
    notice: str = Field(description="what the assistant tells the user, in Chinese")


class HandoffList(ResponseModel):
    items: list[HandoffView]


class HandoffMessageView(ResponseModel):
    id: int
    role: str = Field(description="user / bot (the transcript before the hand-off) / staff / system")
    author: str | None = Field(description="the staff account for role staff")
    text: str
    at: datetime


class HandoffDetail(HandoffView):
    messages: list[HandoffMessageView] = Field(description="oldest first")


class RelayAnswer(ResponseModel):
    relayed: bool = Field(description="the message went to the staff member holding the conversation")
    handoff_id: int | None
