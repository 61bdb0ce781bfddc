"""Benchmark of the staff console's work queue and case view with 100,000 applications on PostgreSQL.

    .venv/bin/python scripts/bench_console.py [--applications 100000] [--requests 200] [--server URL] [--keep]

Creates a fresh database ``bench_console_<random>`` on the PostgreSQL server (default
postgresql+psycopg://postgres@127.0.0.1:5432, as the test suite uses), migrates it, fills it with
credit_backend/bench/console_data.py, creates a staff account with the accounts CLI, starts the real
backend (uvicorn) and the real console (``python -m bot.console``) on free ports, logs in through the
console's form like a browser, and times page loads over one keep-alive connection:

- 待办队列, first page (``/queue``);
- 待办队列, filtered (one kind, overdue only);
- 待办队列, a deep page (80% of the way through, 50 per page);
- 申请详情 (``/cases/<no>``) of randomly chosen applications;

each through the console (what a browser waits for) and, for comparison, the backend's API alone. Prints
p50/p95/p99 and the ratio of p95 to the goal (200 ms per page). Drops the database unless ``--keep``.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credit_backend.demo.cli import format_table  # noqa: E402
from credit_backend.models import Application  # noqa: E402

GOAL_P95_MS = 200.0
ACCOUNT = "bench01"
PASSWORD = "Bench-Console-2026"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Series:
    """Latencies (milliseconds) of one kind of page."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- database --------------------------------------------------------------------------------------


def create_database(server: str) -> str:
    """A new empty database on ``server`` (postgresql+psycopg://user@host:port); returns its URL."""
    name = f"bench_console_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    server, _, name = url.rpartition("/")
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(url: str, entities: int, applications: int, today: str, seed: int) -> None:
    """A demo city of ``entities`` (credit_backend.demo, which also migrates), then ``applications``
    applications in bulk (credit_backend/bench/console_data.py)."""
    from credit_backend.bench.console_data import insert_applications

    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "credit_backend.demo.cli", "--entities", str(entities), "--seed", str(seed),
         "--database-url", url, "--today", today],
        cwd=ROOT, check=True, capture_output=True, timeout=1800,
    )  # fmt: skip
    print(f"  {entities:,} 个主体的示范城市：{time.perf_counter() - started:.0f} 秒", flush=True)
    engine = create_engine(url)
    try:
        stats = insert_applications(engine, applications, today=date.fromisoformat(today), seed=seed)
    finally:
        engine.dispose()
    kinds = "，".join(f"{k} {n:,}" for k, n in sorted(stats.by_kind.items()))
    print(
        f"  {stats.applications:,} 件申请（其中未办结 {stats.open:,} 件；{kinds}）：{stats.seconds:.0f} 秒", flush=True
    )


