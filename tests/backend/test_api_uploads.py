"""Uploads: the type is read from the bytes, names are sanitised, the size is capped while reading."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from credit_backend.models import Attachment
from credit_backend.services.attachments import safe_filename
from credit_backend.settings import get_settings
from tests.backend.api_helpers import API, JIANGCHENG, assert_error, bind, count, objection_body, submit
from tests.backend.conftest import STAFF
from tests.backend.test_api_attachments import PDF, PNG, SENDER, upload

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00" + b"\x08" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def objection_no(client, world) -> str:
    bind(client, SENDER, JIANGCHENG)
    r = submit(client, "objections", objection_body(SENDER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    return r.json()["application_no"]


# --- the type comes from the bytes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, declared", [(HTML, "application/pdf"), (HTML, "image/png"), (b"MZ\x90\x00" + b"\x00" * 60, "image/jpeg")]
)
def test_content_that_is_not_an_accepted_type_is_refused_whatever_it_claims(
    client, objection_no, session, data, declared
):
    r = upload(client, objection_no, data, "scan.pdf", declared)
    err = assert_error(r, 400, "ATTACHMENT_TYPE", "JPG、PNG 图片或 PDF", "按文件内容识别")
    assert err["details"]["allowed"] == ["application/pdf", "image/jpeg", "image/png"]
    assert count(session, Attachment) == 0


@pytest.mark.parametrize(
    "data, declared, expected",
    [
        (PNG, "application/pdf", "image/png"),
        (PDF, "image/png", "application/pdf"),
        (JPEG, "application/octet-stream", "image/jpeg"),
        (JPEG, "", "image/jpeg"),
    ],
)
def test_the_stored_type_is_the_detected_one(client, objection_no, data, declared, expected):
    r = upload(client, objection_no, data, "evidence", declared)
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == expected
    attachments = client.get(f"{API}/applications/{objection_no}", headers=STAFF).json()["attachments"]
    assert attachments[-1]["content_type"] == expected


# --- names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, content_type, expected",
    [
        ("evidence.png", "image/png", "evidence.png"),
        ("罚款缴纳凭证.PDF", "application/pdf", "罚款缴纳凭证.PDF"),
        ("../../etc/passwd.png", "image/png", "passwd.png"),
        ("C:\\Users\\wang\\Desktop\\receipt.jpg", "image/jpeg", "receipt.jpg"),
        ("..\\..\\boot.ini", "image/png", "boot.ini.png"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("invoice.exe", "application/pdf", "invoice.exe.pdf"),
        ("scan", "image/png", "scan.png"),
        ("a\x00b\x1b[31mc\r\nd.png", "image/png", "ab[31mc d.png"),
        ("\u202egnp.exe", "image/png", "gnp.exe.png"),  # a right-to-left override would disguise the name
        ("...hidden.png", "image/png", "hidden.png"),
        ("", "image/png", "evidence-1234.png"),
        ("/", "image/png", "evidence-1234.png"),
        (" .png", "image/png", "png.png"),
        ("   ", "application/pdf", "evidence-1234.pdf"),
    ],
)
def test_names_are_sanitised(raw, content_type, expected):
    assert safe_filename(raw, content_type, "evidence-1234") == expected


def test_long_names_are_cut_but_keep_their_extension():
    name = safe_filename("证" * 500 + ".pdf", "application/pdf", "x")
    assert len(name) == 100 and name.endswith("证.pdf")
    assert safe_filename("a." + "p" * 300, "image/png", "x").endswith(".png")


def test_the_file_on_disk_is_named_by_its_hash_never_by_the_user(client, objection_no, attachments_dir, session):
    r = upload(client, objection_no, PNG, "../../../../tmp/owned.png")
    assert r.status_code == 201, r.text
    digest = hashlib.sha256(PNG).hexdigest()
    stored = session.get(Attachment, r.json()["id"])
    assert Path(stored.storage_path) == Path(attachments_dir) / digest[:2] / digest
    assert not Path("/tmp/owned.png").exists()
    assert [p.name for p in Path(attachments_dir).rglob("*") if p.is_file()].count(digest) == 1


# --- size -------------------------------------------------------------------------------------------------


def test_a_file_one_byte_over_the_limit_is_413_and_nothing_is_stored(client, objection_no, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 100 * 1024)
    ok = PNG + b"\x00" * (100 * 1024 - len(PNG))
    assert upload(client, objection_no, ok).status_code == 201
    r = upload(client, objection_no, ok + b"\x00")
    err = assert_error(r, 413, "FILE_TOO_LARGE", "不能超过100KB")
    assert err["details"] == {"limit_bytes": 100 * 1024}
    assert count(session, Attachment) == 1


def test_a_body_far_over_the_limit_is_refused_with_the_json_error(client, objection_no, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 1024 * 1024)
    r = upload(client, objection_no, PNG + b"\x00" * (3 * 1024 * 1024))
    assert_error(r, 413, "FILE_TOO_LARGE", "不能超过1MB")
    assert count(session, Attachment) == 0


def test_the_json_routes_keep_a_small_body_limit(client, world):
    body = objection_body(SENDER, world.records["repairable"].id, reason="理由" * 600_000)
    assert_error(submit(client, "objections", body), 413, "REQUEST_TOO_LARGE")
