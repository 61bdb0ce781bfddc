"""Shared steps of every use case: audit entries, outbox notifications, deadline labels."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_backend.models import AuditEntry, Notification
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.workdays import Deadline


def audit(session: Session, role: str, actor: str, action: str, target: str, **details: Any) -> None:
    session.add(AuditEntry(role=role, actor=actor, action=action, target=target, details=details))


def channel_of(sender_id: str) -> str:
    """``tg:123`` → ``tg`` (shared/CONVERSATION.md sender ids)."""
    return sender_id.split(":", 1)[0] if ":" in sender_id else "web"


def notify(session: Session, recipient: str, kind: str, body: str, channel: str | None = None, **payload: Any) -> None:
    session.add(
        Notification(
            channel=channel or channel_of(recipient), recipient=recipient, kind=kind, body=body, payload=payload
        )
    )


def deadline_label(deadline: Deadline, what: str = "") -> str:
    label = f"{what}{format_cn_date(deadline.due)}前（{deadline.working_days}个工作日）"
    if deadline.provisional:
        label += "；其中涉及的年度节假日安排尚未公布，暂按周一至周五计算，届时以国务院办公厅公布的安排为准"
    return label
