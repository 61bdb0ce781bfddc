"""Evidence uploads for objections and repairs: accepted types, limits, ownership and storage."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from credit_backend.models import Attachment, AuditEntry
from credit_backend.services import attachments as attachments_service
from credit_backend.settings import get_settings
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    assert_error,
    bind,
    commitment_body,
    count,
    objection_body,
    registration_body,
    repair_body,
    submit,
)
from tests.backend.conftest import ASSISTANT, STAFF

SENDER = "tg:7001"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(
    client,
    no: str,
    data: bytes,
    filename: str = "evidence.png",
    content_type: str = "image/png",
    sender: str = SENDER,
    headers=ASSISTANT,
):
    return client.post(
        f"{API}/applications/{no}/attachments",
        files={"file": (filename, data, content_type)},
        data={"sender_id": sender},
        headers=headers,
    )


@pytest.fixture
def objection_no(client, world) -> str:
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    return r.json()["application_no"]


def test_png_is_attached_to_an_objection(client, objection_no, attachments_dir, session):
    r = upload(client, objection_no, PNG)
    assert r.status_code == 201, r.text
    meta = r.json()
    digest = hashlib.sha256(PNG).hexdigest()
    assert meta["sha256"] == digest and meta["size"] == len(PNG)
    assert (meta["filename"], meta["content_type"], meta["application_no"]) == (
        "evidence.png",
        "image/png",
        objection_no,
    )
    stored = Path(attachments_dir) / digest[:2] / digest
    assert stored.read_bytes() == PNG
    app = client.get(f"{API}/applications/{objection_no.lower()}", headers=STAFF).json()
    assert app["attachments"] == [
        {"id": meta["id"], "filename": "evidence.png", "content_type": "image/png", "size": len(PNG), "sha256": digest}
    ]
    assert count(session, AuditEntry, AuditEntry.action == "attachment") == 1


def test_pdf_is_attached_to_a_repair(client, world):
    bind(client, SENDER, JIANGCHENG)
    no = submit(client, "repairs", repair_body(SENDER, world.records["repairable"].id)).json()["application_no"]
    r = upload(client, no, PDF, "罚款缴纳凭证.pdf", "application/pdf")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "罚款缴纳凭证.pdf"
    assert r.json()["size"] == len(PDF)
    assert [a["filename"] for a in client.get(f"{API}/applications/{no}", headers=STAFF).json()["attachments"]] == [
        "罚款缴纳凭证.pdf"
    ]


def test_several_files_in_order_and_the_path_is_stripped(client, objection_no):
    assert upload(client, objection_no, PNG, "../../etc/passwd.png").json()["filename"] == "passwd.png"
    assert upload(client, objection_no, PDF, "b.pdf", "application/pdf").status_code == 201
    names = [
        a["filename"] for a in client.get(f"{API}/applications/{objection_no}", headers=STAFF).json()["attachments"]
    ]
    assert names == ["passwd.png", "b.pdf"]


def test_wrong_type_is_refused(client, objection_no, session):
    r = upload(client, objection_no, b"hello", "notes.txt", "text/plain")
    err = assert_error(r, 400, "ATTACHMENT_TYPE", "JPG、PNG 图片或 PDF")
    assert err["details"]["allowed"] == ["application/pdf", "image/jpeg", "image/png"]
    assert count(session, Attachment) == 0


def test_empty_file_is_refused(client, objection_no, session):
    assert_error(upload(client, objection_no, b""), 400, "ATTACHMENT_EMPTY", "文件是空的")
    assert count(session, Attachment) == 0


def test_file_over_ten_megabytes_is_refused(client, objection_no, session, attachments_dir):
    big = b"\x89PNG" + b"\x00" * (10 * 1024 * 1024 - 3)
    assert len(big) == get_settings().attachment_max_bytes + 1
    assert_error(upload(client, objection_no, big), 413, "FILE_TOO_LARGE", "不能超过10MB")
    assert count(session, Attachment) == 0
    digest = hashlib.sha256(big).hexdigest()
    assert not (Path(attachments_dir) / digest[:2] / digest).exists()


def test_limit_follows_the_setting(client, objection_no, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 2 * 1024 * 1024)
    assert upload(client, objection_no, PNG + b"\x00" * (2 * 1024 * 1024 - len(PNG))).status_code == 201
    too_big = PNG + b"\x00" * (2 * 1024 * 1024 + 1 - len(PNG))
    assert_error(upload(client, objection_no, too_big), 413, "FILE_TOO_LARGE", "不能超过2MB")
    assert count(session, Attachment) == 1


def test_limit_is_checked_by_the_service_too(world, session, monkeypatch, client, objection_no):
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 10)
    from credit_backend.errors import DomainError

    with pytest.raises(DomainError) as info:
        attachments_service.add(session, objection_no, SENDER, "a.png", "image/png", b"x" * 11, "assistant")
    assert (info.value.code, info.value.status) == ("FILE_TOO_LARGE", 413)
    session.rollback()
    assert count(session, Attachment) == 0


def test_another_sender_may_not_attach(client, objection_no, session):
    r = upload(client, objection_no, PNG, sender="tg:7999")
    assert_error(r, 403, "FORBIDDEN", "只能为自己提交的申请上传材料")
    assert count(session, Attachment) == 0


@pytest.mark.parametrize("kind", ["registrations", "commitments"])
def test_only_objections_and_repairs_take_evidence(client, world, session, kind):
    bind(client, SENDER, JIANGCHENG)
    body = registration_body(SENDER) if kind == "registrations" else commitment_body(SENDER)
    no = submit(client, kind, body).json()["application_no"]
    assert_error(upload(client, no, PNG), 400, "ATTACHMENT_NOT_ALLOWED", "异议申请和信用修复申请")
    assert count(session, Attachment) == 0


def test_upload_to_an_unknown_or_garbage_number(client, world):
    assert_error(upload(client, "YY-20261126-0099", PNG), 404, "APPLICATION_NOT_FOUND")
    assert_error(upload(client, "whatever", PNG), 400, "APPLICATION_NO_INVALID")


def test_upload_needs_a_file_a_sender_and_a_token(client, objection_no):
    r = client.post(f"{API}/applications/{objection_no}/attachments", data={"sender_id": SENDER}, headers=ASSISTANT)
    err = assert_error(r, 400, "VALIDATION_ERROR")
    assert [f["field"] for f in err["details"]["fields"]] == ["file"]
    r = client.post(
        f"{API}/applications/{objection_no}/attachments", files={"file": ("a.png", PNG, "image/png")}, headers=ASSISTANT
    )
    assert_error(r, 400, "VALIDATION_ERROR", "缺少“会话标识”")
    assert_error(upload(client, objection_no, PNG, headers={}), 401, "AUTH_REQUIRED")
