"""Benchmark the cluster of ``make up-cluster`` through its Rasa proxy (``make bench-cluster``): prints figures,
asserts nothing.

The run of ``make bench`` (16 concurrent scripted conversations of 40 turns, greeting and credit query in turn, a new
connection per message; scripts/bench_assistant.py) through HAProxy, first with one Rasa server in rotation (the
others put in maintenance on the proxy's runtime API), then with all of them. For each run: messages per second,
p50/p95 per kind of turn, and what a turn costs: CPU time of each replica, memory (PSS) of each, Redis commands
(INFO commandstats) and PostgreSQL work (pg_stat_database) per turn. docs/capacity.md is written from these.

Then, for each fault of FAULTS (a Rasa server, an action server, a backend killed; Redis, PostgreSQL killed), the same
16 conversations run for ``--fault-seconds`` while the part is killed ``--fault-after`` seconds in and started again
``--down-seconds`` later, as its supervisor would: messages per second, p50/p95, how many turns were answered, got a
polite "please try again" or an error, and the p95 of the turns between the kill and the part's return.
``--fault NAME`` runs that fault only, ``--no-faults`` none.

Starts the cluster when it is not running (and stops it afterwards unless ``--keep``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass

import httpx
import psycopg
import redis
from bench_assistant import GREET, QUERY, Sample, percentile, run

from bot import procfs
from bot.cluster import Cluster, ClusterError, from_environment

# A fault: the part killed with SIGKILL (a host lost), by its name in the cluster.
FAULTS = ("rasa-1", "actions-1", "backend-1", "redis", "postgres")
# What the channels, the proxy and the actions answer when a turn could not be served (bot/texts.py TRY_AGAIN,
# actions/messages.py unavailable_text, the forms' "reply later to go on").
POLITE = ("请稍后再试", "请稍后回复")

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


def snapshot(cluster: Cluster) -> Snapshot:
    cpu = {
        name: procfs.cpu_seconds(procfs.group(pid, with_children=True)) for name, pid in cluster.pids().items() if pid
    }
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
        print(
            f"  {name:10s} {cpu / r.turns * 1000:12.1f} {cpu / window * 100:15.0f}% {procfs.pss_kib(procfs.group(pid, with_children=True)) / 1024:8.0f}"
        )
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


@dataclass(frozen=True)
class Turn:
    at: float  # seconds since the run started, when the message was sent
    ms: float
    outcome: str  # "answered", "polite" (asked to try again) or "error" (no answer, or an impolite one)


async def faulted_conversation(
    client: httpx.AsyncClient, url: str, started: float, until: float, out: list[Turn]
) -> None:
    """Greets and queries in turn until ``until`` (perf_counter); every outcome is kept, nothing raises."""
    sender = f"bench:{uuid.uuid4().hex[:12]}"
    i = 0
    while time.perf_counter() < until:
        sent = time.perf_counter()
        try:
            r = await client.post(url, json={"sender": sender, "message": GREET if i % 2 == 0 else QUERY})
            texts = " ".join(str(m.get("text") or "") for m in r.json())
            outcome = "polite" if any(p in texts for p in POLITE) else "answered" if texts.strip() else "error"
            if r.status_code != 200 and outcome == "answered":
                outcome = "error"
        except (httpx.HTTPError, ValueError, AttributeError, TypeError):
            outcome = "error"
        out.append(Turn(sent - started, (time.perf_counter() - sent) * 1000, outcome))
        i += 1


def fault_run(cluster: Cluster, name: str, conversations: int, seconds: float, after: float, down: float) -> None:
    """``conversations`` for ``seconds``; ``name`` killed ``after`` seconds in and started again ``down`` later."""
    url = f"{cluster.rasa_url}/webhooks/rest/webhook"
    window: dict[str, float] = {}

    async def with_fault() -> list[Turn]:
        out: list[Turn] = []
        loop = asyncio.get_running_loop()
        limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            started = time.perf_counter()

            async def fault() -> None:
                await asyncio.sleep(after)
                window["killed"] = time.perf_counter() - started
                await loop.run_in_executor(None, cluster.kill, name)
                await asyncio.sleep(down)
                await loop.run_in_executor(None, cluster.start_replica, name)
                if name in cluster.replica_ports():
                    await loop.run_in_executor(None, cluster.wait_proxy_status, name)
                window["back"] = time.perf_counter() - started

            task = asyncio.create_task(fault())
            await asyncio.gather(
                *(faulted_conversation(client, url, started, started + seconds, out) for _ in range(conversations))
            )
            await task
        return out

    turns = asyncio.run(with_fault())
    counts = {kind: sum(t.outcome == kind for t in turns) for kind in ("answered", "polite", "error")}
    during = [t.ms for t in turns if window["killed"] <= t.at <= window["back"]]
    elapsed = max(seconds, window["back"])
    ms = [t.ms for t in turns]
    print(
        f"fault {name:10s} {len(turns) / elapsed:6.1f} msg/s  p50 {statistics.median(ms):6.0f} ms  "
        f"p95 {percentile(ms, 95):6.0f} ms  answered {counts['answered']}, polite {counts['polite']}, "
        f"errors {counts['error']}; killed at {window['killed']:.0f} s, back at {window['back']:.0f} s, "
        f"p95 meanwhile {percentile(during, 95) if during else 0:.0f} ms ({len(during)} turns)"
    )


def run_faults(cluster: Cluster, faults: list[str], args: argparse.Namespace) -> int:
    if faults:
        print(
            f"\nfaults ({args.concurrency} conversations, {args.fault_seconds:.0f} s each, SIGKILL at "
            f"{args.fault_after:.0f} s, started again {args.down_seconds:.0f} s later):"
        )
    for name in faults:
        fault_run(cluster, name, args.concurrency, args.fault_seconds, args.fault_after, args.down_seconds)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=40, help="turns per concurrent conversation")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    parser.add_argument("--fault", choices=FAULTS, help="only this fault, and no rate runs")
    parser.add_argument("--no-faults", action="store_true", help="the rate runs only")
    parser.add_argument("--fault-seconds", type=float, default=60.0, help="length of each fault run")
    parser.add_argument("--fault-after", type=float, default=10.0, help="seconds into the run the part is killed")
    parser.add_argument("--down-seconds", type=float, default=5.0, help="seconds before its supervisor restarts it")
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
        faults = [args.fault] if args.fault else [] if args.no_faults else list(FAULTS)
        if args.fault:
            return run_faults(cluster, faults, args)
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
        run_faults(cluster, faults, args)
    finally:
        if not (args.keep or was_running):
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
