"""Application routes: submit each kind, read, list, decide, attach evidence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Query, Response, UploadFile

from credit_backend.api.deps import AnyCaller, DbSession, StaffCaller
from credit_backend.schemas import SENDER_PATTERN, CommitmentIn, DecisionIn, ObjectionIn, RegistrationIn, RepairIn
from credit_backend.services import applications as svc
from credit_backend.services import attachments

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])
IdemKey = Annotated[str, Header(alias="Idempotency-Key", max_length=100)]


def _submitted(session: DbSession, kind: str, body: Any, key: str, role: str, response: Response) -> dict[str, Any]:
    app, created = svc.submit(session, kind, body, key, role)
    response.status_code = 201 if created else 200
    return svc.application_view(app)


@router.post("/registrations", status_code=201)
def submit_registration(
    session: DbSession, who: AnyCaller, body: RegistrationIn, key: IdemKey, response: Response
) -> dict[str, Any]:
    return _submitted(session, "registration", body, key, who.role, response)


@router.post("/commitments", status_code=201)
def submit_commitment(
    session: DbSession, who: AnyCaller, body: CommitmentIn, key: IdemKey, response: Response
) -> dict[str, Any]:
    return _submitted(session, "commitment", body, key, who.role, response)


@router.post("/objections", status_code=201)
def submit_objection(
    session: DbSession, who: AnyCaller, body: ObjectionIn, key: IdemKey, response: Response
) -> dict[str, Any]:
    return _submitted(session, "objection", body, key, who.role, response)


@router.post("/repairs", status_code=201)
def submit_repair(
    session: DbSession, who: AnyCaller, body: RepairIn, key: IdemKey, response: Response
) -> dict[str, Any]:
    return _submitted(session, "repair", body, key, who.role, response)


@router.get("")
def list_applications(
    session: DbSession,
    _: AnyCaller,
    sender_id: Annotated[str | None, Query(pattern=SENDER_PATTERN)] = None,
    uscc: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    return {"items": [svc.application_view(a) for a in svc.list_applications(session, sender_id, uscc, status)]}


@router.get("/{application_no}")
def get_application(session: DbSession, _: AnyCaller, application_no: str) -> dict[str, Any]:
    return svc.application_view(svc.get_application(session, application_no))


@router.post("/{application_no}/decision")
def decide(
    session: DbSession,
    who: StaffCaller,
    application_no: str,
    body: DecisionIn,
    actor: Annotated[str, Header(alias="X-Actor", max_length=90)] = "staff",
) -> dict[str, Any]:
    app = svc.decide(session, application_no, body.action, body.note, f"staff:{actor}", who.role)
    return svc.application_view(app)


@router.post("/{application_no}/attachments", status_code=201)
async def upload_attachment(
    session: DbSession,
    who: AnyCaller,
    application_no: str,
    file: UploadFile,
    sender_id: Annotated[str, Form(pattern=SENDER_PATTERN)],
) -> dict[str, Any]:
    data = await file.read()
    return attachments.add(
        session, application_no, sender_id, file.filename or "", file.content_type or "", data, who.role
    )
