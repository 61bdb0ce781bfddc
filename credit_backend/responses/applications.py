"""Applications of the four kinds, as services.applications.application_view shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field, RootModel

from credit_backend.responses.base import ResponseModel
from credit_backend.responses.records import RecordView
from credit_backend.responses.records_entry import RecordDetailView


class DeadlineView(ResponseModel):
    due: date
    working_days: int
    provisional: bool = Field(description="the due date falls in a year whose holidays are not yet published")
    deadline_unverified: bool = Field(
        description="the day count is a policy.yaml value marked verified: false (not checked against the "
        "official text); the label then ends with （期限为暂定，以主管部门规定为准）"
    )
    what: str = Field(description="the step that is due, e.g. 核查并书面答复：")
    label: str = Field(description="e.g. 2026年12月17日前（15个工作日）")


class HistoryEntry(ResponseModel):
    status: str
    status_label: str
    action: str
    at: datetime
    actor: str
    note: str | None


class AttachmentRef(ResponseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class AttachmentView(AttachmentRef):
    """An uploaded evidence file."""

    application_no: str


class RegistrationDetails(ResponseModel):
    category: str
    fields: dict[str, str]
    field_labels: dict[str, str]
    verified_on: date | None


class CommitmentDetails(ResponseModel):
    commitment_type: str
    matter: str
    text_items: list[str]
    missing_materials: str | None
    materials_due: date | None


class ObjectionDetails(ResponseModel):
    record: RecordView
    reason: str
    requested_outcome: str | None
    correct_due: date | None


class RepairDetails(ResponseModel):
    record: RecordView
    corrective_action: str
    commitment_text: list[str]
    regime: str


class ApplicationView(ResponseModel):
    """One application; ``details`` holds the fields of its kind."""

    application_no: str
    kind: str = Field(description="registration / commitment / objection / repair")
    kind_label: str
    status: str
    status_label: str
    open: bool
    allowed_actions: list[str] = Field(description="the staff decisions its state allows")
    uscc: str
    entity_name: str
    sender_id: str
    received_at: datetime
    received_on: date
    deadline: DeadlineView | None
    decided_at: datetime | None
    decision_note: str | None
    summary: str
    details: RegistrationDetails | CommitmentDetails | ObjectionDetails | RepairDetails
    history: list[HistoryEntry]
    attachments: list[AttachmentRef]


class ApplicationList(ResponseModel):
    items: list[ApplicationView]


class DecisionOption(ResponseModel):
    """A decision the application's state machine allows now."""

    action: str = Field(description="the action to send to POST /applications/{no}/decision")
    label: str = Field(description="the decision in Chinese, e.g. 核实有误，予以更正")
    needs_note: bool = Field(description="a written reason is required (always, from the console)")


class CaseDeadlineView(DeadlineView):
    """The deadline with its working days left, as the work queue shows it."""

    working_days_left: int | None = Field(description="negative: overdue by that many working days")
    overdue: bool
    due_soon: bool = Field(description="not overdue and at most 2 working days left")
    deadline_text: str = Field(description="e.g. 2026年12月3日（剩余2个工作日） / 已超期3个工作日")


class CaseHistoryEntry(HistoryEntry):
    action_label: str = Field(description="the step in Chinese, e.g. 受理并核查 (提交申请 for the submission)")


class CaseView(ApplicationView):
    """An application as staff see it: the record concerned, the identity check, who decides, what may be decided."""

    deadline: CaseDeadlineView | None  # type: ignore[assignment]
    history: list[CaseHistoryEntry]  # type: ignore[assignment]

    department: str = Field(description="the department that decides it")
    identity_check: dict[str, Any] | None = Field(
        description="the in-person identity check when filed at the counter; null after a one-time code"
    )
    record: RecordDetailView | None = Field(description="the record concerned, with its publicity window")
    decisions: list[DecisionOption] = Field(description="only what the state machine allows now")


class ApplicationAnswer(RootModel[CaseView | ApplicationView]):
    """GET /applications/{no}: a CaseView for staff and console sessions, an ApplicationView for the assistant."""
