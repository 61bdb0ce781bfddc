"""The bridge's settings, read from the environment (docs/telegram.md lists every variable)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


class ConfigError(ValueError):
    """A missing or malformed setting; the message says which variable to fix."""


@dataclass(frozen=True)
class Config:
    token: str
    mode: str = "polling"  # polling | webhook
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    base_url: str = ""  # another Bot API server, e.g. http://127.0.0.1:8081/bot
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_secret: str = ""  # ASSISTANT_CHANNEL_SECRET_TG: signs the requests to Rasa's trusted channel
    backend_url: str = "http://127.0.0.1:8000"
    backend_token: str = "dev-assistant-token"
    state_db: Path = ROOT / "var" / "telegram.db"
    notify_interval: float = 3.0  # seconds between outbox polls when idle
    max_evidence_bytes: int = 10 * 1024 * 1024

    @property
    def webhook_path(self) -> str:
        """The local path the webhook server listens on: the path of the public URL."""
        return urlparse(self.webhook_url).path.lstrip("/")

    @property
    def file_base_url(self) -> str:
        """Where files are downloaded from: ``…/bot`` becomes ``…/file/bot`` as on api.telegram.org."""
        base = self.base_url.rstrip("/")
        head, _, tail = base.rpartition("/")
        return f"{head}/file/{tail}" if head else base


def load(env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from ``env`` (default: the process environment, then var/secrets.env) and
    validate it."""
    if env is None:
        from bot.runner import read_secrets  # the secrets `make up` generated, unless set in the environment

        env = {**read_secrets(), **os.environ}
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather (see docs/telegram.md).")
    mode = env.get("TELEGRAM_MODE", "polling").strip().lower() or "polling"
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"TELEGRAM_MODE must be polling or webhook, not {mode!r}.")
    webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if mode == "webhook":
        if not webhook_url.startswith("https://"):
            raise ConfigError("TELEGRAM_WEBHOOK_URL must be the public https:// address Telegram will call.")
        if not SECRET_PATTERN.match(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is required in webhook mode: 1-256 characters of A-Z, a-z, 0-9, _ and -."
            )
    rasa_secret = env.get("ASSISTANT_CHANNEL_SECRET_TG", "").strip()
    if not rasa_secret:
        raise ConfigError(
            "ASSISTANT_CHANNEL_SECRET_TG is not set: the secret the bridge signs its messages to Rasa's trusted "
            "channel with, the same as the Rasa server's (`make up` keeps it in var/secrets.env; see docs/telegram.md)."
        )
    try:
        port = int(env.get("TELEGRAM_WEBHOOK_PORT", "8443"))
        interval = float(env.get("TELEGRAM_NOTIFY_INTERVAL", "3"))
    except ValueError as exc:
        raise ConfigError(f"TELEGRAM_WEBHOOK_PORT / TELEGRAM_NOTIFY_INTERVAL must be numbers: {exc}") from exc
    return Config(
        token=token,
        mode=mode,
        webhook_url=webhook_url,
        webhook_secret=secret,
        webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
        webhook_port=port,
        base_url=env.get("TELEGRAM_BASE_URL", "").strip(),
        rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        rasa_secret=rasa_secret,
        backend_url=env.get("CREDIT_BACKEND_URL", "http://127.0.0.1:8000").rstrip("/"),
        backend_token=env.get("CREDIT_BACKEND_TOKEN", "dev-assistant-token"),
        state_db=Path(env.get("TELEGRAM_STATE_DB", str(ROOT / "var" / "telegram.db"))),
        notify_interval=interval,
    )
