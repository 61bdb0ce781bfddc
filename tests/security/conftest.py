"""The stack under attack: one per test module (starting Rasa is the slow part), as ``make up`` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.security.harness import JIANGCHENG, VICTIM_TG_USER, Stack
from tests.support.processes import serving


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    with serving(Stack(tmp_path_factory.mktemp("stack")), request.session) as s:
        yield s


@pytest.fixture(scope="module")
def victim(stack: Stack) -> dict[str, Any]:
    """A Telegram user bound to 江城建材 (with the one-time code sent to its phone) who filed an objection."""
    sender = f"tg:{VICTIM_TG_USER}"
    stack.bind(sender, JIANGCHENG)
    application = stack.file_objection(sender, JIANGCHENG)
    return {"sender": sender, "user": VICTIM_TG_USER, "uscc": JIANGCHENG, "application": application}
