"""The channels' processes on one host open their shared SQLite state file at the same moment."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from bot.telegram.state import StateDB
from bot.wechat.journal import Journal

OPENERS = 8


def _open_and_record(kind: str, path: str, barrier: multiprocessing.synchronize.Barrier, n: int) -> None:
    barrier.wait()  # all processes open the new file together, as the instances of `make up` do
    store = Journal(path) if kind == "journal" else StateDB(path)
    store.conn.execute("INSERT INTO deliveries (notification_id, status, detail, at) VALUES (?, 'sent', '', 0)", (n,))
    store.close()


@pytest.mark.parametrize("kind", ["journal", "telegram"])
def test_processes_opening_a_new_state_file_at_once_all_start(kind: str, tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    context = multiprocessing.get_context("fork")
    for _ in range(5):  # the race was rare: a few rounds make a regression show
        (tmp_path / "state.db").unlink(missing_ok=True)
        barrier = context.Barrier(OPENERS)
        workers = [context.Process(target=_open_and_record, args=(kind, path, barrier, n)) for n in range(OPENERS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [w.exitcode for w in workers] == [0] * OPENERS
        rows = Journal(path).conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        assert rows == OPENERS
