"""The binding-code outbox for admins: one-time codes waiting for delivery when no SMS gateway runs.

A code is shown while its challenge can still be used: not consumed, not locked, not expired. The
notification does not name its challenge, so the code is matched against the entity's pending challenges'
hashes (argon2 keeps its parameters in the hash; only codes younger than their lifetime are checked).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_backend import clock
from credit_backend.models import BindingChallenge, Entity, Notification
from credit_backend.policy.loader import load_policy
from credit_backend.services.common import audit

_VERIFIER = PasswordHasher()


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _VERIFIER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


def waiting_codes(session: Session) -> list[dict[str, Any]]:
    """Codes not delivered, whose challenge is neither used, locked nor expired; newest first."""
    now = clock.now()
    ttl = timedelta(minutes=load_policy().identity_binding.otp_ttl_minutes)
    notes = session.scalars(
        select(Notification)
        .where(
            Notification.kind == "otp",
            Notification.delivered_at.is_(None),
            Notification.created_at > now - ttl - timedelta(minutes=1),
        )
        .order_by(Notification.id.desc())
    ).all()
    items: list[dict[str, Any]] = []
    for note in notes:
        uscc, code = (note.payload or {}).get("uscc"), (note.payload or {}).get("code")
        if not uscc or not code:
            continue
        entity = session.scalar(select(Entity).where(Entity.uscc == uscc))
        if entity is None:
            continue
        pending = session.scalars(
            select(BindingChallenge).where(
                BindingChallenge.entity_id == entity.id,
                BindingChallenge.consumed_at.is_(None),
                BindingChallenge.locked.is_(False),
                BindingChallenge.expires_at > now,
            )
        )
        challenge = next((c for c in pending if _matches(c.code_hash, str(code))), None)
        if challenge is None:
            continue
        items.append(
            {
                "notification_id": note.id,
                "uscc": entity.uscc,
                "entity_name": entity.name,
                "contact": note.recipient,
                "code": str(code),
                "sender_id": challenge.sender_id,
                "body": note.body,
                "created_at": note.created_at,
                "expires_at": challenge.expires_at,
            }
        )
    return items


def view_outbox(session: Session, role: str, actor: str) -> list[dict[str, Any]]:
    """The waiting codes; looking at them is audited (they let whoever reads them bind the entity)."""
    items = waiting_codes(session)
    audit(session, role, actor, "view_code_outbox", "outbox", codes=len(items))
    session.commit()
    return items
