"""Issue 9, the backend's doors: one-time-code limits, who may read an application, racing submissions,
one-time codes in the outbox, and the refusal of the public dev tokens.

Parallel requests are real threads against the app (TestClient) on the suite's database, SQLite or
PostgreSQL; the start-up refusal and the cross-process limits use real uvicorn processes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from credit_backend import clock, migrate
from credit_backend.models import AuditEntry, Binding, Notification, Objection, RepairApplication
from credit_backend.settings import InsecureConfiguration, Settings, get_settings
from tests.backend.api_helpers import (
    API,
    JIANGCHENG,
    LAOWANG,
    assert_error,
    bind,
    count,
    decide,
    fresh,
    objection_body,
    otp_for,
    repair_body,
    submit,
)
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF
from tests.support.processes import Process, free_port, wait_until

FILER = "tg:9101"
COLLEAGUE = "tg:9102"
STRANGER = "tg:9666"
PARALLEL = 10


def parallel(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(0..n-1)`` on n threads released at the same moment."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def limits() -> Iterator[Callable[..., None]]:
    """Set OTP limits through the environment (CREDIT_OTP_…) for one test."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CREDIT_OTP_")}

    def set_limits(**values: int) -> None:
        for name, value in values.items():
            os.environ[f"CREDIT_OTP_{name.upper()}"] = str(value)
        get_settings.cache_clear()

    yield set_limits
    for key in [k for k in os.environ if k.startswith("CREDIT_OTP_")]:
        del os.environ[key]
    os.environ.update(saved)
    get_settings.cache_clear()


def start(client, sender: str, uscc: str = JIANGCHENG):
    return client.post(f"{API}/bindings/start", json={"sender_id": sender, "uscc": uscc}, headers=ASSISTANT)


def verify(client, sender: str, code: str, uscc: str = JIANGCHENG):
    body = {"sender_id": sender, "uscc": uscc, "code": code}
    return client.post(f"{API}/bindings/verify", json=body, headers=ASSISTANT)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def sms_count(session) -> int:
    return count(session, Notification, Notification.kind == "otp")


# --- one-time-code limits -------------------------------------------------------------------------


def test_codes_per_hour_per_entity_hold_across_rotating_senders(client, world, session):
    for i in range(3):
        assert start(client, f"tg:91{i}").status_code == 200
    r = start(client, "tg:9199")
    err = assert_error(r, 429, "OTP_RATE_LIMITED", "1小时内已发送3次验证码", "后再试", "窗口")
    assert err["details"]["limit"] == "codes_per_hour_entity" and err["details"]["retry_after_seconds"] > 0
    assert sms_count(session) == 3  # no fourth text to the victim
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "binding_rate_limited")).all()
    assert (entry.actor, entry.target, entry.details["limit"]) == ("tg:9199", JIANGCHENG, "codes_per_hour_entity")
    # Another entity is not affected.
    assert start(client, "tg:9199", LAOWANG).status_code == 200


def test_codes_per_hour_per_sender(client, world, session, limits):
    limits(codes_per_hour_sender=2)
    assert start(client, FILER, JIANGCHENG).status_code == 200
    assert start(client, FILER, LAOWANG).status_code == 200
    assert_error(start(client, FILER, JIANGCHENG), 429, "OTP_RATE_LIMITED", "您在1小时内已获取2次验证码")
    assert sms_count(session) == 2
    assert start(client, COLLEAGUE, JIANGCHENG).status_code == 200


def test_wrong_codes_per_day_per_entity_stop_guessing_from_rotating_senders(client, world, session, limits):
    limits(codes_per_hour_entity=100)
    for i in range(5):  # 5 senders x 2 guesses = the 10 wrong codes a day
        sender = f"tg:92{i}"
        assert start(client, sender).status_code == 200
        code = otp_for(client, JIANGCHENG)
        for _ in range(2):
            assert_error(verify(client, sender, wrong(code)), 400, "OTP_INVALID")
    # The next guess is refused before it is checked, even a right one, and no new code is sent.
    assert_error(verify(client, "tg:924", code), 429, "OTP_RATE_LIMITED", "24小时内已被输错10次")
    sent = sms_count(session)
    err = assert_error(start(client, "tg:9299"), 429, "OTP_RATE_LIMITED", "暂停验证码认证")
    assert err["details"]["limit"] == "wrong_per_day_entity"
    assert sms_count(session) == sent
    assert count(session, Binding) == 0


