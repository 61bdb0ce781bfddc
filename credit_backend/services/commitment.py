"""信用承诺 (seed item 1): typed commitments with standard text, 容缺 due dates, fulfilment and breach."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend.errors import Conflict, DomainError, invalid_field
from credit_backend.models import Commitment, CreditRecord, Entity
from credit_backend.policy.calendar import default_calendar
from credit_backend.policy.loader import WorkingDays, load_policy
from credit_backend.rules import rongque, vocabulary
from credit_backend.rules.grades import ActiveRecord
from credit_backend.rules.periods import format_cn_date, publicity_window
from credit_backend.rules.states import COMMITMENT, Transition
from credit_backend.rules.workdays import Deadline
from credit_backend.schemas import CommitmentIn
from credit_backend.services import evaluation

RONGQUE = "容缺受理型"
PLATFORM = "信用中国（吉林市）"
_STANDING = {
    vocabulary.SEVERE_LIST: f"已列入{vocabulary.SEVERE_LIST}",
    vocabulary.WATCH_LIST: f"已列入{vocabulary.WATCH_LIST}",
    rongque.SEVERE_FAILURE: f"有正在公示的{rongque.SEVERE_FAILURE}",
}
RONGQUE_ALTERNATIVES = (
    "补齐全部申报材料后，按一般程序向审批部门申请办理",
    "失信信息符合修复条件的，可以先申请信用修复，修复完成后再申请容缺受理",
)


def refuse_rongque_unless_creditworthy(session: Session, entity: Entity) -> None:
    """容缺受理 only for applicants in good credit standing (吉市信用办发〔2020〕3号 第1项): 409 otherwise,
    with the reason in the plan's words and what the applicant can do instead."""
    active = [
        ActiveRecord(r.category, r.severity)
        for r in session.scalars(
            select(CreditRecord).where(
                CreditRecord.entity_id == entity.id,
                CreditRecord.status == "active",
                CreditRecord.punishment_lifted_at.is_(None),
            )
        )
    ]
    obstacle = rongque.rongque_obstacle(active)
    if obstacle is None:
        return
    raise Conflict(
        f"容缺受理仅适用于信用状况较好的申请人（{rongque.POLICY_SOURCE}：“{rongque.POLICY_TEXT}”）。"
        f"{entity.name}目前{_STANDING[obstacle]}，不能以容缺受理型信用承诺先行受理。"
        f"您可以：{'；'.join(RONGQUE_ALTERNATIVES)}。",
        code="RONGQUE_NOT_ELIGIBLE",
        obstacle=obstacle,
        alternatives=list(RONGQUE_ALTERNATIVES),
    )


class CommitmentHandler:
    machine = COMMITMENT

    def build(self, session: Session, entity: Entity, body: CommitmentIn, today: date):  # type: ignore[no-untyped-def]
        policy = load_policy()
        types = policy.commitments.types
        if body.commitment_type not in types:
            raise invalid_field(
                "commitment_type", f"承诺类型应为：{'、'.join(types)}，您填写的是“{body.commitment_type}”。"
            )
        if not body.accepted:
            raise DomainError(
                "请先阅读并确认承诺书条款，再提交信用承诺。",
                code="COMMITMENT_REQUIRED",
                items=list(policy.commitment_items(body.commitment_type)),
            )
        deadline = None
        due = body.materials_due
        if body.commitment_type == RONGQUE:
            refuse_rongque_unless_creditworthy(session, entity)
            if not body.missing_materials:
                raise invalid_field("missing_materials", "容缺受理型承诺须写明所缺的材料。", hint="请填写所缺材料")
            if due is None:
                deadline = default_calendar().add_working_days(
                    today, policy.commitments.rongque_materials_due.working_days
                )
                due = deadline.due
            elif due <= today:
                raise invalid_field("materials_due", f"补齐材料的日期应晚于今天（{format_cn_date(today)}）。")
            else:
                days = default_calendar().working_days_between(today, due)
                deadline = Deadline(
                    start=today, working_days=days, due=due, provisional=not default_calendar().is_official(due)
                )
        elif body.missing_materials or body.materials_due:
            field = "missing_materials" if body.missing_materials else "materials_due"
            raise invalid_field(field, "只有容缺受理型承诺需要填写所缺材料和补齐日期。")
        items = list(policy.commitment_items(body.commitment_type))
        # The commitment is published in the entity's credit file (信用中国 report section 六 信用承诺).
        record = CreditRecord(
            entity=entity,
            category=vocabulary.COMMITMENT,
            title=f"{body.commitment_type}信用承诺：{body.matter}",
            authority=PLATFORM,
            decision_date=today,
            content="；".join(items),
            status="active",
        )
        session.add(record)
        app = Commitment(
            commitment_type=body.commitment_type,
            matter=body.matter,
            text_items=items,
            missing_materials=body.missing_materials,
            materials_due=due,
            record=record,
        )
        return app, deadline

    def apply(self, session: Session, app: Commitment, transition: Transition, today: date) -> Deadline | None:
        if transition.action == "breach":
            # A broken commitment is itself a credit record (seed item 1: 践诺情况记入信用档案): 其他失信信息,
            # negative whatever its category's other records are, published for its class's window.
            policy = load_policy()
            window = publicity_window(
                vocabulary.OTHER, vocabulary.ORDINARY, today, today, policy, polarity=vocabulary.Polarity.NEGATIVE
            )
            session.add(
                CreditRecord(
                    entity_id=app.entity_id,
                    category=vocabulary.OTHER,
                    title=f"违背信用承诺：{app.matter}",
                    document_no=app.application_no,
                    authority=PLATFORM,
                    decision_date=today,
                    severity=vocabulary.ORDINARY,
                    polarity=vocabulary.Polarity.NEGATIVE.value,
                    published=window.published,
                    publicity_end=window.max_end,
                    content=f"{app.commitment_type}信用承诺未履行（承诺编号 {app.application_no}）",
                    status="active",
                )
            )
            evaluation.recompute(session, app.entity_id, today, f"违背信用承诺（{app.application_no}）")
        if transition.action == "withdraw" and app.record is not None:
            app.record.status = "revoked"
        return None

    def details(self, app: Commitment) -> dict[str, Any]:
        return {
            "commitment_type": app.commitment_type,
            "matter": app.matter,
            "text_items": app.text_items,
            "missing_materials": app.missing_materials,
            "materials_due": app.materials_due,
        }

    def summary(self, app: Commitment) -> str:
        return f"{app.commitment_type}信用承诺：{app.matter}"

    def deadline_what(self, status: str) -> str:
        return "补齐材料：" if status == "in_force" else ""

    def deadline_rule(self, app: Commitment) -> WorkingDays | None:
        # Only the default due date rests on policy.yaml; a date the applicant chose is its own promise.
        rule = load_policy().commitments.rongque_materials_due
        return rule if app.status == "in_force" and app.due_working_days == rule.working_days else None


HANDLER = CommitmentHandler()
