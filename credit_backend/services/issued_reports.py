"""Issuing credit reports as documents and verifying them by number and code (seed item 3, issue 12).

A report gets a number ``XYBG-<YYYYMMDD>-<NNNNN>`` (its own prefix and per-day counter, so it never looks
like an application number), a validity from policy.yaml ``credit_report`` (``verified: false``: the answer
says so) and a random verification code. Only the code's argon2 hash is stored; the content as issued and
its SHA-256 digest are kept, so the PDF reads the same at every download and a changed row is noticed.

Verification answers ``valid``, ``expired`` or ``not_found``; a wrong code and an unknown number get the same
answer, and each (number, day) accepts a bounded number of failed checks whether the number exists or not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import date, datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import DomainError, NotFound
from credit_backend.models import Entity, IssuedReport, ReportCheckFailure, ReportCounter
from credit_backend.policy.loader import load_policy
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.report_no import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_SEQ,
    PREFIX,
    format_code,
    normalize_code,
    normalize_report_no,
)
from credit_backend.services.common import unverified_note
from credit_backend.services.report import credit_report
from credit_backend.services.report_pdf import ReportFontMissing, render_pdf, report_font
from credit_backend.settings import get_settings

log = logging.getLogger(__name__)

_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
_DUMMY_HASH = _HASHER.hash("no-such-report")  # checked against for unknown numbers: same work, same time

NOT_FOUND_MESSAGE = (
    "未找到与该报告编号和核验码相符的报告：请核对报告页脚的报告编号和核验码后重试。"
    "如仍不相符，该报告不是信用中国（吉林市）出具的，或内容已被改动。"
)
UNAVAILABLE_MESSAGE = "信用报告暂时无法生成，请稍后再试；如持续出现，请联系信用中国（吉林市）。"


def _digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _issue_moment() -> datetime:
    """Now, on the rules' day (CREDIT_TODAY may pin the day for demos and tests; the time of day is real)."""
    moment = clock.now().astimezone(clock.CST)
    today = clock.today()
    if moment.date() != today:
        moment = moment.replace(year=today.year, month=today.month, day=today.day)
    return moment


def _next_report_no(session: Session, day: date) -> str:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ReportCounter)
        .values(day=day, last_seq=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last_seq": ReportCounter.last_seq + 1})
        .returning(ReportCounter.last_seq)
    )
    seq = session.execute(stmt).scalar_one()
    if seq > MAX_SEQ:
        raise DomainError("今日出具的信用报告已达上限，请明日再试。", code="REPORT_LIMIT", status=409)
    return f"{PREFIX}-{day:%Y%m%d}-{seq:05d}"


def _check_daily_cap(session: Session, entity: Entity, day: date, cap: int) -> None:
    """Refuses a report beyond CREDIT_REPORT_ISSUES_PER_ENTITY_PER_DAY on the entity that day."""
    issued = session.scalar(
        select(func.count()).where(IssuedReport.entity_id == entity.id, IssuedReport.issued_on == day)
    )
    if (issued or 0) >= cap:
        raise DomainError(
            f"该主体今日已出具{cap}份信用报告，已达每日上限，请明日再试；已出具的报告在有效期内仍可使用，"
            "可凭报告编号和核验码下载或核验。",
            code="REPORT_DAILY_LIMIT",
            status=429,
        )


def _validity_cn(valid_until: date, days: int, verified: bool) -> str:
    return f"自出具之日起{days}日，至{format_cn_date(valid_until)}止{unverified_note(verified)}"


def _paths(report_no: str, code: str) -> tuple[str, str]:
    return (
        f"/api/v1/reports/{report_no}.pdf?code={code}",
        f"/api/v1/reports/{report_no}/verification?code={code}",
    )


def issue(session: Session, entity: Entity, role: str) -> dict[str, Any]:
    """Issue a report on ``entity`` as the assistant's (masked) view shows it; the code is returned once."""
    try:
        report_font()  # refuse before handing out a number for a report that cannot be printed
    except ReportFontMissing:
        log.exception("credit report not issued")
        raise DomainError(UNAVAILABLE_MESSAGE, code="REPORT_UNAVAILABLE", status=503) from None
    policy = load_policy().credit_report
    base = credit_report(session, entity)
    moment = _issue_moment()
    day = moment.date()
    _check_daily_cap(session, entity, day, get_settings().report_issues_per_entity_per_day)
    valid_until = day + timedelta(days=policy.validity_days - 1)
    report_no = _next_report_no(session, day)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    content: dict[str, Any] = {
        "report_no": report_no,
        "uscc": base["uscc"],
        "name": base["name"],
        "issuer": policy.issuer,
        "issued_at_cn": f"{format_cn_date(day)} {moment:%H:%M}（北京时间）",
        "valid_until": valid_until.isoformat(),
        "validity_days": policy.validity_days,
        "validity_verified": policy.verified,
        "validity_cn": _validity_cn(valid_until, policy.validity_days, policy.verified),
        "sections": base["sections"],
        "notes": [
            f"本报告反映{format_cn_date(day)}出具时“{policy.issuer}”公示的信息，"
            "内容仅供参考，以“信用中国（吉林市）”网站公示信息为准。",
            "个人信息已按公示规则脱敏。报告真伪和有效期可凭页脚的报告编号和核验码核验。",
        ],
    }
    digest = _digest(content)
    content["digest_prefix"] = digest[:16]
    session.add(
        IssuedReport(
            report_no=report_no,
            entity=entity,
            issued_at=moment,
            issued_on=day,
            valid_until=valid_until,
            code_hash=_HASHER.hash(code),
            content_digest=digest,
            content=content,
            issued_by=role,
        )
    )
    session.commit()
    shown = format_code(code)
    download, verification = _paths(report_no, shown)
    return {
        "report_no": report_no,
        "code": shown,
        "uscc": base["uscc"],
        "name": base["name"],
        "issued_at": moment.astimezone(timezone.utc),
        "valid_until": valid_until,
        "validity_days": policy.validity_days,
        "validity_unverified": not policy.verified,
        "validity_label": content["validity_cn"],
        "download_path": download,
        "verification_path": verification,
        "content_digest": digest,
    }


