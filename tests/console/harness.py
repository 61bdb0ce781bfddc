"""The staff console's stack: the real backend, console, Rasa and action server, a Telegram bridge and a
fake Telegram Bot API server, all on free ports, plus the browser that drives the console.

``ConsoleStack`` extends the security suite's ``Stack`` (tests/security/harness.py): the same production
settings (own backend tokens, no ``CREDIT_DEMO``, shared secrets, the commands of ``bot.runner.services``),
with its own Redis database (9) and two more processes started the way ``make up`` starts them: the console
(``python -m bot.console``) and the Telegram bridge (tests/telegram/harness.Bridge, polling the fake Bot API
server of tests/telegram/fake_bot_api.py). The demo city (200 entities, with the demo console accounts
counter01 and admin01) is generated for the pinned date of tests/support/processes.TODAY.

Rasa and the action server are started on first use (``start_assistant``), so the scenarios that need no
assistant run first and fail with their own reason, not with the model's.

The browser is Debian's chromium (``CONSOLE_CHROMIUM``, default /usr/bin/chromium) driven by Playwright;
nothing is ever downloaded. Each page a test visits is saved as a 1366×768 screenshot under
var/screenshots/console/.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from playwright.sync_api import Browser, Page, Playwright

from tests.security.harness import ADMIN_TOKEN, ASSISTANT_TOKEN, SECRETS, STAFF_TOKEN, Stack
from tests.support.processes import BACKEND_PYTHON, ROOT, free_port, wait_until
from tests.telegram.fake_bot_api import FakeBotAPI
from tests.telegram.harness import Bridge

REDIS_DB = 9  # the console suite's own Redis database, emptied when the stack starts
SCREENSHOTS = ROOT / "var" / "screenshots" / "console"
VIEWPORT = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The demo console accounts of credit_backend/demo (password CREDIT_DEMO_STAFF_PASSWORD's default).
DEMO_PASSWORD = "Jilin-Credit-2026"
COUNTER = "counter01"
ADMIN = "admin01"
CSRF_REFUSED = "请求已失效，请刷新页面后重试"

__all__ = ["ADMIN_TOKEN", "ASSISTANT_TOKEN", "STAFF_TOKEN", "ConsoleStack", "launch_chromium", "shot"]


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's chromium, headless; fails with what to install when it is missing (never downloads one)."""
    if not Path(CHROMIUM).exists():
        raise AssertionError(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk (.ci/run does).")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def shot(page: Page, name: str, full_page: bool = False) -> Path:
    """Save what the user sees now (the 1366×768 viewport) as var/screenshots/console/<name>.png; with
    ``full_page``, also the whole page, scrolled, as <name>-full.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if full_page:
        page.screenshot(path=str(SCREENSHOTS / f"{name}-full.png"), full_page=True)
    return path


def tablet_shot(page: Page, name: str) -> Path:
    """The same page on a reviewer's tablet held upright (820×1180), saved as <name>-tablet.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-tablet.png"
    page.set_viewport_size(TABLET)
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(VIEWPORT)  # type: ignore[arg-type]
    return path


class ConsoleStack(Stack):
    """Backend + console + Telegram bridge + fake Bot API at once; Rasa and the action server on demand."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.env.update(
            RASA_REDIS_DB=str(REDIS_DB),
            CONSOLE_PORT=str(free_port()),
            CONSOLE_BIND_HOST="127.0.0.1",
            # A cheaper argon2id for the few dozen log-ins of the suite on two shared cores (same algorithm and
            # code path; the demo accounts' hashes are re-hashed to these at their first log-in).
            CREDIT_CONSOLE_PASSWORD_TIME_COST="1",
            CREDIT_CONSOLE_PASSWORD_MEMORY_KIB="8192",
            CREDIT_CONSOLE_PASSWORD_PARALLELISM="1",
        )
        self.env.pop("CONSOLE_SECRET", None)
        self.bot_api: FakeBotAPI | None = None
        self.bridge: Bridge | None = None
        self.assistant_started = False

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ConsoleStack:
        runner_env = self.env
        from bot import runner

        runner.load_secrets(runner_env, self.tmp / "secrets.env")  # CONSOLE_SECRET: generated, as `make up` does
        runner.service_urls(runner_env)
        runner_env["RASA_ENDPOINTS"] = runner.rasa_endpoints(runner_env)
        assert runner_env["RASA_ENDPOINTS"] == "endpoints.yml", "Redis must run at 127.0.0.1:6379 (.ci/run starts it)"
        self.redis().flushdb()
        from tests.security.harness import make_demo_city

        make_demo_city(self.env)
        self.start_service("backend")
        self.start_service("console")
        self.bot_api = FakeBotAPI().start()
        self.bridge = Bridge(
            self.tmp,
            self.bot_api.base_url,
            self.bot_api.token,
            self.rasa_url,
            self.backend_url,
            rasa_secret=SECRETS["ASSISTANT_CHANNEL_SECRET_TG"],
        )
        self.bridge.env["CREDIT_BACKEND_TOKEN"] = ASSISTANT_TOKEN
        self.bridge.start()
        return self

    def start_assistant(self) -> None:
        """Rasa (trained model, Redis db 9, two workers) and the action server, once for the session."""
        if self.assistant_started:
            return
        if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
            raise AssertionError(".venv-rasa/bin/rasa is missing: run `make install`.")
        if not (ROOT / "models" / "assistant.tar.gz").exists():
            raise AssertionError("models/assistant.tar.gz is missing: run `make train` before the console suite.")
        self.assistant_started = True
        self.start_service("actions")
        self.start_service("models")
        self.start_service("rasa")

    def stop(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
        if self.bot_api is not None:
            self.bot_api.stop()
        for name in ("console", "rasa", "models", "actions", "backend"):
            self.stop_service(name)

    def logs(self) -> str:
        text = super().logs()
        if self.bridge is not None:
            text += f"\n--- bridge log ---\n{self.bridge.log()[-4000:]}"
        return text

    def redis(self) -> redis.Redis:
        return redis.Redis(host=self.env["RASA_REDIS_HOST"], port=int(self.env["RASA_REDIS_PORT"]), db=REDIS_DB)

    # -- addresses -------------------------------------------------------------------------------
    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.env['CONSOLE_PORT']}"

    def url(self, path: str) -> str:
        return f"{self.console_url}{path}"

    # -- accounts and sessions (the CLI and the database, as an operator would) ------------------------
    def create_account(
        self, name: str, password: str, role: str = "staff", department: str = "吉林市市场监督管理局", display: str = ""
    ) -> None:
        """``python -m credit_backend.accounts create`` with the password on stdin, as an admin on the host."""
        done = subprocess.run(
            [
                str(BACKEND_PYTHON),
                "-m",
                "credit_backend.accounts",
                "create",
                name,
                "--role",
                role,
                "--department",
                department,
                "--display-name",
                display or name,
                "--password-stdin",
            ],
            cwd=ROOT,
            env=self.env,
            input=f"{password}\n".encode(),
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")

    def age_sessions(self, account: str, idle: timedelta) -> int:
        """Move the last use of ``account``'s open sessions ``idle`` into the past: the console left alone that
        long (the backend's idle check reads the real clock, which a test cannot wait out)."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from credit_backend.db import make_engine
        from credit_backend.models import ConsoleSession, StaffAccount

        engine = make_engine(self.env["CREDIT_DATABASE_URL"])
        try:
            with Session(engine) as session:
                rows = session.scalars(
                    select(ConsoleSession)
                    .join(StaffAccount, StaffAccount.id == ConsoleSession.account_id)
                    .where(StaffAccount.name == account, ConsoleSession.ended_at.is_(None))
                ).all()
                for row in rows:
                    row.last_seen_at = row.last_seen_at - idle
                session.commit()
                return len(rows)
        finally:
            engine.dispose()

    def entity_row(self, uscc: str) -> dict[str, Any]:
        """The entity as stored (what the representative's documents say), for the in-person check."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from credit_backend.db import make_engine
        from credit_backend.models import Entity

        engine = make_engine(self.env["CREDIT_DATABASE_URL"])
        try:
            with Session(engine) as session:
                entity = session.scalars(select(Entity).where(Entity.uscc == uscc)).one()
                return {c.name: getattr(entity, c.name) for c in Entity.__table__.columns}
        finally:
            engine.dispose()

    # -- the backend, as staff ----------------------------------------------------------------------
    def application(self, application_no: str) -> dict[str, Any]:
        with self.api(STAFF_TOKEN) as staff:
            resp = staff.get(f"/applications/{application_no}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def applications_of(self, sender: str) -> list[dict[str, Any]]:
        with self.api() as api:
            resp = api.get("/applications", params={"sender_id": sender})
        assert resp.status_code == 200, resp.text
        return list(resp.json()["items"])

    def handoffs(self, status: str | None = None) -> list[dict[str, Any]]:
        with self.api(STAFF_TOKEN) as staff:
            resp = staff.get("/handoffs", params={"status": status} if status else {})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        return list(body["items"] if isinstance(body, dict) else body)

    def backend_get(self, path: str, token: str = STAFF_TOKEN, **params: Any) -> Any:
        with self.api(token) as client:
            resp = client.get(path, params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()


def visible_text(page: Page) -> str:
    """Everything the user can read on the page, whitespace collapsed."""
    return re.sub(r"\s+", " ", page.inner_text("body"))


def wait_for_text(page: Page, text: str, timeout: float = 30) -> None:
    wait_until(lambda: text in visible_text(page), timeout, f"{text!r} on {page.url}; page: {visible_text(page)[:800]}")
