"""Shared steps of every use case: audit entries, outbox notifications, deadline labels."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_backend.models import AuditEntry, Notification
from credit_backend.rules.periods import format_cn_date
from credit_backend.rules.vocabulary import UNVERIFIED_NOTE
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


def unverified_note(verified: bool) -> str:
    """What follows an answer built on a policy.yaml value: nothing, or the one note that it is provisional."""
    return "" if verified else UNVERIFIED_NOTE


def deadline_label(deadline: Deadline, what: str = "", *, unverified: bool = False) -> str:
    """E.g. 核查并书面答复：2026年12月17日前（15个工作日）; ``unverified``: the day count is a policy.yaml value
    marked ``verified: false``, and the label says so (UNVERIFIED_NOTE)."""
    label = f"{what}{format_cn_date(deadline.due)}前（{deadline.working_days}个工作日）" + unverified_note(
        not unverified
    )
    if deadline.provisional:
        label += "；其中涉及的年度节假日安排尚未公布，暂按周一至周五计算，届时以国务院办公厅公布的安排为准"
    return label
