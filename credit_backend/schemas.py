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
    expected_status: str | None = Field(
        default=None,
        max_length=30,
        description="the status the decider saw; if the application has moved on: 409 DECISION_CONFLICT",
    )


MAX_TRANSCRIPT_LINES = 40  # the assistant sends the recent conversation, not all of it


class TranscriptLine(_Body):
    role: Literal["user", "bot"] = Field(description="who said it: the user or the assistant")
    text: str = Field(min_length=1, max_length=2000)


class HandoffIn(_Body):
    sender_id: str = Field(pattern=SENDER_PATTERN)
    summary: str = Field(min_length=1, max_length=4000)
    uscc: str | None = Field(default=None, max_length=60)
    transcript: list[TranscriptLine] = Field(
        default_factory=list,
        max_length=MAX_TRANSCRIPT_LINES,
        description="the recent conversation, oldest first (one-time codes masked by the assistant)",
    )


class BindingInPerson(SenderBody):
    """An in-person identity check at the counter (issue 11); only ``staff:<account>`` senders."""

    document_type: str = Field(
        min_length=1,
        max_length=30,
        description="居民身份证 / 护照 / 港澳居民来往内地通行证 / 台湾居民来往大陆通行证 / 其他",
    )
    id_last4: str = Field(min_length=1, max_length=10, description="last four characters of the document number")
    authorization_letter: bool = Field(description="the representative holds a letter of authorisation")


class HandoffReplyIn(_Body):
    """A staff member's reply in a hand-off conversation (issue 11)."""

    text: str = Field(min_length=1, max_length=2000)


class HandoffRelayIn(_Body):
    """A user's message that the assistant offers for relay to the staff member holding the conversation."""

    sender_id: str = Field(pattern=SENDER_PATTERN)
    text: str = Field(min_length=1, max_length=4000)


ACCOUNT_NAME_PATTERN = r"^[a-z][a-z0-9_.\-]{2,49}$"


class _PasswordBody(_Body):
    """Passwords are taken as typed: no whitespace stripping."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class AuditEventIn(_Body):
    """What the console did outside the backend, for the audit log (issue 14: the admins' retraining loop)."""

    action: Literal["annotate_example", "save_test_story", "start_retrain", "rollback_model"] = Field(
        description="annotate_example 标注训练样例, save_test_story 保存测试故事, start_retrain 启动重新训练, "
        "rollback_model 回滚模型"
    )
    target: str = Field(min_length=1, max_length=100, description="e.g. conversation 12 message 3, a model id")
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=20)


class ConsoleLoginIn(_PasswordBody):
    """Log in to the staff console (issue 11)."""

    account: str = Field(min_length=1, max_length=50, description="the account name, e.g. counter01")
    password: str = Field(min_length=1, max_length=200)

    @field_validator("account")
    @classmethod
    def _strip_account(cls, v: str) -> str:
        return v.strip()


class AccountIn(_PasswordBody):
    """A new console account (admin)."""

    name: str = Field(
        pattern=ACCOUNT_NAME_PATTERN,
        description="3–50 characters: lower-case letters, digits, _ . -, starting with a letter",
    )
    display_name: str = Field(min_length=1, max_length=100, description="姓名")
    role: Literal["staff", "admin"] = Field(description="staff（工作人员）or admin（管理员）")
    department: str = Field(min_length=1, max_length=100, description="所属部门")
    password: str = Field(min_length=10, max_length=200, description="at least 10 characters")


class PasswordIn(_PasswordBody):
    """A new password for a console account (admin reset)."""

    password: str = Field(min_length=10, max_length=200, description="at least 10 characters")


class RecordIn(_Body):
    """A 行政许可 or 行政处罚 decision entered by a department (双公示); checked by services.records_entry."""

    uscc: str = Field(min_length=1, max_length=60, description="统一社会信用代码 of the entity")
    record_type: str = Field(min_length=1, max_length=20, description="行政许可 or 行政处罚")
    decision_no: str = Field(min_length=1, max_length=100, description="决定文书号")
    decided_on: date = Field(description="决定日期, not in the future")
    authority: str = Field(min_length=1, max_length=100, description="决定机关")
    severity: str | None = Field(default=None, max_length=4, description="失信程度 轻微/一般/严重 (penalties only)")
    legal_basis: str = Field(min_length=1, max_length=2000, description="处罚依据 / 许可依据")
    content: str = Field(min_length=1, max_length=4000, description="处罚内容 / 许可内容")
    title: str | None = Field(default=None, max_length=200, description="决定文书名称 (optional)")
