"""The contract suite runs against a real backend process: uvicorn over a fresh SQLite demo city."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import DemoBackend

TOKENS = {"assistant": "contract-assistant-token", "staff": "contract-staff-token", "admin": "contract-admin-token"}


class Tally:
    """What the suite checked, printed at the end of the run."""

    def __init__(self) -> None:
        self.operations: set[str] = set()
        self.requests: Counter[str] = Counter()  # per role
        self.statuses: Counter[int] = Counter()


TALLY = Tally()


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBackend]:
    server = DemoBackend(Path(tmp_path_factory.mktemp("contract")), TOKENS).start()
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.requests:
        return
    roles = ", ".join(f"{n} as {role}" for role, n in sorted(TALLY.requests.items()))
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(TALLY.statuses.items()))
    terminalreporter.write_line(
        f"contract: {len(TALLY.operations)} operations, {sum(TALLY.requests.values())} requests checked "
        f"({roles}); answers by status: {statuses}"
    )
