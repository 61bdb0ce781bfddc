"""The credit report as a document (seed item 3, 吉市信用办发〔2020〕3号 第3项 “拓展信用报告应用”), on both databases.

Structure from CREDIT_DOMAIN.md §3.1 (《公共信用信息报告标准（2022年版）》 layout): a header with the report
number, generation time and issuer, then sections 一 … 九. The validity is policy.yaml ``credit_report``
(``verified: false``), so every answer built on it carries the one unverified note. A report is checked by
number and code; a wrong code answers exactly like an unknown number.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from credit_backend.models import IssuedReport
from credit_backend.policy.loader import load_policy
from credit_backend.rules.appno import find_application_nos, parse_application_no
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from credit_backend.services.report import SECTIONS
from credit_backend.services.report_pdf import ReportFontMissing, report_font
from credit_backend.settings import PROJECT_ROOT, get_settings
from tests.backend.api_helpers import API, JIANGCHENG, LAOWANG, UNKNOWN_VALID, assert_error, fresh
from tests.backend.conftest import ASSISTANT, STAFF

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"  # the README's screenshot folder (gitignored)
ISSUE_DAY = date(2026, 11, 26)


@pytest.fixture
def pin_day(monkeypatch: pytest.MonkeyPatch):
    """Pin the rules' day (CREDIT_TODAY), as the clock module reads it."""

    def pin(day: date) -> None:
        monkeypatch.setenv("CREDIT_TODAY", day.isoformat())
        get_settings.cache_clear()

    yield pin
    monkeypatch.delenv("CREDIT_TODAY", raising=False)
    get_settings.cache_clear()


