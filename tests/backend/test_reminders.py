"""Daily reminder jobs and 信用提醒 subscriptions (issue 12 "Add"), pinned days, SQLite and PostgreSQL.

Sources: seed plan items 9 (信用提醒) and 16 (风险预警): a subscribed, bound business is told once each that a
new negative record was published, that a record became repairable (令2025年第36号 minimum periods), that a
commitment is due, and that a publicity period ended; seed item 1 / 吉市信用办发〔2020〕3号: 容缺受理 materials
are due by the promised date, a reminder comes three working days before (CREDIT_DOMAIN.md 4.1), and a
commitment not fulfilled by then is 未履约 (the commitment machine's breach, recorded as 失信信息).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import chinese_calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_backend.jobs import daily, send_reminders
from credit_backend.jobs.reminders import queue
from credit_backend.models import (
    Binding,
    Commitment,
    CreditRecord,
    Entity,
    Notification,
    Registration,
    ReminderSent,
    Subscription,
)
from credit_backend.policy.loader import load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.appno import format_application_no
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
from credit_backend.services import subscriptions

ASSISTANT = {"Authorization": "Bearer test-assistant"}
SENDER = "tg:4242"
FAR = datetime(2099, 1, 1, tzinfo=timezone.utc)


def _entity(session: Session, n: int = 1) -> Entity:
    e = Entity(
        uscc="91220202MA0Y3K7Q6L",  # valid (api_helpers.JIANGCHENG)
        name=f"吉林市提醒{n}号有限公司",
        short_name=f"提醒{n}",
        entity_type="企业",
        region_code="220202",
        legal_representative="王建国",
        contact_phone=f"139432188{n:02d}",
    )
    session.add(e)
    session.flush()
    return e


def _bind_and_subscribe(session: Session, e: Entity, sender: str = SENDER) -> None:
    session.add(Binding(sender_id=sender, entity_id=e.id, bound_until=FAR))
    session.commit()
    subscriptions.subscribe(session, sender, e.uscc, "assistant")


def _rongque(session: Session, e: Entity, due: date, received: date, seq: int = 1, sender: str = SENDER) -> Commitment:
    app = Commitment(
        application_no=format_application_no("CN", received, seq),
        status="in_force",
        entity_id=e.id,
        sender_id=sender,
        received_on=received,
        idempotency_key=f"k{seq}",
        request_hash="0" * 64,
        commitment_type="容缺受理型",
        matter="食品经营许可",
        text_items=["按期补齐材料"],
        missing_materials="卫生设施平面图",
        materials_due=due,
        due_on=due,
        department=load_policy().departments.credit_centre,
    )
    session.add(app)
    session.commit()
    return app


def _reminders(session: Session, kind: str, recipient: str | None = None) -> list[Notification]:
    session.expire_all()
    q = select(Notification).join(ReminderSent, ReminderSent.notification_id == Notification.id)
    q = q.where(ReminderSent.kind == kind)
    if recipient:
        q = q.where(Notification.recipient == recipient)
    return list(session.scalars(q))


def _days(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def test_rongque_reminder_exactly_three_working_days_before_over_national_day(session: Session) -> None:
    """吉市信用办发〔2020〕3号 容缺受理: materials due 2026-10-09; 国庆 2026-10-01..07 are not working days
    (国办发明电〔2025〕7号), so the three working days before are 09-30, 10-08, 10-09: the reminder comes on
    2026-09-29, not earlier, once, to the filer and to a subscriber, across repeated and consecutive runs."""
    assert all(chinese_calendar.is_holiday(date(2026, 10, d)) for d in range(1, 8))
    e = _entity(session)
    _bind_and_subscribe(session, e, "tg:777")
    app = _rongque(session, e, due=date(2026, 10, 9), received=date(2026, 9, 10))
    for day in _days(date(2026, 9, 20), date(2026, 9, 28)):
        send_reminders(session, day)
    assert _reminders(session, "commitment_due") == []
    send_reminders(session, date(2026, 9, 29))
    send_reminders(session, date(2026, 9, 29))
    for day in _days(date(2026, 9, 30), date(2026, 10, 9)):
        send_reminders(session, day)
    filer = _reminders(session, "commitment_due", SENDER)
    sub = _reminders(session, "commitment_due", "tg:777")
    assert len(filer) == 1 and len(sub) == 1
    assert filer[0].channel == "tg" and filer[0].kind == "reminder"
    assert "2026年10月9日" in filer[0].body and app.application_no in filer[0].body
    session.refresh(app)
    assert app.status == "in_force"


def test_overdue_rongque_commitment_is_breached_once(session: Session) -> None:
    """Seed item 1 (践诺情况记入信用档案): materials not supplied by the due date → 未履约, applied by the job
    the day after, once: one breach event, one 失信 record (其他, 一般), audited as jobs.daily."""
    e = _entity(session)
    app = _rongque(session, e, due=date(2026, 11, 20), received=date(2026, 11, 2))
    send_reminders(session, date(2026, 11, 20))
    session.refresh(app)
    assert app.status == "in_force"
    for _ in range(2):
        run = send_reminders(session, date(2026, 11, 23))
    send_reminders(session, date(2026, 11, 24))
    session.expire_all()
    app = session.get(Commitment, app.id)
    assert app.status == "breached" and run.breaches == 0
    assert [ev.action for ev in app.events] == ["breach"] and app.events[0].actor == "jobs.daily"
    breaches = session.scalars(select(CreditRecord).where(CreditRecord.entity_id == e.id)).all()
    assert len(breaches) == 1 and breaches[0].category == vocabulary.OTHER and breaches[0].is_negative
    decisions = session.scalars(select(Notification).where(Notification.kind == "decision")).all()
    assert len(decisions) == 1 and decisions[0].recipient == SENDER


def test_staff_deadline_notifications_once_per_stage(session: Session) -> None:
    """Issue 12 (deadlines approaching for staff): within 2 working days of the deadline → one notice on
    channel staff; past it → one more; reruns and later days add nothing."""
    e = _entity(session)
    session.add(
        Registration(
            application_no=format_application_no("ZC", date(2026, 11, 2), 1),
            status="submitted",
            entity_id=e.id,
            sender_id=SENDER,
            received_on=date(2026, 11, 2),
            idempotency_key="r1",
            request_hash="0" * 64,
            category="合同履约",
            fields={},
            truthful=True,
            due_on=date(2026, 11, 20),  # a Friday
            department=load_policy().departments.credit_centre,
        )
    )
    session.commit()
    send_reminders(session, date(2026, 11, 17))  # Tue: 3 working days left
    assert _reminders(session, "staff_deadline") == []
    for day in (date(2026, 11, 18), date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)):
        send_reminders(session, day)
    notes = _reminders(session, "staff_deadline")
    assert len(notes) == 1 and notes[0].channel == "staff" and notes[0].payload["stage"] == "approaching"
    for day in (date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 24)):
        send_reminders(session, day)
    stages = sorted(n.payload["stage"] for n in _reminders(session, "staff_deadline"))
    assert stages == ["approaching", "overdue"]


def test_subscriber_told_once_each_and_nothing_after_unsubscribing(session: Session) -> None:
    """Seed items 9/16: a new negative record published (风险预警), repairable after the 36号令 minimum of
    3个月 for 一般 失信信息 with the date and how to apply, publicity ended after the 1年 maximum — each once
    across two runs a day and a year of days; after 退订, none."""
    e = _entity(session)
    _bind_and_subscribe(session, e)
    record = CreditRecord(
        entity_id=e.id,
        category="行政处罚",
        title="未按规定公示年度报告",
        authority="吉林市生态环境局",
        decision_date=date(2026, 1, 5),
        severity="一般",
    )
    session.add(record)
    session.commit()
    for day in _days(date(2026, 1, 6), date(2027, 1, 31)):
        daily(session, day)
        if day in (date(2026, 1, 6), date(2026, 4, 7), date(2027, 1, 6)):
            daily(session, day)
    published = _reminders(session, "record_published")
    repairable = _reminders(session, "repairable")
    ended = _reminders(session, "publicity_ended")
    assert (len(published), len(repairable), len(ended)) == (1, 1, 1)
    assert "自2026年4月5日起可以申请信用修复" in repairable[0].body
    assert "信用修复" in repairable[0].body
    assert all(n.channel == "tg" and n.recipient == SENDER for n in published + repairable + ended)

    subscriptions.unsubscribe(session, SENDER, e.uscc, "assistant")
    second = CreditRecord(
        entity_id=e.id,
        category="行政处罚",
        title="未按规定办理变更登记",
        authority="吉林市生态环境局",
        decision_date=date(2027, 2, 1),
        severity="一般",
    )
    session.add(second)
    session.commit()
    daily(session, date(2027, 2, 2))
    assert len(_reminders(session, "record_published")) == 1


def test_subscription_api_requires_a_binding(client, session: Session) -> None:
    """Seed item 9: reminders only for a sender proven to represent the entity (identity binding)."""
    e = _entity(session)
    session.commit()
    body = {"sender_id": SENDER, "uscc": e.uscc}
    r = client.post("/api/v1/subscriptions", json=body, headers=ASSISTANT)
    assert r.status_code == 403 and "BINDING_REQUIRED" in r.text
    session.add(Binding(sender_id=SENDER, entity_id=e.id, bound_until=FAR))
    session.commit()
    assert client.post("/api/v1/subscriptions", json=body, headers=ASSISTANT).status_code == 201
    assert client.post("/api/v1/subscriptions", json=body, headers=ASSISTANT).status_code == 200
    items = client.get("/api/v1/subscriptions", params={"sender_id": SENDER}, headers=ASSISTANT).json()["items"]
    assert [i["uscc"] for i in items] == [e.uscc]
    r = client.delete(f"/api/v1/subscriptions/{e.uscc}", params={"sender_id": SENDER}, headers=ASSISTANT)
    assert r.status_code == 204
    assert session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_default_rongque_due_date_is_marked_unverified(session: Session) -> None:
    """Issue 12 fix 1: the default 容缺 due date (policy.yaml rongque_materials_due, verified: false) is
    labelled unconfirmed wherever it is stated, the reminder too."""
    rule = load_policy().commitments.rongque_materials_due
    e = _entity(session)
    app = _rongque(session, e, due=date(2026, 12, 24), received=date(2026, 11, 25))
    app.due_working_days = rule.working_days
    session.commit()
    send_reminders(session, date(2026, 12, 21))
    (note,) = _reminders(session, "commitment_due")
    assert (UNVERIFIED_NOTE in note.body) is (not rule.verified)


def test_the_unique_key_stops_a_concurrent_run(session: Session, engine) -> None:
    """Issue 12 (each reminder exactly once): two runs that both decided to send the same reminder — the
    second insert hits the unique key in the database and queues nothing."""
    other = Session(engine)
    try:
        assert other.scalar(select(func.count()).select_from(ReminderSent)) == 0  # both runs start
        assert queue(session, "test:tg:1:x", "test", "tg:1", "提醒")
        session.commit()
        assert not queue(other, "test:tg:1:x", "test", "tg:1", "提醒")
        other.commit()
    finally:
        other.close()
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
