"""Identity binding: one-time-code challenges, bindings and the limits that hold senders back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from credit_backend.responses.base import ResponseModel


class ChallengeView(ResponseModel):
    """A one-time code was sent to the entity's registered contact."""

    challenge_id: int
    uscc: str
    name: str
    masked_contact: str | None
    expires_at: datetime


class BindingView(ResponseModel):
    uscc: str
    name: str
    bound_until: datetime


class BindingList(ResponseModel):
    items: list[BindingView]


class ThrottleView(ResponseModel):
    scope: Literal["entity", "sender"]
    key: str = Field(description="the entity's code or the sender id")
    entity_name: str | None
    limit: str
    count: int
    maximum: int
    window_hours: int
    until: datetime = Field(description="when the count drops below the limit again")


class ThrottleList(ResponseModel):
    items: list[ThrottleView]
