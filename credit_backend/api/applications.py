"""Application routes: submit each kind, read, list, decide, attach evidence."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse

from credit_backend.api.deps import AnyCaller, DbSession, StaffCaller
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.errors import invalid_field
from credit_backend.responses import ApplicationAnswer, ApplicationList, ApplicationView, AttachmentView, CaseView
from credit_backend.schemas import (
    ROW_ID_MAX,
    SENDER_PATTERN,
    CommitmentIn,
    DecisionIn,
    ObjectionIn,
    RegistrationIn,
    RepairIn,
    SenderBody,
)
from credit_backend.services import applications as svc
from credit_backend.services import attachments, cases

router = APIRouter(prefix="/api/v1/applications", tags=["applications"], responses=error_responses(*COMMON_ERRORS))
IdemKey = Annotated[str, Header(alias="Idempotency-Key", max_length=100)]
SUBMIT_ERRORS = error_responses(403, 404, 409, 413)
# 201: filed now; 200: a retry with the same Idempotency-Key and body gets the application filed first.
SUBMIT_RESPONSES = {200: {"model": ApplicationView, "description": "The application filed first with this key"}}
SUBMIT = {"status_code": 201, "response_model": ApplicationView, "responses": SUBMIT_RESPONSES | SUBMIT_ERRORS}
# The upload route's path: its body may reach attachments.upload_body_limit() (api/limits.py, wired in main.py).
UPLOAD_PATH = re.compile(r"^/api/v1/applications/[^/]+/attachments/?$")
# What GET …/attachments/{id} may answer with (the accepted upload types).
INLINE_TYPES = {t: {"schema": {"type": "string", "format": "binary"}} for t in attachments.EXTENSIONS}


# The body model of each kind's submission route, POST /api/v1/applications/<kind>s.
SUBMISSION_BODIES: dict[str, type[SenderBody]] = {
    "registration": RegistrationIn,
    "commitment": CommitmentIn,
    "objection": ObjectionIn,
    "repair": RepairIn,
}


def _add_submission_route(kind: str, body_model: type[SenderBody]) -> None:
    """One route per kind, so that OpenAPI shows each kind's own body."""

    def submit(session: DbSession, who: AnyCaller, body: Any, key: IdemKey, response: Response) -> dict[str, Any]:
        app, created = svc.submit(session, kind, body, key, who.role)
        response.status_code = 201 if created else 200
        return svc.application_view(app)

    # The body's model is per kind; set it before FastAPI reads the signature (this module's annotations are strings).
    submit.__annotations__["body"] = body_model
    submit.__name__ = f"submit_{kind}"
    router.post(f"/{kind}s", **SUBMIT)(submit)


for _kind, _body in SUBMISSION_BODIES.items():
    _add_submission_route(_kind, _body)


@router.get("", response_model=ApplicationList)
def list_applications(
    session: DbSession,
    who: AnyCaller,
    sender_id: Annotated[str | None, Query(pattern=SENDER_PATTERN)] = None,
    uscc: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """Staff: any, ``sender_id`` filters by filer. Assistant: what ``sender_id`` filed or its bound entities'."""
    if who.unmasked:
        rows = svc.list_applications(session, sender_id, uscc, status)
    else:
        rows = svc.list_applications(session, None, uscc, status, viewer=svc.require_viewer(sender_id))
    return {"items": [svc.application_view(a) for a in rows]}


@router.get("/{application_no}", response_model=ApplicationAnswer, responses=error_responses(404))
def get_application(
    session: DbSession,
    who: AnyCaller,
    application_no: str,
    sender_id: Annotated[str | None, Query(pattern=SENDER_PATTERN)] = None,
) -> dict[str, Any]:
    """Staff: any application, as a case (CaseView: the record concerned, the identity check, the deciding
    department, the decisions allowed now). Assistant: the ApplicationView, only for its filer or a sender
    bound to its entity (else 404)."""
    if who.unmasked:
        return cases.case_view(session, svc.get_application(session, application_no))
    return svc.application_view(svc.get_application(session, application_no, svc.require_viewer(sender_id)))


@router.get(
    "/{application_no}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"description": "The stored file (JPG, PNG or PDF), shown inline", "content": INLINE_TYPES}}
    | error_responses(403, 404),
)
def read_attachment(
    session: DbSession, _: StaffCaller, application_no: str, attachment_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
) -> FileResponse:
    """Staff: the bytes of an evidence file, with its content type, to show in the page."""
    attachment, path = attachments.stored_file(session, application_no, attachment_id)
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )


@router.post("/{application_no}/decision", response_model=CaseView, responses=error_responses(403, 404, 409, 413))
def decide(
    session: DbSession,
    who: StaffCaller,
    application_no: str,
    body: DecisionIn,
    actor: Annotated[str, Header(alias="X-Actor", max_length=90)] = "staff",
) -> dict[str, Any]:
    """A staff decision. From the console (a console session) the decider is the account and a written
    reason is required; with a bearer token, X-Actor names the decider. ``expected_status``: the status the
    decider saw (409 DECISION_CONFLICT if another reviewer decided first; nothing changes). Answers with the
    case as it now stands (CaseView: the decisions now allowed, the record after the decision)."""
    account = who.account
    if account and not (body.note or "").strip():
        raise invalid_field("note", "请填写处理意见（决定的理由），处理意见将告知申请人。", "必须填写")
    decider = who.actor if account else f"staff:{actor}"
    app = svc.decide(
        session, application_no, body.action, body.note, decider, who.role, expected_status=body.expected_status
    )
    return cases.case_view(session, app)


@router.post(
    "/{application_no}/attachments",
    status_code=201,
    response_model=AttachmentView,
    responses=error_responses(403, 404, 413),
)
async def upload_attachment(
    session: DbSession,
    who: AnyCaller,
    application_no: str,
    file: UploadFile,
    sender_id: Annotated[str, Form(pattern=SENDER_PATTERN)],
) -> dict[str, Any]:
    """Attach a JPG, PNG or PDF file (at most attachment_max_bytes; the type is read from its bytes)."""
    data = await attachments.read_capped(file)
    return attachments.add(
        session, application_no, sender_id, file.filename or "", file.content_type or "", data, who.role
    )