def _issue(client, uscc: str = JIANGCHENG, headers: dict[str, str] = ASSISTANT) -> dict:
    r = client.post(f"{API}/entities/{uscc}/reports", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_seed_item_3_report_is_a_chinese_pdf_with_number_time_validity_sections_and_code(client, world, pin_day):
    """Seed item 3 / CREDIT_DOMAIN.md §3.1: title, report number, generation time, validity, issuer, every
    section the chat report has, the entity, and the verification code, read back from the PDF's text."""
    pin_day(ISSUE_DAY)
    issued = _issue(client)
    policy = load_policy().credit_report
    assert re.fullmatch(r"XYBG-20261126-\d{5}", issued["report_no"])
    # Its own format: never read as an application number.
    assert parse_application_no(issued["report_no"]) is None and find_application_nos(issued["report_no"]) == []
    assert issued["valid_until"] == (ISSUE_DAY + timedelta(days=policy.validity_days - 1)).isoformat()
    assert issued["validity_unverified"] is (not policy.verified)
    assert issued["validity_label"].endswith(UNVERIFIED_NOTE)
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", issued["code"])

    r = client.get(issued["download_path"], headers=ASSISTANT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = _text(r.content)
    for expected in (
        "公共信用信息报告",
        issued["report_no"],
        issued["code"],
        "吉林市江城建材有限公司",
        JIANGCHENG,
        "生成时间",
        "2026年11月26日",
        "北京时间",
        "有效期",
        policy.issuer,
        "第 1 页",
        "发送“核验报告”",  # the footer: anyone can verify it in chat
        *(title for title, _ in SECTIONS),
    ):
        assert expected in text, expected
    # Masked as the assistant's profile is: no ID number, no phone.
    assert "220202198001011234" not in text
    # The font is embedded (a TrueType subset), so the document reads the same on any reader.
    fonts = [
        f.get_object() for page in PdfReader(io.BytesIO(r.content)).pages for f in page["/Resources"]["/Font"].values()
    ]
    assert any("/FontFile2" in f.get("/FontDescriptor", {}) for f in fonts)
    # The same bytes at every download (rendered from the content as issued).
    assert client.get(issued["download_path"], headers=ASSISTANT).content == r.content

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed: .ci/run installs it")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_path = SCREENSHOTS / "credit_report.pdf"
    pdf_path.write_bytes(r.content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(SCREENSHOTS / "credit_report_page1"),
        ],
        check=True,
    )
    assert (SCREENSHOTS / "credit_report_page1.png").stat().st_size > 10_000


def test_seed_item_3_report_numbers_run_per_day(client, world, pin_day):
    """Report numbers are sequential per day (their own counter, like application numbers)."""
    pin_day(ISSUE_DAY)
    first, second = _issue(client), _issue(client, headers=STAFF)
    assert (first["report_no"][-5:], second["report_no"][-5:]) == ("00001", "00002")
    pin_day(ISSUE_DAY + timedelta(days=1))
    assert _issue(client)["report_no"] == "XYBG-20261127-00001"


def test_seed_item_3_verification_genuine_valid_then_expired_after_validity(client, world, pin_day):
    """policy.yaml credit_report.validity_days (verified: false): valid through the last day, expired after."""
    pin_day(ISSUE_DAY)
    issued = _issue(client)
    r = client.get(issued["verification_path"], headers=ASSISTANT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["genuine"], body["valid"]) == ("valid", True, True)
    assert "真实有效" in body["message"] and UNVERIFIED_NOTE in body["message"]
    assert body["name"] == "吉林市江城建材有限公司" and body["uscc"] == JIANGCHENG

    last = date.fromisoformat(issued["valid_until"])
    pin_day(last)
    assert client.get(issued["verification_path"], headers=ASSISTANT).json()["status"] == "valid"
    pin_day(last + timedelta(days=1))
    body = client.get(issued["verification_path"], headers=ASSISTANT).json()
    assert (body["status"], body["genuine"], body["valid"]) == ("expired", True, False)
    assert "已过有效期" in body["message"] and UNVERIFIED_NOTE in body["message"]
    # Typed the way people copy codes: lower case, no hyphen, full-width.
    code = issued["code"].replace("-", "").lower()
    r = client.get(f"{API}/reports/{issued['report_no'].lower()}/verification", params={"code": code}, headers=STAFF)
    assert r.json()["status"] == "expired"


def test_seed_item_3_wrong_code_answers_like_an_unknown_number(client, world, pin_day):
    """No probing: a wrong code for a real report and a made-up number get the same answer (and the PDF a 404)."""
    pin_day(ISSUE_DAY)
    issued = _issue(client)
    wrong = client.get(
        f"{API}/reports/{issued['report_no']}/verification", params={"code": "AAAA-BBBB"}, headers=ASSISTANT
    )
    unknown_no = "XYBG-20261126-09999"
    unknown = client.get(f"{API}/reports/{unknown_no}/verification", params={"code": "AAAA-BBBB"}, headers=ASSISTANT)
    assert wrong.status_code == unknown.status_code == 200
    a, b = wrong.json(), unknown.json()
    assert a.pop("report_no") == issued["report_no"] and b.pop("report_no") == unknown_no
    assert a == b and a["status"] == "not_found" and "未找到" in a["message"]

    pdf_wrong = client.get(f"{API}/reports/{issued['report_no']}.pdf", params={"code": "AAAA-BBBB"}, headers=ASSISTANT)
    pdf_unknown = client.get(f"{API}/reports/{unknown_no}.pdf", params={"code": "AAAA-BBBB"}, headers=ASSISTANT)
    assert assert_error(pdf_wrong, 404, "NOT_FOUND") == assert_error(pdf_unknown, 404, "NOT_FOUND")


def test_reports_issued_per_entity_and_day_are_bounded(client, world, session, pin_day, monkeypatch):
    """After CREDIT_REPORT_ISSUES_PER_ENTITY_PER_DAY reports on one entity in a day, whoever asks, the next is
    refused in Chinese and nothing is stored; other entities, and the next day, are not affected."""
    monkeypatch.setenv("CREDIT_REPORT_ISSUES_PER_ENTITY_PER_DAY", "3")
    pin_day(ISSUE_DAY)
    issued = [_issue(client), _issue(client, headers=STAFF), _issue(client)]
    r = client.post(f"{API}/entities/{JIANGCHENG}/reports", headers=STAFF)
    assert_error(r, 429, "REPORT_DAILY_LIMIT", "今日已出具3份信用报告", "已出具的报告在有效期内仍可使用")
    session.expire_all()
    stored = session.scalars(select(IssuedReport.report_no).where(IssuedReport.issued_on == ISSUE_DAY)).all()
    assert sorted(stored) == sorted(i["report_no"] for i in issued)
    assert client.get(issued[0]["verification_path"], headers=ASSISTANT).json()["status"] == "valid"
    assert _issue(client, LAOWANG)["report_no"] == "XYBG-20261126-00004"
    pin_day(ISSUE_DAY + timedelta(days=1))
    assert _issue(client)["report_no"] == "XYBG-20261127-00001"


def test_seed_item_3_failed_checks_are_bounded_per_number_and_day(client, world, pin_day):
    """Guessing a code is bounded: after the day's failed checks, the number is refused (right code too), for
    known and unknown numbers alike; the next day it answers again."""
    pin_day(ISSUE_DAY)
    issued = _issue(client)
    limit = get_settings().report_checks_per_day
    for number in (issued["report_no"], "XYBG-20261126-09999"):
        for _ in range(limit):
            r = client.get(f"{API}/reports/{number}/verification", params={"code": "AAAA-BBBB"}, headers=ASSISTANT)
            assert r.json()["status"] == "not_found"
        r = client.get(f"{API}/reports/{number}/verification", params={"code": issued["code"]}, headers=ASSISTANT)
        assert_error(r, 429, "REPORT_CHECK_LIMITED", "明日再试")
    pin_day(ISSUE_DAY + timedelta(days=1))
    assert client.get(issued["verification_path"], headers=ASSISTANT).json()["status"] == "valid"


def test_seed_item_3_a_changed_stored_report_is_not_genuine(client, world, session, pin_day):
    """The content's digest is kept: a report whose stored content was altered no longer verifies."""
    pin_day(ISSUE_DAY)
    issued = _issue(client)
    fresh(session)
    row = session.scalar(select(IssuedReport).where(IssuedReport.report_no == issued["report_no"]))
    assert row is not None and row.content_digest == issued["content_digest"]
    assert "code" not in row.content and issued["code"].replace("-", "") not in row.code_hash  # only a hash
    row.content = {**row.content, "name": "别的公司"}
    session.commit()
    assert client.get(issued["verification_path"], headers=ASSISTANT).json()["status"] == "not_found"


def test_report_for_an_unknown_entity_is_404(client, world):
    r = client.post(f"{API}/entities/{UNKNOWN_VALID}/reports", headers=ASSISTANT)
    assert r.status_code == 404


def test_missing_font_is_a_clear_error(client, world, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The font path is a setting: when the file is missing, the log says what to install, users get a 503."""
    monkeypatch.setenv("CREDIT_REPORT_FONT_PATH", str(tmp_path / "none.ttc"))
    get_settings.cache_clear()
    try:
        with pytest.raises(ReportFontMissing, match="fonts-wqy-zenhei"):
            report_font()
        r = client.post(f"{API}/entities/{JIANGCHENG}/reports", headers=ASSISTANT)
        assert_error(r, 503, "REPORT_UNAVAILABLE", "暂时无法生成")
    finally:
        monkeypatch.delenv("CREDIT_REPORT_FONT_PATH")
        get_settings.cache_clear()
