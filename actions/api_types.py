"""The credit backend's answers as the actions read them: TypedDicts of the declared response models.

The backend declares every answer as a pydantic model (credit_backend/responses/, served in /openapi.json);
these are the same shapes for the client, in the standard library only, so they hold whatever pydantic the
Rasa environment has. Each class is named like its OpenAPI component, and
tests/backend/test_openapi.py checks that every class here has exactly that component's fields.
The policy (GET /api/v1/policy) is declared as far as the assistant reads it.
"""

from __future__ import annotations

from typing import Any, TypedDict

# -- reading ------------------------------------------------------------------------------------------


class Health(TypedDict):
    status: str
    database: str


class UsccProblem(TypedDict):
    code: str
    message: str
    position: int | None


class EntityRef(TypedDict):
    uscc: str
    name: str


class UsccCheck(TypedDict):
    code: str
    ok: bool
    errors: list[UsccProblem]
    warnings: list[UsccProblem]
    suggestions: list[EntityRef]
    entity: EntityRef | None


class SearchHit(TypedDict):
    uscc: str
    name: str
    short_name: str | None
    region_name: str | None
    status: str
    grade: str | None


class SearchResult(TypedDict):
    items: list[SearchHit]
    total: int
    total_capped: bool


class RecordView(TypedDict):
    id: int
    category: str
    title: str
    document_no: str | None
    authority: str
    decision_date: str  # ISO date
    severity: str | None
    polarity: str  # negative / positive / neutral: the record's own (a 其他 record can be either)
    content: str | None
    publicity_end: str | None  # ISO date
    status: str
    status_label: str
    published: bool  # false only in staff views: 轻微 失信信息 is not published by default
    under_objection: bool
    under_repair: bool
    obligations_fulfilled: bool
    repair_applies: bool  # its category and severity may be repaired at all


class RecordList(TypedDict):
    items: list[RecordView]


class GradeView(TypedDict):
    grade: str
    label: str
    supervision_class: str
    inspection: str
    evaluated_on: str | None


class ListEntry(TypedDict):
    list_type: str
    since: str
    until: str | None
    record_id: int
    consequences: list[str]


class VoluntaryField(TypedDict):
    label: str
    value: str


class VoluntaryInfo(TypedDict):
    application_no: str
    category: str
    fields: list[VoluntaryField]
    verified_on: str | None


class Profile(TypedDict):
    uscc: str
    name: str
    short_name: str | None
    entity_type: str
    region_code: str
    region_name: str | None
    legal_representative: str
    legal_rep_id_number: str | None
    registered_contact: str | None
    address: str | None
    status: str
    established_on: str | None
    evaluation: GradeView | None
    lists: list[ListEntry]
    record_counts: dict[str, int]
    latest_records: dict[str, list[RecordView]]
    under_objection: list[RecordView]
    under_repair: list[RecordView]
    voluntary_info: list[VoluntaryInfo]


class ReportSection(TypedDict):
    title: str
    lines: list[str]


class CreditReport(TypedDict):
    uscc: str
    name: str
    generated_on: str
    sections: list[ReportSection]
    text: str


class IssuedReportView(TypedDict):
    """A report just issued (POST /entities/{uscc}/reports); ``code`` is shown this once."""

    report_no: str
    code: str
    uscc: str
    name: str
    issued_at: str  # ISO date-time
    valid_until: str  # ISO date
    validity_days: int
    validity_unverified: bool
    validity_label: str
    download_path: str
    verification_path: str
    content_digest: str


class ReportVerification(TypedDict):
    """GET /reports/{no}/verification: valid / expired / not_found (a wrong code answers like an unknown number)."""

    report_no: str
    status: str
    genuine: bool
    valid: bool
    message: str
    uscc: str | None
    name: str | None
    issued_at: str | None
    valid_until: str | None
    validity_unverified: bool


class EligibilityReason(TypedDict):
    code: str
    message: str


class PublicityWindowView(TypedDict):
    published: bool
    min_end: str | None
    max_end: str | None


class RepairEligibilityView(TypedDict):
    evaluated_on: str
    eligible: bool
    earliest_date: str | None
    reasons: list[EligibilityReason]
    requirements: list[str]
    regime: str
    window: PublicityWindowView
    commitment_items: list[str]


# -- the policy, as far as the assistant reads it ----------------------------------------------------


class CreditReportPolicy(TypedDict):
    validity_days: int
    issuer: str
    source: str
    verified: bool


