"""Submitting, reading and deciding applications: numbering, idempotency, binding, state machines.

Each kind (registration, commitment, objection, repair) lives in its own module as a handler that
builds the application from a validated body and applies the side effects of its transitions.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.errors import Conflict, DomainError, NotFound, invalid_field
from credit_backend.models import Application, ApplicationCounter, ApplicationEvent, Binding, Entity
from credit_backend.models.staff import STAFF_ROLES
from credit_backend.policy.loader import WorkingDays, load_policy
from credit_backend.rules.appno import format_application_no, parse_application_no
from credit_backend.rules.departments import deciding_department
from credit_backend.rules.states import IllegalTransition, Machine, Transition, step
from credit_backend.rules.workdays import Deadline
from credit_backend.schemas import SenderBody
from credit_backend.services import bindings, staff_viewer
from credit_backend.services.common import audit, deadline_label, notify
from credit_backend.services.entities import get_entity
from credit_backend.services.records import entity_record


class KindHandler(Protocol):
    machine: Machine

    def build(self, session: Session, entity: Entity, body: Any, today: date) -> tuple[Application, Deadline | None]:
        """A new, unsaved application (kind fields set) and its first deadline; raises DomainError."""

    def apply(self, session: Session, app: Any, transition: Transition, today: date) -> Deadline | None:
        """Side effects of a transition; returns the deadline of the next stage, if any."""

    def details(self, app: Any) -> dict[str, Any]: ...

    def summary(self, app: Any) -> str: ...

    def deadline_what(self, status: str) -> str: ...

    def deadline_rule(self, app: Any) -> WorkingDays | None:
        """The policy.yaml time limit the application's current deadline was counted from, if any."""


def _handlers() -> dict[str, KindHandler]:
    from credit_backend.services import commitment, objection, registration, repair

    return {
        "registration": registration.HANDLER,
        "commitment": commitment.HANDLER,
        "objection": objection.HANDLER,
        "repair": repair.HANDLER,
    }


def handler_for(kind: str) -> KindHandler:
    return _handlers()[kind]


def request_hash(body: SenderBody) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def next_application_no(session: Session, type_code: str, day: date) -> str:
    """Atomically take the next number of the day for a type (an upsert both databases support)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ApplicationCounter)
        .values(type_code=type_code, day=day, last_seq=1)
        .on_conflict_do_update(index_elements=["type_code", "day"], set_={"last_seq": ApplicationCounter.last_seq + 1})
        .returning(ApplicationCounter.last_seq)
    )
    seq = session.execute(stmt).scalar_one()
    return format_application_no(type_code, day, seq)


def _existing(session: Session, sender_id: str, key: str, digest: str) -> Application | None:
    app = session.scalar(
        select(Application).where(Application.sender_id == sender_id, Application.idempotency_key == key)
    )
    if app is not None and app.request_hash != digest:
        raise Conflict(
            "这个幂等键已用于另一份内容不同的申请。请为新的申请使用新的键。",
            code="IDEMPOTENCY_CONFLICT",
            application_no=app.application_no,
        )
    return app


_SUBMIT_ATTEMPTS = 3  # a lost race is settled on the next look; more rounds only guard against bad luck


def submit(session: Session, kind: str, body: SenderBody, idempotency_key: str, role: str) -> tuple[Application, bool]:
    """File an application; returns it and whether it was created now (False: an idempotent retry).

    Races are settled by the database: the unique (sender, Idempotency-Key) constraint and the partial
    unique index on a record's open objection / repair. A request that loses one rolls back and looks
    again, so a retry with the same key always gets the first answer, and a second application for the
    same record gets the 409 DUPLICATE_APPLICATION that names the open one.
    """
    if not idempotency_key or len(idempotency_key) > 100:
        raise DomainError("提交申请需要请求头 Idempotency-Key（不超过100个字符）。", code="VALIDATION_ERROR")
    digest = request_hash(body)
    for attempt in range(_SUBMIT_ATTEMPTS):
        existing = _existing(session, body.sender_id, idempotency_key, digest)
        if existing is not None:
            return existing, False
        try:
            return _create(session, kind, body, idempotency_key, digest, role), True
        except IntegrityError:
            # A concurrent request won the race: the next round answers with its application or a 409.
            session.rollback()
            if attempt == _SUBMIT_ATTEMPTS - 1:
                raise
        except Conflict as exc:
            session.rollback()
            if exc.code == "DUPLICATE_APPLICATION":
                # The open application may be this very request's first attempt, committed meanwhile.
                existing = _existing(session, body.sender_id, idempotency_key, digest)
                if existing is not None:
                    return existing, False
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _sees_unpublished(session: Session, role: str, sender_id: str) -> bool:
    """Staff (a staff token, or a staff member at the counter) see unpublished records; the public does not."""
    return role in STAFF_ROLES or staff_viewer.staff_account(session, sender_id) is not None


def _create(session: Session, kind: str, body: SenderBody, idempotency_key: str, digest: str, role: str) -> Application:
    """Build, number and store a new application in one transaction (raises IntegrityError on a race)."""
    handler = handler_for(kind)
    entity = get_entity(session, body.uscc)
    bindings.require_binding(session, body.sender_id, entity)
    # Filed at the counter: the staff member's in-person identity check, on the application and in the audit.
    identity_check = bindings.identity_check_for(session, body.sender_id, entity)
    record_id = getattr(body, "record_id", None)
    if record_id is not None and not _sees_unpublished(session, role, body.sender_id):
        entity_record(session, entity, record_id)  # an unpublished record answers like an unknown id
    today = clock.today()
    app, deadline = handler.build(session, entity, body, today)
    app.department = department_of(app)
    app.identity_check = identity_check
    app.application_no = next_application_no(session, handler.machine.type_code, today)
    app.status = handler.machine.initial
    app.entity = entity
    app.sender_id = body.sender_id
    app.received_on = today
    app.idempotency_key = idempotency_key
    app.request_hash = digest
    _set_deadline(app, deadline)
    app.events.append(
        ApplicationEvent(from_status=None, to_status=app.status, action="submit", actor=body.sender_id, note=None)
    )
    session.add(app)
    audit(
        session,
        role,
        body.sender_id,
        f"submit_{kind}",
        app.application_no,
        **({"identity_check": identity_check} if identity_check else {}),
    )
    session.commit()
    return app


def department_of(app: Application) -> str:
    """Who decides ``app`` (rules.departments): the record's authority or the credit centre."""
    record = getattr(app, "record", None)
    return deciding_department(
        app.kind,
        record.authority if record is not None else None,
        record.category if record is not None else None,
        load_policy().departments.credit_centre,
    )


