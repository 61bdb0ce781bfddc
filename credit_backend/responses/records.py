"""Credit records and their repair eligibility."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from credit_backend.responses.base import ResponseModel


class RecordView(ResponseModel):
    """One credit record (services.entities.record_view)."""

    id: int
    category: str = Field(description="record category, e.g. 行政处罚, 严重失信主体名单")
    title: str
    document_no: str | None
    authority: str
    decision_date: date
    severity: str | None = Field(description="轻微/一般/严重, only for 失信信息")
    polarity: str = Field(
        description="negative (失信信息) / positive (守信、正面信息) / neutral: the record's own, "
        "so a 其他 record can be either"
    )
    content: str | None
    publicity_end: date | None
    status: str = Field(description="active / expired / repaired / revoked")
    status_label: str = Field(description="公示中 / 已到期 / 已修复 / 已撤销")
    published: bool = Field(
        description="false: not published (轻微 失信信息 by default, 令2025年第36号); only staff see such records"
    )
    under_objection: bool
    under_repair: bool = Field(description="a repair application for the record is open")
    obligations_fulfilled: bool
    repair_applies: bool = Field(
        description="信用修复 is the record's route (失信信息 of a category the policy repairs); "
        "whether it can be repaired now: /records/{record_id}/repair-eligibility"
    )


class RecordList(ResponseModel):
    items: list[RecordView]


class EligibilityReason(ResponseModel):
    code: str = Field(description="stable reason code")
    message: str


class PublicityWindowView(ResponseModel):
    published: bool
    min_end: date | None = Field(description="earliest end of publication: from then on repair is possible")
    max_end: date | None


class RepairEligibilityView(ResponseModel):
    """Whether the record may be repaired on ``evaluated_on`` (services.repair.eligibility_view)."""

    evaluated_on: date
    eligible: bool
    earliest_date: date | None = Field(description="first day the time conditions allow; null: never")
    reasons: list[EligibilityReason]
    requirements: list[str]
    regime: str
    window: PublicityWindowView
    commitment_items: list[str] = Field(description="items of the 信用修复承诺书")
