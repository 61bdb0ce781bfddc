"""Console settings from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The project root: data/, domain/, tests/stories/ and models/ of the admins' retraining loop live under it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the backend and Rasa are, the secrets and the cookie flags."""

    backend_url: str = "http://127.0.0.1:8000"
    rasa_url: str = "http://127.0.0.1:5005"
    staff_channel_secret: str = ""
    secret: str = ""
    cookie_secure: bool = False
    bind_host: str = "127.0.0.1"
    port: int = 8600
    backend_timeout: float = 15.0
    rasa_timeout: float = 60.0
    project_root: Path = PROJECT_ROOT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ConsoleSettings:
        """Read CONSOLE_* and ASSISTANT_CHANNEL_SECRET_STAFF (``env`` defaults to the process environment over
        var/secrets.env, as the Telegram bridge does). CREDIT_BACKEND_URL / RASA_URL are accepted as fallbacks."""
        if env is None:
            from bot.runner import read_secrets  # the secrets `make up` generated, unless set in the environment

            env = {**read_secrets(), **os.environ}
        return cls(
            backend_url=env.get("CONSOLE_BACKEND_URL") or env.get("CREDIT_BACKEND_URL") or cls.backend_url,
            rasa_url=env.get("CONSOLE_RASA_URL") or env.get("RASA_URL") or cls.rasa_url,
            staff_channel_secret=env.get("ASSISTANT_CHANNEL_SECRET_STAFF", ""),
            secret=env.get("CONSOLE_SECRET", ""),
            cookie_secure=_flag(env.get("CONSOLE_COOKIE_SECURE")),
            bind_host=env.get("CONSOLE_BIND_HOST") or cls.bind_host,
            port=int(env.get("CONSOLE_PORT") or cls.port),
            project_root=Path(env.get("CONSOLE_PROJECT_ROOT") or PROJECT_ROOT),
        )
