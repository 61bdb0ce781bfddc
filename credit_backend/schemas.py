"""Request bodies. Field constraints double as the Chinese explanations returned on bad input."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The channel prefix fits notifications.channel (20) and the whole id fits the sender columns (100).
SENDER_PATTERN = r"^[a-z]{1,19}:[A-Za-z0-9_.@\-]{1,80}$"
# Row ids are INTEGER columns (32-bit on PostgreSQL): larger numbers can name no row, and beyond 64 bits
# they could not even be bound as a query parameter, so every id in a path, query or body stays in range.
ROW_ID_MAX = 2**31 - 1


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. VALIDATION_ERROR, APPLICATION_NOT_FOUND")
    message: str = Field(description="what went wrong and what to do, in Simplified Chinese")
    details: dict[str, Any] = Field(description="code-specific details, e.g. the invalid fields")


class ErrorBody(BaseModel):
    """Every error response: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """NUL is never meaningful text, and PostgreSQL refuses to store it."""
        texts = [*value.keys(), *value.values()] if isinstance(value, dict) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("contains NUL")
        return value


class SenderBody(_Body):
    sender_id: str = Field(pattern=SENDER_PATTERN, description="<channel>:<user id>, e.g. tg:123456789")
    uscc: str = Field(min_length=1, max_length=60, description="统一社会信用代码, any spelling")


class BindingStart(SenderBody):
    pass


class BindingVerify(SenderBody):
    code: str = Field(min_length=1, max_length=20)

    @field_validator("code")
    @classmethod
    def _digits(cls, v: str) -> str:
        import unicodedata

        return "".join(ch for ch in unicodedata.normalize("NFKC", v) if not ch.isspace())


class RegistrationIn(SenderBody):
    category: str = Field(min_length=1, max_length=10)
    fields: dict[str, str] = Field(description="the category's fields by key, see GET /api/v1/policy")
    truthful: bool = Field(description="the truthfulness commitment was accepted")


class CommitmentIn(SenderBody):
    commitment_type: str = Field(min_length=1, max_length=20)
    matter: str = Field(min_length=2, max_length=200, description="the matter the commitment is for")
    missing_materials: str | None = Field(default=None, max_length=1000)
    materials_due: date | None = None
    accepted: bool = Field(description="the standard text items were read and accepted")


class ObjectionIn(SenderBody):
    record_id: int = Field(ge=1, le=ROW_ID_MAX)
    reason: str = Field(min_length=4, max_length=2000)
    requested_outcome: Literal["更正", "撤销"] | None = None
    contact_phone: str | None = Field(default=None, pattern=r"^1\d{10}$")


class RepairIn(SenderBody):
    record_id: int = Field(ge=1, le=ROW_ID_MAX)
    corrective_action: str = Field(min_length=4, max_length=2000)
    obligations_fulfilled: bool
    commitment_signed: bool


class DecisionIn(_Body):
    action: str = Field(min_length=1, max_length=30)
    note: str | None = Field(default=None, max_length=2000)


class HandoffIn(_Body):
    sender_id: str = Field(pattern=SENDER_PATTERN)
    summary: str = Field(min_length=1, max_length=4000)
    uscc: str | None = Field(default=None, max_length=60)
