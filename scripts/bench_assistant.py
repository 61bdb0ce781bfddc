"""Benchmark the assistant through Rasa's REST channel (``make bench``): prints figures, asserts nothing.

The conversations use ``bench:`` senders on the development REST channel (the ``web:`` namespace belongs to
the web channel's signed sessions); the channel, its order of arrival and the turns are those of every channel.

Measures per-turn latency of a turn with no custom action (a greeting) and of a credit-query turn
(custom action → backend), sequentially and with 16 concurrent conversations, the message rate, and
how a turn's latency grows with the length of the conversation, and, for the sequential run, the CPU time
each service (Rasa, the action server, the backend) spends on a turn of each kind. Goals on the 2-core reference
machine: query/greet p50 ratio ≤ 1.5, ≥ 25 messages/s at 16 concurrent conversations. Needs the
services of ``make up`` (started here if they are not running).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot import procfs, runner

GREET = "你好"
QUERY = "帮我查一下91220202MA0Y3K7Q6L的信用情况"
GROWTH_BLOCK = 20  # turns per line of the growth table
CPU_SERVICES = ("rasa", "actions", "backend")  # services of `make up` whose CPU time a sequential turn costs


@dataclass(frozen=True)
class Sample:
    index: int  # the turn's position in its conversation, from 0
    kind: str  # "greet" or "query"
    ms: float
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU time per service during the turn (sequential run)


class CpuMeter:
    """CPU time (user + system) of the services of ``make up``, read from /proc: each service runs in its own
    process group (its pid in var/run), Rasa's workers included. The kernel counts in ticks (10 ms), so one turn's
    figure is coarse; the mean over a run's turns is not."""

    def __init__(self, run_dir: Path = runner.RUN, services: tuple[str, ...] = CPU_SERVICES) -> None:
        self.pids: dict[str, list[int]] = {}
        for name in services:
            pid_file = run_dir / f"{name}.pid"
            if pid_file.exists():
                self.pids[name] = procfs.group(int(pid_file.read_text()))

    def read(self) -> dict[str, float]:
        """CPU seconds each service has used so far."""
        return {name: procfs.cpu_seconds(pids) for name, pids in self.pids.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def p50(samples: list[Sample], kind: str) -> float:
    return statistics.median(s.ms for s in samples if s.kind == kind)


async def turn(client: httpx.AsyncClient, url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    r = await client.post(url, json={"sender": sender, "message": text})
    r.raise_for_status()
    if not r.json():
        raise RuntimeError(f"no answer to {text!r}")
    return (time.perf_counter() - start) * 1000


async def conversation(
    client: httpx.AsyncClient, url: str, turns: int, out: list[Sample], meter: CpuMeter | None = None
) -> None:
    sender = f"bench:{uuid.uuid4().hex[:12]}"
    for i in range(turns):
        kind, text = ("greet", GREET) if i % 2 == 0 else ("query", QUERY)
        before = meter.read() if meter else {}
        ms = await turn(client, url, sender, text)
        after = meter.read() if meter else {}
        out.append(Sample(i, kind, ms, {name: (after[name] - before[name]) * 1000 for name in after}))


async def run(url: str, conversations: int, turns: int, meter: CpuMeter | None = None) -> tuple[list[Sample], float]:
    out: list[Sample] = []
    # No keep-alive, like the Telegram bridge: a kept-alive connection stays with the Rasa worker that accepted it
    # (measured: all 16 on one of the two workers).
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await conversation(client, url, 4, [])  # warm-up
        start = time.perf_counter()
        await asyncio.gather(*(conversation(client, url, turns, out, meter) for _ in range(conversations)))
        elapsed = time.perf_counter() - start
    return out, elapsed


def report(title: str, samples: list[Sample], elapsed: float) -> tuple[float, float]:
    """Prints the figures of one run; returns (messages per second, query/greet p50 ratio)."""
    print(f"\n{title}: {len(samples)} turns in {elapsed:.1f} s → {len(samples) / elapsed:.1f} messages/s")
    for kind in ("greet", "query"):
        values = [s.ms for s in samples if s.kind == kind]
        print(
            f"  {kind:5s} p50 {statistics.median(values):7.1f} ms   p95 {percentile(values, 95):7.1f} ms"
            f"   (n={len(values)})"
        )
    ratio = p50(samples, "query") / p50(samples, "greet")
    print(f"  query/greet p50 ratio {ratio:.2f}")
    return len(samples) / elapsed, ratio


def report_growth(samples: list[Sample]) -> None:
    print(f"\ngrowth with the conversation's length (sequential run, p50 per {GROWTH_BLOCK} turns):")
    for first in range(0, max(s.index for s in samples) + 1, GROWTH_BLOCK):
        block = [s for s in samples if first <= s.index < first + GROWTH_BLOCK]
        print(
            f"  turns {first + 1:3d}–{first + GROWTH_BLOCK:3d}: greet {p50(block, 'greet'):6.1f} ms"
            f"   query {p50(block, 'query'):6.1f} ms"
        )


def report_cpu(samples: list[Sample]) -> None:
    """Mean CPU time per turn of each kind in each service (sequential run: one turn at a time, so the services'
    CPU time between a turn's request and its answer is that turn's)."""
    names = [name for name in CPU_SERVICES if any(name in s.cpu_ms for s in samples)]
    if not names:
        return
    print("\nCPU time per turn (sequential run, mean ms; /proc ticks of the services' processes):")
    means: dict[str, dict[str, float]] = {}
    for kind in ("greet", "query"):
        chosen = [s for s in samples if s.kind == kind]
        means[kind] = {name: statistics.mean(s.cpu_ms.get(name, 0.0) for s in chosen) for name in names}
        figures = "  ".join(f"{name} {means[kind][name]:5.1f}" for name in names)
        print(f"  {kind:5s} {figures}   total {sum(means[kind].values()):5.1f}")
    extra = "  ".join(f"{name} {means['query'][name] - means['greet'][name]:+5.1f}" for name in names)
    print(f"  query − greet: {extra}")


def verdict(goal: str, met: bool, figure: float) -> str:
    return f"{goal} → {'met' if met else 'NOT met'} ({figure:.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/rest/webhook")
    parser.add_argument("--turns", type=int, default=40, help="turns per concurrent conversation")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if runner.up(["backend", "actions", "rasa"]) != 0:
        return 1
    meter = CpuMeter() if Path("/proc/self/stat").exists() else None
    sequential, seq_elapsed = asyncio.run(run(args.url, 1, args.turns * 2, meter))
    _, seq_ratio = report("sequential (1 conversation)", sequential, seq_elapsed)
    concurrent, con_elapsed = asyncio.run(run(args.url, args.concurrency, args.turns))
    rate, con_ratio = report(f"concurrent ({args.concurrency} conversations)", concurrent, con_elapsed)
    report_growth(sequential)
    report_cpu(sequential)
    print("\ngoals:")
    print("  " + verdict("query/greet p50 ratio ≤ 1.5, sequential", seq_ratio <= 1.5, seq_ratio))
    print("  " + verdict(f"query/greet p50 ratio ≤ 1.5, {args.concurrency} concurrent", con_ratio <= 1.5, con_ratio))
    print("  " + verdict(f"≥ 25 messages/s at {args.concurrency} concurrent", rate >= 25, rate))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
