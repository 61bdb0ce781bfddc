"""Real processes and servers for the end-to-end tests: the backend, the bridge, a scripted Rasa.

The backend and the scripted Rasa are shared with the WeChat channel's tests (tests/support/); here they get the
Telegram suite's tokens and channel secret.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.credit_backend import JIANGCHENG, ChannelBackend
from tests.support.fake_rasa import FakeRasa as ScriptedRasa
from tests.support.processes import Process

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT_TOKEN = "tg-test-assistant"
STAFF_TOKEN = "tg-test-staff"
TG_SECRET = "tg-test-channel-secret"  # ASSISTANT_CHANNEL_SECRET_TG shared by the bridge and (fake) Rasa
__all__ = [
    "ASSISTANT_TOKEN",
    "JIANGCHENG",
    "ROOT",
    "STAFF_TOKEN",
    "TG_SECRET",
    "Backend",
    "Bridge",
    "FakeRasa",
    "Process",
]


class Backend(ChannelBackend):
    """The real credit backend (uvicorn) on a temporary SQLite database with 200 demo entities."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp, ASSISTANT_TOKEN, STAFF_TOKEN, "tg-test-admin")

    def start(self) -> Backend:
        super().start()
        return self

    def client(self, token: str = ASSISTANT_TOKEN) -> httpx.Client:
        return super().client(token)

    def notifications(self, channel: str = "tg") -> list[dict[str, Any]]:
        return super().notifications(channel)


@dataclass
class FakeRasa(ScriptedRasa):
    """The scripted trusted channel (tests/support/fake_rasa.py) for the ``tg`` namespace."""

    secret: str = TG_SECRET
    channel: str = "tg"


class Bridge:
    """``python -m bot.telegram`` as a subprocess, pointed at the fake Bot API through TELEGRAM_BASE_URL."""

    def __init__(
        self, tmp: Path, bot_api_base: str, token: str, rasa_url: str, backend_url: str, rasa_secret: str = TG_SECRET
    ) -> None:
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "ASSISTANT_CHANNEL_SECRET_TG": rasa_secret,
            "TELEGRAM_MODE": "polling",
            "TELEGRAM_BASE_URL": bot_api_base,
            "RASA_URL": rasa_url,
            "CREDIT_BACKEND_URL": backend_url,
            "CREDIT_BACKEND_TOKEN": ASSISTANT_TOKEN,
            "TELEGRAM_STATE_DB": str(tmp / "telegram-state.db"),
            "TELEGRAM_NOTIFY_INTERVAL": "0.3",
        }
        self.tmp = tmp
        self.process: Process | None = None

    def start(self) -> Bridge:
        self.process = Process("bridge", [sys.executable, "-m", "bot.telegram"], self.env, self.tmp).start()
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process:
            self.process.stop(sig)

    def log(self) -> str:
        return self.process.log() if self.process else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.proc is not None and self.process.proc.poll() is None
