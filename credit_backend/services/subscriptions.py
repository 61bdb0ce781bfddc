"""信用提醒 / 风险预警 subscriptions (seed items 9 and 16): a bound sender subscribes to an entity it represents.

Only a sender bound to the entity may subscribe (``bindings.require_binding``); the assistant role acts for
the sender it passes, as with bindings. The daily jobs (``credit_backend.jobs.reminders``) send the reminders.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_backend.models import Subscription
from credit_backend.services.bindings import require_binding
from credit_backend.services.common import audit
from credit_backend.services.entities import get_entity


def view(sub: Subscription) -> dict[str, Any]:
    return {"uscc": sub.entity.uscc, "name": sub.entity.name, "subscribed_at": sub.created_at}


def subscribe(session: Session, sender_id: str, raw_uscc: str, role: str) -> tuple[dict[str, Any], bool]:
    """Subscribe (idempotent): the subscription, and whether it is new."""
    entity = get_entity(session, raw_uscc)
    require_binding(session, sender_id, entity)
    existing = session.scalar(
        select(Subscription).where(Subscription.sender_id == sender_id, Subscription.entity_id == entity.id)
    )
    if existing is not None:
        return view(existing), False
    sub = Subscription(sender_id=sender_id, entity_id=entity.id, entity=entity)
    try:
        with session.begin_nested():
            session.add(sub)
    except IntegrityError:  # a concurrent request subscribed first
        existing = session.scalar(
            select(Subscription).where(Subscription.sender_id == sender_id, Subscription.entity_id == entity.id)
        )
        assert existing is not None
        return view(existing), False
    audit(session, role, sender_id, "subscribe", entity.uscc)
    session.commit()
    return view(sub), True


def unsubscribe(session: Session, sender_id: str, raw_uscc: str, role: str) -> None:
    """Unsubscribe (idempotent: no subscription is not an error)."""
    entity = get_entity(session, raw_uscc)
    session.execute(
        delete(Subscription).where(Subscription.sender_id == sender_id, Subscription.entity_id == entity.id)
    )
    audit(session, role, sender_id, "unsubscribe", entity.uscc)
    session.commit()


def list_subscriptions(session: Session, sender_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(Subscription).where(Subscription.sender_id == sender_id).order_by(Subscription.id))
    return [view(s) for s in rows]
