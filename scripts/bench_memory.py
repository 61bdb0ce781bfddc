"""What the serving stack holds in memory (``make bench-memory``): prints figures, asserts nothing.

Starts the services of ``make up`` that are not running (bot.runner, as ``make bench`` does), warms them with a few
conversations (a greeting, a credit query and an FAQ question each, over new connections so that every Rasa worker
loads its model and runs each NLU component and TensorFlow graph), then sums, for every service, the memory of its
process and of every process descended from it (Rasa's Sanic workers): PSS (proportional set size: a page shared
by n processes counts 1/n in each, so the sum over processes is what the stack really holds) and RSS, both read
from ``/proc/<pid>/smaps_rollup``. PSS also divides a shared library's pages with processes outside the stack (another
Rasa on the same machine maps the same TensorFlow), so, when /proc/<pid>/pagemap gives physical page numbers (root),
the physical pages that the stack's processes map are also counted once each ("once"): the stack's PSS as it would be
with nothing else running, never lower than the PSS sum. The goal (issue 13): the whole stack under 2.5 GB, judged
on that figure (on the PSS sum without pagemap).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import struct
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot import procfs, runner

GOAL_BYTES = 2_500_000_000  # 2.5 GB (decimal, the stricter reading)
MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
PFN_MASK = (1 << 55) - 1
PRESENT = 1 << 63
WARM_MESSAGES = ("你好", "帮我查一下91220202MA0Y3K7Q6L的信用情况", "信用修复需要什么条件")


@dataclass(frozen=True)
class Usage:
    """One process's memory, in bytes (smaps_rollup)."""

    pid: int
    command: str
    pss: int
    pss_anon: int
    rss: int
    frames: frozenset[int]  # physical page numbers in memory (empty without pagemap access)


@dataclass
class ServiceUsage:
    name: str
    processes: list[Usage] = field(default_factory=list)

    @property
    def pss(self) -> int:
        return sum(p.pss for p in self.processes)

    @property
    def pss_anon(self) -> int:
        return sum(p.pss_anon for p in self.processes)

    @property
    def rss(self) -> int:
        return sum(p.rss for p in self.processes)

    @property
    def frames(self) -> frozenset[int]:
        return frozenset().union(*(p.frames for p in self.processes))


def read_usage(pid: int) -> Usage | None:
    """The memory of ``pid`` from /proc/<pid>/smaps_rollup, or None when it has gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    fields: dict[str, int] = {}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[name] = int(parts[0]) * 1024  # kB
    frames = physical_frames(pid)
    return Usage(pid, command, fields.get("Pss", 0), fields.get("Pss_Anon", 0), fields.get("Rss", 0), frames)


def physical_frames(pid: int) -> frozenset[int]:
    """The physical page numbers of every page of ``pid`` in memory (/proc/<pid>/pagemap: 8 bytes per virtual page,
    bit 63 present, bits 0–54 the frame, which reads as 0 without CAP_SYS_ADMIN: then an empty set)."""
    frames: set[int] = set()
    try:
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        fd = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY)
    except OSError:
        return frozenset()
    try:
        for line in maps:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            try:
                data = os.pread(fd, (end - start) // PAGE * 8, start // PAGE * 8)
            except OSError:  # [vsyscall] and the like
                continue
            frames.update(entry & PFN_MASK for (entry,) in struct.iter_unpack("<Q", data) if entry & PRESENT)
    finally:
        os.close(fd)
    frames.discard(0)
    return frozenset(frames)


def process_tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    """``pid`` and every process descended from it."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return sorted(tree)


def running_services() -> dict[str, int]:
    """The services of bot.runner that run now, with the pid it started each with (var/run/<name>.pid)."""
    found: dict[str, int] = {}
    for path in sorted(runner.RUN.glob("*.pid")):
        try:
            pid = int(path.read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            continue
        found[path.stem] = pid
    return found


def measure() -> list[ServiceUsage]:
    children = procfs.children()
    result = []
    for name, pid in running_services().items():
        service = ServiceUsage(name)
        for member in process_tree(pid, children):
            usage = read_usage(member)
            if usage is not None:
                service.processes.append(usage)
        result.append(service)
    return result


async def warm(url: str, conversations: int) -> int:
    """Talks to the assistant until every conversation had each WARM_MESSAGES answered; returns the turns."""
    # A new connection per message (no keep-alive), like the Telegram bridge: the turns spread over the workers.
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def conversation() -> int:
            sender = f"bench:mem-{uuid.uuid4().hex[:10]}"
            for text in WARM_MESSAGES:
                r = await client.post(url, json={"sender": sender, "message": text})
                r.raise_for_status()
                if not r.json():
                    raise RuntimeError(f"no answer to {text!r}")
            return len(WARM_MESSAGES)

        return sum(await asyncio.gather(*(conversation() for _ in range(conversations))))


def mib(value: int) -> str:
    return f"{value / MIB:9.1f}"


def report(services: list[ServiceUsage], per_process: bool) -> None:
    print(f"\n{'service':10s} {'processes':>9s} {'PSS MiB':>9s} {'(anon)':>9s} {'once MiB':>9s} {'RSS MiB':>9s}")
    for service in sorted(services, key=lambda s: -s.pss):
        print(
            f"{service.name:10s} {len(service.processes):9d} {mib(service.pss)} {mib(service.pss_anon)}"
            f" {mib(len(service.frames) * PAGE)} {mib(service.rss)}"
        )
        if per_process and len(service.processes) > 1:
            for p in service.processes:
                print(
                    f"  pid {p.pid:<7d}  {'':>2s} {mib(p.pss)} {mib(p.pss_anon)} {mib(len(p.frames) * PAGE)}"
                    f" {mib(p.rss)}   {p.command[:50]}"
                )
    pss = sum(s.pss for s in services)
    rss = sum(s.rss for s in services)
    once = len(frozenset().union(*(s.frames for s in services))) * PAGE
    count = sum(len(s.processes) for s in services)
    print(f"{'total':10s} {count:9d} {mib(pss)} {mib(sum(s.pss_anon for s in services))} {mib(once)} {mib(rss)}")
    print(
        "\nPSS: a page shared by n processes counts 1/n in each (also with processes outside the stack); once: every"
        " physical page of the stack counted once (/proc/<pid>/pagemap); RSS counts a shared page in every process."
    )
    held = max(pss, once)
    print(
        f"goal: the serving stack under 2.5 GB → {'met' if held < GOAL_BYTES else 'NOT met'}"
        f" ({held / 1e9:.2f} GB = {held / MIB:.0f} MiB; PSS sum {pss / 1e9:.2f} GB"
        f"{'' if once else ', pagemap not readable: run as root to count pages once'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=8, help="warm-up conversations, run concurrently")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait after the warm-up")
    parser.add_argument("--no-start", action="store_true", help="measure what runs; start nothing")
    parser.add_argument("--per-process", action="store_true", help="also print each process of a service")
    args = parser.parse_args()
    if not args.no_start and runner.up([]) != 0:
        return 1
    env = dict(os.environ)
    runner.service_urls(env)
    url = f"{env['RASA_URL']}/webhooks/rest/webhook"
    start = time.perf_counter()
    turns = asyncio.run(warm(url, args.conversations))
    print(f"\nwarm-up: {turns} turns in {time.perf_counter() - start:.1f} s ({url})")
    time.sleep(args.settle)
    report(measure(), args.per_process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
