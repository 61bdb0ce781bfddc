"""The console's line to the assistant: Rasa's trusted channel signed for the ``staff`` namespace (bot/rasa_client.py).

Rasa builds the sender ``staff:<account name>`` itself from the signed request, so a browser can never speak as
another account or channel: only the console holds ASSISTANT_CHANNEL_SECRET_STAFF.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.rasa_client import RasaClient, RasaUnavailable
from bot.retry import Backoff

__all__ = ["UNAVAILABLE_MESSAGE", "RasaUnavailable", "StaffRasaClient"]

CHANNEL = "staff"
UNAVAILABLE_MESSAGE = "智能助手暂时无法应答，请稍后重试。"


class StaffRasaClient(RasaClient):
    """Sends one message as ``staff:<account>`` and returns Rasa's answers (REST channel format)."""

    def __init__(
        self, base_url: str, secret: str, *, timeout: float = 60.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        # A person waits at the counter: three quick attempts rather than the Telegram bridge's patient four.
        super().__init__(
            base_url,
            secret,
            CHANNEL,
            attempts=3,
            backoff=Backoff(first=0.5, maximum=2.0),
            timeout=timeout,
            transport=transport,
        )

    async def send_as(self, account: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Send ``message`` from ``account`` (the bare account name, no ``staff:`` prefix)."""
        return await self.send(f"{CHANNEL}:{account}", message, metadata or {})