def _limit_reached(session: Session, report_no: str, day: date) -> bool:
    failures = session.scalar(
        select(ReportCheckFailure.failures).where(
            ReportCheckFailure.report_no == report_no, ReportCheckFailure.day == day
        )
    )
    return (failures or 0) >= get_settings().report_checks_per_day


def _count_failure(session: Session, report_no: str, day: date) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ReportCheckFailure)
        .values(report_no=report_no, day=day, failures=1)
        .on_conflict_do_update(index_elements=["report_no", "day"], set_={"failures": ReportCheckFailure.failures + 1})
    )
    session.commit()


def _authentic(session: Session, raw_no: str, raw_code: str) -> IssuedReport | None:
    """The report if number and code match and its content is unchanged; None (and one failure counted) if not."""
    report_no = normalize_report_no(raw_no)[:40]
    code = normalize_code(raw_code)
    day = clock.today()
    if _limit_reached(session, report_no, day):
        raise DomainError(
            "该报告编号今日核验失败次数过多，已暂停核验，请明日再试；如有疑问请联系信用中国（吉林市）。",
            code="REPORT_CHECK_LIMITED",
            status=429,
        )
    report = session.scalar(select(IssuedReport).where(IssuedReport.report_no == report_no))
    try:
        _HASHER.verify(report.code_hash if report else _DUMMY_HASH, code)
        matched = report is not None
    except VerificationError:
        matched = False
    if matched and report is not None:
        content = dict(report.content)
        content.pop("digest_prefix", None)  # printed on the PDF, not part of the digested content
        if _digest(content) != report.content_digest:
            log.error("issued report %s: stored content does not match its digest", report.report_no)
            matched = False
    if not matched:
        _count_failure(session, report_no, day)
        return None
    return report


def verify(session: Session, raw_no: str, raw_code: str) -> dict[str, Any]:
    """Whether a report is genuine and still valid; wrong code and unknown number answer alike."""
    report = _authentic(session, raw_no, raw_code)
    if report is None:
        return {
            "report_no": normalize_report_no(raw_no)[:40],
            "status": "not_found",
            "genuine": False,
            "valid": False,
            "message": NOT_FOUND_MESSAGE,
            "uscc": None,
            "name": None,
            "issued_at": None,
            "valid_until": None,
            "validity_unverified": False,
        }
    content = report.content
    today = clock.today()
    valid = today <= report.valid_until
    note = unverified_note(bool(content["validity_verified"]))
    what = (
        f"编号{report.report_no}的《公共信用信息报告》由{content['issuer']}于{content['issued_at_cn']}出具，"
        f"报告主体为{content['name']}（统一社会信用代码{content['uscc']}）"
    )
    if valid:
        message = (
            f"报告真实有效：{what}，有效期至{format_cn_date(report.valid_until)}{note}。"
            "报告反映出具时的信息，最新情况请以信用中国（吉林市）公示为准。"
        )
    else:
        message = (
            f"报告真实，但已过有效期：{what}，有效期至{format_cn_date(report.valid_until)}{note}，已失效。"
            "请向报告主体索取新出具的报告。"
        )
    return {
        "report_no": report.report_no,
        "status": "valid" if valid else "expired",
        "genuine": True,
        "valid": valid,
        "message": message,
        "uscc": content["uscc"],
        "name": content["name"],
        "issued_at": report.issued_at,
        "valid_until": report.valid_until,
        "validity_unverified": not content["validity_verified"],
    }


def document(session: Session, raw_no: str, raw_code: str) -> tuple[str, bytes]:
    """The PDF of a report, for whoever holds its number and code (else 404, as for an unknown number)."""
    report = _authentic(session, raw_no, raw_code)
    if report is None:
        raise NotFound("未找到与该报告编号和核验码相符的报告，请核对后重试。", code="NOT_FOUND")
    try:
        pdf = render_pdf(report.content, format_code(normalize_code(raw_code)))
    except ReportFontMissing:
        log.exception("credit report %s not rendered", report.report_no)
        raise DomainError(UNAVAILABLE_MESSAGE, code="REPORT_UNAVAILABLE", status=503) from None
    return report.report_no, pdf
