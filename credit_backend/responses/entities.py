"""Code check, name search, the public profile and the credit report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from credit_backend.responses.base import ResponseModel
from credit_backend.responses.records import RecordView


class Health(ResponseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class UsccProblem(ResponseModel):
    code: str
    message: str
    position: int | None = Field(description="1-based position of the offending character, if one")


class EntityRef(ResponseModel):
    uscc: str
    name: str


class UsccCheck(ResponseModel):
    code: str = Field(description="the normalised input")
    ok: bool
    errors: list[UsccProblem]
    warnings: list[UsccProblem]
    suggestions: list[EntityRef] = Field(description="existing entities one character away")
    entity: EntityRef | None = Field(description="the entity with this code, if the code is valid and known")


class SearchHit(ResponseModel):
    uscc: str
    name: str
    short_name: str | None
    region_name: str | None
    status: str
    grade: str | None = Field(description="latest evaluation grade A-D")


class SearchResult(ResponseModel):
    items: list[SearchHit]
    total: int = Field(description="matches, counted up to 1000")
    total_capped: bool = Field(description="more than 1000 names match")


class GradeView(ResponseModel):
    grade: str
    label: str
    supervision_class: str
    inspection: str
    evaluated_on: date | None


class ListEntry(ResponseModel):
    """A list the entity is on (严重失信主体名单, 重点关注名单, 守信激励, 经营异常)."""

    list_type: str
    since: date
    until: date | None
    record_id: int
    consequences: list[str]


class VoluntaryField(ResponseModel):
    label: str
    value: str


class VoluntaryInfo(ResponseModel):
    """Verified 自愿注册 information (seed item 5); never a submitted or rejected registration."""

    application_no: str
    category: str = Field(description="资质证照, 市场经营, 合同履约 or 社会公益")
    fields: list[VoluntaryField] = Field(description="the registered fields, in the policy's order, filled ones only")
    verified_on: date | None = Field(description="the day staff verified it")


class Profile(ResponseModel):
    """The public profile, as a 信用中国 page shows it (services.entities.profile)."""

    uscc: str
    name: str
    short_name: str | None
    entity_type: str
    region_code: str
    region_name: str | None
    legal_representative: str
    legal_rep_id_number: str | None = Field(description="masked unless staff or admin")
    registered_contact: str | None = Field(description="masked unless staff or admin")
    address: str | None
    status: str
    established_on: date | None
    evaluation: GradeView | None
    lists: list[ListEntry]
    record_counts: dict[str, int] = Field(description="records by category (categories with none left out)")
    latest_records: dict[str, list[RecordView]] = Field(description="up to 3 newest records by category")
    under_objection: list[RecordView]
    under_repair: list[RecordView]
    voluntary_info: list[VoluntaryInfo]


class ReportSection(ResponseModel):
    title: str
    lines: list[str]


class CreditReport(ResponseModel):
    """The 公共信用信息报告 as sections 一 … 九, and as plain text for a chat."""

    uscc: str
    name: str
    generated_on: date
    sections: list[ReportSection]
    text: str
