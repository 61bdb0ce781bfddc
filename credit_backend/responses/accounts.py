"""Staff console accounts and sessions (issue 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from credit_backend.responses.base import ResponseModel


class AccountBrief(ResponseModel):
    name: str
    display_name: str
    role: Literal["staff", "admin"]
    department: str


class ConsoleSessionView(ResponseModel):
    """The caller's console session: who is logged in and when the session ends."""

    account: AccountBrief
    idle_expires_at: datetime = Field(description="the end if the session stays unused (idle timeout)")
    absolute_expires_at: datetime = Field(description="the end however active the session is")


class ConsoleLogin(ConsoleSessionView):
    """A new console session; the token goes in the header X-Console-Session and is shown only here."""

    token: str


class AccountView(ResponseModel):
    name: str
    display_name: str
    role: Literal["staff", "admin"]
    role_label: str = Field(description="工作人员 / 管理员")
    department: str
    active: bool = Field(description="false once an admin disabled the account")
    locked_until: datetime | None = Field(description="locked after wrong passwords until then, else null")
    created_at: datetime
    disabled_at: datetime | None


class AccountList(ResponseModel):
    items: list[AccountView]
