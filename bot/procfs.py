"""Processes as Linux's /proc shows them: one reader of /proc/<pid>/stat for the runner and the benchmarks.

Without /proc (not Linux) every function answers as if no process were there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    """The fields of /proc/<pid>/stat that the project reads."""

    pid: int
    state: str  # R, S, D, Z …
    ppid: int
    pgrp: int
    cpu_ticks: int  # user + system time, in clock ticks


def stat(pid: int) -> Stat | None:
    """The process ``pid``, or None when it is gone."""
    try:
        # After the command's closing parenthesis (the command may hold one): state ppid pgrp … utime stime.
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return Stat(pid, fields[0], int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]))
    except (OSError, IndexError, ValueError):
        return None


def processes() -> Iterator[Stat]:
    """Every process that can be read now."""
    if not PROC.is_dir():
        return
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (found := stat(int(entry.name))) is not None:
            yield found


def group(pgid: int, with_children: bool = False) -> list[int]:
    """The processes of the group ``pgid`` (Sanic's workers share their server's), and with ``with_children`` the
    direct children of its leader too (PostgreSQL's backends each start a session of their own)."""
    return [p.pid for p in processes() if pgid in (p.pgrp, p.pid) or (with_children and p.ppid == pgid)]


def group_running(pgid: int) -> bool:
    """A process of the group ``pgid`` is still running (zombies aside)."""
    return any(p.pgrp == pgid and p.state != "Z" for p in processes())


def zombie(pid: int) -> bool:
    """``pid`` exited and was never reaped."""
    found = stat(pid)
    return found is not None and found.state == "Z"


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time the processes have used so far."""
    return sum(s.cpu_ticks for s in map(stat, pids) if s is not None) / os.sysconf("SC_CLK_TCK")


def pss_kib(pids: Iterable[int]) -> int:
    """Proportional set size of the processes: pages they share counted once among them (smaps_rollup)."""
    total = 0
    for pid in pids:
        try:
            for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def children() -> dict[int, list[int]]:
    """Every process's children."""
    found: dict[int, list[int]] = {}
    for p in processes():
        found.setdefault(p.ppid, []).append(p.pid)
    return found