def test_new_codes_do_not_reset_the_daily_failures_of_a_sender(client, world, session, limits):
    limits(wrong_per_day_sender=3)
    assert start(client, FILER).status_code == 200
    for _ in range(2):
        assert verify(client, FILER, wrong(otp_for(client, JIANGCHENG))).status_code == 400
    assert start(client, FILER, LAOWANG).status_code == 200  # another entity, a new code
    assert verify(client, FILER, wrong(otp_for(client, LAOWANG)), LAOWANG).status_code == 400
    assert start(client, FILER, LAOWANG).status_code == 429
    err = assert_error(
        verify(client, FILER, otp_for(client, LAOWANG), LAOWANG), 429, "OTP_RATE_LIMITED", "您在24小时内"
    )
    assert err["details"]["scope"] == "sender"
    # Other senders still bind the entity.
    bind(client, COLLEAGUE, LAOWANG)


def test_parallel_code_requests_cannot_pass_the_same_count(client, world, session):
    results = parallel(PARALLEL, lambda i: start(client, f"tg:93{i:02d}").status_code)
    assert Counter(results) == {200: 3, 429: PARALLEL - 3}
    assert sms_count(session) == 3


def test_staff_see_who_is_throttled(client, world, session, limits):
    limits(codes_per_hour_sender=1)
    for i in range(4):
        start(client, f"tg:94{i}")
    r = client.get(f"{API}/bindings/throttles", headers=STAFF)
    assert r.status_code == 200, r.text
    items = {(i["scope"], i["key"], i["limit"]): i for i in r.json()["items"]}
    entity = items[("entity", JIANGCHENG, "codes_per_hour_entity")]
    assert (entity["count"], entity["maximum"], entity["window_hours"]) == (3, 3, 1)
    assert entity["entity_name"] and entity["until"]
    assert {("sender", f"tg:94{i}", "codes_per_hour_sender") for i in range(3)} <= set(items)
    assert client.get(f"{API}/bindings/throttles", headers=ADMIN).status_code == 200
    assert_error(client.get(f"{API}/bindings/throttles", headers=ASSISTANT), 403, "FORBIDDEN")
    # The refusal itself is in the audit log admins read.
    audit = client.get(f"{API}/audit", headers=ADMIN).json()["items"]
    assert [a["target"] for a in audit if a["action"] == "binding_rate_limited"] == [JIANGCHENG]


def test_old_codes_leave_the_window(client, world, session):
    for i in range(3):
        assert start(client, f"tg:95{i}").status_code == 200
    assert start(client, "tg:959").status_code == 429
    fresh(session)
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.action == "binding_start")
        .values(at=clock.now() - timedelta(hours=1, minutes=1))
    )
    session.commit()
    assert start(client, "tg:959").status_code == 200
    assert client.get(f"{API}/bindings/throttles", headers=STAFF).json()["items"] == []


# --- who may read an application ------------------------------------------------------------------


@pytest.fixture
def filed(client, world) -> str:
    bind(client, FILER, JIANGCHENG)
    r = submit(client, "objections", objection_body(FILER, world.records["repairable"].id))
    assert r.status_code == 201, r.text
    return r.json()["application_no"]


def read(client, no: str, sender: str | None = None, headers: dict[str, str] = ASSISTANT):
    params = {"sender_id": sender} if sender else {}
    return client.get(f"{API}/applications/{no}", params=params, headers=headers)


