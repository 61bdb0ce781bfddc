"""Benchmark the assistant through Rasa's REST channel (``make bench``): prints figures, asserts nothing.

Measures per-turn latency of a turn with no custom action (a greeting) and of a credit-query turn
(custom action → backend), sequentially and with 16 concurrent conversations, and the message rate.
Goals on the 2-core reference machine: query/greet p50 ratio ≤ 1.5, ≥ 25 messages/s at 16 concurrent
conversations. Needs the services of ``make up`` (started here if they are not running).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import httpx

from bot import runner

GREET = "你好"
QUERY = "帮我查一下91220202MA0Y3K7Q6L的信用情况"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def turn(client: httpx.AsyncClient, url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    r = await client.post(url, json={"sender": sender, "message": text})
    r.raise_for_status()
    if not r.json():
        raise RuntimeError(f"no answer to {text!r}")
    return (time.perf_counter() - start) * 1000


async def conversation(client: httpx.AsyncClient, url: str, turns: int, out: dict[str, list[float]]) -> None:
    sender = f"web:bench-{uuid.uuid4().hex[:12]}"
    for i in range(turns):
        kind, text = ("greet", GREET) if i % 2 == 0 else ("query", QUERY)
        out[kind].append(await turn(client, url, sender, text))


async def run(url: str, conversations: int, turns: int) -> tuple[dict[str, list[float]], float]:
    out: dict[str, list[float]] = {"greet": [], "query": []}
    limits = httpx.Limits(max_connections=conversations)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await conversation(client, url, 4, {"greet": [], "query": []})  # warm-up
        start = time.perf_counter()
        await asyncio.gather(*(conversation(client, url, turns, out) for _ in range(conversations)))
        elapsed = time.perf_counter() - start
    return out, elapsed


def report(title: str, out: dict[str, list[float]], elapsed: float) -> float:
    total = sum(len(v) for v in out.values())
    print(f"\n{title}: {total} turns in {elapsed:.1f} s → {total / elapsed:.1f} messages/s")
    for kind, values in out.items():
        print(
            f"  {kind:5s} p50 {statistics.median(values):7.1f} ms   p95 {percentile(values, 95):7.1f} ms"
            f"   (n={len(values)})"
        )
    ratio = statistics.median(out["query"]) / statistics.median(out["greet"])
    print(f"  query/greet p50 ratio {ratio:.2f}")
    return total / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/rest/webhook")
    parser.add_argument("--turns", type=int, default=40, help="turns per conversation")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if runner.up(["backend", "actions", "rasa"]) != 0:
        return 1
    sequential, seq_elapsed = asyncio.run(run(args.url, 1, args.turns * 2))
    report("sequential (1 conversation)", sequential, seq_elapsed)
    concurrent, con_elapsed = asyncio.run(run(args.url, args.concurrency, args.turns))
    rate = report(f"concurrent ({args.concurrency} conversations)", concurrent, con_elapsed)
    ratio = statistics.median(concurrent["query"]) / statistics.median(concurrent["greet"])
    print(
        "\ngoals: query/greet p50 ratio ≤ 1.5 →",
        "met" if ratio <= 1.5 else "NOT met",
        f"({ratio:.2f}); ≥ 25 messages/s at {args.concurrency} →",
        "met" if rate >= 25 else "NOT met",
        f"({rate:.1f})",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
