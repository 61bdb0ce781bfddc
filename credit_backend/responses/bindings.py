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


class IdentityCheckView(ResponseModel):
    """A staff member's in-person check of the representative at the counter (issue 11)."""

    method: Literal["in_person"]
    document_type: str = Field(description="居民身份证 / 护照 / 港澳居民来往内地通行证 / 台湾居民来往大陆通行证 / 其他")
    id_last4: str = Field(description="last four characters of the document number")
    authorization_letter: bool = Field(description="the representative holds a letter of authorisation")
    staff_account: str
    staff_name: str
    checked_at: datetime


class BindingView(ResponseModel):
    sender_id: str = Field(description="the bound sender, e.g. tg:123456789 or staff:counter01")
    uscc: str
    name: str
    bound_until: datetime
    method: Literal["otp", "in_person"] = Field(
        description="one-time code to the registered contact, or an in-person check at the counter"
    )
    identity_check: IdentityCheckView | None = Field(description="the in-person check (method in_person), else null")


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
