"""Staff senders of the assistant (``staff:<console account>``, issue 11): who they are, and the audit of
the personal data they see unmasked at the counter (PIPL: every view of personal data is logged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_backend import db
from credit_backend.models import StaffAccount
from credit_backend.models.staff import STAFF_ROLES
from credit_backend.services.accounts import active_account
from credit_backend.services.common import audit

STAFF_PREFIX = "staff:"


def staff_account(session: Session, sender_id: str | None) -> StaffAccount | None:
    """The active console account (role staff or admin) behind a ``staff:<name>`` sender, else None."""
    if not sender_id or not sender_id.startswith(STAFF_PREFIX):
        return None
    account = active_account(session, sender_id.removeprefix(STAFF_PREFIX))
    return account if account is not None and account.role in STAFF_ROLES else None


def log_personal_data_view(role: str, viewer: str, uscc: str, **details: Any) -> None:
    """Audit ``view_personal_data`` in its own short transaction (the reading request's session only reads)."""
    with db.get_sessionmaker()() as session:
        audit(session, role, viewer, "view_personal_data", uscc, **details)
        session.commit()