def listed(client, sender: str | None, headers: dict[str, str] = ASSISTANT, **params: str) -> list[str]:
    if sender:
        params["sender_id"] = sender
    r = client.get(f"{API}/applications", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [a["application_no"] for a in r.json()["items"]]


def test_filer_and_bound_senders_read_an_application_others_get_not_found(client, filed, session):
    assert read(client, filed, FILER).json()["application_no"] == filed
    assert read(client, filed.lower(), FILER).status_code == 200
    bind(client, COLLEAGUE, JIANGCHENG)
    assert read(client, filed, COLLEAGUE).status_code == 200
    hidden = read(client, filed, STRANGER)
    missing_no = filed[:-4] + "0999"
    missing = read(client, missing_no, STRANGER)
    assert_error(hidden, 404, "APPLICATION_NOT_FOUND", filed)
    assert hidden.json() == json.loads(missing.text.replace(missing_no, filed))  # nothing tells them apart
    # Staff and admins read any application, with or without a sender.
    assert read(client, filed, headers=STAFF).status_code == 200
    assert read(client, filed, STRANGER, headers=ADMIN).status_code == 200
    # An expired or removed binding no longer shows it.
    fresh(session)
    session.execute(
        update(Binding).where(Binding.sender_id == COLLEAGUE).values(bound_until=clock.now() - timedelta(minutes=1))
    )
    session.commit()
    assert read(client, filed, COLLEAGUE).status_code == 404


def test_assistant_must_name_the_sender(client, filed):
    assert_error(read(client, filed), 400, "VALIDATION_ERROR", "sender_id")
    r = client.get(f"{API}/applications", headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "sender_id")


def test_the_assistant_lists_only_what_the_sender_may_see(client, world, filed):
    bind(client, "tg:9200", LAOWANG)
    other = submit(client, "objections", objection_body("tg:9200", world.records["later"].id, uscc=LAOWANG))
    assert other.status_code == 201, other.text
    assert listed(client, "tg:9200") == [other.json()["application_no"]]
    assert listed(client, FILER) == [filed]
    assert listed(client, STRANGER) == []
    assert listed(client, STRANGER, uscc=JIANGCHENG) == []
    bind(client, COLLEAGUE, JIANGCHENG)
    assert listed(client, COLLEAGUE) == [filed]  # of an entity it is bound to
    # Staff list everything; their sender_id filters by filer as before.
    assert filed in listed(client, None, headers=STAFF)
    assert listed(client, COLLEAGUE, headers=STAFF) == []


# --- racing submissions ---------------------------------------------------------------------------


def _race(client, path: str, body: dict[str, Any], keys: list[str]) -> list[Any]:
    def call(i: int) -> Any:
        return submit(client, path, body, key=keys[i])

    return parallel(len(keys), call)


@pytest.mark.parametrize(("path", "model"), [("objections", Objection), ("repairs", RepairApplication)])
def test_parallel_submissions_on_one_record_file_one(client, world, session, path, model):
    bind(client, FILER, JIANGCHENG)
    record_id = world.records["repairable"].id
    body = objection_body(FILER, record_id) if path == "objections" else repair_body(FILER, record_id)
    responses = _race(client, path, body, [uuid.uuid4().hex for _ in range(PARALLEL)])
    assert Counter(r.status_code for r in responses) == {201: 1, 409: PARALLEL - 1}, [r.text for r in responses]
    [created] = [r.json()["application_no"] for r in responses if r.status_code == 201]
    for r in responses:
        if r.status_code == 409:
            err = assert_error(r, 409, "DUPLICATE_APPLICATION", created, "正在办理")
            assert err["details"]["application_no"] == created
    assert count(session, model, model.record_id == record_id) == 1


@pytest.mark.parametrize("path", ["objections", "repairs"])
def test_parallel_retries_with_one_key_all_get_the_first_answer(client, world, session, path):
    bind(client, FILER, JIANGCHENG)
    record_id = world.records["repairable"].id
    body = objection_body(FILER, record_id) if path == "objections" else repair_body(FILER, record_id)
    responses = _race(client, path, body, ["same-key"] * PARALLEL)
    assert Counter(r.status_code for r in responses) == {201: 1, 200: PARALLEL - 1}, [r.text for r in responses]
    assert len({r.json()["application_no"] for r in responses}) == 1
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1


def test_a_closed_objection_frees_the_record(client, world, session):
    bind(client, FILER, JIANGCHENG)
    record_id = world.records["repairable"].id
    first = submit(client, "objections", objection_body(FILER, record_id)).json()["application_no"]
    assert_error(submit(client, "objections", objection_body(FILER, record_id)), 409, "DUPLICATE_APPLICATION")
    assert decide(client, first, "accept").status_code == 200
    assert decide(client, first, "uphold").status_code == 200
    fresh(session)
    assert session.scalars(select(Objection.is_open).where(Objection.record_id == record_id)).all() == [False]
    second = submit(client, "objections", objection_body(FILER, record_id))
    assert second.status_code == 201, second.text
    assert count(session, Objection, Objection.record_id == record_id, Objection.is_open.is_(True)) == 1


# --- one-time codes in the outbox -----------------------------------------------------------------


def test_the_assistant_still_marks_its_channel_notifications_delivered(client, filed, session):
    assert decide(client, filed, "accept").status_code == 200
    r = client.get(f"{API}/notifications", params={"channel": "tg"}, headers=ASSISTANT)
    [note] = r.json()["items"]
    assert client.post(f"{API}/notifications/{note['id']}/delivered", headers=ASSISTANT).status_code == 200
    otp = session.scalars(select(Notification).where(Notification.kind == "otp")).first()
    assert_error(client.post(f"{API}/notifications/{otp.id}/delivered", headers=ASSISTANT), 403, "FORBIDDEN")
    assert client.post(f"{API}/notifications/{otp.id}/delivered", headers=ADMIN).status_code == 200


# --- the public dev tokens ------------------------------------------------------------------------


def test_settings_refuse_dev_tokens_unless_demo():
    settings = Settings(_env_file=None, tokens_assistant="x", tokens_staff="a,dev-staff-token", tokens_admin="y")
    with pytest.raises(InsecureConfiguration, match="CREDIT_TOKENS_STAFF") as info:
        settings.check_safe()
    assert "CREDIT_DEMO=1" in str(info.value)
    Settings(_env_file=None, tokens_staff="dev-staff-token", demo=True).check_safe()
    Settings(_env_file=None, tokens_assistant="a", tokens_staff="b", tokens_admin="c").check_safe()


def _uvicorn(tmp_path: Path, **env: str | None) -> tuple[Process, str]:
    port = free_port()
    full = {**os.environ}
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    command = [sys.executable, "-m", "uvicorn", "credit_backend.main:app", "--host", "127.0.0.1", "--port", str(port)]
    return Process("backend", command, full, tmp_path).start(), f"http://127.0.0.1:{port}"


def test_uvicorn_refuses_to_start_with_dev_tokens(engine, tmp_path):
    proc, _ = _uvicorn(tmp_path, CREDIT_TOKENS_ADMIN="dev-admin-token", CREDIT_DEMO=None)
    try:
        assert proc.proc is not None
        returncode = proc.proc.wait(60)
    finally:
        proc.stop()
    assert returncode != 0
    assert "CREDIT_TOKENS_ADMIN" in proc.log() and "CREDIT_DEMO=1" in proc.log()


def test_demo_flag_allows_dev_tokens_and_limits_hold_across_processes(client, world, engine, tmp_path, session):
    """The same limit counted by this process and a separate uvicorn process on the same database."""
    proc, url = _uvicorn(tmp_path, CREDIT_TOKENS_STAFF="dev-staff-token", CREDIT_DEMO="1")
    try:
        proc.wait_healthy(f"{url}/healthz", 60)
        assert start(client, "tg:9601").status_code == 200
        assert start(client, "tg:9602").status_code == 200
        with httpx.Client(base_url=url, headers=ASSISTANT, timeout=30) as other:
            body = {"uscc": JIANGCHENG}
            assert other.post("/api/v1/bindings/start", json={**body, "sender_id": "tg:9603"}).status_code == 200
            r = other.post("/api/v1/bindings/start", json={**body, "sender_id": "tg:9604"})
            assert r.status_code == 429 and r.json()["error"]["code"] == "OTP_RATE_LIMITED"
        assert start(client, "tg:9605").status_code == 429
        throttles = httpx.get(f"{url}/api/v1/bindings/throttles", headers={"Authorization": "Bearer dev-staff-token"})
        assert throttles.status_code == 200 and throttles.json()["items"][0]["key"] == JIANGCHENG
    finally:
        proc.stop(signal.SIGTERM)
    wait_until(lambda: proc.proc is not None and proc.proc.poll() is not None, 30, "uvicorn to stop")


# --- the migration --------------------------------------------------------------------------------


def test_migration_0003_backfills_is_open_and_keeps_the_earliest_of_old_duplicates(client, world, session, engine):
    """Down to 0002, recreate what the old race left (two open objections on one record), back up to head."""
    bind(client, FILER, JIANGCHENG)
    repairable, licence = world.records["repairable"].id, world.records["licence"].id
    first = submit(client, "objections", objection_body(FILER, repairable)).json()["application_no"]
    closed = submit(client, "objections", objection_body(FILER, licence)).json()["application_no"]
    assert decide(client, closed, "reject_incomplete").status_code == 200
    fresh(session)
    session.close()
    migrate.downgrade(engine, "0002")
    try:
        with engine.begin() as conn:
            columns = (
                "kind, status, entity_id, sender_id, received_at, received_on, due_on, due_working_days, "
                "due_provisional, request_hash, updated_at"
            )
            conn.execute(
                text(
                    f"INSERT INTO applications (application_no, idempotency_key, {columns}) "
                    f"SELECT 'YY-20261126-0099', 'raced', {columns} FROM applications WHERE application_no = :no"
                ),
                {"no": first},
            )
            conn.execute(
                text(
                    "INSERT INTO objections (id, record_id, reason, requested_outcome, contact_phone, correct_due) "
                    "SELECT (SELECT id FROM applications WHERE application_no = 'YY-20261126-0099'), "
                    "record_id, reason, requested_outcome, contact_phone, correct_due FROM objections "
                    "WHERE id = (SELECT id FROM applications WHERE application_no = :no)"
                ),
                {"no": first},
            )
    finally:
        migrate.upgrade(engine)
    rows = session.execute(select(Objection.application_no, Objection.is_open).order_by(Objection.application_no)).all()
    assert rows == [(first, True), (closed, False), ("YY-20261126-0099", False)]
    # The index is back: a third open objection on the record is refused by the database too.
    assert_error(submit(client, "objections", objection_body(FILER, repairable)), 409, "DUPLICATE_APPLICATION")
