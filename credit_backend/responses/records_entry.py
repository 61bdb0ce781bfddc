"""Records entered by departments (双公示) and their import."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from credit_backend.responses.base import ResponseModel
from credit_backend.responses.records import RecordView


class RecordWindowView(ResponseModel):
    """The publicity window of a record under the regime in force today (rules.periods)."""

    regime: str
    published: bool = Field(description="false: not published by default (轻微 失信信息)")
    min_end: date | None = Field(description="end of the minimum period: repair possible from then")
    max_end: date | None = Field(description="end of the maximum period: publication stops")


class RecordDetailView(RecordView):
    """A record in full for staff: its legal basis and publicity window too."""

    legal_basis: str | None = Field(description="处罚依据 / 许可依据, for records entered by a department")
    window: RecordWindowView | None = Field(description="null: the policy does not cover the record's category")
    window_label: str = Field(description="the window in one Chinese sentence")


class ImportResult(ResponseModel):
    imported: int = Field(description="records stored (all the rows of the file)")
