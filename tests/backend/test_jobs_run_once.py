"""The daily jobs run once however many hosts start them (issue 16), on SQLite and on PostgreSQL.

Every "host" is a real ``python -m credit_backend.jobs daily`` process on the suite's database; the jobs' lock
(a PostgreSQL advisory lock, a file lock next to the SQLite file) is also held from the test itself, as a host
whose run is in progress.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from credit_backend.db import make_engine
from credit_backend.jobs.once import ALREADY_DONE, BUSY, LEDGER_ACTION, JobsLock
from credit_backend.models import AuditEntry, CreditRecord
from credit_backend.rules import vocabulary
from tests.backend.test_jobs import ROOT, _entity, _record

DAY = "2026-11-20"


def _start(database_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CREDIT_DATABASE_URL": database_url}
    env.pop("CREDIT_TODAY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "credit_backend.jobs", "daily", "--today", DAY, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _count(session: Session, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def _one_record_to_end(session: Session) -> int:
    e = _entity(session, 7, "B")
    r = _record(session, e, vocabulary.PENALTY, date(2025, 11, 20), "一般")  # one year ends on DAY
    session.commit()
    return r.id


def test_hosts_started_together_run_the_day_once(session: Session, database_url: str, engine: Engine) -> None:
    """Three hosts start the day's run while a fourth is still running (the test holds the lock): none of them
    does anything meanwhile; once it is released, exactly one runs the jobs and the others say the day is done."""
    record_id = _one_record_to_end(session)
    holder = JobsLock(make_engine(database_url))
    assert holder.try_take()
    try:
        hosts = [_start(database_url) for _ in range(3)]
        time.sleep(3)
        assert all(host.poll() is None for host in hosts), "a run went ahead while another host held the lock"
        session.expire_all()
        assert session.get(CreditRecord, record_id).status == "active"
    finally:
        holder.release()
    results = [_result(host) for host in hosts]

    ran = [r for r in results if "skipped" not in r]
    skipped = [r for r in results if r.get("skipped") == ALREADY_DONE]
    print(f"hosts {len(results)}: ran {len(ran)}, skipped as already done {len(skipped)}")
    assert len(ran) == 1 and len(skipped) == 2
    assert ran[0]["jobs"]["end_publicity"]["records_ended"] == 1
    for r in skipped:  # the same format, every count zero, and a note in Chinese
        assert r["day"] == DAY and set(r["jobs"]) == set(ran[0]["jobs"])
        assert r["jobs"]["end_publicity"]["records_ended"] == 0 and r["jobs"]["reminders"]["commitment_due"] == 0
        assert r["note"] == f"{DAY} 的每日任务已经运行过，本次未做任何更改。"
    session.expire_all()
    assert session.get(CreditRecord, record_id).status == "expired"
    assert _count(session, "end_publicity") == 1 and _count(session, "job_end_publicity") == 1
    ledger = session.scalars(select(AuditEntry).where(AuditEntry.action == LEDGER_ACTION)).one()
    assert ledger.target == DAY and ledger.details["jobs"]["end_publicity"]["records_ended"] == 1


def test_the_next_day_runs_and_a_rerun_of_a_day_is_a_no_op(session: Session, database_url: str) -> None:
    _one_record_to_end(session)
    first = _result(_start(database_url))
    again = _result(_start(database_url))
    next_day = _result(_start(database_url, "--today", "2026-11-21"))
    assert first["jobs"]["end_publicity"]["records_ended"] == 1 and "skipped" not in first
    assert again["skipped"] == ALREADY_DONE
    assert next_day["day"] == "2026-11-21" and "skipped" not in next_day
    session.expire_all()
    assert _count(session, LEDGER_ACTION) == 2


def test_a_host_that_waits_too_long_gives_up_without_doing_anything(session: Session, database_url: str) -> None:
    record_id = _one_record_to_end(session)
    holder = JobsLock(make_engine(database_url))
    assert holder.try_take()
    try:
        busy = _result(_start(database_url, "--wait", "1"))
    finally:
        holder.release()
    assert busy["skipped"] == BUSY and busy["jobs"]["end_publicity"]["records_ended"] == 0
    assert "另一台主机正在运行每日任务" in busy["note"]
    session.expire_all()
    assert session.get(CreditRecord, record_id).status == "active" and _count(session, LEDGER_ACTION) == 0


HOLD = """
import sys, time
from credit_backend.db import make_engine
from credit_backend.jobs.once import JobsLock
assert JobsLock(make_engine(sys.argv[1])).try_take()
print("held", flush=True)
time.sleep(3600)
"""


def test_the_lock_of_a_host_that_died_is_free(database_url: str, engine: Engine) -> None:
    """A run killed with SIGKILL (no clean-up) leaves no lock behind: the database or the kernel drops it."""
    dying = subprocess.Popen(
        [sys.executable, "-c", HOLD, database_url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert dying.stdout is not None and dying.stdout.readline().strip() == "held"
        other = JobsLock(make_engine(database_url))
        assert not other.try_take()
        dying.send_signal(signal.SIGKILL)
        dying.wait(30)
        deadline = time.monotonic() + 30
        while not other.try_take():  # PostgreSQL notices the closed connection at once; retry briefly anyway
            assert time.monotonic() < deadline, "the dead host's lock was never released"
            time.sleep(0.2)
        other.release()
    finally:
        if dying.poll() is None:
            dying.kill()
            dying.wait(10)
        for stream in (dying.stdout, dying.stderr):
            if stream is not None:
                stream.close()
