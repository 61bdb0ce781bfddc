"""Signed requests from a channel bridge to the Rasa server's ``trusted`` channel (standard library only).

The bridge of a channel (Telegram, WeChat, the staff console) shares one secret per channel with the Rasa
server. Each request carries ``X-Channel``, ``X-Timestamp`` (Unix seconds) and ``X-Signature``: the hex
HMAC-SHA256 of ``f"{timestamp}.{channel}.".encode() + body`` with the channel's secret, so the body, the channel
and the time are all covered. The server accepts a timestamp within ``window`` seconds of its clock.
Importable from both environments (.venv and .venv-rasa).
"""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(secret: str, channel: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``timestamp.channel.body`` under ``secret``."""
    message = f"{timestamp}.{channel}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str, channel: str, timestamp: int, body: bytes, signature: str, now: float, window: int = 300
) -> bool:
    """True when ``signature`` is right for the request and ``timestamp`` is within ``window`` s of ``now``."""
    if not secret or abs(now - timestamp) > window:
        return False
    expected = sign(secret, channel, timestamp, body).encode()
    return hmac.compare_digest(expected, signature.encode(errors="replace"))


def signed_headers(secret: str, channel: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers that sign ``body`` for ``channel`` at ``now`` (default: the current time)."""
    timestamp = int(time.time() if now is None else now)
    return {"X-Channel": channel, "X-Timestamp": str(timestamp), "X-Signature": sign(secret, channel, timestamp, body)}
