"""Identity binding routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from credit_backend.api.deps import AnyCaller, DbSession
from credit_backend.schemas import SENDER_PATTERN, BindingStart, BindingVerify
from credit_backend.services import bindings

router = APIRouter(prefix="/api/v1/bindings", tags=["identity"])
Sender = Annotated[str, Query(pattern=SENDER_PATTERN)]


@router.post("/start")
def start(session: DbSession, who: AnyCaller, body: BindingStart) -> dict[str, Any]:
    return bindings.start(session, body.sender_id, body.uscc, who.role)


@router.post("/verify")
def verify(session: DbSession, who: AnyCaller, body: BindingVerify) -> dict[str, Any]:
    return bindings.verify(session, body.sender_id, body.uscc, body.code, who.role)


@router.get("")
def list_bindings(session: DbSession, _: AnyCaller, sender_id: Sender) -> dict[str, Any]:
    return {"items": bindings.active_bindings(session, sender_id)}


@router.delete("/{uscc}", status_code=204)
def unbind(session: DbSession, who: AnyCaller, uscc: str, sender_id: Sender) -> None:
    bindings.unbind(session, sender_id, uscc, who.role)
