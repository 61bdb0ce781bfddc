"""The staff work queue (services.queue.queue_page)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from credit_backend.responses.base import ResponseModel


class QueueItem(ResponseModel):
    """One open application with its deadline."""

    application_no: str
    kind: str = Field(description="registration / commitment / objection / repair")
    kind_label: str
    status: str
    status_label: str
    entity_name: str
    uscc: str
    department: str = Field(description="the department that decides it")
    received_on: date
    due_on: date | None
    working_days_left: int | None = Field(
        description="working days until the deadline (backend calendar); negative: overdue by that many; "
        "null: no deadline"
    )
    overdue: bool
    due_soon: bool = Field(description="not overdue and at most 2 working days left")
    deadline_text: str = Field(description="e.g. 2026年12月3日（剩余2个工作日） / 已超期3个工作日 / 无办理时限")
    deadline_unverified: bool = Field(description="the day count is a policy.yaml value marked verified: false")


class FilterOption(ResponseModel):
    value: str
    label: str


class StatusOption(FilterOption):
    kind: str
    kind_label: str


class QueuePage(ResponseModel):
    """A page of the open applications, soonest deadline first (none last)."""

    items: list[QueueItem]
    total: int = Field(description="open applications matching the filters")
    page: int
    per_page: int
    pages: int
    departments: list[str] = Field(description="every department with open applications (for the filter)")
    kinds: list[FilterOption]
    statuses: list[StatusOption] = Field(description="the open statuses of each kind")