def sample_cases(url: str, count: int, seed: int) -> list[str]:
    """``count`` open applications (those the queue links to), chosen at random."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT setseed({(seed % 1000) / 1000})")
            query = select(Application.application_no).where(Application.in_queue).order_by(func.random())
            return list(conn.scalars(query.limit(count)))
    finally:
        engine.dispose()


def create_account(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "credit_backend.accounts", "create", ACCOUNT, "--role", "staff",
         "--department", "吉林市发展和改革委员会（市信用中心）", "--display-name", "基准测试", "--password-stdin"],
        cwd=ROOT, env=env, input=f"{PASSWORD}\n".encode(), check=True, capture_output=True, timeout=120,
    )  # fmt: skip


# ---- processes -------------------------------------------------------------------------------------


def start(name: str, command: list[str], env: dict[str, str], health: str, log_dir: Path) -> subprocess.Popen[bytes]:
    log_path = log_dir / f"bench-console-{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} 已退出（{proc.returncode}），日志：{log_path}")
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{name} 在120秒内未就绪，日志：{log_path}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- measurement -----------------------------------------------------------------------------------


def log_in(console: httpx.Client) -> str:
    """The login form as a browser fills it (double-submit CSRF cookie); returns the session token."""
    form = console.get("/login")
    token = CSRF_FIELD.search(form.text)
    assert token, "登录页没有 csrf_token"
    done = console.post(
        "/login", data={"account": ACCOUNT, "password": PASSWORD, "csrf_token": token.group(1), "next": "/queue"}
    )
    assert done.status_code == 303 and "console_session" in console.cookies, (done.status_code, done.text[:300])
    return str(console.cookies["console_session"])


def run(name: str, client: httpx.Client, paths: list[str], warmup: int) -> Series:
    """GET each path once after ``warmup`` untimed ones; a redirect (e.g. to the login page) is an error."""
    series = Series(name)
    for path in paths[:warmup]:
        client.get(path)
    for path in paths:
        t0 = time.perf_counter()
        resp = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status_code != 200:
            series.errors.append(f"{path} → {resp.status_code} {resp.text[:200]!r}")
            continue
        series.latencies.append(elapsed)
    return series


def report(rows: list[Series], applications: int) -> None:
    table = [
        [
            s.name,
            str(len(s.latencies)),
            str(len(s.errors)),
            *(f"{s.percentile(p):.1f}" for p in (50, 95, 99)),
            f"{max(s.latencies, default=float('nan')):.1f}",
            f"{s.percentile(95) / GOAL_P95_MS:.2f}",
        ]
        for s in rows
    ]
    print()
    print(f"{applications:,} 件申请（PostgreSQL），目标：每页 p95 ≤ {GOAL_P95_MS:g} ms")
    print(format_table(["页面", "次数", "错误", "p50 ms", "p95 ms", "p99 ms", "最大 ms", "p95/目标"], table))
    for s in rows:
        for error in s.errors[:3]:
            print(f"  {s.name} 出错：{error}")
    console_rows = [s for s in rows if s.name.startswith("控制台")]
    met = all(s.percentile(95) <= GOAL_P95_MS and not s.errors for s in console_rows)
    print()
    print(f"控制台页面 p95 ≤ {GOAL_P95_MS:g} ms：{'全部达标' if met else '未全部达标'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="控制台待办队列与申请详情的性能基准（PostgreSQL）")
    parser.add_argument("--applications", type=int, default=100_000, help="申请数量，默认100000")
    parser.add_argument("--requests", type=int, default=200, help="每类页面的请求次数，默认200")
    parser.add_argument("--warmup", type=int, default=20, help="每类预热请求数（不计入结果），默认20")
    parser.add_argument("--deep-page", type=int, default=0, help="深翻页的页码（每页50件），默认为总页数的80%%处")
    parser.add_argument("--entities", type=int, default=20_000, help="示范城市的主体数量，默认20000")
    parser.add_argument("--today", default="2026-11-26", help="“今天”（CREDIT_TODAY），默认2026-11-26")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        help="PostgreSQL 服务器（不含库名），默认 postgresql+psycopg://postgres@127.0.0.1:5432",
    )
    parser.add_argument("--keep", action="store_true", help="保留基准数据库（默认结束后删除）")
    args = parser.parse_args(argv)

    log_dir = ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    url = create_database(args.server)
    print(f"基准数据库：{url}", flush=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        fill(url, args.entities, args.applications, args.today, args.seed)
        backend_port, console_port = free_port(), free_port()
        staff_token = "bench-staff-" + secrets.token_hex(8)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDIT_", "CONSOLE_"))}
        env.update(
            CREDIT_DATABASE_URL=url,
            CREDIT_TODAY=args.today,
            CREDIT_TOKENS_ASSISTANT="bench-assistant-" + secrets.token_hex(8),
            CREDIT_TOKENS_STAFF=staff_token,
            CREDIT_TOKENS_ADMIN="bench-admin-" + secrets.token_hex(8),
            CONSOLE_SECRET=secrets.token_urlsafe(32),
            CONSOLE_PORT=str(console_port),
            CONSOLE_BIND_HOST="127.0.0.1",
            CONSOLE_BACKEND_URL=f"http://127.0.0.1:{backend_port}",
            CONSOLE_RASA_URL="http://127.0.0.1:9",  # the pages measured never talk to the assistant
        )
        create_account(env)
        procs.append(
            start(
                "backend",
                [sys.executable, "-m", "uvicorn", "credit_backend.main:app", "--host", "127.0.0.1",
                 "--port", str(backend_port), "--log-level", "warning", "--no-access-log"],
                env, f"http://127.0.0.1:{backend_port}/healthz", log_dir,
            )
        )  # fmt: skip
        procs.append(
            start(
                "console",
                [sys.executable, "-m", "bot.console"],
                env,
                f"http://127.0.0.1:{console_port}/healthz",
                log_dir,
            )
        )
        cases = sample_cases(url, args.requests, args.seed)
        n = args.requests
        headers = {"Authorization": f"Bearer {staff_token}"}
        first = httpx.get(f"http://127.0.0.1:{backend_port}/api/v1/queue", headers=headers, timeout=60).json()
        deep = args.deep_page or max(int(first["pages"] * 0.8), 1)
        print(f"待办队列：{first['total']:,} 件未办结，共 {first['pages']:,} 页；深翻页取第 {deep:,} 页", flush=True)
        pages = {
            "待办队列 第1页": ["/queue"] * n,
            "待办队列 筛选（异议、已超期）": ["/queue?kind=objection&overdue=true"] * n,
            f"待办队列 第{deep}页": [f"/queue?page={deep}"] * n,
            "申请详情": [f"/cases/{no}" for no in cases],
        }
        api_paths = {
            "待办队列 第1页": ["/api/v1/queue"] * n,
            "待办队列 筛选（异议、已超期）": ["/api/v1/queue?kind=objection&overdue=true"] * n,
            f"待办队列 第{deep}页": [f"/api/v1/queue?page={deep}"] * n,
            "申请详情": [f"/api/v1/applications/{no}" for no in cases],
        }
        results: list[Series] = []
        print(f"负载（1/5/15分钟平均）：{' / '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        with httpx.Client(base_url=f"http://127.0.0.1:{console_port}", timeout=60) as console:
            session = log_in(console)
            for name, paths in pages.items():
                results.append(run(f"控制台 {name}", console, paths, args.warmup))
        with httpx.Client(base_url=f"http://127.0.0.1:{backend_port}", headers=headers, timeout=60) as api:
            for name, paths in api_paths.items():
                results.append(run(f"后端接口 {name}", api, paths, args.warmup))
        # What every console page asks first: whose session is this (and keep it alive).
        with httpx.Client(
            base_url=f"http://127.0.0.1:{backend_port}", headers={"X-Console-Session": session}, timeout=60
        ) as api:
            results.append(
                run("后端接口 会话校验（每页一次）", api, ["/api/v1/console/sessions/current"] * n, args.warmup)
            )
        report(results, args.applications)
        print(f"负载（1/5/15分钟平均）：{' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        for proc in reversed(procs):
            stop(proc)
        if args.keep:
            print(f"已保留基准数据库：{url}")
        else:
            drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