class CommitmentType(TypedDict):
    source: str
    verified: bool
    description: str
    extra_items: list[str]


class CommitmentPolicy(TypedDict):
    base_items: list[str]
    base_items_source: str
    base_items_verified: bool
    types: dict[str, CommitmentType]
    rongque_materials_due: dict[str, Any]  # RongqueDue: working_days, applicant_may_set_due_date, source, verified
    texts: dict[str, list[str]]  # each type's full text, assembled by the backend


class _RegistrationFieldBase(TypedDict):
    key: str
    label: str
    type: str
    required: bool


class RegistrationField(_RegistrationFieldBase, total=False):
    hint: str | None  # optional in the policy file; the backend sends it, null when unset


class RegistrationCategory(TypedDict):
    description: str
    fields: list[RegistrationField]


class RegistrationPolicy(TypedDict):
    source: str
    verified: bool
    categories: dict[str, RegistrationCategory]
    truthfulness_commitment: str
    staff_verification: dict[str, Any]  # WorkingDays


class Policy(TypedDict):
    version: int
    as_of: str
    repair: dict[str, Any]
    record_categories: dict[str, Any]
    category_aliases: dict[str, str]
    objection: dict[str, Any]
    commitments: CommitmentPolicy
    voluntary_registration: RegistrationPolicy
    evaluation: dict[str, Any]
    consequences: dict[str, Any]
    identity_binding: dict[str, Any]
    credit_report: CreditReportPolicy


# -- 信用提醒 subscriptions --------------------------------------------------------------------------


class SubscriptionView(TypedDict):
    uscc: str
    name: str
    subscribed_at: str  # ISO date-time


class SubscriptionList(TypedDict):
    items: list[SubscriptionView]


# -- identity binding ---------------------------------------------------------------------------------


class ChallengeView(TypedDict):
    challenge_id: int
    uscc: str
    name: str
    masked_contact: str | None
    expires_at: str  # ISO datetime, UTC


class IdentityCheckView(TypedDict):
    method: str  # in_person
    document_type: str
    id_last4: str
    authorization_letter: bool
    staff_account: str
    staff_name: str
    checked_at: str  # ISO datetime, UTC


class BindingView(TypedDict):
    sender_id: str
    uscc: str
    name: str
    bound_until: str  # ISO datetime, UTC
    method: str  # otp / in_person
    identity_check: IdentityCheckView | None


class BindingList(TypedDict):
    items: list[BindingView]


# -- applications -------------------------------------------------------------------------------------


class DeadlineView(TypedDict):
    due: str
    working_days: int
    provisional: bool
    deadline_unverified: bool  # the day count is a policy.yaml value marked verified: false
    what: str
    label: str


class HistoryEntry(TypedDict):
    status: str
    status_label: str
    action: str
    at: str
    actor: str
    note: str | None


class AttachmentRef(TypedDict):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class ApplicationView(TypedDict):
    application_no: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    open: bool
    allowed_actions: list[str]
    uscc: str
    entity_name: str
    sender_id: str
    received_at: str
    received_on: str
    deadline: DeadlineView | None
    decided_at: str | None
    decision_note: str | None
    summary: str
    details: dict[
        str, Any
    ]  # the kind's fields: RegistrationDetails, CommitmentDetails, ObjectionDetails, RepairDetails
    history: list[HistoryEntry]
    attachments: list[AttachmentRef]


class ApplicationList(TypedDict):
    items: list[ApplicationView]


# -- hand-offs ----------------------------------------------------------------------------------------


class HandoffView(TypedDict):
    id: int
    sender_id: str
    channel: str  # tg / wx / web / staff
    uscc: str | None
    entity_name: str | None
    summary: str
    status: str  # open / claimed / closed
    status_label: str
    created_at: str  # ISO datetime, UTC
    claimed_by: str | None
    claimed_by_name: str | None
    claimed_at: str | None
    closed_at: str | None
    closed_by: str | None
    message_count: int
    last_message_at: str | None


class TranscriptLine(TypedDict):
    """A line of the conversation sent with a hand-off (a request body: HandoffIn.transcript)."""

    role: str  # user / bot
    text: str


class HandoffCreated(HandoffView):
    staffed_now: bool  # someone is on duty now
    answer_by: str  # ISO datetime, UTC: now, or the start of the next staffed window
    notice: str  # what the assistant tells the user (Chinese)
