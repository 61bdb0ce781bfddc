"""自愿注册 (seed item 5): four categories, their fields, a truthfulness commitment, staff verification."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from credit_backend.errors import DomainError, invalid_field
from credit_backend.models import Entity, Registration
from credit_backend.policy.calendar import default_calendar
from credit_backend.policy.loader import WorkingDays, load_policy
from credit_backend.rules.states import REGISTRATION, Transition
from credit_backend.rules.workdays import Deadline
from credit_backend.schemas import RegistrationIn

_CHECKS = {
    "date": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "请填写日期，格式如 2026-11-26"),
    "amount": (re.compile(r"^\d+(\.\d{1,2})?$"), "请填写金额数字（单位：元），如 1200000"),
}


def _field_problems(category: str, fields: dict[str, str]) -> list[dict[str, str]]:
    spec = load_policy().voluntary_registration.categories[category]
    known = {f.key for f in spec.fields}
    problems = [{"field": k, "message": f"“{category}”没有“{k}”这一项"} for k in fields if k not in known]
    for f in spec.fields:
        value = (fields.get(f.key) or "").strip()
        if not value:
            if f.required:
                problems.append({"field": f.key, "message": f"请填写“{f.label}”"})
            continue
        check = _CHECKS.get(f.type)
        if check and not check[0].match(value):
            problems.append({"field": f.key, "message": f"“{f.label}”格式不对：{check[1]}"})
        elif f.type == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                problems.append({"field": f.key, "message": f"“{f.label}”不是有效日期"})
    return problems


class RegistrationHandler:
    machine = REGISTRATION

    def build(self, session: Session, entity: Entity, body: RegistrationIn, today: date):  # type: ignore[no-untyped-def]
        policy = load_policy().voluntary_registration
        if body.category not in policy.categories:
            raise invalid_field(
                "category", f"自愿注册的信息类别应为：{'、'.join(policy.categories)}，您填写的是“{body.category}”。"
            )
        problems = _field_problems(body.category, body.fields)
        if problems:
            raise DomainError(
                "；".join(p["message"] for p in problems) + "。", code="VALIDATION_ERROR", fields=problems
            )
        if not body.truthful:
            raise DomainError(
                "自愿注册须对信息真实性作出信用承诺。请确认承诺内容后再提交。",
                code="COMMITMENT_REQUIRED",
                commitment=policy.truthfulness_commitment,
            )
        app = Registration(category=body.category, fields=dict(body.fields), truthful=True)
        return app, default_calendar().add_working_days(today, policy.staff_verification.working_days)

    def apply(self, session: Session, app: Registration, transition: Transition, today: date) -> Deadline | None:
        if transition.action == "verify":
            app.verified_on = today  # verified information now shows in the entity's profile
        return None

    def details(self, app: Registration) -> dict[str, Any]:
        spec = load_policy().voluntary_registration.categories[app.category]
        labels = {f.key: f.label for f in spec.fields}
        return {
            "category": app.category,
            "fields": app.fields,
            "field_labels": {k: labels.get(k, k) for k in app.fields},
            "verified_on": app.verified_on,
        }

    def summary(self, app: Registration) -> str:
        first = next(iter(app.fields.values()), "")
        return f"自愿注册“{app.category}”信息：{first}"

    def deadline_what(self, status: str) -> str:
        return "核验：" if status == "submitted" else ""

    def deadline_rule(self, app: Registration) -> WorkingDays | None:
        return load_policy().voluntary_registration.staff_verification if app.status == "submitted" else None


HANDLER = RegistrationHandler()
