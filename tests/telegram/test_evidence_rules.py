"""Which files are accepted as evidence, before and after download, and which application gets them.

The rules are shared by the channels (bot/evidence.py), so they are tested once here."""

from __future__ import annotations

from bot import evidence as texts
from bot.evidence import (
    IncomingFile,
    application_no_in,
    check_content,
    check_file,
    content_type_of,
    format_size,
    target_application,
)

MB = 1024 * 1024
PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16


def test_types_by_mime_or_extension() -> None:
    assert content_type_of("缴款凭证.pdf", "application/pdf") == "application/pdf"
    assert content_type_of("scan.PDF", "application/octet-stream") == "application/pdf"
    assert content_type_of("photo.jpeg", None) == "image/jpeg"
    assert content_type_of("x", "image/jpg") == "image/jpeg"
    assert content_type_of("screen.png", "image/png") == "image/png"
    assert (
        content_type_of("情况说明.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        is None
    )
    assert content_type_of("a.gif", "image/gif") is None


def test_size_and_type_limits_before_download() -> None:
    ok = check_file(IncomingFile("f", "凭证.pdf", "application/pdf", 3 * MB), 10 * MB)
    assert ok.content_type == "application/pdf" and ok.problem is None
    big = check_file(IncomingFile("f", "凭证.pdf", "application/pdf", 11 * MB), 10 * MB)
    assert big.content_type is None and "超过了10.0MB" in big.problem and "11.0MB" in big.problem
    doc = check_file(IncomingFile("f", "说明.docx", None, 100), 10 * MB)
    assert doc.problem == texts.EVIDENCE_TYPE.format(filename="说明.docx")
    unknown_size = check_file(IncomingFile("f", "a.png", "image/png", None), 10 * MB)
    assert unknown_size.content_type == "image/png"


def test_content_must_match_its_type() -> None:
    file = IncomingFile("f", "凭证.pdf", "application/pdf", None)
    assert check_content(file, "application/pdf", PDF, 10 * MB) is None
    assert check_content(file, "image/png", PNG, 10 * MB) is None
    assert check_content(file, "image/jpeg", JPEG, 10 * MB) is None
    assert check_content(file, "application/pdf", b"PK\x03\x04 a zip renamed", 10 * MB) == texts.EVIDENCE_TYPE.format(
        filename="凭证.pdf"
    )
    assert check_content(file, "application/pdf", b"", 10 * MB) == texts.EVIDENCE_EMPTY.format(filename="凭证.pdf")
    assert "超过了" in check_content(file, "application/pdf", PDF + b"0" * 100, 50)


def test_sizes_in_chinese() -> None:
    assert format_size(512) == "512字节"
    assert format_size(2048) == "2KB"
    assert format_size(3 * MB + MB // 2) == "3.5MB"


def test_application_numbers_in_captions() -> None:
    assert application_no_in("这是YY-20261126-0003的缴款凭证") == "YY-20261126-0003"
    assert application_no_in("xf202611260012 材料") == "XF-20261126-0012"
    assert application_no_in("ZC-20261126-0001") is None  # registrations take no evidence
    assert application_no_in(None) is None


def _app(no: str, kind: str, open_: bool) -> dict[str, object]:
    return {"application_no": no, "kind": kind, "open": open_}


def test_the_newest_open_objection_or_repair_is_the_target() -> None:
    apps = [
        _app("ZC-20261126-0001", "registration", True),
        _app("YY-20261126-0002", "objection", False),
        _app("XF-20261125-0001", "repair", True),
        _app("YY-20261120-0001", "objection", True),
    ]
    assert target_application(apps, None)["application_no"] == "XF-20261125-0001"
    assert target_application(apps, "YY-20261120-0001")["application_no"] == "YY-20261120-0001"
    assert target_application(apps, "YY-20261126-0002") is None  # closed
    assert target_application(apps[:2], None) is None
