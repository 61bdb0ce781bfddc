"""信用提醒 / 风险预警 subscription routes (seed items 9 and 16)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from credit_backend.api.deps import AnyCaller, DbSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.responses.subscriptions import SubscriptionList, SubscriptionView
from credit_backend.schemas import SENDER_PATTERN, SenderBody
from credit_backend.services import subscriptions

router = APIRouter(prefix="/api/v1/subscriptions", tags=["reminders"], responses=error_responses(*COMMON_ERRORS))
Sender = Annotated[str, Query(pattern=SENDER_PATTERN)]


@router.post(
    "",
    response_model=SubscriptionView,
    status_code=201,
    responses={200: {"model": SubscriptionView, "description": "Already subscribed"}, **error_responses(403, 404)},
)
def subscribe(session: DbSession, who: AnyCaller, body: SenderBody, response: Response) -> dict[str, Any]:
    """Subscribe a bound sender to reminders about the entity (200 if it already was subscribed)."""
    view, created = subscriptions.subscribe(session, body.sender_id, body.uscc, who.role)
    if not created:
        response.status_code = 200
    return view


@router.get("", response_model=SubscriptionList)
def list_subscriptions(session: DbSession, _: AnyCaller, sender_id: Sender) -> dict[str, Any]:
    return {"items": subscriptions.list_subscriptions(session, sender_id)}


@router.delete("/{uscc}", status_code=204, responses=error_responses(404))
def unsubscribe(session: DbSession, who: AnyCaller, uscc: str, sender_id: Sender) -> None:
    subscriptions.unsubscribe(session, sender_id, uscc, who.role)
