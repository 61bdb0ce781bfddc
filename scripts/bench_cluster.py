"""Benchmark the cluster of ``make up-cluster`` through its Rasa proxy (``make bench-cluster``): prints figures,
asserts nothing.

The run of ``make bench`` (16 concurrent scripted conversations of 40 turns, greeting and credit query in turn, a new
connection per message; scripts/bench_assistant.py) through HAProxy, first with one Rasa server in rotation (the
others put in maintenance on the proxy's runtime API), then with all of them. For each run: messages per second,
p50/p95 per kind of turn, and what a turn costs: CPU time of each replica, memory (PSS) of each, Redis commands
(INFO commandstats) and PostgreSQL work (pg_stat_database) per turn. docs/capacity.md is written from these.

Faults (issue 16) plug in through FAULTS: ``--fault NAME`` runs the same conversations and applies FAULTS[NAME] to the
cluster ``--fault-after`` seconds into the run.

Starts the cluster when it is not running (and stops it afterwards unless ``--keep``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from bench_assistant import Sample, percentile, run

from bot.cluster import Cluster, ClusterError, from_environment

# The consistency helper's faults: name → what is done to the running cluster (e.g. lambda c: c.kill("rasa-1")).
FAULTS: dict[str, Callable[[Cluster], None]] = {}

PG_COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "tup_returned",
    "tup_fetched",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
)


@dataclass(frozen=True)
class Snapshot:
    cpu: dict[str, float]  # seconds of CPU per process name (its whole process group)
    redis_calls: dict[str, int]  # calls per Redis command
    redis_memory: int  # used_memory, bytes
    redis_aof: int  # aof_current_size, bytes
    pg: dict[str, int]  # pg_stat_database counters of the database "credit"
    pg_bytes: int  # pg_database_size('credit')
    at: float


def group_processes(pgid: int) -> list[int]:
    """The processes of the group ``pgid`` and the direct children of its leader (PostgreSQL's backends each
    start a session of their own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if pgid in (int(fields[2]), int(fields[1]), int(entry.name)):
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process of the group (PostgreSQL: the postmaster and its backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in group_processes(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pss_mib(pgid: int) -> float:
    """Proportional set size of the group: shared pages counted once across processes (smaps_rollup)."""
    total_kib = 0
    for pid in group_processes(pgid):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def snapshot(cluster: Cluster) -> Snapshot:
    cpu = {name: cpu_seconds(pid) for name, pid in cluster.pids().items() if pid}
    client = redis.Redis(port=cluster.redis_port)
    info = client.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in info.items()}
    memory, persistence = client.info("memory"), client.info("persistence")
    with psycopg.connect(f"host=127.0.0.1 port={cluster.postgres_port} user=postgres dbname=credit") as conn:
        row = conn.execute(
            f"SELECT {', '.join(PG_COUNTERS)}, pg_database_size('credit') FROM pg_stat_database WHERE datname = 'credit'"
        ).fetchone()
    assert row is not None
    return Snapshot(
        cpu,
        calls,
        int(memory["used_memory"]),
        int(persistence.get("aof_current_size", 0)),
        dict(zip(PG_COUNTERS, map(int, row[:-1]), strict=True)),
        int(row[-1]),
        time.monotonic(),
    )


def settle() -> None:
    """PostgreSQL's backends publish their statistics at most once a second; the archiver lingers 2 s."""
    time.sleep(3)


def only_rasa_servers(cluster: Cluster, count: int) -> None:
    """Puts the first ``count`` Rasa servers in the proxy's rotation and the others in maintenance."""
    for i, name in enumerate(cluster.layout.replica_ports("rasa")):
        cluster.admin(f"set server rasa/{name} state {'ready' if i < count else 'maint'}")
    time.sleep(1)


@dataclass
class Result:
    title: str
    samples: list[Sample]
    elapsed: float
    turns: int  # including the warm-up conversation's
    before: Snapshot
    after: Snapshot

    @property
    def rate(self) -> float:
        return len(self.samples) / self.elapsed


def measured_run(cluster: Cluster, title: str, conversations: int, turns: int) -> Result:
    url = f"{cluster.rasa_url}/webhooks/rest/webhook"
    before = snapshot(cluster)
    samples, elapsed = asyncio.run(run(url, conversations, turns))
    settle()
    return Result(title, samples, elapsed, len(samples) + 4, before, snapshot(cluster))


def print_rates(results: list[Result]) -> None:
    print(f"\n{'run':28s} {'msg/s':>7s} {'greet p50':>10s} {'greet p95':>10s} {'query p50':>10s} {'query p95':>10s}")
    for r in results:
        cells = []
        for kind in ("greet", "query"):
            values = [s.ms for s in r.samples if s.kind == kind]
            cells += [f"{statistics.median(values):8.0f}ms", f"{percentile(values, 95):8.0f}ms"]
        print(f"{r.title:28s} {r.rate:7.1f} {' '.join(f'{c:>10s}' for c in cells)}")


def print_costs(cluster: Cluster, r: Result) -> None:
    print(f"\ncost per turn, {r.title} ({r.turns} turns, {r.elapsed:.1f} s):")
    print(f"  {'process':10s} {'CPU ms/turn':>12s} {'CPU % of 1 core':>16s} {'PSS MiB':>8s}")
    for name, pid in cluster.pids().items():
        if not pid or name not in r.before.cpu:
            continue
        cpu = r.after.cpu.get(name, 0.0) - r.before.cpu[name]
        window = r.after.at - r.before.at
        print(f"  {name:10s} {cpu / r.turns * 1000:12.1f} {cpu / window * 100:15.0f}% {pss_mib(pid):8.0f}")
    deltas = {cmd: r.after.redis_calls.get(cmd, 0) - r.before.redis_calls.get(cmd, 0) for cmd in r.after.redis_calls}
    busy = sorted(((n, c) for c, n in deltas.items() if n > 0), reverse=True)
    total = sum(n for n, _ in busy)
    print(f"  Redis: {total / r.turns:.1f} commands per turn: " + ", ".join(f"{c} {n / r.turns:.2f}" for n, c in busy))
    print(
        f"  Redis memory +{(r.after.redis_memory - r.before.redis_memory) / r.turns:.0f} B/turn, append-only file "
        f"+{(r.after.redis_aof - r.before.redis_aof) / r.turns:.0f} B/turn"
    )
    pg = {k: r.after.pg[k] - r.before.pg[k] for k in PG_COUNTERS}
    print("  PostgreSQL per turn: " + ", ".join(f"{k} {v / r.turns:.2f}" for k, v in pg.items()))
    print(f"  PostgreSQL database +{(r.after.pg_bytes - r.before.pg_bytes) / r.turns:.0f} B/turn")


def fault_run(cluster: Cluster, name: str, conversations: int, turns: int, after: float) -> None:
    """The hook for the fault figures: the same run, with FAULTS[name] applied ``after`` seconds in."""

    async def with_fault() -> tuple[list[Sample], float]:
        loop = asyncio.get_running_loop()

        async def later() -> None:
            await asyncio.sleep(after)
            await loop.run_in_executor(None, FAULTS[name], cluster)

        task = asyncio.create_task(later())
        result = await run(f"{cluster.rasa_url}/webhooks/rest/webhook", conversations, turns)
        await task
        return result

    before = snapshot(cluster)
    samples, elapsed = asyncio.run(with_fault())
    settle()
    result = Result(f"fault: {name}", samples, elapsed, len(samples) + 4, before, snapshot(cluster))
    print_rates([result])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=40, help="turns per concurrent conversation")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    parser.add_argument("--fault", choices=sorted(FAULTS), help="a fault run instead (FAULTS)")
    parser.add_argument("--fault-after", type=float, default=10.0)
    parser.add_argument(
        "--redis-fsync",
        choices=["always", "everysec"],
        help="set the cluster Redis's appendfsync for the runs (CONFIG SET; the cluster's own is always)",
    )
    args = parser.parse_args()
    cluster = from_environment()
    was_running = cluster.pid("rasa-1") is not None
    try:
        cluster.start()
    except ClusterError as exc:
        print(f"the cluster did not start: {exc}")
        cluster.stop()
        return 1
    try:
        if args.redis_fsync:
            redis.Redis(port=cluster.redis_port).config_set("appendfsync", args.redis_fsync)
            print(f"Redis appendfsync {args.redis_fsync}")
        if args.fault:
            fault_run(cluster, args.fault, args.concurrency, args.turns, args.fault_after)
            return 0
        servers = cluster.layout.rasa
        results = []
        for count in sorted({1, servers}):
            only_rasa_servers(cluster, count)
            label = f"{count} Rasa server{'s' if count > 1 else ''}, {args.concurrency} conv."
            results.append(measured_run(cluster, label, args.concurrency, args.turns))
        only_rasa_servers(cluster, servers)
        print_rates(results)
        for result in results:
            print_costs(cluster, result)
    finally:
        if not (args.keep or was_running):
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
