"""The daily job that ends publicity (issue 12 #4), with a pinned clock, on SQLite and PostgreSQL.

The rules come from 令2025年第36号 (policy.yaml repair.regimes ndrc-2025-36): 失信信息 is published for at
most 3个月 (轻微), 1年 (一般) or 3年 (严重) from the decision (periods in months: 民法典 第202条); once the
maximum has passed it stops being published without an application, no longer caps the grade
(seed items 6–7, rules/grades.py) and no longer keeps the entity on a list (CREDIT_DOMAIN.md 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_backend.jobs import daily, end_publicity
from credit_backend.models import AuditEntry, CreditRecord, Entity, Evaluation
from credit_backend.rules import vocabulary
from credit_backend.rules.grades import ActiveRecord, recompute_grade
from credit_backend.rules.periods import add_months
from credit_backend.services import evaluation

ROOT = Path(__file__).resolve().parents[2]
# 令2025年第36号: maximum publication period of each class of 失信信息, in months (read from the order,
# not from policy.yaml, so the job is checked against the text rather than against itself).
MAX_MONTHS_36 = {"轻微": 3, "一般": 12, "严重": 36}


def _entity(session: Session, n: int, grade: str = "A") -> Entity:
    e = Entity(
        uscc=f"9122020{n:02d}MA0Y3K7Q6L"[:18],
        name=f"吉林市测试{n}号有限公司",
        short_name=f"测试{n}",
        entity_type="企业",
        region_code="220202",
        legal_representative="王建国",
        contact_phone=f"139432100{n:02d}",
    )
    session.add(e)
    session.add(Evaluation(entity=e, grade=grade, score=None, evaluated_on=date(2025, 6, 30)))
    return e


def _record(
    session: Session, e: Entity, category: str, decided: date, severity: str | None = None, **kw
) -> CreditRecord:
    if hasattr(CreditRecord, "polarity") and hasattr(vocabulary, "record_polarity"):
        kw.setdefault("polarity", vocabulary.record_polarity(category, severity).value)
    r = CreditRecord(
        entity=e,
        category=category,
        title=f"{category}{severity or ''}{decided.isoformat()}",
        authority="吉林市市场监督管理局",
        decision_date=decided,
        severity=severity,
        **kw,
    )
    session.add(r)
    return r


def _snapshot(session: Session) -> tuple:
    session.expire_all()
    records = tuple(
        session.execute(
            select(CreditRecord.id, CreditRecord.status, CreditRecord.publicity_end).order_by(CreditRecord.id)
        )
    )
    grades = tuple(session.execute(select(Evaluation.id, Evaluation.grade).order_by(Evaluation.id)))
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    return records, grades, audits


def _grade(session: Session, e: Entity) -> str:
    return session.scalars(
        select(Evaluation.grade)
        .where(Evaluation.entity_id == e.id)
        .order_by(Evaluation.evaluated_on.desc(), Evaluation.id.desc())
    ).first()


def test_ordinary_failure_ends_after_one_year_and_grade_recovers_36号令(session: Session) -> None:
    """令2025年第36号: 一般失信信息最长公示1年. Decided 2025-11-26: published through 2026-11-25, ended on
    2026-11-26 (民法典 第202条), and the grade it capped at C returns to the base B (seed items 6–7)."""
    e = _entity(session, 1, "B")
    r = _record(session, e, vocabulary.PENALTY, date(2025, 11, 26), "一般")
    session.commit()
    evaluation.recompute(session, e.id, date(2025, 11, 26), "setup")
    session.commit()
    assert _grade(session, e) == "C"

    before = end_publicity(session, date(2026, 11, 25))
    assert before.records_ended == 0 and r.status == "active"

    run = end_publicity(session, date(2026, 11, 26))
    assert (run.records_ended, run.entities_affected, run.grades_changed) == (1, 1, 1)
    session.refresh(r)
    assert r.status == "expired" and r.status_label == "已到期" and r.publicity_end == date(2026, 11, 26)
    assert _grade(session, e) == "B"
    summary = session.scalars(select(AuditEntry).where(AuditEntry.action == "job_end_publicity")).one()
    assert summary.details["records_ended"] == 1 and summary.details["grades_changed"] == 1
    assert (
        session.scalars(select(AuditEntry).where(AuditEntry.action == "end_publicity")).one().target == f"record:{r.id}"
    )


def test_severe_list_entry_leaves_the_list_after_three_years_36号令(session: Session) -> None:
    """令2025年第36号: 严重失信信息最长公示3年. The 严重失信主体名单 entry ends, the entity leaves the list
    (it no longer holds grade D), while another list entry still in its window keeps it on that list."""
    e = _entity(session, 2, "A")
    old = _record(session, e, vocabulary.SEVERE_LIST, date(2023, 11, 1), "严重")
    watch = _record(session, e, vocabulary.WATCH_LIST, date(2026, 6, 1), "一般")
    session.commit()
    evaluation.recompute(session, e.id, date(2026, 6, 1), "setup")
    session.commit()
    assert _grade(session, e) == "D"

    run = end_publicity(session, date(2026, 11, 1))
    assert run.records_ended == 1 and run.lists_left == 1
    assert old.status == "expired" and watch.status == "active"
    assert _grade(session, e) == "C"  # the 重点关注名单 entry still caps it
    left = session.scalars(select(AuditEntry).where(AuditEntry.action == "leave_list")).one()
    assert left.details["list"] == vocabulary.SEVERE_LIST


def test_second_run_on_the_same_day_changes_nothing(session: Session) -> None:
    """Issue 12 (Add: time that moves on its own): each job is idempotent — run twice on the same day,
    the second run changes nothing (no record, grade or audit entry)."""
    e = _entity(session, 3, "B")
    _record(session, e, vocabulary.PENALTY, date(2025, 1, 10), "一般")
    _record(session, e, vocabulary.PENALTY, date(2026, 9, 1), "轻微")
    _record(session, e, vocabulary.REDLIST, date(2024, 1, 1), publicity_end=date(2026, 1, 1))
    session.commit()
    first = daily(session, date(2026, 11, 26))
    assert first["end_publicity"]["records_ended"] == 2
    after_first = _snapshot(session)
    second = daily(session, date(2026, 11, 26))
    assert second["end_publicity"]["records_ended"] == 0
    assert _snapshot(session) == after_first


def test_positive_and_neutral_records_are_never_ended_by_the_periods(session: Session) -> None:
    """The 36号令 periods apply to 失信信息 only: a 行政许可, a 信用承诺 and a positive 其他 record (文明单位)
    stay published however old they are; a 守信激励 entry ends on its own validity (publicity_end)."""
    e = _entity(session, 4)
    permit = _record(session, e, vocabulary.PERMIT, date(2020, 5, 8))
    promise = _record(session, e, vocabulary.COMMITMENT, date(2021, 1, 1))
    honour = _record(session, e, vocabulary.OTHER, date(2019, 3, 1))  # no severity: a positive fact
    red = _record(session, e, vocabulary.REDLIST, date(2025, 1, 1), publicity_end=date(2027, 1, 1))
    session.commit()
    assert end_publicity(session, date(2026, 12, 31)).records_ended == 0
    assert {permit.status, promise.status, honour.status, red.status} == {"active"}
    run = end_publicity(session, date(2027, 1, 1))
    assert run.ended_ids == [red.id] and run.lists_left == 1


def test_a_year_of_days_leaves_every_record_as_the_36号令_periods_say(session: Session) -> None:
    """Run the daily job every day from 2026-06-01 to 2027-06-01 over a small world. At the end every
    失信信息 record is 已到期 exactly when its 36号令 maximum (轻微 3个月/一般 1年/严重 3年 from the decision,
    民法典 第202条) has passed, and it was ended on that very day (or on the first run if already past);
    every other record is still published; each grade is the base lowered by what is still published."""
    start, end = date(2026, 6, 1), date(2027, 6, 1)
    entities = [_entity(session, 10 + i, grade) for i, grade in enumerate("ABCAB")]
    failures: list[CreditRecord] = []
    others: list[CreditRecord] = []
    decided = date(2023, 3, 31)
    categories = (
        vocabulary.PENALTY,
        vocabulary.SEVERE_LIST,
        vocabulary.WATCH_LIST,
        vocabulary.ABNORMAL,
        vocabulary.OTHER,
    )
    for i in range(40):
        e = entities[i % len(entities)]
        severity = vocabulary.SEVERITIES[i % 3]
        category = categories[i % len(categories)]
        if category == vocabulary.SEVERE_LIST:
            severity = "严重"
        failures.append(_record(session, e, category, decided, severity))
        decided += timedelta(days=37)  # 2023-03-31 … 2027-04-…: month ends, leap day 2024-02-29 nearby
    for e in entities:
        others.append(_record(session, e, vocabulary.PERMIT, date(2021, 2, 28)))
        others.append(_record(session, e, vocabulary.OTHER, date(2022, 8, 31)))  # a positive 其他 record
    session.commit()
    for e in entities:
        evaluation.recompute(session, e.id, start, "setup")
    session.commit()

    day = start
    while day <= end:
        daily(session, day)
        day += timedelta(days=1)

    session.expire_all()
    ended_on = {
        int(a.target.split(":")[1]): date.fromisoformat(a.details["day"])
        for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "end_publicity"))
    }
    for r in failures:
        last_day = add_months(r.decision_date, MAX_MONTHS_36[r.severity])
        if last_day <= end:
            assert r.status == "expired", (r.title, last_day)
            assert ended_on[r.id] == max(last_day, start), (r.title, last_day, ended_on[r.id])
        else:
            assert r.status == "active" and r.id not in ended_on, (r.title, last_day)
    assert all(r.status == "active" for r in others)
    for e in entities:
        base = session.scalars(
            select(Evaluation.grade).where(Evaluation.entity_id == e.id, Evaluation.reason.is_(None))
        ).one()
        active = [
            ActiveRecord(r.category, r.severity) for r in failures if r.entity_id == e.id and r.status == "active"
        ]
        assert _grade(session, e) == recompute_grade(base, active), e.name
    # Idempotent over the whole run: the last day again changes nothing.
    snapshot = _snapshot(session)
    daily(session, end)
    assert _snapshot(session) == snapshot


def _cli(database_url: str, *args: str, today: str | None = None) -> dict:
    env = {**os.environ, "CREDIT_DATABASE_URL": database_url}
    env.pop("CREDIT_TODAY", None)
    if today:
        env["CREDIT_TODAY"] = today
    done = subprocess.run(
        [sys.executable, "-m", "credit_backend.jobs", "daily", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_command_for_cron_runs_once_per_day(session: Session, database_url: str) -> None:
    """README (Daily jobs): cron runs ``python -m credit_backend.jobs daily``; a real process, the day
    pinned by CREDIT_TODAY or --today; the second run of the day reports and changes nothing."""
    e = _entity(session, 5, "B")
    r = _record(session, e, vocabulary.PENALTY, date(2025, 11, 20), "一般")
    session.commit()
    assert _cli(database_url, today="2026-11-19")["jobs"]["end_publicity"]["records_ended"] == 0
    first = _cli(database_url, today="2026-11-20")
    assert first["day"] == "2026-11-20" and first["jobs"]["end_publicity"]["records_ended"] == 1
    again = _cli(database_url, "--today", "2026-11-20")
    assert again["jobs"]["end_publicity"]["records_ended"] == 0
    session.expire_all()
    assert session.get(CreditRecord, r.id).status == "expired"


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow"])
def test_command_refuses_a_bad_date(bad: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "credit_backend.jobs", "daily", "--today", bad],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "--today" in done.stderr
