"""Runtime configuration, read from the environment (prefix ``CREDIT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDIT_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'credit.db'}",
        description="SQLAlchemy URL; sqlite:///… (default) or postgresql+psycopg://…",
    )
    # Comma-separated bearer tokens per role. The defaults only suit a local demo.
    tokens_assistant: str = "dev-assistant-token"
    tokens_staff: str = "dev-staff-token"
    tokens_admin: str = "dev-admin-token"
    attachments_dir: Path = PROJECT_ROOT / "var" / "attachments"
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_types: str = "image/jpeg,image/png,application/pdf"
    # Pins "today" for demos and reproducible tests (ISO date); empty means the real date.
    today: str = ""
    # Where one-time codes go: "outbox" stores them as notifications for the contact.
    otp_driver: str = "outbox"

    def tokens_for(self, role: str) -> set[str]:
        raw = getattr(self, f"tokens_{role}")
        return {t.strip() for t in raw.split(",") if t.strip()}


@lru_cache
def get_settings() -> Settings:
    return Settings()