def _set_deadline(app: Application, deadline: Deadline | None) -> None:
    app.due_on = deadline.due if deadline else None
    app.due_working_days = deadline.working_days if deadline else None
    app.due_provisional = deadline.provisional if deadline else False


def deadline_unverified(handler: KindHandler, app: Application) -> bool:
    """Whether the application's deadline rests on a policy.yaml time limit marked ``verified: false``."""
    rule = handler.deadline_rule(app)
    return rule is not None and not rule.verified


def get_application(session: Session, raw_no: str, viewer: str | None = None) -> Application:
    """The application with this number; with ``viewer`` (a sender id), only if that sender may see it.

    An application the viewer may not see is "not found", word for word like a number that does not
    exist, so sequential numbers cannot be probed.
    """
    parsed = parse_application_no(raw_no)
    if parsed is None:
        raise DomainError(
            f"“{raw_no}”不是有效的申请编号。编号格式如 YY-20261126-0003（类型-受理日期-序号）。",
            code="APPLICATION_NO_INVALID",
        )
    app = session.scalar(select(Application).where(Application.application_no == str(parsed)))
    if app is None or (viewer is not None and not visible_to(session, app, viewer)):
        raise NotFound(f"没有找到申请编号 {parsed} 的申请，请核对编号。", code="APPLICATION_NOT_FOUND")
    return app


def visible_to(session: Session, app: Application, sender_id: str) -> bool:
    """Its filer, or a sender with an active binding to its entity, may see an application."""
    return app.sender_id == sender_id or app.entity_id in _bound_entity_ids(session, sender_id)


def _bound_entity_ids(session: Session, sender_id: str) -> set[int]:
    rows = session.scalars(
        select(Binding.entity_id).where(Binding.sender_id == sender_id, Binding.bound_until > clock.now())
    )
    return set(rows)


def require_viewer(sender_id: str | None) -> str:
    """The assistant reads applications on behalf of a sender, who must be named."""
    if not sender_id:
        raise invalid_field(
            "sender_id",
            "助手查询申请时必须提供 sender_id（提问用户的会话标识），只能查询其本人提交或已认证主体的申请。",
            "必须提供",
        )
    return sender_id


def list_applications(
    session: Session,
    sender_id: str | None,
    uscc: str | None,
    status: str | None,
    limit: int = 50,
    viewer: str | None = None,
) -> list[Application]:
    """Newest first. ``viewer``: only what that sender may see (filed by it, or of an entity it is bound to)."""
    query = select(Application)
    if viewer is not None:
        bound = _bound_entity_ids(session, viewer)
        query = query.where(or_(Application.sender_id == viewer, Application.entity_id.in_(bound)))
    if sender_id:
        query = query.where(Application.sender_id == sender_id)
    if uscc:
        query = query.where(Application.entity_id == get_entity(session, uscc).id)
    if status:
        query = query.where(Application.status == status)
    return list(session.scalars(query.order_by(Application.received_at.desc(), Application.id.desc()).limit(limit)))


