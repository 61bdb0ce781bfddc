"""Rasa's trusted channel, for every bridge: POST /webhooks/trusted/webhook, signed for one namespace → the answers.

The body is ``{"user": "<user id on the channel>", "message", "metadata"}`` and the request carries X-Channel,
X-Timestamp and X-Signature (bot/signing.py, the channel's secret: ASSISTANT_CHANNEL_SECRET_TG for the Telegram
bridge, ASSISTANT_CHANNEL_SECRET_STAFF for the staff console); Rasa makes the sender ``<channel>:<user id>``
itself and refuses an unsigned request (assistant_core/channels.py), so only a holder of the secret can speak
in a namespace.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from bot.retry import Backoff
from bot.signing import signed_headers

log = logging.getLogger(__name__)
RETRYABLE_STATUS = {502, 503, 504}


class RasaUnavailable(Exception):
    """Rasa could not be reached or did not answer; the user is told to try again later."""


class RasaClient:
    """Sends one user message and returns Rasa's answers.

    Retries (with backoff) only when the message certainly did not reach the dialogue: the connection
    failed, or a proxy answered 502/503/504. A read timeout or a 500 is not retried, since Rasa may have
    processed the message already and a retry would make the user say it twice.
    """

    def __init__(
        self,
        base_url: str,
        secret: str,
        channel: str = "tg",
        attempts: int = 4,
        backoff: Backoff | None = None,
        timeout: float = 60.0,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/webhooks/trusted/webhook"
        self.secret = secret
        self.channel = channel
        self.attempts = attempts
        self.backoff = backoff or Backoff(first=0.5, maximum=4.0)
        # A new connection per message: Rasa's workers share one listening socket, and a kept-alive connection
        # stays with the worker that accepted it, so every chat would be served by one worker.
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=transport,
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """``sender`` is the conversation id, ``<channel>:<user id>``; Rasa rebuilds it from the signed channel."""
        namespace, _, user = sender.partition(":")
        if namespace != self.channel or not user:
            raise ValueError(f"sender {sender!r} is not in the {self.channel!r} namespace")
        if not self.secret:
            raise RasaUnavailable(f"no secret for the {self.channel!r} channel (ASSISTANT_CHANNEL_SECRET_…)")
        problem = "no attempt"
        body = json.dumps({"user": user, "message": message, "metadata": metadata}, ensure_ascii=False).encode()
        for attempt in range(self.attempts):
            headers = {"Content-Type": "application/json", **signed_headers(self.secret, self.channel, body)}
            try:
                resp = await self.client.post(self.url, content=body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            except httpx.HTTPError as exc:
                raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
            else:
                if resp.status_code == 200:
                    answers = resp.json()
                    return [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
                if resp.status_code not in RETRYABLE_STATUS:
                    raise RasaUnavailable(f"HTTP {resp.status_code}: {resp.text[:200]}")
                problem = f"HTTP {resp.status_code}"
            if attempt + 1 < self.attempts:
                delay = self.backoff.delay(attempt)
                log.warning("Rasa unreachable (%s); retrying in %.1fs", problem, delay)
                await asyncio.sleep(delay)
        raise RasaUnavailable(problem)
