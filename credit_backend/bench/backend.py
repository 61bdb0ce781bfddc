"""Backend benchmark: profile lookup and name search against a city of a million entities.

    python -m credit_backend.bench.backend [--entities 1000000] [--requests 5000] [--database-url URL]

Prepares the database once (SQLite: cached as var/bench/credit-<N>.db and reused while its metadata
matches), starts the real backend with uvicorn as a subprocess on a free port, waits for /healthz and
measures from one client process with a keep-alive connection. Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from credit_backend.db import make_engine
from credit_backend.demo.cli import format_table
from credit_backend.demo.generator import GENERATOR_VERSION, CityGenerator
from credit_backend.demo.load import LoadStats, entity_count, load_city, reset_database
from credit_backend.migrate import upgrade
from credit_backend.models import CreditRecord, Entity
from credit_backend.settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
GOAL_LOOKUP_P99_MS = 10.0
GOAL_SEARCH_P95_MS = 30.0
GOAL_LOOKUPS_PER_S = 500.0


@dataclass
class Series:
    """Latencies (milliseconds) of one kind of request."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall_seconds: float = 0.0
    slowest: list[tuple[float, str, int | None]] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall_seconds if self.wall_seconds else 0.0


# ---- database -----------------------------------------------------------------------------------


def _progress(total: int) -> Callable[[LoadStats], None]:
    step = max(total // 10, 1000)
    state = {"next": step}

    def report(stats: LoadStats) -> None:
        if stats.entities >= state["next"]:
            print(
                f"  {stats.entities:,}/{total:,} 个主体，{stats.records:,} 条记录，{stats.insert_seconds:.0f} 秒",
                flush=True,
            )
            state["next"] = stats.entities + step

    return report


def _load(engine: Engine, entities: int, seed: int) -> LoadStats:
    print(f"生成并导入 {entities:,} 个主体（随机种子 {seed}）……", flush=True)
    stats = load_city(engine, CityGenerator(entities, seed), progress=_progress(entities))
    print(
        f"导入完成：{stats.entities:,} 个主体，{stats.records:,} 条记录，{stats.evaluations:,} 条评价；"
        f"写入 {stats.insert_seconds:.1f} 秒，索引 {stats.index_seconds:.1f} 秒，合计 {stats.total_seconds:.1f} 秒",
        flush=True,
    )
    return stats


def prepare_sqlite(entities: int, seed: int) -> str:
    """Path URL of the cached benchmark database, building it first if missing or stale."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"credit-{entities}.db"
    meta_path = path.with_suffix(".json")
    wanted = {"entities": entities, "seed": seed, "generator_version": GENERATOR_VERSION}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in wanted} == wanted:
            print(
                f"复用已缓存的基准数据库 {path}（{meta.get('records', '?'):,} 条记录，生成于 {meta.get('built_at')}）"
            )
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)  # newer migrations, if any
            engine.dispose()
            return f"sqlite:///{path}"
    partial = path.with_name(path.name + ".partial")
    for stale in (path, meta_path, partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    reset_database(engine)
    stats = _load(engine, entities, seed)
    engine.dispose()
    partial.rename(path)  # only a complete load gets the final name
    meta = {
        **wanted,
        "records": stats.records,
        "evaluations": stats.evaluations,
        "load_seconds": round(stats.total_seconds, 1),
        "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return f"sqlite:///{path}"


def prepare_url(url: str, entities: int, seed: int, reset: bool) -> str | None:
    """Make the database at ``url`` hold the benchmark city; None if it holds something else."""
    engine = make_engine(url)
    try:
        if reset:
            reset_database(engine)
        else:
            upgrade(engine)
        count = entity_count(engine)
        if count == entities:
            print(f"复用数据库中已有的 {count:,} 个主体")
            return url
        if count:
            print(
                f"数据库中已有 {count:,} 个主体，与要求的 {entities:,} 不符。请换一个空数据库，或加 --reset 清空后重建。",
                file=sys.stderr,
            )
            return None
        _load(engine, entities, seed)
        return url
    finally:
        engine.dispose()


def sample_workload(url: str, requests: int, seed: int) -> tuple[list[str], list[str], int, int]:
    """Random existing codes and 3-4 character fragments of existing names and short names."""
    rng = random.Random(seed)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            max_id = int(conn.scalar(select(func.max(Entity.id))) or 0)
            records = int(conn.scalar(select(func.count()).select_from(CreditRecord)) or 0)
            wanted = min(max_id, max(requests, 1000))
            ids = rng.sample(range(1, max_id + 1), wanted)
            rows = []
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                rows.extend(
                    conn.execute(select(Entity.uscc, Entity.name, Entity.short_name).where(Entity.id.in_(chunk)))
                )
    finally:
        engine.dispose()
    rows.sort()  # the database's order is not part of the seed
    rng.shuffle(rows)
    codes = [rows[i % len(rows)][0] for i in range(requests)]
    fragments = []
    for i in range(requests):
        _, name, short_name = rows[(i * 7 + 3) % len(rows)]
        source = short_name if short_name and len(short_name) >= 3 and rng.random() < 0.5 else name
        size = min(len(source), rng.choice((3, 4)))
        start = rng.randrange(len(source) - size + 1)
        fragments.append(source[start : start + size])
    return codes, fragments, max_id, records


# ---- server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, token: str, workers: int, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # A throwaway local server: the staff/admin tokens stay the dev defaults, which need CREDIT_DEMO=1.
    env = {**os.environ, "CREDIT_DATABASE_URL": url, "CREDIT_TOKENS_ASSISTANT": token, "CREDIT_DEMO": "1"}
    cmd = [
        sys.executable, "-m", "uvicorn", "credit_backend.main:app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"后端进程已退出（{proc.returncode}），日志：{log_path}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"后端在90秒内未就绪，日志：{log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- measurement --------------------------------------------------------------------------------


def run_series(client: httpx.Client, name: str, calls: Sequence[tuple[str, dict[str, str] | None]]) -> Series:
    series = Series(name)
    started = time.perf_counter()
    for path, params in calls:
        t0 = time.perf_counter()
        response = client.get(path, params=params)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            series.errors += 1
            continue
        series.latencies.append(elapsed)
        label = params["q"] if params else path.rsplit("/", 1)[-1]
        total = response.json().get("total") if params else None
        series.slowest.append((elapsed, label, total))
        if len(series.slowest) > 50:
            series.slowest.sort(reverse=True)
            del series.slowest[5:]
    series.wall_seconds = time.perf_counter() - started
    series.slowest.sort(reverse=True)
    del series.slowest[5:]
    return series


def report(lookups: Series, searches: Series) -> None:
    rows = [
        [
            s.name,
            str(len(s.latencies)),
            str(s.errors),
            *(f"{s.percentile(p):.2f}" for p in (50, 95, 99)),
            f"{max(s.latencies, default=float('nan')):.2f}",
            f"{s.rate:.0f}",
        ]
        for s in (lookups, searches)
    ]
    print()
    print(format_table(["请求", "次数", "错误", "p50 ms", "p95 ms", "p99 ms", "最大 ms", "请求/秒"], rows))
    print()
    print("最慢的名称检索：" + "；".join(f"“{q}” {ms:.1f} ms（命中 {total}）" for ms, q, total in searches.slowest))
    goals = [
        (
            f"按代码查询 p99 ≤ {GOAL_LOOKUP_P99_MS:g} ms",
            lookups.percentile(99),
            lookups.percentile(99) <= GOAL_LOOKUP_P99_MS,
        ),
        (
            f"名称检索 p95 ≤ {GOAL_SEARCH_P95_MS:g} ms",
            searches.percentile(95),
            searches.percentile(95) <= GOAL_SEARCH_P95_MS,
        ),
        (f"按代码查询 ≥ {GOAL_LOOKUPS_PER_S:g} 次/秒", lookups.rate, lookups.rate >= GOAL_LOOKUPS_PER_S),
    ]
    print()
    print("目标：")
    for label, value, met in goals:
        print(f"  {label}：实测 {value:.2f} —— {'达标' if met else '未达标'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m credit_backend.bench.backend", description="后端性能基准")
    parser.add_argument("--entities", type=int, default=1_000_000, help="主体数量，默认1000000")
    parser.add_argument("--requests", type=int, default=5000, help="每类请求的次数，默认5000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--warmup", type=int, default=200, help="每类预热请求数（不计入结果），默认200")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn 工作进程数，默认1")
    parser.add_argument("--database-url", help="使用该数据库（如 PostgreSQL）而不是缓存的 SQLite 文件")
    parser.add_argument("--reset", action="store_true", help="与 --database-url 合用：先清空该数据库")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.database_url:
        url = prepare_url(args.database_url, args.entities, args.seed, args.reset)
        if url is None:
            return 2
    else:
        url = prepare_sqlite(args.entities, args.seed)
    print(f"数据准备用时 {time.perf_counter() - started:.1f} 秒")

    codes, fragments, entities, records = sample_workload(url, args.requests + args.warmup, args.seed + 1)
    warm_codes, codes = codes[: args.warmup], codes[args.warmup :]
    warm_fragments, fragments = fragments[: args.warmup], fragments[args.warmup :]

    token = secrets.token_urlsafe(24)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    log_path = BENCH_DIR / "uvicorn.log"
    proc, base = start_server(url, token, args.workers, log_path)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            run_series(client, "预热", [(f"/api/v1/entities/{c}", None) for c in warm_codes])
            run_series(client, "预热", [("/api/v1/entities", {"q": q, "limit": "10"}) for q in warm_fragments])
            lookups = run_series(client, "按代码查询", [(f"/api/v1/entities/{c}", None) for c in codes])
            searches = run_series(
                client, "名称检索", [("/api/v1/entities", {"q": q, "limit": "10"}) for q in fragments]
            )
    finally:
        stop_server(proc)

    dialect = url.split(":", 1)[0]
    print()
    print(
        f"数据库 {dialect}，{entities:,} 个主体，{records:,} 条信用记录；uvicorn {args.workers} 个进程；"
        f"单客户端长连接；Python {platform.python_version()}，{os.cpu_count()} 个 CPU"
    )
    report(lookups, searches)
    return 0


if __name__ == "__main__":
    sys.exit(main())