def decide(
    session: Session,
    raw_no: str,
    action: str,
    note: str | None,
    actor: str,
    role: str,
    today: date | None = None,
    expected_status: str | None = None,
) -> Application:
    """Apply a staff decision through the kind's state machine, with its side effects, atomically
    (``today``: the daily jobs pass the day they run for).

    ``expected_status``: the status the decider saw; if the application has moved on since (another
    reviewer decided first), 409 DECISION_CONFLICT and nothing changes. Two decisions racing on the same
    status are settled by the database: the guarded update below lets one of them through.
    """
    app = get_application(session, raw_no)
    handler = handler_for(app.kind)
    if expected_status is not None and expected_status != app.status:
        raise decision_conflict(handler.machine, app)
    try:
        transition = step(handler.machine, app.status, action)
    except IllegalTransition as exc:
        raise Conflict(
            str(exc),
            code="ILLEGAL_TRANSITION",
            **{"from": app.status, "action": action, "allowed": list(handler.machine.allowed(app.status))},
        ) from exc
    _claim(session, handler, app)
    today = today or clock.today()
    deadline = handler.apply(session, app, transition, today)
    _set_deadline(app, deadline)
    app.events.append(
        ApplicationEvent(from_status=app.status, to_status=transition.target, action=action, actor=actor, note=note)
    )
    app.status = transition.target
    if not handler.machine.is_open(app.status):
        app.decided_at = clock.now()
    app.decision_note = note or app.decision_note
    state_label = handler.machine.states[app.status]
    message = f"您的{handler.machine.label}（{app.application_no}）有了新进展：{state_label}。"
    if note:
        message += f"说明：{note}"
    if deadline:
        label = deadline_label(
            deadline, handler.deadline_what(app.status), unverified=deadline_unverified(handler, app)
        )
        message += f" 下一步办理时限：{label}。"
    notify(session, app.sender_id, "decision", message, application_no=app.application_no, status=app.status)
    audit(session, role, actor, f"decide_{action}", app.application_no, note=note)
    session.commit()
    return app


def decision_conflict(machine: Machine, app: Application) -> Conflict:
    """The refusal of a decision taken on a status the application no longer has."""
    label = machine.states.get(app.status, app.status)
    return Conflict(
        f"该申请已由其他工作人员处理（当前状态：{label}），您的决定未保存。请刷新页面查看最新办理情况。",
        code="DECISION_CONFLICT",
        application_no=app.application_no,
        current_status=app.status,
        current_status_label=label,
    )


def _claim(session: Session, handler: KindHandler, app: Application) -> None:
    """Take the application for this decision: an update guarded by the status just read. On PostgreSQL a
    concurrent decider waits for the row and then finds the status changed; either way the loser gets
    DECISION_CONFLICT before anything is written."""
    seen = app.status
    claimed = session.execute(
        update(Application)
        .where(Application.id == app.id, Application.status == seen)
        .values(updated_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        fresh = get_application(session, app.application_no)
        raise decision_conflict(handler.machine, fresh)


def application_view(app: Application) -> dict[str, Any]:
    handler = handler_for(app.kind)
    machine = handler.machine
    deadline = None
    if app.due_on is not None and app.due_working_days is not None:
        d = Deadline(
            start=app.received_on, working_days=app.due_working_days, due=app.due_on, provisional=app.due_provisional
        )
        unverified = deadline_unverified(handler, app)
        deadline = {
            "due": app.due_on,
            "working_days": app.due_working_days,
            "provisional": app.due_provisional,
            "deadline_unverified": unverified,
            "what": handler.deadline_what(app.status),
            "label": deadline_label(d, handler.deadline_what(app.status), unverified=unverified),
        }
    return {
        "application_no": app.application_no,
        "kind": app.kind,
        "kind_label": machine.label,
        "status": app.status,
        "status_label": machine.states[app.status],
        "open": machine.is_open(app.status),
        "allowed_actions": list(machine.allowed(app.status)),
        "uscc": app.entity.uscc,
        "entity_name": app.entity.name,
        "sender_id": app.sender_id,
        "received_at": app.received_at,
        "received_on": app.received_on,
        "deadline": deadline,
        "decided_at": app.decided_at,
        "decision_note": app.decision_note,
        "summary": handler.summary(app),
        "details": handler.details(app),
        "history": [
            {
                "status": e.to_status,
                "status_label": machine.states[e.to_status],
                "action": e.action,
                "at": e.at,
                "actor": e.actor,
                "note": e.note,
            }
            for e in app.events
        ],
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in app.attachments
        ],
    }
