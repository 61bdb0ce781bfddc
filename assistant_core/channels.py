"""The REST channel, serving one message at a time per Rasa worker, in order of arrival.

A Rasa turn is CPU-bound Python except for its call to the action server. With several messages in one
worker, asyncio runs each until it waits: a turn that calls the action server goes to the back of the
queue when the answer arrives and waits for every turn that started meanwhile: with 16 conversations, a
credit query took 2.6–3 times as long as a greeting, while one at a time it takes about 1.6 times as long
(`make bench`). Served in arrival order, a turn waits once, for the turns ahead of it. While a worker waits for the
action server, the action server and the backend use the core (on one host, workers = cores); with the
action server elsewhere, run more workers.

Same URL and protocol as Rasa's ``rest`` channel (``/webhooks/rest/webhook``); credentials.yml names it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

Handler = Callable[[UserMessage], Awaitable[Any]]


def in_arrival_order(on_new_message: Handler) -> Handler:
    """``on_new_message`` for one message at a time, the waiting ones in order of arrival."""
    turn: asyncio.Lock | None = None  # created in the worker's event loop, on its first message

    async def handle(message: UserMessage) -> None:
        nonlocal turn
        turn = turn or asyncio.Lock()
        async with turn:
            await on_new_message(message)

    return handle


class InOrderRestInput(RestInput):
    """Rasa's REST channel with the turns of one worker process served one after another."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(in_arrival_order(on_new_message))
