"""Applications of the four kinds, as services.applications.application_view shows them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from credit_backend.responses.base import ResponseModel
from credit_backend.responses.records import RecordView


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
