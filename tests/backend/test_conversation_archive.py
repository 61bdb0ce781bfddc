"""The conversation archive (issue 14): stream → SQL once, the derived messages, form runs and flags, the review
filters and analytics over HTTP and on the command line. Redis database 12 (a stream of its own per test).

A known set of ten scripted conversations (``archived``) is pushed into the stream and archived; every figure the
tests expect is counted from those scripts.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import redis
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from credit_backend import clock, db
from credit_backend.archive import flags as archive_flags
from credit_backend.archive import ingest
from credit_backend.archive.__main__ import main as archive_main
from credit_backend.models import (
    AuditEntry,
    Base,
    Conversation,
    ConversationEvent,
    ConversationForm,
    ConversationMessage,
)
from credit_backend.settings import get_settings
from tests.backend.conftest import ADMIN, STAFF
from tests.backend.console_helpers import ADMIN_PASSWORD, session_headers
from tests.backend.test_conversation_archive_scripts import Script, archiver, push, uscc_entity

# staff_accounts, light_hashing; red, stream
pytest_plugins = ["tests.backend.console_fixtures", "tests.backend.test_conversation_archive_scripts"]

API = "/api/v1"
NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)  # 14:00 in Beijing
CST = timezone(timedelta(hours=8))
USCC = "91220202MA0Y3K7Q6L"


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


# -- the known set ------------------------------------------------------------------------------------------


def scripts() -> dict[str, Script]:
    """Ten conversations of nine senders (tg:1003 has two sessions); see the module docstring."""
    a = Script("tg:1001", NOW - timedelta(hours=3)).session_start()
    # Repair, with the identity check in the middle; the first message is below the 0.7 confidence threshold.
    a.user("我想申请信用修复", [("apply_repair", 0.62), ("file_objection", 0.30)]).form_starts("repair_form", "uscc")
    a.user(USCC, [("inform", 0.98), ("query_credit", 0.01)], [uscc_entity(USCC)])
    a.action("repair_form").slot("uscc", USCC).slot("binding_needed", True).slot("pending_form", "repair_form")
    a.loop(None).slot("requested_slot", None).form_starts("binding_form", "otp_code")
    a.user("******", [("inform", 0.90), ("deny", 0.02)])
    a.action("binding_form").slot("otp_code", "bound").loop(None).slot("requested_slot", None)
    a.action("action_complete_binding").slot("binding_needed", False).slot("pending_form", "repair_form")
    a.form_starts("repair_form", "record_id")
    a.user("1", [("inform", 0.95), ("affirm", 0.03)]).action("repair_form").slot("requested_slot", "confirmed").listen()
    a.user("确认", [("affirm", 0.99), ("inform", 0.005)]).action("repair_form").slot("confirmed", True).loop(None)
    a.slot("requested_slot", None).action("action_submit_repair").bot("已受理").slot("pending_form", None).listen()

    b = Script("web:abc", NOW - timedelta(hours=2)).session_start()
    b.user("那个东西怎么弄", [("faq", 0.40), ("query_credit", 0.36)], fallback=0.55)
    b.action("action_clarify").bot("您是想咨询哪方面？").listen()
    b.user("信用修复要多久", [("faq", 0.93), ("apply_repair", 0.04)], faq=("faq/repair_time", 0.88))
    b.action("utter_faq").bot("一般……").listen()

    c = Script("wx:o1", NOW - timedelta(minutes=90)).session_start()
    c.user("查信用", [("query_credit", 0.97), ("request_credit_report", 0.02)]).form_starts("query_form", "uscc")
    c.user("取消", [("cancel", 0.99), ("deny", 0.005)]).action("action_deactivate_loop").loop(None)
    c.action("action_cancel").bot("已取消").listen()

    d = Script("staff:counter01", NOW - timedelta(minutes=80)).session_start()
    d.user("我要做信用承诺", [("make_commitment", 0.96), ("apply_repair", 0.03)])
    d.form_starts("commitment_form", "uscc")
    d.user("转人工", [("human_handoff", 0.99), ("help", 0.004)]).action("action_handoff").bot("已为您转接")
    d.action("action_deactivate_loop").loop(None).listen()

    e = Script("tg:1002", NOW - timedelta(minutes=70)).session_start()
    e.user("自愿注册信用信息", [("voluntary_registration", 0.95), ("make_commitment", 0.03)])
    e.form_starts("registration_form", "info_category")
    e.user("随便", [("inform", 0.85), ("out_of_scope", 0.05)]).action("registration_form")
    e.slot("failed_attempts", {"slot": "info_category", "count": 1}).bot("请选择").listen()
    e.user("不知道", [("inform", 0.80), ("deny", 0.10)]).action("registration_form").bot("请选择")
    e.bot("这里……您可以继续回答，也可以取消本次办理，或转人工服务。", ["继续", "取消", "转人工"])
    e.slot("failed_attempts", {"slot": "info_category", "count": 0}).listen()
    e.user("资质证照", [("inform", 0.97), ("faq", 0.01)]).action("registration_form").slot("failed_attempts", None)
    e.slot("requested_slot", "confirmed").listen()
    e.user("不对", [("deny", 0.96), ("affirm", 0.02)]).action("registration_form").slot("confirmed", False)
    e.loop(None).slot("requested_slot", None).action("action_submit_registration").bot("未提交").listen()

    f = Script("tg:1003", NOW - timedelta(hours=5)).session_start()
    f.user("查询", [("query_credit", 0.90), ("request_credit_report", 0.05)]).form_starts("query_form", "uscc")
    f.wait(3600).session_start().user("你好", [("greet", 0.99), ("thank", 0.003)]).action("utter_greet").listen()

    g = Script("web:idle", NOW - timedelta(hours=2)).session_start()
    g.user("开信用报告", [("request_credit_report", 0.93), ("query_credit", 0.05)]).form_starts("report_form", "uscc")

    h = Script("web:recent", NOW - timedelta(minutes=10)).session_start()
    h.user("开信用报告", [("request_credit_report", 0.93), ("query_credit", 0.05)]).form_starts("report_form", "uscc")

    i = Script("cli:dev", datetime(2026, 11, 27, 10, 0, tzinfo=CST)).session_start()
    i.user("查询信用", [("query_credit", 0.95), ("request_credit_report", 0.03)]).form_starts("query_form", "uscc")
    i.user(USCC, [("inform", 0.99), ("query_credit", 0.005)], [uscc_entity(USCC)]).action("query_form")
    i.slot("uscc", USCC).loop(None).slot("requested_slot", None).action("action_query_credit").bot("查询结果").listen()
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h, "I": i}


@pytest.fixture
def archived(session, red: redis.Redis, stream: str, pinned: datetime) -> dict[str, int]:
    """The known set, archived; name → conversation id (F1 and F2: the two sessions of tg:1003)."""
    s = scripts()
    push(red, stream, *s.values())
    archiver(red, stream).drain()
    ids: dict[str, int] = {}
    with db.get_sessionmaker()() as check:
        for name, script in s.items():
            rows = check.scalars(
                select(Conversation.id).where(Conversation.sender_id == script.sender).order_by(Conversation.id)
            ).all()
            if name == "F":
                ids["F1"], ids["F2"] = rows
            else:
                (ids[name],) = rows
    return ids


def count(model: type) -> int:
    with db.get_sessionmaker()() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# -- stream → SQL -------------------------------------------------------------------------------------------


def test_the_migration_matches_the_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "conversation" in repr(d)] == []


def test_events_land_once_even_when_consumed_twice(session, red: redis.Redis, stream: str):
    s = scripts()
    pushed = push(red, stream, s["A"], s["B"])
    worker = archiver(red, stream, batch=5)
    worker.ensure_group()
    first = red.xreadgroup("test-group", "test-consumer", {stream: ">"}, count=12)[0][1]
    # Stored but not acknowledged: a crash between the commit and the XACK.
    assert worker.handle(first, ack=False) == 12
    totals = archiver(red, stream, batch=5).drain()
    assert totals.duplicates == 12  # read again from the pending list, not stored again
    assert totals.stored == pushed - 12
    assert count(ConversationEvent) == pushed
    assert count(Conversation) == 2
    assert count(ConversationMessage) == 7  # A: 5 messages, B: 2
    assert red.xlen(stream) == 0  # acknowledged entries leave the stream
    assert red.xpending(stream, "test-group")["pending"] == 0
    # Consuming again finds nothing and changes nothing.
    assert archiver(red, stream).drain().stored == 0
    assert count(ConversationEvent) == pushed


def test_a_conversation_split_across_batches_is_derived_from_all_its_events(session, red, stream):
    s = scripts()
    push(red, stream, s["A"])
    archiver(red, stream, batch=3).drain()
    with db.get_sessionmaker()() as check:
        (run_repair, run_binding) = sorted(
            check.scalars(select(ConversationForm)).all(), key=lambda r: r.form, reverse=True
        )
        assert (run_repair.service, run_repair.outcome, run_repair.turns) == ("repair", "completed", 5)
        assert (run_binding.service, run_binding.outcome, run_binding.turns) == ("binding", "completed", 2)


def test_entries_that_are_not_events_are_skipped_and_acknowledged(session, red, stream):
    red.xadd(stream, {"sender": "tg:1", "event": "not json"})
    red.xadd(stream, {"something": "else"})
    push(red, stream, Script("tg:1", NOW).session_start().user("你好", [("greet", 0.99)]))
    totals = archiver(red, stream).drain()
    assert (totals.malformed, totals.stored) == (2, 4)
    assert red.xlen(stream) == 0


def test_predictions_are_kept_for_each_user_message(archived):
    with db.get_sessionmaker()() as s:
        rows = s.scalars(
            select(ConversationMessage).where(ConversationMessage.conversation_id.in_([archived["A"], archived["B"]]))
        )
        messages = {m.text: m for m in rows}
    unclear = messages["那个东西怎么弄"]
    assert (unclear.intent, unclear.confidence) == ("nlu_fallback", 0.55)
    assert (unclear.top_intent, unclear.top_confidence) == ("faq", 0.40)
    assert (unclear.second_intent, unclear.second_confidence) == ("query_credit", 0.36)
    assert unclear.margin == pytest.approx(0.04)
    assert unclear.fallback and unclear.actions == ["action_clarify"]
    assert unclear.channel == "web" and unclear.typed
    faq = messages["信用修复要多久"]
    assert (faq.faq_topic, faq.faq_confidence, faq.fallback) == ("faq/repair_time", 0.88, False)
    code = messages[USCC]
    assert code.entities[0]["entity"] == "uscc" and code.entities[0]["value"] == USCC
    assert code.form == "repair_form" and code.actions[:1] == ["repair_form"]
    assert [r["name"] for r in code.ranking] == ["inform", "query_credit"]
    started = messages["我想申请信用修复"]
    assert started.form is None and started.actions[0] == "repair_form"
    assert (started.at.astimezone(CST).hour, started.hour, str(started.day)) == (11, 11, "2026-11-29")


def test_flags_and_form_outcomes(archived, pinned):
    with db.get_sessionmaker()() as s:
        convs = {c.id: c for c in s.scalars(select(Conversation)).all()}
        runs = {(r.conversation_id, r.service): r for r in s.scalars(select(ConversationForm)).all()}
    c = {name: convs[i] for name, i in archived.items()}
    flagged = {
        flag: sorted(name for name, conv in c.items() if getattr(conv, flag))
        for flag in ("had_fallback", "had_handoff", "form_cancelled", "form_abandoned", "explained_after_failures")
    }
    assert flagged == {
        "had_fallback": ["B"],
        "had_handoff": ["D"],
        "form_cancelled": ["C"],
        "form_abandoned": ["F1"],  # a later session began; G is abandoned by idleness, at query time
        "explained_after_failures": ["E"],
    }
    assert {name: conv.open_form for name, conv in c.items() if conv.open_form} == {
        "G": "report_form",
        "H": "report_form",
    }
    assert {name: conv.channel for name, conv in c.items()} == {
        "A": "tg", "B": "web", "C": "wx", "D": "staff", "E": "tg", "F1": "tg", "F2": "tg", "G": "web", "H": "web", "I": "rest",
    }  # fmt: skip
    outcome = {
        (name, r.service): (r.outcome, r.turns)
        for name, conv in c.items()
        for (cid, _), r in runs.items()
        if cid == conv.id
    }
    assert outcome == {
        ("A", "repair"): ("completed", 5),
        ("A", "binding"): ("completed", 2),
        ("C", "query"): ("cancelled", 2),
        ("D", "commitment"): ("handed_off", 2),
        ("E", "registration"): ("declined", 5),
        ("F1", "query"): ("abandoned", 1),
        ("G", "report"): ("open", 1),
        ("H", "report"): ("open", 1),
        ("I", "query"): ("completed", 2),
    }
    assert (c["A"].turns, c["E"].turns, c["F2"].turns) == (5, 5, 1)


def test_flags_derive_a_stop_when_the_identity_check_fails():
    """A form waiting for the identity check ends as stopped when the check ends without handing back."""
    s = Script("tg:9", NOW).session_start()
    s.user("我要提异议", [("file_objection", 0.9)]).form_starts("objection_form", "uscc")
    s.user(USCC, [("inform", 0.98)]).action("objection_form").slot("binding_needed", True)
    s.slot("pending_form", "objection_form").loop(None).form_starts("binding_form", "otp_code")
    s.user("******", [("inform", 0.9)]).action("binding_form").slot("flow_stopped", True).loop(None)
    s.action("action_complete_binding").slot("pending_form", None).listen()
    derived = archive_flags.derive(s.events)
    assert [(r.service, r.outcome) for r in derived.runs] == [("objection", "stopped"), ("binding", "stopped")]
    assert derived.open_form is None


# -- review over HTTP ---------------------------------------------------------------------------------------


def listed(client, headers=ADMIN, **params) -> list[int]:
    r = client.get(f"{API}/conversations", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def names(archived: dict[str, int], ids: list[int]) -> list[str]:
    by_id = {i: n for n, i in archived.items()}
    return [by_id[i] for i in ids]


def test_review_filters(client, archived):
    assert names(archived, listed(client, fallback=True)) == ["B"]
    assert sorted(names(archived, listed(client, low_confidence=True))) == ["A", "B"]
    assert names(archived, listed(client, small_margin=True)) == ["B"]
    assert names(archived, listed(client, handoff=True)) == ["D"]
    assert names(archived, listed(client, cancelled=True)) == ["C"]
    assert sorted(names(archived, listed(client, abandoned=True))) == ["F1", "G"]
    assert names(archived, listed(client, explained=True)) == ["E"]
    assert sorted(names(archived, listed(client, channel="tg"))) == ["A", "E", "F1", "F2"]
    assert names(archived, listed(client, date_to="2026-11-28")) == ["I"]
    assert names(archived, listed(client, fallback=True, small_margin=True)) == ["B"]
    assert listed(client, fallback=True, handoff=True) == []
    # Latest first.
    assert names(archived, listed(client))[:2] == ["H", "E"]
    assert len(listed(client, date_from="2026-11-29")) == 9


def test_the_thresholds_are_settings(client, archived, monkeypatch):
    monkeypatch.setattr(get_settings(), "archive_low_confidence", 0.5)
    monkeypatch.setattr(get_settings(), "archive_small_margin", 0.01)
    assert names(archived, listed(client, low_confidence=True)) == ["B"]
    assert listed(client, small_margin=True) == []
    monkeypatch.setattr(get_settings(), "archive_abandon_hours", 3.0)  # G (2 hours idle) is not abandoned yet
    assert names(archived, listed(client, abandoned=True)) == ["F1"]


def test_one_conversation_with_each_message_and_its_prediction(client, archived, session):
    r = client.get(f"{API}/conversations/{archived['B']}", headers=ADMIN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sender_id"] == "web:abc" and body["had_fallback"] and body["turns"] == 2
    first, second = body["messages"]
    assert (first["intent"], first["top_intent"], first["second_intent"]) == ("nlu_fallback", "faq", "query_credit")
    assert first["fallback"] and first["low_confidence"] and first["small_margin"]
    assert not second["low_confidence"] and second["faq_topic"] == "faq/repair_time"
    assert [line["role"] for line in body["transcript"]] == ["user", "bot", "user", "bot"]
    assert body["transcript"][0]["message_id"] == first["id"] and body["transcript"][1]["message_id"] is None
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "view_conversation")).all()
    assert [(a.actor, a.target) for a in audit] == [("admin", f"conversation:{archived['B']}")]

    r = client.get(f"{API}/conversations/{archived['E']}", headers=ADMIN)
    explained = r.json()
    assert explained["explained_after_failures"]
    assert [line["buttons"] for line in explained["transcript"] if line["buttons"]] == [["继续", "取消", "转人工"]]
    assert [(f["service"], f["outcome"], f["label"]) for f in explained["forms"]] == [
        ("registration", "declined", "自愿注册")
    ]
    g = client.get(f"{API}/conversations/{archived['G']}", headers=ADMIN).json()
    assert g["form_abandoned"] and g["forms"][0]["outcome"] == "abandoned"


def test_marking_reviewed(client, archived, session):
    r = client.post(f"{API}/conversations/{archived['C']}/reviewed", headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["reviewed_by"] == "admin" and r.json()["reviewed_at"]
    assert archived["C"] not in listed(client, reviewed=False)
    assert listed(client, reviewed=True) == [archived["C"]]
    assert session.scalar(select(func.count()).where(AuditEntry.action == "review_conversation")) == 1
    missing = client.post(f"{API}/conversations/999999/reviewed", headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "CONVERSATION_NOT_FOUND"


def test_listing_is_audited_and_admins_only(client, archived, session, staff_accounts):
    listed(client, fallback=True, channel="web")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "view_conversations")).one()
    assert entry.details == {"fallback": True, "channel": "web", "count": 1}
    for path in ("/conversations", f"/conversations/{archived['A']}", "/analytics", "/analytics.csv"):
        r = client.get(f"{API}{path}", headers=STAFF)
        assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    counter = session_headers(client, "counter01")
    assert client.get(f"{API}/conversations", headers=counter).status_code == 403
    admin = session_headers(client, "admin01", ADMIN_PASSWORD)
    assert names(archived, listed(client, headers=admin, handoff=True)) == ["D"]
    actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "view_conversations")).all()
    assert "staff:admin01" in actors


def test_bad_filters_get_a_chinese_answer(client, archived):
    r = client.get(f"{API}/conversations", params={"date_from": "2026-11-30", "date_to": "2026-11-01"}, headers=ADMIN)
    assert r.status_code == 400 and "起始日期" in r.json()["error"]["message"]
    r = client.get(f"{API}/conversations", params={"channel": "fax"}, headers=ADMIN)
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"


# -- analytics ----------------------------------------------------------------------------------------------


def expected_figures() -> dict:
    """The figures counted from the scripts themselves."""
    s = scripts()
    users = [(name, e) for name, script in s.items() for e in script.events if e["event"] == "user"]
    hours: dict[int, int] = {}
    for _, e in users:
        hour = datetime.fromtimestamp(e["timestamp"], CST).hour
        hours[hour] = hours.get(hour, 0) + 1
    return {"messages": len(users), "hours": hours}


def test_analytics_figures(client, archived):
    r = client.get(f"{API}/analytics", headers=ADMIN)
    assert r.status_code == 200, r.text
    f = r.json()
    expected = expected_figures()
    assert f["conversations"] == 10 and f["messages"] == expected["messages"] == 22
    assert f["per_day"] == [
        {"day": "2026-11-27", "channel": "rest", "conversations": 1},
        {"day": "2026-11-29", "channel": "staff", "conversations": 1},
        {"day": "2026-11-29", "channel": "tg", "conversations": 4},
        {"day": "2026-11-29", "channel": "web", "conversations": 3},
        {"day": "2026-11-29", "channel": "wx", "conversations": 1},
    ]
    intents = {row["intent"]: row["messages"] for row in f["intents"]}
    assert intents["inform"] == 7 and intents["nlu_fallback"] == 1 and intents["query_credit"] == 3
    assert sum(intents.values()) == 22
    assert f["fallback"] == {
        "messages": 1,
        "nlu_fallback_messages": 1,
        "message_rate": round(1 / 22, 4),
        "conversations": 1,
        "conversation_rate": 0.1,
    }
    assert f["handoff"] == {"conversations": 1, "rate": 0.1}
    services = {row["service"]: row for row in f["services"]}
    assert [row["service"] for row in f["services"]][:6] == [
        "query",
        "registration",
        "commitment",
        "objection",
        "repair",
        "report",
    ]
    q = services["query"]
    assert (q["started"], q["completed"], q["cancelled"], q["abandoned"], q["median_turns_to_complete"]) == (
        3,
        1,
        1,
        1,
        2.0,
    )
    assert (services["repair"]["completed"], services["repair"]["median_turns_to_complete"]) == (1, 5.0)
    assert (services["registration"]["declined"], services["commitment"]["handed_off"]) == (1, 1)
    rep = services["report"]
    assert (rep["started"], rep["abandoned"], rep["open"], rep["median_turns_to_complete"]) == (2, 1, 1, None)
    assert services["objection"]["started"] == 0
    assert {h["hour"]: h["messages"] for h in f["hours"] if h["messages"]} == expected["hours"]

    one_day = client.get(f"{API}/analytics", params={"date_to": "2026-11-28"}, headers=ADMIN).json()
    assert (one_day["conversations"], one_day["messages"]) == (1, 2)
    assert {row["service"]: row["completed"] for row in one_day["services"]}["query"] == 1
    tg = client.get(f"{API}/analytics", params={"channel": "tg"}, headers=ADMIN).json()
    assert (tg["conversations"], tg["messages"]) == (4, 5 + 5 + 1 + 1)


def test_analytics_csv_and_the_stats_command_print_the_same_figures(client, archived, capsys, tmp_path):
    r = client.get(f"{API}/analytics.csv", headers=ADMIN)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["概况"] and rows[2][2:4] == ["10", "22"]
    assert ["信用查询", "3", "1", "0", "0", "1", "0", "1", "0", "2.0"] in rows

    assert archive_main(["stats", "--csv", str(tmp_path / "a.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == r.content
    assert archive_main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "会话 10 段，用户消息 22 条" in out and "转人工会话 1 段（10.0%）" in out


def test_the_review_command(archived, capsys, session):
    assert archive_main(["review", "--explained"]) == 0
    out = capsys.readouterr().out
    assert "共 1 段会话符合条件" in out and "tg:1002" in out and "两次失败后解释" in out
    assert archive_main(["review", "--show", str(archived["B"])]) == 0
    out = capsys.readouterr().out
    assert "「那个东西怎么弄」 → nlu_fallback（最佳 faq 0.40，次选 query_credit 0.36）" in out and "[差距小]" in out
    assert archive_main(["review", "--show", "999999"]) == 1
    assert "没有找到这段会话" in capsys.readouterr().err
    actors = set(session.scalars(select(AuditEntry.actor).where(AuditEntry.action.like("view_conversation%"))))
    assert len(actors) == 1 and next(iter(actors)).startswith("host:")


def test_flags_derive_a_stopped_submission_and_a_restart():
    s = Script("tg:8", NOW).session_start()
    s.user("申请信用修复", [("apply_repair", 0.9)]).form_starts("repair_form", "uscc")
    s.user(USCC, [("inform", 0.98)]).action("repair_form").slot("flow_stopped", True).loop(None)
    s.slot("requested_slot", None).action("action_submit_repair").slot("flow_stopped", False).listen()
    s.user("查询", [("query_credit", 0.9)]).form_starts("query_form", "uscc")
    s.user("/restart", [("restart", 1.0)]).action("action_restart")._add({"event": "restart"})
    derived = archive_flags.derive(s.events)
    assert [(r.service, r.outcome, r.turns) for r in derived.runs] == [
        ("repair", "stopped", 2),
        ("query", "abandoned", 2),
    ]
    assert derived.form_abandoned and derived.open_form is None
    assert [m.prediction.typed for m in derived.messages] == [True, True, True, False]


def test_an_entry_deleted_while_pending_is_skipped():
    assert ingest.decode("1-0", None) is None and ingest.decode("1-0", {}) is None
    assert ingest.decode("nonsense", {"sender": "tg:1", "event": '{"event": "action"}'}) is None
    entry = ingest.decode(b"17-3", {b"sender": b"tg:1", b"event": b'{"event": "action", "name": "x"}'})
    assert entry is not None and entry.position == (17, 3) and entry.sender_id == "tg:1"


def test_a_query_answered_in_one_step_is_a_completed_run_of_one_turn():
    s = Script("web:one", NOW).session_start()
    s.user(f"查一下{USCC}", [("query_credit", 0.97)], [uscc_entity(USCC)]).action("action_query_credit").listen()
    s.user("开报告", [("request_credit_report", 0.95)]).form_starts("report_form", "uscc")
    s.user(USCC, [("inform", 0.99)]).action("report_form").loop(None).slot("requested_slot", None)
    s.action("action_credit_report").listen()
    derived = archive_flags.derive(s.events)
    assert [(r.service, r.outcome, r.turns) for r in derived.runs] == [
        ("query", "completed", 1),
        ("report", "completed", 2),
    ]
