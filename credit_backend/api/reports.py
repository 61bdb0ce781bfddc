"""The credit report as a document (seed item 3): issue one, download its PDF, verify it by number and code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from credit_backend.api.deps import AnyCaller, DbSession
from credit_backend.api.entities import Uscc
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses import IssuedReportView, ReportVerification
from credit_backend.services import entities, issued_reports

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=error_responses(*COMMON_ERRORS))
EXAMPLE_NO = "XYBG-20261126-00001"
ReportNo = Annotated[str, Path(max_length=40, description="报告编号, e.g. XYBG-20261126-00001", examples=[EXAMPLE_NO])]
Code = Annotated[
    str, Query(min_length=1, max_length=20, description="核验码 printed on the report", examples=["ABCD-EFGH"])
]
PDF = {
    200: {
        "description": "The report as a PDF (A4, Chinese, font embedded)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/entities/{uscc}/reports", response_model=IssuedReportView, status_code=201, responses=error_responses(404, 429)
)
def issue_report(session: DbSession, who: AnyCaller, uscc: Uscc) -> dict[str, Any]:
    """Issue a 公共信用信息报告 on the entity (as the assistant's masked view shows it).

    The answer carries the report number, the verification code (shown only here and on the PDF), the
    validity (policy.yaml ``credit_report``; ``validity_unverified`` while unconfirmed) and the download path.
    At most CREDIT_REPORT_ISSUES_PER_ENTITY_PER_DAY reports per entity and day (429 ``REPORT_DAILY_LIMIT``).
    """
    return issued_reports.issue(session, entities.get_entity(session, uscc), who.role)


@router.get(
    "/reports/{report_no}.pdf",
    response_class=Response,
    responses={**PDF, **error_responses(404, 429)},
)
def report_pdf(session: DbSession, _: AnyCaller, report_no: ReportNo, code: Code) -> Response:
    """The issued report's PDF, for whoever holds its number and code; a wrong code answers like an unknown number."""
    number, pdf = issued_reports.document(session, report_no, code)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{number}.pdf"'}
    )


@router.get("/reports/{report_no}/verification", response_model=ReportVerification, responses=error_responses(429))
def verify_report(session: DbSession, _: AnyCaller, report_no: ReportNo, code: Code) -> dict[str, Any]:
    """Whether a report is genuine and still valid (status valid / expired / not_found, with a Chinese message).

    A wrong code and an unknown number get the same answer; failed checks per number and day are bounded (429).
    """
    return issued_reports.verify(session, report_no, code)
