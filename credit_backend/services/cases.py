"""The case view: an application as staff decide it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.models import Application
from credit_backend.rules.states import Machine
from credit_backend.services.applications import application_view, handler_for
from credit_backend.services.queue import deadline_marks
from credit_backend.services.records_entry import record_detail_view

__all__ = ["case_view", "decision_options"]


def decision_options(machine: Machine, status: str) -> list[dict[str, Any]]:
    """The decisions the state machine allows from ``status``, with their Chinese labels (each needs a reason)."""
    return [{"action": a, "label": machine.action_label(a), "needs_note": True} for a in machine.allowed(status)]


def _action_label(machine: Machine, action: str) -> str:
    return "提交申请" if action == "submit" else machine.action_label(action)


def case_view(session: Session, app: Application) -> dict[str, Any]:
    """``application_view`` plus the record concerned (in full, with its publicity window), the identity
    check, the deciding department and the decisions offered now."""
    machine = handler_for(app.kind).machine
    record = getattr(app, "record", None)
    view = application_view(app)
    if view["deadline"] is not None:
        view["deadline"] = {**view["deadline"], **deadline_marks(app.due_on, clock.today())}
    view["history"] = [{**step, "action_label": _action_label(machine, step["action"])} for step in view["history"]]
    return {
        **view,
        "department": app.department,
        "identity_check": app.identity_check,
        "record": record_detail_view(session, record) if record is not None else None,
        "decisions": decision_options(machine, app.status),
    }
