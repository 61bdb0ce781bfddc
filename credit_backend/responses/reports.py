"""The credit report as a document: an issued report, and the answer to a verification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from credit_backend.responses.base import ResponseModel


class IssuedReportView(ResponseModel):
    """A report just issued. ``code`` is shown this once (only its hash is stored) and printed on the PDF."""

    report_no: str
    code: str
    uscc: str
    name: str
    issued_at: datetime
    valid_until: date
    validity_days: int
    validity_unverified: bool  # policy.yaml credit_report.verified is false: the label says so
    validity_label: str
    download_path: str
    verification_path: str
    content_digest: str


class ReportVerification(ResponseModel):
    """Whether a report is genuine and still valid. A wrong code and an unknown number answer alike."""

    report_no: str
    status: Literal["valid", "expired", "not_found"]
    genuine: bool
    valid: bool
    message: str
    uscc: str | None
    name: str | None
    issued_at: datetime | None
    valid_until: date | None
    validity_unverified: bool
