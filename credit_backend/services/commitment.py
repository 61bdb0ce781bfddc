"""信用承诺 (seed item 1): typed commitments with standard text, 容缺 due dates, fulfilment and breach."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from credit_backend.errors import DomainError, invalid_field
from credit_backend.models import Commitment, CreditRecord, Entity
from credit_backend.policy.calendar import default_calendar
from credit_backend.policy.loader import load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.states import COMMITMENT, Transition
from credit_backend.rules.workdays import Deadline
from credit_backend.schemas import CommitmentIn
from credit_backend.services import evaluation

RONGQUE = "容缺受理型"
PLATFORM = "信用中国（吉林市）"


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
            # A broken commitment is itself a credit record (seed item 1: 践诺情况记入信用档案).
            session.add(
                CreditRecord(
                    entity_id=app.entity_id,
                    category=vocabulary.OTHER,
                    title=f"违背信用承诺：{app.matter}",
                    document_no=app.application_no,
                    authority=PLATFORM,
                    decision_date=today,
                    severity="一般",
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


HANDLER = CommitmentHandler()
