"""The conversation archive for admins (issue 14): review lists, one conversation, marking it reviewed, analytics.

Admins only (a console account with role admin, or an admin token); reading conversations is audited
(services/conversations.py). The response models are declared here, beside their only routes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from credit_backend import clock
from credit_backend.api.deps import AdminCaller, DbSession, ReadSession
from credit_backend.api.errors import COMMON_ERRORS, error_responses
from credit_backend.archive import queries
from credit_backend.clock import today
from credit_backend.errors import invalid_field
from credit_backend.responses.base import ResponseModel
from credit_backend.schemas import ROW_ID_MAX
from credit_backend.services import conversations

router = APIRouter(prefix="/api/v1", tags=["conversations"], responses=error_responses(*COMMON_ERRORS, 403))
CHANNELS = ("tg", "wx", "web", "staff", "rest")
Channel = Literal["tg", "wx", "web", "staff", "rest"]
CSV = {
    200: {
        "description": "The analytics figures as CSV (UTF-8 with BOM, Chinese headers, one block per table)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


# -- response models ----------------------------------------------------------------------------------------


class ConversationItem(ResponseModel):
    id: int
    sender_id: str
    channel: str
    started_at: datetime
    last_event_at: datetime
    turns: int
    had_fallback: bool
    had_handoff: bool
    form_cancelled: bool
    form_abandoned: bool
    explained_after_failures: bool
    open_form: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    preview: str


class ConversationPage(ResponseModel):
    items: list[ConversationItem]
    total: int
    page: int
    per_page: int
    pages: int
    low_confidence: float
    small_margin: float


class ConversationIntentScore(ResponseModel):
    name: str
    confidence: float | None


class ConversationMessageView(ResponseModel):
    id: int
    at: datetime
    text: str
    typed: bool
    intent: str | None
    confidence: float | None
    top_intent: str | None
    top_confidence: float | None
    second_intent: str | None
    second_confidence: float | None
    margin: float | None
    ranking: list[ConversationIntentScore]
    entities: list[dict[str, Any]]
    faq_topic: str | None
    faq_confidence: float | None
    fallback: bool
    low_confidence: bool
    small_margin: bool
    form: str | None
    actions: list[str]


class ConversationLine(ResponseModel):
    role: Literal["user", "bot"]
    at: datetime
    text: str
    buttons: list[str]
    message_id: int | None


class ConversationFormRun(ResponseModel):
    form: str
    service: str
    label: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    turns: int


class ConversationStep(ResponseModel):
    """One event a Rasa story needs: a user message (``message_id``), an action (``name``), a slot set (``name``,
    ``value``) or a form (de)activated (``name``, null when none is active)."""

    kind: Literal["user", "action", "slot", "active_loop"]
    name: str | None
    value: Any
    message_id: int | None


class ConversationDetail(ConversationItem):
    messages: list[ConversationMessageView]
    transcript: list[ConversationLine]
    steps: list[ConversationStep]
    forms: list[ConversationFormRun]
    low_confidence: float
    small_margin: float


class AnalyticsDayCount(ResponseModel):
    day: date
    channel: str
    conversations: int


class AnalyticsIntentCount(ResponseModel):
    intent: str
    messages: int


class AnalyticsFallback(ResponseModel):
    messages: int
    nlu_fallback_messages: int
    message_rate: float
    conversations: int
    conversation_rate: float


class AnalyticsHandoff(ResponseModel):
    conversations: int
    rate: float


class AnalyticsService(ResponseModel):
    service: str
    label: str
    started: int
    completed: int
    declined: int
    stopped: int
    cancelled: int
    handed_off: int
    abandoned: int
    open: int
    median_turns_to_complete: float | None


class AnalyticsHourCount(ResponseModel):
    hour: int
    messages: int


class Analytics(ResponseModel):
    date_from: date | None
    date_to: date | None
    channel: str | None
    conversations: int
    messages: int
    per_day: list[AnalyticsDayCount]
    intents: list[AnalyticsIntentCount]
    fallback: AnalyticsFallback
    handoff: AnalyticsHandoff
    services: list[AnalyticsService]
    hours: list[AnalyticsHourCount]


# -- parameters ---------------------------------------------------------------------------------------------


def _dates(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise invalid_field("date_from", "起始日期不能晚于截止日期。", "起始日期晚于截止日期")


DateFrom = Annotated[
    date | None, Query(description="from this day (Beijing time, the conversation's start), inclusive")
]
DateTo = Annotated[date | None, Query(description="to this day (Beijing time), inclusive")]


def review_filter(
    fallback: Annotated[bool, Query(description="a message got a fallback (clarifying question)")] = False,
    low_confidence: Annotated[
        bool, Query(description="a typed message's best intent is below CREDIT_ARCHIVE_LOW_CONFIDENCE")
    ] = False,
    small_margin: Annotated[
        bool, Query(description="a typed message's best two intents are closer than CREDIT_ARCHIVE_SMALL_MARGIN")
    ] = False,
    handoff: Annotated[bool, Query(description="the user was handed to a person")] = False,
    cancelled: Annotated[bool, Query(description="the user cancelled a form")] = False,
    abandoned: Annotated[bool, Query(description="a form was left unfinished")] = False,
    explained: Annotated[bool, Query(description="a question was explained after two failed answers")] = False,
    reviewed: Annotated[bool | None, Query(description="true: reviewed only; false: not yet reviewed")] = None,
    channel: Annotated[Channel | None, Query(description="the sender's channel")] = None,
    sender: Annotated[str | None, Query(max_length=100, description="part of the sender id")] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> queries.ConversationFilter:
    _dates(date_from, date_to)
    return queries.ConversationFilter(
        fallback=fallback,
        low_confidence=low_confidence,
        small_margin=small_margin,
        handoff=handoff,
        cancelled=cancelled,
        abandoned=abandoned,
        explained=explained,
        reviewed=reviewed,
        channel=channel,
        sender=sender or None,
        date_from=date_from,
        date_to=date_to,
    )


def period(
    date_from: DateFrom = None, date_to: DateTo = None, channel: Annotated[Channel | None, Query()] = None
) -> queries.Period:
    _dates(date_from, date_to)
    return queries.Period(date_from, date_to, channel)


ConversationId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]


# -- routes -------------------------------------------------------------------------------------------------


@router.get("/conversations", response_model=ConversationPage)
def list_conversations(
    session: DbSession,
    who: AdminCaller,
    f: Annotated[queries.ConversationFilter, Depends(review_filter)],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Archived conversations matching every filter given, the latest first (audited: view_conversations)."""
    return conversations.search(session, f, page, per_page, role=who.role, actor=who.actor, now=clock.now())


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail, responses=error_responses(404))
def conversation(session: DbSession, who: AdminCaller, conversation_id: ConversationId) -> dict[str, Any]:
    """One conversation: each user message with its prediction, the transcript, the form runs and the steps a
    test story of it needs (audited)."""
    return conversations.detail(session, conversation_id, role=who.role, actor=who.actor, now=clock.now())


@router.post(
    "/conversations/{conversation_id}/reviewed", response_model=ConversationItem, responses=error_responses(404)
)
def reviewed(session: DbSession, who: AdminCaller, conversation_id: ConversationId) -> dict[str, Any]:
    """Marks the conversation reviewed by the caller (audited: review_conversation)."""
    return conversations.mark_reviewed(session, conversation_id, role=who.role, actor=who.actor, now=clock.now())


@router.get("/analytics", response_model=Analytics)
def analytics(session: ReadSession, _: AdminCaller, p: Annotated[queries.Period, Depends(period)]) -> dict[str, Any]:
    """Conversations per day and channel, messages per intent, fallback and hand-off rates, each service's
    runs and outcomes with the median turns to complete, messages per hour (Beijing time)."""
    return conversations.analytics(session, p, clock.now())


@router.get("/analytics.csv", response_class=Response, responses=CSV)
def analytics_csv(session: ReadSession, _: AdminCaller, p: Annotated[queries.Period, Depends(period)]) -> Response:
    """The same figures as a CSV file for Excel."""
    body = queries.analytics_csv(conversations.analytics(session, p, clock.now()))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="analytics-{today():%Y%m%d}.csv"'},
    )
