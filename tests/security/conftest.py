"""The stack under attack: one per test module (starting Rasa is the slow part), as ``make up`` runs it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.security.harness import JIANGCHENG, VICTIM_TG_USER, Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("stack"))
    try:
        s.start()
        yield s
    finally:
        failed = request.session.testsfailed
        s.stop()
        if failed:
            print(s.logs(), file=sys.stderr)


@pytest.fixture(scope="module")
def victim(stack: Stack) -> dict[str, Any]:
    """A Telegram user bound to 江城建材 (with the one-time code sent to its phone) who filed an objection."""
    sender = f"tg:{VICTIM_TG_USER}"
    stack.bind(sender, JIANGCHENG)
    application = stack.file_objection(sender, JIANGCHENG)
    return {"sender": sender, "user": VICTIM_TG_USER, "uscc": JIANGCHENG, "application": application}
