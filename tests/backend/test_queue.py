"""The staff work queue: open applications of every kind, soonest deadline first, with working days left
from the backend's calendar, overdue and due-soon marks, filters and server paging (pinned days)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text

from credit_backend import migrate
from credit_backend.rules.departments import deciding_department
from credit_backend.services.queue import deadline_marks
from tests.backend.api_helpers import API, JIANGCHENG, OBJECTING, assert_error, decide
from tests.backend.conftest import ASSISTANT, STAFF
from tests.backend.console_cases import (
    CENTRE,
    bound,
    file_commitment,
    file_objection,
    file_registration,
    file_repair,
    pinned_day,
)

SENDER = "tg:7101"
ENVIRONMENT = "吉林市生态环境局"
MARKET = "吉林市市场监督管理局"


@pytest.fixture
def pin_day(monkeypatch):
    yield from pinned_day(monkeypatch)


def queue(client, **params):
    r = client.get(f"{API}/queue", params=params, headers=STAFF)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def four_open(client, world, pin_day):
    """A registration filed 2 Nov (due 16 Nov), an objection 20 Nov (due 11 Dec), a repair 25 Nov (due 30 Nov),
    a commitment without a deadline and one decided registration; the queue is read on Thu 26 Nov 2026."""
    pin_day(date(2026, 11, 2))
    bound(client, SENDER, JIANGCHENG, OBJECTING)
    registration = file_registration(client, SENDER)
    decided = file_registration(client, SENDER)
    assert decide(client, decided, "verify", "核验无误").status_code == 200
    pin_day(date(2026, 11, 20))
    objection = file_objection(client, SENDER, world.records["objected"].id, OBJECTING)
    pin_day(date(2026, 11, 25))
    repair = file_repair(client, SENDER, world.records["repairable"].id)
    commitment = file_commitment(client, SENDER)
    pin_day(date(2026, 11, 26))
    return {"registration": registration, "objection": objection, "repair": repair, "commitment": commitment}


def test_open_applications_soonest_deadline_first_none_last(client, four_open):
    page = queue(client)
    assert [i["application_no"] for i in page["items"]] == [
        four_open["registration"],
        four_open["repair"],
        four_open["objection"],
        four_open["commitment"],
    ]
    assert page["total"] == 4 and page["pages"] == 1 and page["page"] == 1 and page["per_page"] == 50
    registration, repair, objection, commitment = page["items"]

    # 16 Nov is 8 working days before Thu 26 Nov (17-20, 23-26 Nov).
    assert registration["due_on"] == "2026-11-16"
    assert registration["overdue"] is True and registration["due_soon"] is False
    assert registration["working_days_left"] == -8
    assert registration["deadline_text"] == "已超期8个工作日"
    assert registration["kind_label"] == "信用信息自愿注册" and registration["status_label"] == "待核验"
    assert registration["entity_name"] == "吉林市江城建材有限公司" and registration["uscc"] == JIANGCHENG

    # Mon 30 Nov: Fri 27 and Mon 30 are left.
    assert repair["due_on"] == "2026-11-30"
    assert (repair["working_days_left"], repair["overdue"], repair["due_soon"]) == (2, False, True)
    assert repair["deadline_text"] == "2026年11月30日（剩余2个工作日）"
    assert repair["deadline_unverified"] is True  # policy.yaml's acceptance limit is not verified

    assert objection["due_on"] == "2026-12-11"
    assert (objection["working_days_left"], objection["overdue"], objection["due_soon"]) == (11, False, False)
    assert objection["deadline_text"] == "2026年12月11日（剩余11个工作日）"

    assert commitment["due_on"] is None and commitment["working_days_left"] is None
    assert commitment["deadline_text"] == "无办理时限"
    assert (commitment["overdue"], commitment["due_soon"]) == (False, False)


def test_departments_follow_the_record_or_the_credit_centre(client, four_open):
    page = queue(client)
    by_no = {i["application_no"]: i["department"] for i in page["items"]}
    assert by_no[four_open["objection"]] == MARKET  # the authority that made the objected record
    assert by_no[four_open["repair"]] == ENVIRONMENT
    assert by_no[four_open["registration"]] == CENTRE
    assert by_no[four_open["commitment"]] == CENTRE
    assert page["departments"] == sorted({CENTRE, MARKET, ENVIRONMENT})


def test_filters(client, four_open):
    assert [i["application_no"] for i in queue(client, kind="objection")["items"]] == [four_open["objection"]]
    overdue = queue(client, overdue="true")
    assert [i["application_no"] for i in overdue["items"]] == [four_open["registration"]]
    assert overdue["total"] == 1
    assert queue(client, overdue="false")["total"] == 3
    centre = queue(client, department=CENTRE)
    assert {i["application_no"] for i in centre["items"]} == {four_open["registration"], four_open["commitment"]}
    assert centre["departments"] == sorted({CENTRE, MARKET, ENVIRONMENT})  # the filter still offers them all
    submitted = queue(client, status="submitted")
    assert {i["kind"] for i in submitted["items"]} == {"registration", "objection", "repair"}
    assert queue(client, kind="repair", department=CENTRE)["total"] == 0
    kinds = {k["value"]: k["label"] for k in queue(client)["kinds"]}
    assert kinds["objection"] == "异议申请"
    statuses = {(s["kind"], s["value"]): s["label"] for s in queue(client)["statuses"]}
    assert statuses[("objection", "under_verification")] == "核查中"
    assert ("objection", "upheld") not in statuses  # a closed state is never in the queue


def test_a_decision_moves_it_along_or_out_of_the_queue(client, four_open):
    assert decide(client, four_open["objection"], "accept", "受理").status_code == 200
    item = next(i for i in queue(client)["items"] if i["application_no"] == four_open["objection"])
    assert item["status_label"] == "核查中"
    assert decide(client, four_open["objection"], "uphold", "核实无误").status_code == 200
    assert four_open["objection"] not in {i["application_no"] for i in queue(client)["items"]}
    assert queue(client)["total"] == 3


def test_paging_on_the_server(client, four_open):
    first = queue(client, per_page=3)
    second = queue(client, per_page=3, page=2)
    assert (first["total"], first["pages"], len(first["items"])) == (4, 2, 3)
    assert [i["application_no"] for i in second["items"]] == [four_open["commitment"]]
    assert queue(client, per_page=3, page=3)["items"] == []


def test_bad_filters_are_refused_in_chinese(client, world):
    assert_error(
        client.get(f"{API}/queue", params={"kind": "loan"}, headers=STAFF), 400, "VALIDATION_ERROR", "申请类型"
    )
    assert_error(
        client.get(f"{API}/queue", params={"status": "upheld"}, headers=STAFF), 400, "VALIDATION_ERROR", "待办"
    )
    r = client.get(f"{API}/queue", params={"per_page": 1000}, headers=STAFF)
    assert_error(r, 400, "VALIDATION_ERROR", "每页条数")
    assert_error(client.get(f"{API}/queue", headers=ASSISTANT), 403, "FORBIDDEN")


def test_working_days_across_the_national_day_holiday(client, world, pin_day):
    """A repair filed Tue 29 Sep 2026 is due Fri 9 Oct (3 working days: 30 Sep, 8 and 9 Oct)."""
    pin_day(date(2026, 9, 29))
    bound(client, SENDER, JIANGCHENG)
    repair = file_repair(client, SENDER, world.records["repairable"].id)
    pin_day(date(2026, 9, 30))
    item = queue(client)["items"][0]
    assert item["application_no"] == repair and item["due_on"] == "2026-10-09"
    # Nine calendar days away, but only 8 and 9 Oct are working days: due soon.
    assert (item["working_days_left"], item["due_soon"]) == (2, True)
    assert item["deadline_text"] == "2026年10月9日（剩余2个工作日）"
    # Mon 12 Oct: the make-up working Saturday 10 Oct counts, so it is two working days late.
    pin_day(date(2026, 10, 12))
    item = queue(client)["items"][0]
    assert (item["working_days_left"], item["overdue"], item["deadline_text"]) == (-2, True, "已超期2个工作日")


def test_deadline_marks_on_the_day_and_after_a_weekend():
    assert deadline_marks(date(2026, 11, 26), date(2026, 11, 26)) == {
        "working_days_left": 0,
        "overdue": False,
        "due_soon": True,
        "deadline_text": "2026年11月26日（今天到期）",
    }
    # Due Fri 27 Nov, read on Sun 29 Nov: late, but no working day has passed yet.
    late = deadline_marks(date(2026, 11, 27), date(2026, 11, 29))
    assert (late["overdue"], late["working_days_left"]) == (True, 0)
    assert late["deadline_text"] == "已超期（应于2026年11月27日前办结）"


def test_deciding_department_rule():
    assert deciding_department("objection", MARKET, "行政处罚", CENTRE) == MARKET
    assert deciding_department("repair", ENVIRONMENT, "行政处罚", CENTRE) == ENVIRONMENT
    assert deciding_department("registration", None, None, CENTRE) == CENTRE
    # A commitment's own publication (信用承诺 section) is no department's record.
    assert deciding_department("commitment", "信用中国（吉林市）", "信用承诺", CENTRE) == CENTRE
    assert deciding_department("commitment", ENVIRONMENT, "行政处罚", CENTRE) == ENVIRONMENT


def test_migration_fills_department_and_queue_flag_of_existing_applications(tmp_path):
    """Rows filed before migration 0008 get the department and the open flag the rules give them."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO entities (id, uscc, name, entity_type, region_code, legal_representative,"
                " contact_phone, status, created_at) VALUES (1, :u, '吉林市江城建材有限公司', '企业', '220202',"
                " '王建国', '13943210001', '存续', '2026-01-01')"
            ),
            {"u": JIANGCHENG},
        )
        for rid, category, authority in ((1, "行政处罚", MARKET), (2, "信用承诺", "信用中国（吉林市）")):
            conn.execute(
                text(
                    "INSERT INTO credit_records (id, entity_id, category, title, authority, decision_date, status,"
                    " under_objection, obligations_fulfilled, legally_non_repairable, created_at) VALUES "
                    "(:id, 1, :c, 't', :a, '2026-06-01', 'active', 0, 0, 0, '2026-06-01')"
                ),
                {"id": rid, "c": category, "a": authority},
            )
        rows = ((1, "objection", "under_verification"), (2, "commitment", "in_force"), (3, "registration", "verified"))
        for aid, kind, status in rows:
            conn.execute(
                text(
                    "INSERT INTO applications (id, application_no, kind, status, entity_id, sender_id, received_at,"
                    " received_on, due_provisional, idempotency_key, request_hash, updated_at) VALUES "
                    "(:id, :no, :k, :s, 1, 'tg:1', '2026-11-01', '2026-11-01', 0, :no, 'h', '2026-11-01')"
                ),
                {"id": aid, "no": f"YY-20261101-000{aid}", "k": kind, "s": status},
            )
        conn.execute(text("INSERT INTO objections (id, record_id, reason, is_open) VALUES (1, 1, 'r', 1)"))
        conn.execute(
            text(
                "INSERT INTO commitments (id, commitment_type, matter, text_items, record_id) "
                "VALUES (2, '主动型', 'm', '[]', 2)"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        got = dict(
            (row.id, (row.department, bool(row.in_queue)))
            for row in conn.execute(text("SELECT id, department, in_queue FROM applications"))
        )
    assert got == {1: (MARKET, True), 2: (CENTRE, True), 3: (CENTRE, False)}
    engine.dispose()
