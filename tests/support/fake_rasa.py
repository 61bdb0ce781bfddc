"""Rasa's trusted channel with scripted answers, over real HTTP, for the channel bridges' tests."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.signing import verify
from tests.support.servers import ThreadedServer


@dataclass
class FakeRasa:
    """``script[message]`` → the answer list; checks the signature of ``channel`` as the real channel does (401
    otherwise, counted in ``refused``) and records each body with the sender Rasa would build,
    ``<channel>:<user>``. Unknown messages get an echo. While ``available`` is False it answers 503 like a proxy
    in front of a stopped Rasa. ``delay[message]`` holds that message's answer for so many seconds (a slow turn).
    """

    secret: str
    channel: str = "tg"
    script: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    available: bool = True
    refused: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.server: ThreadedServer | None = None

    async def _webhook(self, request: Request) -> JSONResponse:
        raw = await request.body()
        channel = request.headers.get("X-Channel", "")
        timestamp = request.headers.get("X-Timestamp", "")
        signature = request.headers.get("X-Signature", "")
        if not (
            channel == self.channel
            and timestamp.isdigit()
            and verify(self.secret, channel, int(timestamp), raw, signature, time.time())
        ):
            with self._lock:
                self.refused += 1
            return JSONResponse({"error": {"code": "BAD_SIGNATURE", "message": "签名无效、缺失或已过期。"}}, 401)
        body = json.loads(raw)
        body["sender"] = f"{channel}:{body['user']}"
        with self._lock:
            self.received.append(body)
        if not self.available:
            return JSONResponse({"error": "unavailable"}, 503)
        if body["message"] in self.delay:
            await asyncio.sleep(self.delay[body["message"]])
        answers = self.script.get(body["message"], [{"text": f"收到：{body['message']}"}])
        return JSONResponse([{"recipient_id": body["sender"], **a} for a in answers])

    def start(self) -> FakeRasa:
        app = Starlette(routes=[Route("/webhooks/trusted/webhook", self._webhook, methods=["POST"])])
        self.server = ThreadedServer(app).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def messages_from(self, sender: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.received if r["sender"] == sender]
