"""What the admin-loop browser tests need besides the browser: real conversations with the assistant that reach
the archive, and a copy of the training data for the console to write into.

Conversations go to the real Rasa server (the signed trusted channel, as the Telegram and WeChat bridges send
them, or the development REST channel); Rasa's event broker puts every event on the Redis stream of the
console suite's database, and the archiver (``python -m credit_backend.archive consume --once``, as cron runs
it) stores them in the backend's database. The console writes annotations, stories and models under
``CONSOLE_PROJECT_ROOT``: :func:`project_copy` makes a temporary root with a copy of the data, and
:func:`console_root` restarts the console pointed at it, so no test writes into the repository's data/.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.console.harness import ADMIN_TOKEN, ConsoleStack, visible_text
from tests.security.harness import texts
from tests.support.processes import BACKEND_PYTHON, ROOT, wait_until

# The training data, the domain and the held-out sets and test stories annotations are checked against.
ADMINS_ONLY = "只有系统管理员可以使用此页面"
PROJECT_PARTS = ("data", "domain", "config.yml", "tests/nlu", "tests/stories")


def new_user() -> str:
    """A user id no other test uses (the channel makes the sender ``<channel>:<user>``)."""
    return f"9{uuid.uuid4().int % 10**8:08d}"


def talk(stack: ConsoleStack, channel: str, user: str, *messages: str) -> str:
    """Send ``messages`` one after another as ``user`` of ``channel`` (tg/wx: the signed channel; rest: the
    development channel); each must be answered. Returns the sender as Rasa names it."""
    for message in messages:
        resp = stack.rest(user, message) if channel == "rest" else stack.trusted(channel, user, message)
        assert texts(resp), f"no answer to {message!r}"
    return user if channel == "rest" else f"{channel}:{user}"


def archive(stack: ConsoleStack) -> None:
    """The archiver once: what is in the stream now goes into the backend's database."""
    done = subprocess.run(
        [str(BACKEND_PYTHON), "-m", "credit_backend.archive", "consume", "--once"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


def archived(stack: ConsoleStack, sender: str, messages: int) -> dict[str, Any]:
    """The archived conversation of ``sender`` once its ``messages`` user messages are in (the broker sends a
    turn's events just after the turn), as the backend's admin API describes it."""
    found: dict[str, Any] = {}

    def arrived() -> bool:
        archive(stack)
        items = stack.backend_get("/conversations", token=ADMIN_TOKEN, sender=sender)["items"]
        mine = [c for c in items if c["sender_id"] == sender]
        if not mine:
            return False
        detail = stack.backend_get(f"/conversations/{mine[0]['id']}", token=ADMIN_TOKEN)
        found.update(detail)
        return len([m for m in detail["messages"] if m["typed"]]) >= messages

    wait_until(arrived, 60, f"{messages} messages of {sender} in the archive")
    return found


def audited(stack: ConsoleStack, actor: str, action: str) -> list[dict[str, Any]]:
    """The audit log's entries of ``action`` by ``actor`` (e.g. staff:admin01), newest first."""
    return list(stack.backend_get("/audit", token=ADMIN_TOKEN, actor=actor, action=action, per_page=100)["items"])


def admins_only(page: Page, stack: ConsoleStack, link: str, *paths: str) -> None:
    """A staff member (logged in on ``page``) has no ``link`` in the navigation and gets the 403 page at ``paths``."""
    assert page.get_by_role("link", name=link).count() == 0
    for path in paths:
        response = page.goto(stack.url(path))
        assert response is not None and response.status == 403, path
        assert ADMINS_ONLY in visible_text(page)


def project_copy(tmp: Path) -> Path:
    """A project root for the console to write into: copies of PROJECT_PARTS."""
    root = tmp / "project"
    root.mkdir()
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            shutil.copy2(source, root / part)
    return root


@contextmanager
def console_root(stack: ConsoleStack, root: Path) -> Iterator[Path]:
    """The console restarted with ``CONSOLE_PROJECT_ROOT=root``, and restarted as before afterwards."""
    stack.stop_service("console")
    stack.env["CONSOLE_PROJECT_ROOT"] = str(root)
    try:
        stack.start_service("console")
        yield root
    finally:
        stack.stop_service("console")
        stack.env.pop("CONSOLE_PROJECT_ROOT", None)
        stack.start_service("console")
