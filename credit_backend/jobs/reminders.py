"""Daily reminder jobs (issue 12 "Add"): 容缺 material due dates, breaches, staff deadlines, 信用提醒.

- **容缺受理 materials due** (吉市信用办发〔2020〕3号; policy.yaml ``commitments.rongque_materials_due``):
  the filer — and every subscriber of the entity — is reminded three working days before the due date
  (``policy.calendar``, the first daily run on or after that day); once the due date has passed with the
  commitment still 履约中, the job applies the commitment machine's ``breach`` (认定未履约), the same
  decision staff can take: the breach is recorded as 其他失信信息 and the grade recomputed (seed item 1),
  audited with actor ``jobs.daily``.
- **Staff deadlines**: an open application (objection, repair, registration) whose handling deadline is
  within two working days, or past, gets one notification on channel ``staff`` (recipient ``staff``) per
  application, status, deadline and stage (``approaching`` / ``overdue``).
- **信用提醒 / 风险预警** (seed items 9 and 16) to subscribers (``subscriptions``, still bound): a new
  negative record about the entity was published; a record of it has become repairable (date and how to
  apply, ``services.repair.eligibility``); a commitment is due (above); a publicity period has ended
  (the records ``end_publicity`` ended).

Every reminder is queued in the outbox (channel = the recipient's namespace, ``tg:1`` → ``tg``) together
with a ``reminders_sent`` row whose unique key names recipient and subject, in one savepoint: a second run,
or a concurrent one, hits the key and queues nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.models import (
    Application,
    Binding,
    Commitment,
    CreditRecord,
    Notification,
    ReminderSent,
    Subscription,
)
from credit_backend.policy.calendar import default_calendar
from credit_backend.rules.periods import format_cn_date
from credit_backend.services import applications, repair
from credit_backend.services.commitment import HANDLER as COMMITMENTS
from credit_backend.services.commitment import RONGQUE
from credit_backend.services.common import channel_of, unverified_note

__all__ = ["COMMITMENT_NOTICE_DAYS", "STAFF", "STAFF_NOTICE_DAYS", "ReminderRun", "send_reminders"]

COMMITMENT_NOTICE_DAYS = 3  # issue 12: reminder three working days before the 容缺 materials are due
STAFF_NOTICE_DAYS = 2  # issue 12: staff are told when a deadline is within two working days
STAFF = "staff"  # recipient and channel of staff notifications (the console reads channel=staff)
ROLE = "system"
ACTOR = "jobs.daily"
HOW_TO_REPAIR = "可在本助手中发送“信用修复”，或通过信用中国（吉林市）网站提交信用修复申请"


@dataclass
class ReminderRun:
    day: date
    commitment_due: int = 0
    breaches: int = 0
    staff_deadlines: int = 0
    record_published: int = 0
    repairable: int = 0
    publicity_ended: int = 0

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


def queue(
    session: Session, key: str, kind: str, recipient: str, body: str, channel: str | None = None, **payload: Any
) -> bool:
    """Queue one reminder unless its key was queued before (by this or any other run). True if queued."""
    try:
        with session.begin_nested():
            note = Notification(
                channel=channel or channel_of(recipient),
                recipient=recipient,
                kind="reminder",
                body=body,
                payload=payload,
            )
            session.add(note)
            session.flush()
            session.add(ReminderSent(key=key, kind=kind, recipient=recipient, notification_id=note.id))
            session.flush()
    except IntegrityError:
        return False
    return True


def _subscribers(session: Session, entity_id: int) -> list[Subscription]:
    """Subscribers of the entity whose binding is still in force (reminders go to bound senders only)."""
    now = clock.now()
    return list(
        session.scalars(
            select(Subscription)
            .join(
                Binding, (Binding.sender_id == Subscription.sender_id) & (Binding.entity_id == Subscription.entity_id)
            )
            .where(Subscription.entity_id == entity_id, Binding.bound_until > now)
            .order_by(Subscription.id)
        )
    )


def _commitments(session: Session, today: date, run: ReminderRun) -> None:
    calendar = default_calendar()
    due_apps = session.scalars(
        select(Commitment)
        .where(
            Commitment.status == "in_force",
            Commitment.commitment_type == RONGQUE,
            Commitment.materials_due.is_not(None),
        )
        .order_by(Commitment.id)
    ).all()
    for app in due_apps:
        due = app.materials_due
        assert due is not None
        if today > due:
            note = f"容缺受理材料应于{format_cn_date(due)}前补齐，逾期未补齐，按承诺认定未履约（每日任务自动认定）"
            applications.decide(session, app.application_no, "breach", note, ACTOR, ROLE, today=today)
            run.breaches += 1
            continue
        if calendar.working_days_between(today, due) > COMMITMENT_NOTICE_DAYS:
            continue
        body = (
            f"信用承诺提醒：{app.entity.name}的容缺受理型信用承诺（{app.application_no}，{app.matter}）"
            f"所缺材料（{app.missing_materials}）应于{format_cn_date(due)}前补齐。逾期未补齐的，将认定为未履约，"
            "记入信用档案。"
        )
        rule = COMMITMENTS.deadline_rule(app)  # the default due date rests on a policy.yaml value
        if rule is not None:
            body += unverified_note(rule.verified)
        recipients = [app.sender_id] + [s.sender_id for s in _subscribers(session, app.entity_id)]
        for recipient in dict.fromkeys(recipients):
            if queue(
                session,
                f"commitment_due:{recipient}:{app.application_no}",
                "commitment_due",
                recipient,
                body,
                application_no=app.application_no,
                due=due.isoformat(),
            ):
                run.commitment_due += 1
    session.commit()


def _staff_deadlines(session: Session, today: date, run: ReminderRun) -> None:
    calendar = default_calendar()
    rows = session.scalars(
        select(Application)
        .where(Application.due_on.is_not(None), Application.kind != "commitment")
        .order_by(Application.id)
    ).all()
    for app in rows:
        machine = applications.handler_for(app.kind).machine
        due = app.due_on
        assert due is not None
        if not machine.is_open(app.status):
            continue
        if today > due:
            stage, text = "overdue", f"已超过办理时限（{format_cn_date(due)}）"
        elif calendar.working_days_between(today, due) <= STAFF_NOTICE_DAYS:
            stage, text = "approaching", f"办理时限{format_cn_date(due)}将至（不超过{STAFF_NOTICE_DAYS}个工作日）"
        else:
            continue
        body = f"办理时限提醒：{machine.label}（{app.application_no}，{machine.states[app.status]}）{text}。"
        key = f"staff_deadline:{STAFF}:{app.application_no}:{app.status}:{due.isoformat()}:{stage}"
        if queue(
            session, key, "staff_deadline", STAFF, body, channel=STAFF, application_no=app.application_no, stage=stage
        ):
            run.staff_deadlines += 1
    session.commit()


def _record_text(record: CreditRecord) -> str:
    return f"“{record.title}”（{record.authority}，{format_cn_date(record.decision_date)}）"


def _subscriber_reminders(session: Session, today: date, ended_ids: Iterable[int], run: ReminderRun) -> None:
    subs = session.scalars(select(Subscription).order_by(Subscription.id)).all()
    entity_ids = sorted({s.entity_id for s in subs})
    for entity_id in entity_ids:
        subscribers = _subscribers(session, entity_id)
        if not subscribers:
            continue
        records = session.scalars(
            select(CreditRecord).where(CreditRecord.entity_id == entity_id).order_by(CreditRecord.id)
        ).all()
        for record in records:
            if not record.is_negative or record.status != "active" or not record.published:
                continue
            result = repair.eligibility(record, today)
            repairable_from = result.earliest_date if result.earliest_date and result.earliest_date <= today else None
            for sub in subscribers:
                if record.created_at >= sub.created_at and queue(
                    session,
                    f"record_published:{sub.sender_id}:record:{record.id}",
                    "record_published",
                    sub.sender_id,
                    f"风险预警：{sub.entity.name}有一条新的失信信息已公示：{_record_text(record)}。"
                    "如有异议，可以提出异议申请。",
                    uscc=sub.entity.uscc,
                    record_id=record.id,
                ):
                    run.record_published += 1
                if repairable_from is not None and queue(
                    session,
                    f"repairable:{sub.sender_id}:record:{record.id}",
                    "repairable",
                    sub.sender_id,
                    f"信用提醒：{sub.entity.name}的失信信息{_record_text(record)}自{format_cn_date(repairable_from)}"
                    f"起可以申请信用修复。{HOW_TO_REPAIR}；需要：" + "；".join(result.requirements) + "。",
                    uscc=sub.entity.uscc,
                    record_id=record.id,
                    repairable_from=repairable_from.isoformat(),
                ):
                    run.repairable += 1
    for record_id in ended_ids:
        record = session.get(CreditRecord, record_id)
        if record is None:
            continue
        for sub in _subscribers(session, record.entity_id):
            end = record.publicity_end or today
            if queue(
                session,
                f"publicity_ended:{sub.sender_id}:record:{record.id}",
                "publicity_ended",
                sub.sender_id,
                f"信用提醒：{sub.entity.name}的信息{_record_text(record)}公示期已于{format_cn_date(end)}届满，已停止公示。",
                uscc=sub.entity.uscc,
                record_id=record.id,
            ):
                run.publicity_ended += 1
    session.commit()


def send_reminders(session: Session, today: date, ended_ids: Iterable[int] = ()) -> ReminderRun:
    """Every reminder due on ``today`` (and the breaches of overdue 容缺 commitments); idempotent."""
    run = ReminderRun(day=today)
    _commitments(session, today, run)
    _staff_deadlines(session, today, run)
    _subscriber_reminders(session, today, ended_ids, run)
    return run
