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
    # The CJK TrueType font embedded in credit-report PDFs (Debian: apt-get install fonts-wqy-zenhei) and,
    # for a .ttc collection, the index of the face in it.
    report_font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    report_font_index: int = Field(default=0, ge=0)
    # Wrong verification codes accepted per report number and day before checks of that number are refused.
    report_checks_per_day: int = Field(default=10, ge=1)
    # Reports issued on one entity per day, whoever asks: each is a stored row and a PDF drawn on the server.
    report_issues_per_entity_per_day: int = Field(default=10, ge=1)
    # Pins "today" for demos and reproducible tests (ISO date); empty means the real date.
    today: str = ""
    # Where one-time codes go: "outbox" stores them as notifications for the contact.
    otp_driver: str = "outbox"
    # Limits on one-time codes (counted from the audit log over a sliding window, so they hold across
    # processes): codes sent per hour and wrong codes per day, per entity and per sender.
    otp_codes_per_hour_entity: int = Field(default=3, ge=1)
    otp_codes_per_hour_sender: int = Field(default=5, ge=1)
    otp_wrong_per_day_entity: int = Field(default=10, ge=1)
    otp_wrong_per_day_sender: int = Field(default=10, ge=1)
    # Staff console (issue 11): idle and absolute session lifetimes, and the lock after wrong passwords.
    console_idle_minutes: int = Field(default=30, ge=1)
    console_absolute_hours: int = Field(default=12, ge=1)
    console_max_failed_logins: int = Field(default=5, ge=1)
    console_lock_minutes: int = Field(default=15, ge=1)
    # argon2id cost of console passwords (defaults: RFC 9106's second recommendation, 64 MiB); a stored hash
    # made with other values is re-hashed at the account's next log-in.
    console_password_time_cost: int = Field(default=3, ge=1)
    console_password_memory_kib: int = Field(default=64 * 1024, ge=8 * 1024)
    console_password_parallelism: int = Field(default=4, ge=1)
    # How long an in-person identity check at the counter (POST /api/v1/bindings/in-person) binds the staff sender.
    in_person_binding_hours: int = Field(default=2, ge=1)
    # Password of the demo console accounts (counter01, admin01); used only when generating demo data.
    demo_staff_password: str = "Jilin-Credit-2026"
    # When staff answer hand-offs (Beijing time, on the working days of the backend's calendar): "HH:MM-HH:MM,…".
    handoff_hours: str = "09:00-12:00,13:30-17:00"
    # Allows the ``dev-…`` tokens (a local demo); without it the backend refuses to start with them.
    demo: bool = False
    # Conversation archive (issue 14, docs/archive.md): the Rasa server's event broker appends every stored event
    # to a Redis stream; ``python -m credit_backend.archive consume`` writes them here.
    # Off: ``consume`` exits at once (make up then runs no archiver); the stream keeps at most its cap.
    archive_enabled: bool = True
    # The Redis holding the stream and the live conversations; empty: the Rasa server's, from RASA_REDIS_HOST,
    # RASA_REDIS_PORT, RASA_REDIS_DB and RASA_REDIS_PASSWORD (defaults 127.0.0.1, 6379, 2, none) as bot/runner.py sets them.
    archive_redis_url: str = ""
    archive_stream: str = "credit:archive"  # as endpoints.yml's event_broker names it
    archive_group: str = "credit-archive"  # the consumer group of the archivers
    archive_batch: int = Field(default=500, ge=1, le=10_000)  # stream entries per read (one transaction each)
    # After a batch smaller than archive_batch, the archiver waits this long before reading again, so that a busy
    # conversation is derived again once per pause rather than once per turn (make bench-archive measures it).
    archive_linger_ms: int = Field(default=2000, ge=0, le=60_000)
    # The archiver's niceness (0–19): on a host shared with the Rasa workers, serving comes first.
    archive_nice: int = Field(default=10, ge=0, le=19)
    # The live store's key prefix (endpoints.yml tracker_store key_prefix): retention deletes its keys too.
    archive_tracker_prefix: str = "credit"
    # Conversations whose last event is older than this many days are deleted by ``archive purge``.
    archive_retention_days: int = Field(default=30, ge=1)
    # Review filters: a typed message whose best intent is below this confidence, or whose best two intents are
    # closer than this margin. The NLU's own fallback is at 0.55 / 0.1 (config.yml), so these catch the
    # uncertain answers that were not turned into a clarifying question.
    archive_low_confidence: float = Field(default=0.7, gt=0, le=1)
    archive_small_margin: float = Field(default=0.15, ge=0, le=1)
    # A form still open this many hours after a conversation's last event was abandoned (the Rasa session
    # expires after 60 minutes: domain/domain.yml session_config).
    archive_abandon_hours: float = Field(default=1.0, gt=0)

    def tokens_for(self, role: str) -> set[str]:
        raw = getattr(self, f"tokens_{role}")
        return {t.strip() for t in raw.split(",") if t.strip()}

    def dev_token_variables(self) -> list[str]:
        """The token variables holding a ``dev-…`` token (the well-known local-demo defaults)."""
        return [
            f"CREDIT_TOKENS_{role.upper()}"
            for role in ("assistant", "staff", "admin")
            if any(token.startswith("dev-") for token in self.tokens_for(role))
        ]

    def check_safe(self) -> None:
        """Refuse ``dev-…`` tokens unless CREDIT_DEMO=1 says this is a local demo."""
        unsafe = self.dev_token_variables()
        if unsafe and not self.demo:
            raise InsecureConfiguration(
                f"Refusing to start: {', '.join(unsafe)} contain a 'dev-…' token (the public demo default). "
                "Set your own secret tokens in these variables, or set CREDIT_DEMO=1 for a local demo."
            )


class InsecureConfiguration(RuntimeError):
    """The configuration would expose the backend (e.g. publicly known tokens)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
